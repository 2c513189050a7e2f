"""The clients: configuration, authentication, one request engine with retries,
ETag cache and streamed downloads, shared by :class:`Client` (sync) and
:class:`AsyncClient` (asyncio).

The retry and answer logic lives in :class:`_Flow`, which never does I/O: the
sync and async drivers only send, read and sleep as the flow tells them, so
both clients behave the same by construction.
"""
from __future__ import annotations

import asyncio
import collections
import inspect
import logging
import os
import threading
import urllib.parse
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import (
    TYPE_CHECKING,
    Any,
    AsyncIterator,
    Awaitable,
    Callable,
    Deque,
    Dict,
    FrozenSet,
    Generic,
    Iterable,
    Iterator,
    Mapping,
    Optional,
    Tuple,
    TypeVar,
    Union,
    cast,
)

import httpx
import orjson

from ._body import ACCEPT_ENCODING, BodyDecoder, FileSink, MemorySink
from ._cache import CacheEntry, ETagCache
from ._errors import (
    ApiConnectionError,
    ApiError,
    ApiTimeoutError,
    ConfigurationError,
    IncompleteResponseError,
    NotReadyError,
    RateLimitError,
    error_from_response,
)
from ._retry import IDEMPOTENT, RetryPolicy, parse_retry_after
from ._types import Token

if TYPE_CHECKING:  # pragma: no cover
    from ._resources import (
        Attachments,
        Comments,
        CustomTables,
        Geometries,
        Hyperlinks,
        IfcExport,
        ITwinExport,
        Models,
        Objects,
        Projects,
        Reports,
        Teams,
    )

__all__ = ["AsyncClient", "Client", "DEFAULT_BASE_URL", "DEFAULT_ITWIN_URL", "DEFAULT_TIMEOUT"]

logger = logging.getLogger("bimgeo.api")

DEFAULT_BASE_URL = "https://api.bimplus.net/v2"
DEFAULT_ITWIN_URL = "https://api.bentley.com"
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
#: error bodies are read up to this size (the rest is dropped)
_MAX_ERROR_BODY = 1 << 20
#: a hostile X-Total-Count cannot make us ask for more chunks than this
MAX_CHUNKS = 100_000

T = TypeVar("T")
RefreshResult = Union[str, Token]
RefreshCallback = Callable[[], Union[RefreshResult, Awaitable[RefreshResult]]]


@dataclass(frozen=True)
class Answer:
    """A finished response as the parse functions see it."""

    status: int
    headers: httpx.Headers
    body: bytes
    url: str
    path: Optional[Path] = None
    from_cache: bool = False

    def json(self) -> Any:
        """The body parsed as JSON (an ApiError if it is not JSON)."""
        if not self.body.strip():
            return None
        try:
            return orjson.loads(self.body)
        except orjson.JSONDecodeError as exc:
            raise ApiError(
                f"response is not valid JSON: {exc}", status=self.status, url=_redact(self.url)
            ) from exc


@dataclass
class Call(Generic[T]):
    """One logical API call (possibly several HTTP attempts)."""

    method: str
    url: str
    parse: Callable[[Answer], T]
    params: Optional[Mapping[str, Any]] = None
    json: Any = None
    content: Union[None, bytes, Callable[[], Iterable[bytes]]] = None
    headers: Dict[str, str] = field(default_factory=dict)
    auth: str = "bimplus"  # "bimplus", "itwin" or "none"
    ok: FrozenSet[int] = frozenset()  # non-2xx statuses that are answers, not errors
    wait_ready: bool = False  # 202 = not ready: ask again later
    cacheable: bool = False
    download_to: Optional[Path] = None
    follow_redirects: bool = False  # downloads may be redirected to storage


def _redact(url: str) -> str:
    """The URL without secrets (``api-token`` query values)."""
    parts = urllib.parse.urlsplit(url)
    if not parts.query:
        return url
    query = [
        (k, "***" if k.lower() in ("api-token", "access_token", "token") else v)
        for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    ]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def _clean_params(params: Optional[Mapping[str, Any]]) -> Dict[str, str]:
    """Query parameters as strings: None dropped, booleans lower-case."""
    out: Dict[str, str] = {}
    for key, value in (params or {}).items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        else:
            out[key] = str(value)
    return out


def same_origin(url: str, base: str) -> bool:
    """Whether ``url`` has the scheme, host and port of ``base`` (credentials go nowhere else)."""
    a, b = httpx.URL(url), httpx.URL(base)
    return (a.scheme, a.host, a.port) == (b.scheme, b.host, b.port)


