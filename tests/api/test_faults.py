"""Behaviour under faults: rate limits, server errors, resets, truncated bodies, timeouts, 401."""
from __future__ import annotations

import gzip
import json
import socket
import time
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from werkzeug import Request, Response

from bimgeo.api import (
    ApiConnectionError,
    ApiError,
    ApiTimeoutError,
    AuthenticationError,
    Client,
    IncompleteResponseError,
    RateLimitError,
    RetryPolicy,
    ServerError,
)
from bimgeo import BimgeoError

from .conftest import TEAM, TOKEN, http_head, load, reset

DIVISION = "d81494b9-9731-4d2e-8fbe-da62f5270182"
PATH = f"/v2/{TEAM}/divisions/{DIVISION}"


# --- 429 and 5xx ------------------------------------------------------------------------------------


def test_429_storm_is_bounded_then_rate_limit_error(httpserver, client, sleeps):
    httpserver.expect_request(PATH).respond_with_json(
        {"error": {"code": "RateLimitExceeded", "message": "Too many."}}, status=429, headers={"Retry-After": "1"}
    )
    with pytest.raises(RateLimitError) as info:
        client.models.get(DIVISION)
    assert sleeps == [1.0, 1.0, 1.0]
    assert len(httpserver.log) == 4
    err = info.value
    assert err.status == 429 and err.code == "RateLimitExceeded" and err.retry_after == 1.0
    assert isinstance(err, ApiError) and isinstance(err, BimgeoError)


def test_retry_after_http_date_is_capped(httpserver, sleeps):
    later = format_datetime(datetime.now(timezone.utc) + timedelta(hours=2), usegmt=True)
    httpserver.expect_ordered_request(PATH).respond_with_data("", status=429, headers={"Retry-After": later})
    httpserver.expect_ordered_request(PATH).respond_with_json(load("division"))
    policy = RetryPolicy(attempts=2, max_retry_after=30, sleep=sleeps)
    with Client(TOKEN, team=TEAM, base_url=httpserver.url_for("/v2"), retries=policy) as c:
        assert c.models.get(DIVISION)["name"] == "Model A - Vogel"
    assert sleeps == [30]


def test_503_then_success(httpserver, client, sleeps):
    httpserver.expect_ordered_request(PATH).respond_with_data("busy", status=503, headers={"Retry-After": "2"})
    httpserver.expect_ordered_request(PATH).respond_with_data("busy", status=503)
    httpserver.expect_ordered_request(PATH).respond_with_json(load("division"))
    assert client.models.get(DIVISION)["id"] == DIVISION
    assert sleeps[0] == 2.0
    assert 0.25 <= sleeps[1] <= 1.0  # backoff 1 s of retry 2, jittered into [0.5, 1] of it
    assert len(sleeps) == 2


def test_backoff_grows_and_is_capped():
    import random

    p = RetryPolicy(backoff=1.0, max_backoff=8.0, rng=random.Random(0))
    delays = [p.backoff_delay(n) for n in range(1, 7)]
    for n, d in enumerate(delays, start=1):
        base = min(8.0, 2.0 ** (n - 1))
        assert base / 2 <= d <= base


def test_post_is_not_retried_on_500(httpserver, client, sleeps):
    httpserver.expect_request(f"/v2/{TEAM}/objects", method="POST").respond_with_json(
        {"Message": "An error has occurred."}, status=500
    )
    with pytest.raises(ServerError, match="An error has occurred"):
        client.objects.create({"parent": "p", "type": "Wall"})
    assert sleeps == [] and len(httpserver.log) == 1


def test_put_and_delete_are_retried_on_502(httpserver, client, sleeps):
    httpserver.expect_ordered_request(PATH, method="DELETE").respond_with_data("bad gateway", status=502)
    httpserver.expect_ordered_request(PATH, method="DELETE").respond_with_data("")
    client.models.delete(DIVISION)
    assert len(sleeps) == 1


def test_retries_zero_fails_at_once(httpserver, sleeps):
    httpserver.expect_request(PATH).respond_with_data("down", status=503)
    with Client(TOKEN, team=TEAM, base_url=httpserver.url_for("/v2"), retries=0) as c:
        with pytest.raises(ServerError) as info:
            c.models.get(DIVISION)
    assert info.value.status == 503 and info.value.message == "down"


