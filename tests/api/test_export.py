"""IFC export: Bimplus exportasync (000) and iTwin export connection runs (001)."""
from __future__ import annotations

import asyncio

import pytest

from bimgeo.api import (
    AsyncClient,
    ConflictError,
    ExportError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RetryPolicy,
    UnprocessableEntityError,
)

from .conftest import TEAM, TOKEN

PROJECT = "de87fc4d-cb5d-44ba-b2ea-1d96ac564a8a"
MODEL = "4744b3a2-db5f-46d4-8da1-38d9cfe5aafa"
SELECTION = "F16623C4-BC16-4CBC-846C-B5959D445009"
CONN = "conn-1"
RUNS = f"/itwin/export/connections/{CONN}/runs"

# the documented error bodies of 001
ITWIN_422 = {
    "error": {
        "code": "InvalidConnectionRunRequest",
        "message": "Cannot perform operation.",
        "details": [
            {"code": "MissingRequiredParameter", "message": "imodelId was not provided.", "target": "imodelId"},
            {"code": "InvalidValue", "message": "Provided imodelId value is not valid.", "target": "imodelId"},
            {"code": "InvalidValue", "message": "Provided connectionId value is not valid.", "target": "connectionId"},
        ],
    }
}
ITWIN_409 = {
    "error": {"code": "ConflictWithAnotherIModelRequest", "message": "This request is already being processed for this iModel."}
}
ITWIN_429 = {
    "error": {
        "code": "RateLimitExceeded",
        "message": "The client sent more requests than allowed by this API for the current tier of the client.",
    }
}


def test_bimplus_model_export_202_and_302(httpserver, client):
    url = f"/v2/{TEAM}/projects/{PROJECT}/model/{MODEL}/exportasync"
    httpserver.expect_ordered_request(
        url, method="POST", query_string={"revision": "2", "emptyPropExport": "1", "propSetExport": "1"}
    ).respond_with_data("", status=202)
    httpserver.expect_ordered_request(url, method="POST").respond_with_data(
        "", status=302, headers={"Location": "/v2/bimplus/jobs/1"}
    )
    job = client.ifc_export.model(PROJECT, MODEL, revision=2, empty_prop_export=True, prop_set_export=True)
    assert job.accepted and not job.already_queued and job.status == 202
    again = client.ifc_export.model(PROJECT, MODEL)
    assert again.already_queued and again.location == "/v2/bimplus/jobs/1"
    assert httpserver.log[0][0].headers["Authorization"] == f"BimPlus {TOKEN}"


def test_bimplus_selection_export(httpserver, client):
    httpserver.expect_request(
        f"/v2/{TEAM}/selections/{SELECTION}/exportasync", method="POST", query_string={"fileDelete": "1"}
    ).respond_with_data("", status=202)
    assert client.ifc_export.selection(SELECTION, file_delete=True).accepted


def test_bimplus_export_post_is_not_retried_on_503(httpserver, client, sleeps):
    httpserver.expect_request(f"/v2/{TEAM}/selections/{SELECTION}/exportasync").respond_with_data("", status=503)
    with pytest.raises(Exception):
        client.ifc_export.selection(SELECTION)
    assert sleeps == [] and len(httpserver.log) == 1


def test_bimplus_wait_polls_location(httpserver, client, sleeps):
    url = f"/v2/{TEAM}/projects/{PROJECT}/model/{MODEL}/exportasync"
    httpserver.expect_ordered_request(url, method="POST").respond_with_data(
        "", status=202, headers={"Location": "/v2/bimplus/jobs/7"}
    )
    httpserver.expect_ordered_request("/v2/bimplus/jobs/7").respond_with_data("", status=202)
    httpserver.expect_ordered_request("/v2/bimplus/jobs/7").respond_with_json({"state": "done"})
    job = client.ifc_export.model(PROJECT, MODEL)
    assert client.ifc_export.wait(job, poll_interval=3) == {"state": "done"}
    assert sleeps == [3]


