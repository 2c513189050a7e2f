"""Chunked geometry (design.md §5): X-Total-Count, bounded concurrency, order, 202, cache."""
from __future__ import annotations

import asyncio
import copy
import json
import threading
import time

import pytest
from werkzeug import Request, Response

from bimgeo.api import AsyncClient, Client, NotReadyError, RetryPolicy

from .conftest import TEAM, TOKEN, load

OBJECT = "7cf910cb-e357-43f6-aa3a-b45c26380f75"
DISCIPLINE = "ac21b9a1-8853-4658-9fbf-0cf62340bd18"


def chunk_body(i: int) -> dict:
    """A geometry chunk in the documented shape, tagged with its number."""
    body = copy.deepcopy(load("threejs_discipline"))
    body["objects"] = [dict(body["objects"][0], id=f"chunk-{i}")]
    body["elementsCount"] = 1
    return body


class ChunkServer:
    """Answers chunk=i with chunk_body(i), later chunks faster, and records concurrency."""

    def __init__(self, total: int, *, not_ready: int = 0, delay: float = 0.0) -> None:
        self.total = total
        self.not_ready = not_ready
        self.delay = delay
        self.seen = []
        self.active = 0
        self.max_active = 0
        self.lock = threading.Lock()

    def __call__(self, request: Request) -> Response:
        i = int(request.args["chunk"])
        assert request.args["chunkSize"] == "medium"
        with self.lock:
            self.seen.append(i)
            if i == 1 and self.not_ready > 0:
                self.not_ready -= 1
                return Response(status=202, headers={"Retry-After": "1"})
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        try:
            # later chunks answer sooner, so completion order differs from request order
            time.sleep(self.delay * (self.total - i) / self.total)
            return Response(
                json.dumps(chunk_body(i)),
                content_type="application/json",
                headers={"X-Total-Count": str(self.total)},
            )
        finally:
            with self.lock:
                self.active -= 1


def test_chunks_yielded_in_order_with_bounded_concurrency(httpserver, policy):
    server = ChunkServer(9, delay=0.05)
    httpserver.expect_request(
        f"/v2/{TEAM}/objects/{OBJECT}/disciplines/{DISCIPLINE}/geometries/threejs"
    ).respond_with_handler(server)
    progress = []
    with Client(TOKEN, team=TEAM, base_url=httpserver.url_for("/v2"), retries=policy, concurrency=3) as c:
        chunks = list(
            c.geometries.iter_chunks(OBJECT, discipline_id=DISCIPLINE, progress=lambda d, t: progress.append((d, t)))
        )
    assert [ch["objects"][0]["id"] for ch in chunks] == [f"chunk-{i}" for i in range(1, 10)]
    assert server.seen[0] == 1 and sorted(server.seen) == list(range(1, 10))
    assert 1 <= server.max_active <= 3
    assert progress == [(i, 9) for i in range(1, 10)]


def test_no_total_count_means_one_chunk(httpserver, client):
    httpserver.expect_request(
        f"/v2/{TEAM}/objects/{OBJECT}/geometries/meshblob", query_string={"chunkSize": "medium", "chunk": "1"}
    ).respond_with_json(load("meshblob"))
    chunks = list(client.geometries.iter_chunks(OBJECT, format="meshblob"))
    assert len(chunks) == 1 and chunks[0]["objects"][0]["type"] == "Wall"


def test_202_means_not_ready_then_ready(httpserver, client, sleeps):
    server = ChunkServer(2, not_ready=2)
    httpserver.expect_request(f"/v2/{TEAM}/objects/{OBJECT}/geometries/threejs").respond_with_handler(server)
    chunks = list(client.geometries.iter_chunks(OBJECT))
    assert len(chunks) == 2
    assert sleeps == [1.0, 1.0]  # Retry-After honoured
    assert server.seen == [1, 1, 1, 2]


def test_202_forever_is_not_ready_error(httpserver, policy, sleeps):
    httpserver.expect_request(f"/v2/{TEAM}/objects/{OBJECT}/geometries/threejs").respond_with_data("", status=202)
    with Client(TOKEN, team=TEAM, base_url=httpserver.url_for("/v2"), retries=policy, ready_timeout=10) as c:
        with pytest.raises(NotReadyError):
            c.geometries.threejs(OBJECT)
    assert sum(sleeps) <= 10 and len(sleeps) == 5  # poll_interval 2 s


def test_bad_total_count_is_an_error(httpserver, client):
    from bimgeo.api import ApiError

    httpserver.expect_request(f"/v2/{TEAM}/objects/{OBJECT}/geometries/threejs").respond_with_json(
        {"objects": []}, headers={"X-Total-Count": "99999999999"}
    )
    with pytest.raises(ApiError, match="X-Total-Count"):
        list(client.geometries.iter_chunks(OBJECT))