# --- 401 and refresh -----------------------------------------------------------------------------------


def test_401_refresh_reauthenticates_once(httpserver, policy):
    def handler(request: Request) -> Response:
        if request.headers.get("Authorization") == "BimPlus fresh":
            return Response(json.dumps(load("division")), content_type="application/json")
        return Response(json.dumps({"message": "token expired"}), status=401, content_type="application/json")

    httpserver.expect_request(PATH).respond_with_handler(handler)
    calls = []

    def refresh() -> str:
        calls.append(1)
        return "fresh"

    with Client("stale", team=TEAM, base_url=httpserver.url_for("/v2"), retries=policy, refresh=refresh) as c:
        assert c.models.get(DIVISION)["id"] == DIVISION
        assert c.models.get(DIVISION)["id"] == DIVISION  # the new token stays
    assert calls == [1]
    assert [r.headers.get("Authorization") for r, _ in httpserver.log] == ["BimPlus stale", "BimPlus fresh", "BimPlus fresh"]


def test_401_after_refresh_is_authentication_error(httpserver, policy):
    httpserver.expect_request(PATH).respond_with_json({"message": "nope"}, status=401)
    calls = []
    with Client(
        "stale", team=TEAM, base_url=httpserver.url_for("/v2"), retries=policy, refresh=lambda: calls.append(1) or "x"
    ) as c:
        with pytest.raises(AuthenticationError, match="nope"):
            c.models.get(DIVISION)
    assert calls == [1] and len(httpserver.log) == 2


# --- error bodies -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status, body, content_type, code, message",
    [
        (403, {"error": {"code": "InsufficientPermissions", "message": "no"}}, "application/json", "InsufficientPermissions", "no"),
        (404, {"message": "Not found", "code": "E404"}, "application/json", "E404", "Not found"),
        (409, {"Message": "conflict"}, "application/json", None, "conflict"),
        (400, "plain text failure", "text/plain", None, "plain text failure"),
        (418, "", "text/plain", None, "I'M A TEAPOT"),
    ],
)
def test_error_bodies(httpserver, client, status, body, content_type, code, message):
    data = body if isinstance(body, str) else json.dumps(body)
    httpserver.expect_request(PATH).respond_with_data(data, status=status, content_type=content_type)
    with pytest.raises(ApiError) as info:
        client.models.get(DIVISION)
    err = info.value
    assert err.status == status and err.code == code
    assert err.message.upper() == message.upper()
    assert err.method == "GET" and err.url.endswith(PATH)


# --- transport faults (bare socket server) ----------------------------------------------------------------


def _serve_payload(conn, payload: bytes, headers=None):
    head = {"Content-Length": str(len(payload)), "Connection": "close", **(headers or {})}
    conn.sendall(http_head(200, head) + payload)


def test_reset_mid_body_then_success_downloads_whole_file(raw_server, policy, sleeps, tmp_path):
    payload = b"IFC" * 200_000

    def handler(conn, head, n):
        if n == 1:
            conn.sendall(http_head(200, {"Content-Length": str(len(payload))}) + payload[:70_000])
            time.sleep(0.05)
            reset(conn)
        else:
            _serve_payload(conn, payload)

    server = raw_server(handler)
    with Client(TOKEN, team=TEAM, base_url=server.url, retries=policy) as c:
        out = c.models.download(DIVISION, tmp_path / "m.ifc")
    assert out.read_bytes() == payload and len(sleeps) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["m.ifc"]


def test_reset_mid_body_every_time_leaves_no_file(raw_server, policy, sleeps, tmp_path):
    def handler(conn, head, n):
        conn.sendall(http_head(200, {"Content-Length": "100000"}) + b"x" * 5000)
        time.sleep(0.05)
        reset(conn)

    server = raw_server(handler)
    with Client(TOKEN, team=TEAM, base_url=server.url, retries=policy) as c:
        with pytest.raises(ApiConnectionError) as info:
            c.models.download(DIVISION, tmp_path / "m.ifc")
    assert info.value.__cause__ is not None  # raise ... from exc
    assert server.count == 4 and len(sleeps) == 3
    assert list(tmp_path.iterdir()) == []