def test_bimplus_wait_without_location_is_export_error(client):
    from bimgeo.api import ExportJob

    with pytest.raises(ExportError, match="Location"):
        client.ifc_export.wait(ExportJob(202))


# --- iTwin --------------------------------------------------------------------------------------------------


def test_itwin_run_202_location_then_poll_until_completed(httpserver, policy, sleeps):
    from bimgeo.api import Client

    body = {"exportType": "IFC", "ifcVersion": "IFC4.3", "outputOptions": {"location": "STORAGE"}}
    httpserver.expect_ordered_request(
        RUNS,
        method="POST",
        json=body,
        headers={"Authorization": "Bearer itwin-tok", "Accept": "application/vnd.bentley.itwin-platform.v1+json"},
    ).respond_with_data("", status=202, headers={"Location": httpserver.url_for(f"{RUNS}/run-9")})
    for state in ("NotStarted", "Executing"):
        httpserver.expect_ordered_request(f"{RUNS}/run-9").respond_with_json({"run": {"id": "run-9", "state": state}})
    httpserver.expect_ordered_request(f"{RUNS}/run-9").respond_with_json(
        {"run": {"id": "run-9", "state": "Completed", "result": "Success", "jobs": [{"id": "j"}]}}
    )
    with Client(
        TOKEN, team=TEAM, base_url=httpserver.url_for("/v2"), itwin_base_url=httpserver.url_for("/itwin"),
        itwin_token="itwin-tok", retries=policy,
    ) as c:
        run = c.itwin_export.create_run(CONN, ifc_version="IFC4.3", output_options={"location": "STORAGE"})
        assert run.status == 202 and not run.existing and run.run_id == "run-9"
        done = c.itwin_export.wait(run, poll_interval=5)
    assert done.completed and done.result == "Success" and done.raw["jobs"] == [{"id": "j"}]
    assert sleeps == [5, 5]