def total_count(headers: Mapping[str, str]) -> int:
    """The chunk count from ``X-Total-Count`` (1 when absent)."""
    raw = headers.get("x-total-count")
    if raw is None or not raw.strip():
        return 1
    try:
        value = int(raw.strip())
    except ValueError:
        raise ApiError(f"invalid X-Total-Count header {raw!r}") from None
    if not 0 <= value <= MAX_CHUNKS:
        raise ApiError(f"X-Total-Count {value} out of range 0..{MAX_CHUNKS}")
    return max(value, 1)


def _map_transport_error(exc: Exception, method: str, url: str) -> ApiError:
    """The ApiError subclass for an httpx transport failure (or our own body check)."""
    where = _redact(url)
    if isinstance(exc, ApiError):
        return type(exc)(exc.message, method=method, url=where)
    if isinstance(exc, httpx.TimeoutException):
        return ApiTimeoutError(f"timed out ({type(exc).__name__}): {exc}", method=method, url=where)
    if isinstance(exc, httpx.RemoteProtocolError) and "message body" in str(exc):
        return IncompleteResponseError(f"response body cut short: {exc}", method=method, url=where)
    return ApiConnectionError(f"{type(exc).__name__}: {exc or 'connection failed'}", method=method, url=where)


# --- the engine -------------------------------------------------------------------------

_DONE, _SLEEP, _REFRESH = "done", "sleep", "refresh"


class _Flow(Generic[T]):
    """Decides, attempt by attempt, what a call does next. No I/O here."""

    def __init__(self, client: "_ClientBase", call: Call[T]) -> None:
        self.client = client
        self.call = call
        self.retries = 0
        self.refreshed = False
        self.waited = 0.0
        self.sent_auth: Optional[str] = None
        self.cache_key: Optional[str] = None
        self.entry: Optional[CacheEntry] = None
        if call.cacheable and client._cache is not None and call.method == "GET" and call.download_to is None:
            full = str(httpx.URL(call.url, params=_clean_params(call.params)))
            self.cache_key = ETagCache.key(call.method, full, call.headers.get("Accept", ""))
            self.entry = client._cache.get(self.cache_key)

    def request(self) -> httpx.Request:
        call = self.call
        headers = {"Accept": "application/json", "Accept-Encoding": ACCEPT_ENCODING}
        headers.update(call.headers)
        auth = self.client._auth_value(call.auth)
        self.sent_auth = auth
        if auth is not None:
            headers["Authorization"] = auth
        if self.entry is not None:
            headers["If-None-Match"] = self.entry.etag
        content = call.content() if callable(call.content) else call.content
        request: httpx.Request = self.client._http.build_request(
            call.method,
            call.url,
            params=_clean_params(call.params),
            json=call.json,
            content=content,
            headers=headers,
        )
        return request

    def streams_to_file(self, status: int) -> bool:
        return self.call.download_to is not None and 200 <= status < 300 and not (
            status == 202 and self.call.wait_ready
        )

    def sink(self, response: httpx.Response) -> Union[MemorySink, FileSink]:
        if self.streams_to_file(response.status_code):
            assert self.call.download_to is not None
            return FileSink(self.call.download_to)
        return MemorySink()

    def answered(
        self, response: httpx.Response, sink: Union[MemorySink, FileSink]
    ) -> Tuple[str, Any]:
        """Next step after a complete response; raises the final error."""
        call, client, policy = self.call, self.client, self.client.retry
        status = response.status_code
        url = str(response.request.url)
        logger.debug("%s %s -> %d", call.method, _redact(url), status)
        if status == 304 and self.entry is not None:
            headers = httpx.Headers(self.entry.headers)
            if response.headers.get("etag"):
                headers["etag"] = response.headers["etag"]
            return _DONE, call.parse(Answer(200, headers, self.entry.body, url, from_cache=True))
        if status == 401 and call.auth != "none" and client._refresh is not None and not self.refreshed:
            self.refreshed = True
            return _REFRESH, None
        if status == 202 and call.wait_ready:
            delay = parse_retry_after(response.headers.get("retry-after"))
            delay = policy.poll_interval if delay is None else min(delay, policy.max_retry_after)
            if self.waited + delay > client.ready_timeout:
                raise NotReadyError(
                    f"still not ready (202) after waiting {self.waited:g} s",
                    status=202,
                    method=call.method,
                    url=_redact(url),
                )
            self.waited += delay
            return _SLEEP, delay
        if 200 <= status < 300 or status in call.ok:
            path: Optional[Path] = None
            body = b""
            if isinstance(sink, FileSink):
                path = sink.commit()
            else:
                body = sink.getvalue()
            answer = Answer(status, response.headers, body, url, path)
            value = call.parse(answer)
            etag = response.headers.get("etag")
            if (
                self.cache_key is not None
                and client._cache is not None
                and status == 200
                and etag
            ):
                client._cache.put(self.cache_key, url, etag, response.headers, body)
            return _DONE, value
        body = sink.getvalue() if isinstance(sink, MemorySink) else b""
        retryable = status == 429 or (500 <= status <= 599 and call.method in IDEMPOTENT)
        if retryable and self.retries < policy.attempts:
            self.retries += 1
            delay = policy.delay(self.retries, response.headers.get("retry-after"))
            logger.info("%s %s: HTTP %d, retry %d in %.2f s", call.method, _redact(url), status, self.retries, delay)
            return _SLEEP, delay
        err = error_from_response(
            status, response.reason_phrase, response.headers, body, method=call.method, url=_redact(url)
        )
        if isinstance(err, RateLimitError):
            err.retry_after = parse_retry_after(response.headers.get("retry-after"))
        raise err

    def failed(self, exc: Exception) -> Tuple[ApiError, Optional[float]]:
        """(mapped error, delay before retrying or None to give up) after a transport failure."""
        call, policy = self.call, self.client.retry
        mapped = _map_transport_error(exc, call.method, call.url)
        never_sent = isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))
        if (never_sent or call.method in IDEMPOTENT) and self.retries < policy.attempts:
            self.retries += 1
            delay = policy.backoff_delay(self.retries)
            logger.info("%s %s: %s, retry %d in %.2f s", call.method, _redact(call.url), mapped, self.retries, delay)
            return mapped, delay
        return mapped, None


