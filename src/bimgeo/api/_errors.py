"""Errors of the HTTP layer, drawn once here.

    bimgeo.BimgeoError
    └── ApiError                       anything the HTTP layer raises on purpose
        ├── ConfigurationError(ValueError)   missing token / team, bad argument
        ├── AuthenticationError        401
        ├── PermissionDeniedError      403
        ├── NotFoundError              404
        ├── ConflictError              409 (e.g. iTwin: run already being created)
        ├── UnprocessableEntityError   422 (iTwin: ``details`` says which field)
        ├── RateLimitError             429 after the retries ran out (``retry_after``)
        ├── ServerError                5xx after the retries ran out
        ├── ApiConnectionError         could not connect, reset, protocol error
        │   ├── ApiTimeoutError        connect / read / write / pool timeout
        │   └── IncompleteResponseError  body cut short, truncated gzip stream
        ├── NotReadyError              geometry still answered 202 when the wait ran out
        └── ExportError                an export job/run failed or did not finish in time

Every status error carries ``status``, ``code``, ``message`` and ``details``
(a list of :class:`ErrorDetail`), parsed from the body: iTwin's
``{"error": {code, message, details: [{code, message, target}]}}``, the
Bimplus JSON forms (``{"message"|"Message", "code"|"errorCode", ...}``) or
plain text. Lower-level httpx exceptions are mapped with ``raise ... from exc``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Tuple, Type

import orjson

from .._errors import BimgeoError

__all__ = [
    "ApiConnectionError",
    "ApiError",
    "ApiTimeoutError",
    "AuthenticationError",
    "ConfigurationError",
    "ConflictError",
    "ErrorDetail",
    "ExportError",
    "IncompleteResponseError",
    "NotFoundError",
    "NotReadyError",
    "PermissionDeniedError",
    "RateLimitError",
    "ServerError",
    "UnprocessableEntityError",
]

_MAX_TEXT = 500


@dataclass(frozen=True)
class ErrorDetail:
    """One entry of an error's ``details`` list (iTwin: code, message, target)."""

    code: Optional[str]
    message: Optional[str]
    target: Optional[str] = None


class ApiError(BimgeoError):
    """An HTTP call failed. ``status`` is None when no response arrived."""

    def __init__(
        self,
        message: str,
        *,
        status: Optional[int] = None,
        code: Optional[str] = None,
        details: Optional[List[ErrorDetail]] = None,
        method: Optional[str] = None,
        url: Optional[str] = None,
        headers: Optional[Mapping[str, str]] = None,
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.details: List[ErrorDetail] = list(details or [])
        self.method = method
        self.url = url
        self.headers: Dict[str, str] = dict(headers or {})
        super().__init__(self._text())

    def _text(self) -> str:
        head = "" if self.status is None else f"HTTP {self.status}: "
        code = f"{self.code}: " if self.code else ""
        text = f"{head}{code}{self.message}"
        if self.details:
            text += " [" + "; ".join(
                ": ".join(p for p in (d.target, d.code, d.message) if p) for d in self.details
            ) + "]"
        if self.method and self.url:
            text += f" ({self.method} {self.url})"
        return text


class ConfigurationError(ApiError, ValueError):
    """The client lacks something a call needs (token, team) or got a bad argument."""


class AuthenticationError(ApiError):
    """401: the token is missing, expired or not accepted."""


class PermissionDeniedError(ApiError):
    """403: the user may not do this."""


class NotFoundError(ApiError):
    """404: no such resource (or not visible to this user)."""


class ConflictError(ApiError):
    """409: conflicts with another request (iTwin: a run is already being created)."""


class UnprocessableEntityError(ApiError):
    """422: the request was understood but is invalid; see ``details``."""


class RateLimitError(ApiError):
    """429 after the retries ran out. ``retry_after`` is the server's last hint in seconds."""

    retry_after: Optional[float] = None


class ServerError(ApiError):
    """5xx after the retries ran out (or at once for a non-idempotent call)."""


class ApiConnectionError(ApiError):
    """No usable response: connection refused or reset, protocol error."""


class ApiTimeoutError(ApiConnectionError):
    """A connect, read, write or pool timeout (see ``Client(timeout=...)``)."""


class IncompleteResponseError(ApiConnectionError):
    """The body was cut short: fewer bytes than announced, or a truncated gzip stream."""


class NotReadyError(ApiError):
    """The server kept answering 202 (not ready yet) until the wait ran out."""


class ExportError(ApiError):
    """An export job or run failed, or did not complete within the wait."""


_BY_STATUS: Dict[int, Type[ApiError]] = {
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def error_class(status: int) -> Type[ApiError]:
    """The most specific ApiError subclass for an HTTP status."""
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if 500 <= status <= 599:
        return ServerError
    return ApiError


def _str(value: Any) -> Optional[str]:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def _get(obj: Mapping[str, Any], *names: str) -> Any:
    """First of ``names`` present in ``obj``, compared case-insensitively."""
    lowered = {k.lower(): v for k, v in obj.items() if isinstance(k, str)}
    for name in names:
        if name.lower() in lowered and lowered[name.lower()] not in (None, ""):
            return lowered[name.lower()]
    return None


def _details(raw: Any) -> List[ErrorDetail]:
    out: List[ErrorDetail] = []
    if isinstance(raw, list):
        for item in raw:
            if isinstance(item, Mapping):
                out.append(
                    ErrorDetail(
                        _str(_get(item, "code")),
                        _str(_get(item, "message")),
                        _str(_get(item, "target")),
                    )
                )
            elif item is not None:
                out.append(ErrorDetail(None, _str(item)))
    return out


def parse_error_body(
    body: bytes, content_type: str = ""
) -> Tuple[Optional[str], Optional[str], List[ErrorDetail]]:
    """(code, message, details) from an error body: iTwin JSON, Bimplus JSON or text."""
    data: Any = None
    stripped = body.strip()
    if stripped[:1] in (b"{", b"["):
        try:
            data = orjson.loads(stripped)
        except orjson.JSONDecodeError:
            data = None
    if isinstance(data, Mapping):
        inner = data.get("error")
        if isinstance(inner, Mapping):  # iTwin / OData style
            return (
                _str(_get(inner, "code")),
                _str(_get(inner, "message")),
                _details(_get(inner, "details")),
            )
        message = _get(
            data, "message", "errorMessage", "exceptionMessage", "error_description", "detail", "title"
        )
        code = _get(data, "code", "errorCode", "error", "type")
        details = _details(_get(data, "details", "errors"))
        if message is not None or code is not None:
            return _str(code), _str(message), details
    if isinstance(data, list) and data:
        return None, None, _details(data)
    text = body.decode("utf-8", "replace").strip()
    if len(text) > _MAX_TEXT:
        text = text[:_MAX_TEXT] + "..."
    return None, (text or None), []


def error_from_response(
    status: int,
    reason: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    method: str,
    url: str,
) -> ApiError:
    """Build the ApiError subclass for a failed response."""
    code, message, details = parse_error_body(body, headers.get("content-type", ""))
    cls = error_class(status)
    keep = {k: v for k, v in headers.items() if k.lower() in ("retry-after", "location", "etag", "x-request-id")}
    return cls(
        message or reason or "request failed",
        status=status,
        code=code,
        details=details,
        method=method,
        url=url,
        headers=keep,
    )