def test_existing_file_untouched_when_download_fails(raw_server, policy, tmp_path):
    def handler(conn, head, n):
        conn.sendall(http_head(200, {"Content-Length": "100"}) + b"x" * 10)
        conn.close()

    server = raw_server(handler)
    dest = tmp_path / "m.ifc"
    dest.write_bytes(b"old contents")
    with Client(TOKEN, team=TEAM, base_url=server.url, retries=0) as c:
        with pytest.raises(IncompleteResponseError):
            c.models.download(DIVISION, dest)
    assert dest.read_bytes() == b"old contents" and len(list(tmp_path.iterdir())) == 1


def test_truncated_gzip_body_is_incomplete_response(raw_server, policy, sleeps, tmp_path):
    whole = gzip.compress(json.dumps(load("division")).encode())
    cut = whole[: len(whole) // 2]

    def handler(conn, head, n):
        _serve_payload(conn, cut, {"Content-Encoding": "gzip", "Content-Type": "application/json"})

    server = raw_server(handler)
    with Client(TOKEN, team=TEAM, base_url=server.url, retries=policy) as c:
        with pytest.raises(IncompleteResponseError, match="truncated gzip"):
            c.models.get(DIVISION)
        with pytest.raises(IncompleteResponseError):
            c.models.download(DIVISION, tmp_path / "m.ifc")
    assert list(tmp_path.iterdir()) == []


def test_gzip_body_decoded(raw_server, policy):
    whole = gzip.compress(json.dumps(load("division")).encode())

    def handler(conn, head, n):
        assert b"accept-encoding: gzip, deflate" in head.lower()
        _serve_payload(conn, whole, {"Content-Encoding": "gzip", "Content-Type": "application/json"})

    server = raw_server(handler)
    with Client(TOKEN, team=TEAM, base_url=server.url, retries=policy) as c:
        assert c.models.get(DIVISION)["id"] == DIVISION


def test_corrupt_gzip_is_incomplete_response(raw_server):
    def handler(conn, head, n):
        _serve_payload(conn, b"\x1f\x8b\x08\x00garbage-garbage", {"Content-Encoding": "gzip"})

    server = raw_server(handler)
    with Client(TOKEN, team=TEAM, base_url=server.url, retries=0) as c:
        with pytest.raises(IncompleteResponseError, match="corrupt gzip"):
            c.models.get(DIVISION)


def test_invalid_json_is_api_error(raw_server):
    def handler(conn, head, n):
        _serve_payload(conn, b"{not json", {"Content-Type": "application/json"})

    server = raw_server(handler)
    with Client(TOKEN, team=TEAM, base_url=server.url, retries=0) as c:
        with pytest.raises(ApiError, match="not valid JSON"):
            c.models.get(DIVISION)


def test_slow_response_times_out(raw_server, policy, sleeps):
    def handler(conn, head, n):
        time.sleep(0.4)
        _serve_payload(conn, b"{}")

    server = raw_server(handler)
    with Client(TOKEN, team=TEAM, base_url=server.url, retries=RetryPolicy(attempts=1, sleep=sleeps), timeout=0.15) as c:
        t0 = time.monotonic()
        with pytest.raises(ApiTimeoutError) as info:
            c.models.get(DIVISION)
        assert time.monotonic() - t0 < 1.5
    assert isinstance(info.value.__cause__, httpx.TimeoutException)
    assert len(sleeps) == 1


def test_slow_body_times_out_on_download(raw_server, sleeps, tmp_path):
    def handler(conn, head, n):
        conn.sendall(http_head(200, {"Content-Length": "1000"}) + b"x" * 10)
        time.sleep(0.4)

    server = raw_server(handler)
    with Client(TOKEN, team=TEAM, base_url=server.url, retries=0, timeout=0.15) as c:
        with pytest.raises(ApiTimeoutError):
            c.models.download(DIVISION, tmp_path / "m.ifc")
    assert list(tmp_path.iterdir()) == []


def test_connection_refused_is_retried_even_for_post(sleeps):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    with Client(TOKEN, team=TEAM, base_url=f"http://127.0.0.1:{port}/v2", retries=RetryPolicy(attempts=2, sleep=sleeps)) as c:
        with pytest.raises(ApiConnectionError) as info:
            c.objects.create({"type": "Wall"})
    assert not isinstance(info.value, ApiTimeoutError)
    assert len(sleeps) == 2


def test_post_not_retried_after_reset(raw_server, sleeps):
    def handler(conn, head, n):
        reset(conn)

    server = raw_server(handler)
    with Client(TOKEN, team=TEAM, base_url=server.url, retries=RetryPolicy(attempts=3, sleep=sleeps)) as c:
        with pytest.raises(ApiConnectionError):
            c.comments.create("o", "hello")
    assert sleeps == [] and server.count == 1


class _Interrupting(httpx.BaseTransport):
    """A real HTTP transport whose response body raises KeyboardInterrupt part-way."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        stream = response.stream

        class Stream(httpx.SyncByteStream):
            def __iter__(self):
                for i, part in enumerate(stream):
                    if i >= 1:
                        raise KeyboardInterrupt
                    yield part

            def close(self) -> None:
                stream.close()

        return httpx.Response(response.status_code, headers=response.headers, stream=Stream(), request=request)

    def close(self) -> None:
        self.inner.close()


def test_interrupted_download_leaves_no_file(raw_server, tmp_path):
    payload = b"y" * 300_000

    def handler(conn, head, n):
        conn.sendall(http_head(200, {"Content-Length": str(len(payload))}))
        for i in range(0, len(payload), 10_000):
            conn.sendall(payload[i : i + 10_000])
            time.sleep(0.001)

    server = raw_server(handler)
    with Client(TOKEN, team=TEAM, base_url=server.url, transport=_Interrupting()) as c:
        with pytest.raises(KeyboardInterrupt):
            c.models.download(DIVISION, tmp_path / "m.ifc")
    assert list(tmp_path.iterdir()) == []


def test_concurrent_401s_refresh_once(httpserver, policy):
    def handler(request: Request) -> Response:
        if request.headers.get("Authorization") != "BimPlus fresh":
            time.sleep(0.02)
            return Response(json.dumps({"message": "expired"}), status=401, content_type="application/json")
        i = int(request.args["chunk"])
        return Response(json.dumps({"objects": [{"id": i}]}), content_type="application/json", headers={"X-Total-Count": "8"})

    httpserver.expect_request(f"/v2/{TEAM}/objects/o/geometries/threejs").respond_with_handler(handler)
    calls = []

    def refresh():
        calls.append(1)
        time.sleep(0.05)
        return "fresh"

    with Client("stale", team=TEAM, base_url=httpserver.url_for("/v2"), retries=policy, refresh=refresh, concurrency=4) as c:
        first = c.geometries.iter_chunks("o")
        assert next(first)["objects"] == [{"id": 1}]
        c.set_token("stale")  # every chunk request now starts with the old token
        assert [ch["objects"][0]["id"] for ch in first] == list(range(2, 9))
    assert len(calls) == 2  # once for chunk 1, once for the seven concurrent 401s


def test_async_refresh(httpserver, sleeps):
    import asyncio

    from bimgeo.api import AsyncClient

    def handler(request: Request) -> Response:
        if request.headers.get("Authorization") == "BimPlus fresh":
            return Response(json.dumps(load("division")), content_type="application/json")
        return Response("", status=401)

    httpserver.expect_request(PATH).respond_with_handler(handler)

    async def refresh():
        return "fresh"

    async def main():
        policy = RetryPolicy(sleep=sleeps, async_sleep=sleeps.async_sleep)
        async with AsyncClient("old", team=TEAM, base_url=httpserver.url_for("/v2"), retries=policy, refresh=refresh) as c:
            return await c.models.get(DIVISION)

    assert asyncio.run(main())["id"] == DIVISION


def test_async_download_and_reset(raw_server, sleeps, tmp_path):
    import asyncio

    from bimgeo.api import AsyncClient

    payload = b"z" * 100_000

    def handler(conn, head, n):
        if n == 1:
            conn.sendall(http_head(200, {"Content-Length": str(len(payload))}) + payload[:1000])
            time.sleep(0.05)
            reset(conn)
        else:
            _serve_payload(conn, payload)

    server = raw_server(handler)

    async def main():
        policy = RetryPolicy(sleep=sleeps, async_sleep=sleeps.async_sleep)
        async with AsyncClient(TOKEN, team=TEAM, base_url=server.url, retries=policy) as c:
            return await c.models.download(DIVISION, tmp_path / "m.ifc")

    assert asyncio.run(main()).read_bytes() == payload
    assert len(sleeps) == 1 and [p.name for p in tmp_path.iterdir()] == ["m.ifc"]