def test_stopping_early_cancels_the_rest(httpserver, policy):
    server = ChunkServer(20)
    httpserver.expect_request(f"/v2/{TEAM}/objects/{OBJECT}/geometries/threejs").respond_with_handler(server)
    with Client(TOKEN, team=TEAM, base_url=httpserver.url_for("/v2"), retries=policy, concurrency=2) as c:
        it = c.geometries.iter_chunks(OBJECT)
        assert next(it)["objects"][0]["id"] == "chunk-1"
        assert next(it)["objects"][0]["id"] == "chunk-2"
        it.close()
    assert len(server.seen) <= 5


def test_glb_chunks(httpserver, client):
    def handler(request: Request) -> Response:
        i = int(request.args["chunk"])
        assert "chunkSize" not in request.args and request.args["topology"] == "true"
        return Response(b"glTF" + bytes([i]) * 8, content_type="model/gltf-binary", headers={"X-Total-Count": "3"})

    httpserver.expect_request(f"/v2/{TEAM}/objects/{OBJECT}/geometries/glb").respond_with_handler(handler)
    parts = list(client.geometries.iter_glb_chunks(OBJECT, topology=True))
    assert [p[4] for p in parts] == [1, 2, 3]


def test_templates_chunks(httpserver, client):
    body = {"templates": [{"id": "t1", "geometries": []}], "colors": [-1], "revision": 3}
    httpserver.expect_request(
        f"/v2/{TEAM}/objects/{OBJECT}/disciplines/{DISCIPLINE}/templates/threejs",
        query_string={"revision": "3", "levelofdetail": "100", "chunkSize": "medium", "chunk": "1"},
    ).respond_with_json(body, headers={"X-Total-Count": "1"})
    got = list(client.geometries.iter_templates(OBJECT, DISCIPLINE, revision=3, level_of_detail=100))
    assert got == [body]


def test_cached_chunks_cost_one_conditional_request_each(httpserver, policy, tmp_path):
    hits = []

    def handler(request: Request) -> Response:
        i = int(request.args["chunk"])
        etag = f'"c{i}"'
        hits.append((i, request.headers.get("If-None-Match")))
        if request.headers.get("If-None-Match") == etag:
            return Response(status=304, headers={"ETag": etag})
        return Response(
            json.dumps(chunk_body(i)),
            content_type="application/json",
            headers={"ETag": etag, "X-Total-Count": "2"},
        )

    httpserver.expect_request(f"/v2/{TEAM}/objects/{OBJECT}/geometries/threejs").respond_with_handler(handler)
    results = []
    for _ in range(2):
        with Client(TOKEN, team=TEAM, base_url=httpserver.url_for("/v2"), retries=policy, cache_dir=tmp_path) as c:
            results.append(list(c.geometries.iter_chunks(OBJECT)))
    assert results[0] == results[1]
    assert hits == [(1, None), (2, None), (1, '"c1"'), (2, '"c2"')]


# --- the asyncio twin -------------------------------------------------------------------------------


def test_async_client_chunks_and_calls(httpserver, sleeps):
    server = ChunkServer(5, not_ready=1, delay=0.02)
    httpserver.expect_request(f"/v2/{TEAM}/objects/{OBJECT}/geometries/threejs").respond_with_handler(server)
    httpserver.expect_request(f"/v2/{TEAM}/divisions").respond_with_json(load("divisions_team"))
    policy = RetryPolicy(sleep=sleeps, async_sleep=sleeps.async_sleep)

    async def main():
        async with AsyncClient(TOKEN, team=TEAM, base_url=httpserver.url_for("/v2"), retries=policy, concurrency=2) as c:
            models = await c.models.list()
            ids = [ch["objects"][0]["id"] async for ch in c.geometries.iter_chunks(OBJECT)]
            return models, ids

    models, ids = asyncio.run(main())
    assert len(models) == 2
    assert ids == [f"chunk-{i}" for i in range(1, 6)]
    assert sleeps == [1.0]
    assert server.max_active <= 2


def test_chunk_bytes_are_the_bodies_in_order(httpserver, policy):
    # iter_chunk_bytes: the same chunks as iter_chunks, unparsed (the server's own bytes), for
    # bimgeo.load to parse one at a time; the async client has it too.
    server = ChunkServer(6, delay=0.02)
    httpserver.expect_request(f"/v2/{TEAM}/objects/{OBJECT}/geometries/threejs").respond_with_handler(server)
    with Client(TOKEN, team=TEAM, base_url=httpserver.url_for("/v2"), retries=policy, concurrency=3) as c:
        bodies = list(c.geometries.iter_chunk_bytes(OBJECT))
    assert all(type(b) is bytes for b in bodies)
    assert bodies == [json.dumps(chunk_body(i)).encode() for i in range(1, 7)]

    async def main():
        async with AsyncClient(TOKEN, team=TEAM, base_url=httpserver.url_for("/v2"), retries=policy) as c:
            return [b async for b in c.geometries.iter_chunk_bytes(OBJECT)]

    assert asyncio.run(main()) == bodies