def _json(answer: Answer) -> Any:
    return answer.json()


def _read_limit(sink: Union[MemorySink, FileSink]) -> Optional[int]:
    return _MAX_ERROR_BODY if isinstance(sink, MemorySink) else None


# --- clients ------------------------------------------------------------------------------


class _ClientBase:
    """What the sync and async clients share: configuration, URLs, auth, resources."""

    _is_async = False
    _http: Any

    def __init__(
        self,
        token: Optional[str] = None,
        *,
        team: Optional[str] = None,
        base_url: Optional[str] = None,
        timeout: Union[None, float, httpx.Timeout] = None,
        transport: Any = None,
        token_type: str = "BimPlus",
        retries: Union[int, RetryPolicy] = 3,
        cache_dir: Union[None, str, "os.PathLike[str]"] = None,
        refresh: Optional[RefreshCallback] = None,
        itwin_base_url: Optional[str] = None,
        itwin_token: Optional[str] = None,
        ready_timeout: float = 300.0,
        concurrency: int = 4,
    ) -> None:
        from ._resources import (
            Attachments,
            Comments,
            CustomTables,
            Geometries,
            Hyperlinks,
            IfcExport,
            ITwinExport,
            Models,
            Objects,
            Projects,
            Reports,
            Teams,
        )

        if token is None:
            token = os.environ.get("BIMPLUS_TOKEN") or None
        self._token: Optional[str] = token
        self.token_type = token_type
        self.team = team
        self.base_url = (base_url or os.environ.get("BIMPLUS_API_URL") or DEFAULT_BASE_URL).rstrip("/")
        self.itwin_base_url = (itwin_base_url or os.environ.get("ITWIN_API_URL") or DEFAULT_ITWIN_URL).rstrip("/")
        self._itwin_token = itwin_token
        self.retry = retries if isinstance(retries, RetryPolicy) else RetryPolicy(attempts=int(retries))
        self._cache = ETagCache(cache_dir) if cache_dir is not None else None
        self._refresh = refresh
        self.ready_timeout = float(ready_timeout)
        if concurrency < 1:
            raise ConfigurationError("concurrency must be >= 1")
        self.concurrency = int(concurrency)
        if timeout is None:
            self.timeout = DEFAULT_TIMEOUT
        elif isinstance(timeout, httpx.Timeout):
            self.timeout = timeout
        else:
            self.timeout = httpx.Timeout(float(timeout))
        self._transport = transport

        self.teams = Teams(self)
        self.projects = Projects(self)
        self.models = Models(self)
        self.divisions = self.models
        self.objects = Objects(self)
        self.geometries = Geometries(self)
        self.comments = Comments(self)
        self.attachments = Attachments(self)
        self.hyperlinks = Hyperlinks(self)
        self.custom_tables = CustomTables(self)
        self.reports = Reports(self)
        self.ifc_export = IfcExport(self)
        self.itwin_export = ITwinExport(self)
        self._refresh_lock = threading.Lock()
        self._http = self._make_http()

    def _make_http(self) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- identity --------------------------------------------------------------------------

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self.base_url!r}, team={self.team!r}, "
            f"authenticated={self._token is not None})"
        )

    @property
    def authenticated(self) -> bool:
        """Whether a token is set (it is never shown)."""
        return self._token is not None

    def set_token(self, token: Union[str, Token], token_type: Optional[str] = None) -> None:
        """Use another token from now on (a string, or a Token from ``authorize``)."""
        if isinstance(token, Token):
            self._token = token.access_token
            self.token_type = token.token_type or self.token_type
        else:
            self._token = token
            if token_type is not None:
                self.token_type = token_type

    def _auth_value(self, kind: str) -> Optional[str]:
        if kind == "none":
            return None
        if kind == "itwin":
            if self._itwin_token is not None:
                return f"Bearer {self._itwin_token}"
            if self._token is None:
                raise ConfigurationError("no token: pass itwin_token= (or token=) to the client")
            return f"Bearer {self._token}"
        if self._token is None:
            raise ConfigurationError(
                "no token: pass token=, set BIMPLUS_TOKEN, or use Client.login(user, password, application_id)"
            )
        return f"{self.token_type} {self._token}"

    # -- URLs --------------------------------------------------------------------------------

    def url(self, *segments: object) -> str:
        """An API URL: base URL + path segments (each percent-quoted)."""
        return "/".join([self.base_url] + [urllib.parse.quote(str(s), safe="") for s in segments])

    def team_url(self, *segments: object, team: Optional[str] = None) -> str:
        """An API URL under the team slug."""
        slug = team or self.team
        if not slug:
            raise ConfigurationError("this call needs a team slug: pass team= to the client")
        return self.url(slug, *segments)

    def itwin_url(self, *segments: object) -> str:
        """An iTwin Platform URL."""
        return "/".join([self.itwin_base_url] + [urllib.parse.quote(str(s), safe="") for s in segments])

    def _new_token(self, result: RefreshResult) -> None:
        if not isinstance(result, (str, Token)):
            raise ConfigurationError("refresh callback must return a token string or a Token")
        self.set_token(result)

    # overridden by the drivers
    def _execute(self, call: Call[T]) -> T:  # pragma: no cover - abstract
        raise NotImplementedError

    def _authorize_call(self, user: str, password: str, application_id: str) -> Call[Token]:
        def parse(answer: Answer) -> Token:
            data = answer.json()
            if not isinstance(data, dict) or not isinstance(data.get("access_token"), str):
                raise ApiError("authorize: answer has no access_token", status=answer.status)
            try:
                expires: Optional[int] = int(data["expires_in"])
            except (KeyError, TypeError, ValueError):
                expires = None
            return Token(
                access_token=data["access_token"],
                token_type=str(data.get("token_type") or "BimPlus"),
                expires_in=expires,
                client_id=None if data.get("client_id") is None else str(data.get("client_id")),
            )

        body = {"user_id": user, "password": password, "application_id": application_id}
        return Call("POST", self.url("authorize"), parse, json=body, auth="none")