def test_itwin_run_303_points_at_existing_run(httpserver, client):
    httpserver.expect_request(RUNS, method="POST").respond_with_data(
        "", status=303, headers={"Location": f"/itwin/export/connections/{CONN}/runs/run-1"}
    )
    httpserver.expect_request(f"{RUNS}/run-1").respond_with_json({"id": "run-1", "state": "Completed", "result": "Success"})
    run = client.itwin_export.create_run(CONN)
    assert run.existing and run.run_id == "run-1"
    polled = client.itwin_export.refresh(run)
    assert polled.completed
    assert client.itwin_export.get_run(CONN, "run-1").state == "Completed"
    # the bimplus token is sent as a bearer token when no iTwin token is given
    assert httpserver.log[0][0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_itwin_409_and_422_details(httpserver, client):
    httpserver.expect_ordered_request(RUNS, method="POST").respond_with_json(ITWIN_409, status=409)
    httpserver.expect_ordered_request(RUNS, method="POST").respond_with_json(ITWIN_422, status=422)
    with pytest.raises(ConflictError) as conflict:
        client.itwin_export.create_run(CONN)
    assert conflict.value.code == "ConflictWithAnotherIModelRequest"
    with pytest.raises(UnprocessableEntityError) as invalid:
        client.itwin_export.create_run(CONN)
    err = invalid.value
    assert err.code == "InvalidConnectionRunRequest" and err.message == "Cannot perform operation."
    assert [(d.code, d.target) for d in err.details] == [
        ("MissingRequiredParameter", "imodelId"),
        ("InvalidValue", "imodelId"),
        ("InvalidValue", "connectionId"),
    ]
    assert "imodelId was not provided." in str(err)


def test_itwin_403_404(httpserver, client):
    httpserver.expect_ordered_request(RUNS, method="POST").respond_with_json(
        {"error": {"code": "InsufficientPermissions", "message": "The user has insufficient permissions."}}, status=403
    )
    httpserver.expect_ordered_request(RUNS, method="POST").respond_with_json(
        {"error": {"code": "ConnectionNotFound", "message": "Requested Connection is not available."}}, status=404
    )
    with pytest.raises(PermissionDeniedError):
        client.itwin_export.create_run(CONN)
    with pytest.raises(NotFoundError, match="ConnectionNotFound"):
        client.itwin_export.create_run(CONN)


def test_itwin_429_post_is_retried_after_retry_after(httpserver, client, sleeps):
    httpserver.expect_ordered_request(RUNS, method="POST").respond_with_json(ITWIN_429, status=429, headers={"Retry-After": "7"})
    httpserver.expect_ordered_request(RUNS, method="POST").respond_with_data(
        "", status=202, headers={"Location": f"/itwin/export/connections/{CONN}/runs/r2"}
    )
    assert client.itwin_export.create_run(CONN).run_id == "r2"
    assert sleeps == [7.0]


def test_itwin_429_storm(httpserver, client, sleeps):
    httpserver.expect_request(RUNS, method="POST").respond_with_json(ITWIN_429, status=429, headers={"Retry-After": "2"})
    with pytest.raises(RateLimitError) as info:
        client.itwin_export.create_run(CONN)
    assert info.value.retry_after == 2.0 and sleeps == [2.0, 2.0, 2.0]


def test_itwin_failed_run_is_export_error(httpserver, client):
    from bimgeo.api import ExportRun

    httpserver.expect_request(f"{RUNS}/bad").respond_with_json({"run": {"id": "bad", "state": "Completed", "result": "Error"}})
    with pytest.raises(ExportError, match="Error"):
        client.itwin_export.wait(ExportRun(CONN, "bad", None, 202))


def test_itwin_wait_timeout(httpserver, client, sleeps):
    from bimgeo.api import ExportRun

    httpserver.expect_request(f"{RUNS}/slow").respond_with_json({"run": {"id": "slow", "state": "Executing"}})
    with pytest.raises(ExportError, match="not finished"):
        client.itwin_export.wait(ExportRun(CONN, "slow", None, 202), timeout=10, poll_interval=4)
    assert sleeps == [4, 4]


def test_itwin_async_twin(httpserver, sleeps):
    httpserver.expect_ordered_request(RUNS, method="POST").respond_with_data(
        "", status=202, headers={"Location": f"/itwin/export/connections/{CONN}/runs/a1"}
    )
    httpserver.expect_ordered_request(f"{RUNS}/a1").respond_with_json({"run": {"id": "a1", "state": "Executing"}})
    httpserver.expect_ordered_request(f"{RUNS}/a1").respond_with_json({"run": {"id": "a1", "state": "Completed", "result": "Success"}})

    async def main():
        policy = RetryPolicy(sleep=sleeps, async_sleep=sleeps.async_sleep)
        async with AsyncClient(
            TOKEN, team=TEAM, base_url=httpserver.url_for("/v2"), itwin_base_url=httpserver.url_for("/itwin"), retries=policy
        ) as c:
            run = await c.itwin_export.create_run(CONN)
            return await c.itwin_export.wait(run, poll_interval=1)

    done = asyncio.run(main())
    assert done.completed and sleeps == [1]


def test_itwin_token_not_sent_to_foreign_location(httpserver, raw_server, client):
    from .conftest import http_head

    def other(conn, head, n):
        body = b'{"run": {"id": "x", "state": "Completed", "result": "Success"}}'
        conn.sendall(http_head(200, {"Content-Length": str(len(body)), "Connection": "close"}) + body)

    foreign = raw_server(other)
    httpserver.expect_request(RUNS, method="POST").respond_with_data(
        "", status=202, headers={"Location": foreign.url + "/runs/x"}
    )
    run = client.itwin_export.create_run(CONN)
    assert client.itwin_export.wait(run).completed
    assert b"authorization" not in foreign.requests[0].lower()