class Client(_ClientBase):
    """Synchronous Bimplus API client.

    >>> with Client(token, team="my-team") as c:          # doctest: +SKIP
    ...     for chunk in c.geometries.iter_chunks(object_id):
    ...         ...

    Arguments: ``token`` (else env ``BIMPLUS_TOKEN``), ``team`` slug,
    ``base_url`` (else env ``BIMPLUS_API_URL``, else https://api.bimplus.net/v2),
    ``timeout`` (seconds or ``httpx.Timeout``), ``transport`` (an httpx
    transport), ``token_type`` ("BimPlus"), ``retries`` (an int or a
    :class:`RetryPolicy`, whose ``sleep`` is injectable), ``cache_dir`` (ETag
    cache folder), ``refresh`` (called once on a 401, returns a new token),
    ``itwin_base_url``/``itwin_token`` (iTwin Platform), ``ready_timeout``
    (how long to keep asking while geometry answers 202), ``concurrency``
    (chunks fetched at once).
    """

    def _make_http(self) -> httpx.Client:
        return httpx.Client(
            timeout=self.timeout,
            transport=self._transport,
            follow_redirects=False,
            headers={"User-Agent": _user_agent()},
        )

    @classmethod
    def login(cls, user: str, password: str, application_id: str, **kwargs: Any) -> "Client":
        """A client authenticated with ``POST /v2/authorize`` (user, password, application id)."""
        client = cls(None, **kwargs)
        try:
            client.authorize(user, password, application_id)
        except BaseException:
            client.close()
            raise
        return client

    def authorize(self, user: str, password: str, application_id: str) -> Token:
        """Log in (``POST /v2/authorize``), use the new token and return it."""
        token = self._execute(self._authorize_call(user, password, application_id))
        self.set_token(token)
        return token

    def token_info(self) -> Any:
        """``GET /v2/authorize``: what the server knows about the current token."""
        return self._execute(Call("GET", self.url("authorize"), _json))

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Optional[Mapping[str, Any]] = None,
        json: Any = None,
        headers: Optional[Dict[str, str]] = None,
    ) -> Answer:
        """Any API call: ``path`` is relative to the base URL (or absolute).

        Retries, errors and auth as for the typed methods; returns the Answer.
        """
        url = path if "://" in path else f"{self.base_url}/{path.lstrip('/')}"
        return self._execute(
            Call(method.upper(), url, lambda a: a, params=params, json=json, headers=dict(headers or {}))
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the sync driver -------------------------------------------------------------------

    def _execute(self, call: Call[T]) -> T:
        flow = _Flow(self, call)
        while True:
            request = flow.request()
            sink: Union[None, MemorySink, FileSink] = None
            committed = False
            try:
                try:
                    response = self._http.send(request, stream=True, follow_redirects=call.follow_redirects)
                    try:
                        sink = flow.sink(response)
                        decoder = BodyDecoder(response.headers.get("content-encoding"))
                        limit = _read_limit(sink)
                        for raw in response.iter_raw():
                            sink.write(decoder.feed(raw))
                            if limit is not None and sink.size > limit and not (200 <= response.status_code < 300):
                                break
                        else:
                            sink.write(decoder.finish())
                    finally:
                        response.close()
                except (httpx.RequestError, IncompleteResponseError) as exc:
                    err, delay = flow.failed(exc)
                    if delay is None:
                        raise err from exc
                    step: Tuple[str, Any] = (_SLEEP, delay)
                else:
                    step = flow.answered(response, sink)
                    committed = True
            finally:
                if sink is not None and not committed and isinstance(sink, FileSink):
                    sink.discard()
            kind, value = step
            if kind == _DONE:
                return cast(T, value)
            if kind == _SLEEP:
                self.retry.sleep(value)
            elif kind == _REFRESH:
                assert self._refresh is not None
                with self._refresh_lock:
                    # another thread may have refreshed while this request was out
                    if self._auth_value(call.auth) == flow.sent_auth:
                        result = self._refresh()
                        if inspect.isawaitable(result):
                            raise ConfigurationError("Client needs a synchronous refresh callback")
                        self._new_token(result)

    def _iter_chunks(
        self,
        calls: Callable[[int], Call[T]],
        first: Call[Tuple[T, int]],
        progress: Optional[Callable[[int, int], None]] = None,
    ) -> Iterator[T]:
        """Chunk 1, then chunks 2..N concurrently (bounded), yielded in order."""
        value, total = self._execute(first)
        done = 1
        if progress is not None:
            progress(done, total)
        yield value
        if total <= 1:
            return
        workers = min(self.concurrency, total - 1)
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bimgeo-chunk")
        pending: Deque["Future[T]"] = collections.deque()
        nxt = 2
        try:
            while nxt <= total and len(pending) < workers:
                pending.append(pool.submit(self._execute, calls(nxt)))
                nxt += 1
            while pending:
                value = pending.popleft().result()
                if nxt <= total:
                    pending.append(pool.submit(self._execute, calls(nxt)))
                    nxt += 1
                done += 1
                if progress is not None:
                    progress(done, total)
                yield value
        finally:
            for fut in pending:
                fut.cancel()
            pool.shutdown(wait=True)


class AsyncClient(_ClientBase):
    """The asyncio twin of :class:`Client`: same arguments and resource groups;
    every resource method returns an awaitable of the same value, and the
    chunk iterators are async iterators. ``retries.async_sleep`` is the
    injectable sleep; ``refresh`` may be sync or async."""

    _is_async = True
    _alock: Optional[asyncio.Lock] = None

    if TYPE_CHECKING:  # the groups return awaitables here
        teams: Any
        projects: Any
        models: Any
        divisions: Any
        objects: Any
        geometries: Any
        comments: Any
        attachments: Any
        hyperlinks: Any
        custom_tables: Any
        reports: Any
        ifc_export: Any
        itwin_export: Any

    def _make_http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            timeout=self.timeout,
            transport=self._transport,
            follow_redirects=False,
            headers={"User-Agent": _user_agent()},
        )

    @classmethod
    async def login(cls, user: str, password: str, application_id: str, **kwargs: Any) -> "AsyncClient":
        """An authenticated client from ``POST /v2/authorize``."""
        client = cls(None, **kwargs)
        try:
            await client.authorize(user, password, application_id)
        except BaseException:
            await client.aclose()
            raise
        return client

    async def authorize(self, user: str, password: str, application_id: str) -> Token:
        """Log in, use the new token and return it."""
        token = await self._execute(self._authorize_call(user, password, application_id))
        self.set_token(token)
        return token

    async def token_info(self) -> Any:
        """``GET /v2/authorize``."""
        return await self._execute(Call("GET", self.url("authorize"), _json))

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Optional[Mapping[str, Any]] = None,
        json: Any = None,
        headers: Optional[Dict[str, str]] = None,
    ) -> Answer:
        """Any API call (see :meth:`Client.request`)."""
        url = path if "://" in path else f"{self.base_url}/{path.lstrip('/')}"
        return await self._execute(
            Call(method.upper(), url, lambda a: a, params=params, json=json, headers=dict(headers or {}))
        )

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _execute(self, call: Call[T]) -> T:  # type: ignore[override]
        flow = _Flow(self, call)
        while True:
            request = flow.request()
            sink: Union[None, MemorySink, FileSink] = None
            committed = False
            try:
                try:
                    response = await self._http.send(
                        request, stream=True, follow_redirects=call.follow_redirects
                    )
                    try:
                        sink = flow.sink(response)
                        decoder = BodyDecoder(response.headers.get("content-encoding"))
                        limit = _read_limit(sink)
                        cut = False
                        async for raw in response.aiter_raw():
                            sink.write(decoder.feed(raw))
                            if limit is not None and sink.size > limit and not (200 <= response.status_code < 300):
                                cut = True
                                break
                        if not cut:
                            sink.write(decoder.finish())
                    finally:
                        await response.aclose()
                except (httpx.RequestError, IncompleteResponseError) as exc:
                    err, delay = flow.failed(exc)
                    if delay is None:
                        raise err from exc
                    step: Tuple[str, Any] = (_SLEEP, delay)
                else:
                    step = flow.answered(response, sink)
                    committed = True
            finally:
                if sink is not None and not committed and isinstance(sink, FileSink):
                    sink.discard()
            kind, value = step
            if kind == _DONE:
                return cast(T, value)
            if kind == _SLEEP:
                await self.retry.async_sleep(value)
            elif kind == _REFRESH:
                assert self._refresh is not None
                if self._alock is None:
                    self._alock = asyncio.Lock()
                async with self._alock:
                    if self._auth_value(call.auth) == flow.sent_auth:  # not refreshed meanwhile
                        result = self._refresh()
                        if inspect.isawaitable(result):
                            result = await result
                        self._new_token(result)

    async def _aiter_chunks(
        self,
        calls: Callable[[int], Call[T]],
        first: Call[Tuple[T, int]],
        progress: Optional[Callable[[int, int], None]] = None,
    ) -> AsyncIterator[T]:
        """Chunk 1, then 2..N concurrently (bounded), yielded in order."""
        value, total = await self._execute(first)
        done = 1
        if progress is not None:
            progress(done, total)
        yield value
        if total <= 1:
            return
        workers = min(self.concurrency, total - 1)
        pending: Deque["asyncio.Task[T]"] = collections.deque()
        nxt = 2
        try:
            while nxt <= total and len(pending) < workers:
                pending.append(asyncio.ensure_future(self._execute(calls(nxt))))
                nxt += 1
            while pending:
                value = await pending.popleft()
                if nxt <= total:
                    pending.append(asyncio.ensure_future(self._execute(calls(nxt))))
                    nxt += 1
                done += 1
                if progress is not None:
                    progress(done, total)
                yield value
        finally:
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)


def _user_agent() -> str:
    try:
        from .. import __version__ as version
    except ImportError:  # pragma: no cover
        version = "0"
    return f"bimgeo/{version} httpx/{httpx.__version__}"
