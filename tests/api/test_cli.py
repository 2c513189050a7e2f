"""``bimgeo fetch`` and ``bimgeo export-ifc`` (bimgeo.api._cli) against a loopback server."""
from __future__ import annotations

import argparse
import copy
import io
import json
import subprocess
import sys

import pytest
from werkzeug import Request, Response

from bimgeo.api._cli import _Progress, add_subcommands, main

from .conftest import TEAM, TOKEN, load

PROJECT = "743a24f9-baaa-41b9-90b3-91717238043c"
DIVISION = "d81494b9-9731-4d2e-8fbe-da62f5270182"
TOPOLOGY = "fc4be8b1-bf85-4c6f-b9c2-bac6474ddb1d"  # division.json's topologyId
OBJECT = "7cf910cb-e357-43f6-aa3a-b45c26380f75"


@pytest.fixture(autouse=True)
def _token(monkeypatch):
    monkeypatch.setenv("BIMPLUS_TOKEN", TOKEN)


def meshblob_chunk(i: int) -> dict:
    """Chunk i of the discipline's meshblob response: its i-th element alone."""
    b = load("meshblob_discipline")
    b["objects"] = [b["objects"][i - 1]]
    return b


def chunked(total: int, body_for):
    def handler(request: Request) -> Response:
        i = int(request.args["chunk"])
        return Response(json.dumps(body_for(i)), content_type="application/json", headers={"X-Total-Count": str(total)})

    return handler


def test_fetch_model_to_json(httpserver, tmp_path, capsys):
    httpserver.expect_request(f"/v2/{TEAM}/divisions/{DIVISION}").respond_with_json(load("division"))

    httpserver.expect_request(f"/v2/{TEAM}/objects/{TOPOLOGY}/geometries/meshblob").respond_with_handler(chunked(4, meshblob_chunk))
    out = tmp_path / "model.json"
    rc = main(
        ["fetch", "--team", TEAM, "--project", PROJECT, "--model", DIVISION, "--format", "meshblob",
         "--base-url", httpserver.url_for("/v2"), "-o", str(out)]
    )
    assert rc == 0
    chunks = json.loads(out.read_bytes())
    assert [c["objects"][0]["id"] for c in chunks] == [o["id"] for o in load("meshblob_discipline")["objects"]]
    err = capsys.readouterr().err
    assert "4 chunk(s)" in err and "\r" not in err  # no progress bar when stderr is not a terminal
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]


def test_fetch_object_with_discipline(httpserver, tmp_path):
    disc = "ac21b9a1-8853-4658-9fbf-0cf62340bd18"
    httpserver.expect_request(
        f"/v2/{TEAM}/objects/{OBJECT}/disciplines/{disc}/geometries/threejs/properties/8"
    ).respond_with_handler(chunked(1, lambda i: load("threejs_discipline")))
    out = tmp_path / "o.json"
    rc = main(
        ["fetch", "--team", TEAM, "--project", PROJECT, "--object", OBJECT, "--discipline", disc,
         "--properties", "8", "--base-url", httpserver.url_for("/v2"), "-o", str(out)]
    )
    assert rc == 0 and json.loads(out.read_bytes()) == [load("threejs_discipline")]


def test_fetch_failure_writes_nothing(httpserver, tmp_path, capsys):
    httpserver.expect_request(f"/v2/{TEAM}/divisions/{DIVISION}").respond_with_json({"message": "gone"}, status=404)
    out = tmp_path / "model.json"
    rc = main(
        ["fetch", "--team", TEAM, "--project", PROJECT, "--model", DIVISION,
         "--base-url", httpserver.url_for("/v2"), "-o", str(out)]
    )
    assert rc == 1 and "gone" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_fetch_model_of_other_project_refused(httpserver, tmp_path, capsys):
    httpserver.expect_request(f"/v2/{TEAM}/divisions/{DIVISION}").respond_with_json(load("division"))
    rc = main(
        ["fetch", "--team", TEAM, "--project", "other", "--model", DIVISION,
         "--base-url", httpserver.url_for("/v2"), "-o", str(tmp_path / "x.json")]
    )
    assert rc == 1 and "belongs to project" in capsys.readouterr().err


def test_fetch_to_glb_through_the_converter(httpserver, tmp_path):
    httpserver.expect_request(f"/v2/{TEAM}/objects/{OBJECT}/geometries/meshblob").respond_with_handler(
        chunked(1, lambda i: load("meshblob"))
    )
    out = tmp_path / "m.glb"
    rc = main(
        ["fetch", "--team", TEAM, "--project", PROJECT, "--object", OBJECT, "--format", "meshblob",
         "--base-url", httpserver.url_for("/v2"), "-o", str(out)]
    )
    assert rc == 0 and out.read_bytes()[:4] == b"glTF"


def test_progress_bar_only_on_a_terminal():
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty, plain = Tty(), io.StringIO()
    for stream in (tty, plain):
        bar = _Progress(stream, "fetch")
        bar(1, 4)
        bar(4, 4)
        bar.close()
    assert plain.getvalue() == ""
    assert tty.getvalue().endswith("4/4\n") and "\rfetch [" in tty.getvalue()


def test_export_ifc_bimplus(httpserver, capsys):
    httpserver.expect_request(
        f"/v2/{TEAM}/projects/{PROJECT}/model/{DIVISION}/exportasync", method="POST", query_string={"revision": "3"}
    ).respond_with_data("", status=302)
    rc = main(
        ["export-ifc", "--team", TEAM, "--project", PROJECT, "--model", DIVISION, "--revision", "3", "--wait",
         "--base-url", httpserver.url_for("/v2")]
    )
    out = capsys.readouterr()
    assert rc == 0
    assert json.loads(out.out)["status"] == "already queued"
    assert "no job status" in out.err


def test_export_ifc_itwin_wait(httpserver, capsys):
    runs = "/itwin/export/connections/c1/runs"
    httpserver.expect_ordered_request(runs, method="POST", json={"exportType": "IFC", "ifcVersion": "IFC2x3"}).respond_with_data(
        "", status=202, headers={"Location": f"{runs}/r1"}
    )
    httpserver.expect_ordered_request(f"{runs}/r1").respond_with_json({"run": {"id": "r1", "state": "Completed", "result": "Success"}})
    rc = main(
        ["export-ifc", "--team", TEAM, "--project", PROJECT, "--model", DIVISION, "--wait",
         "--itwin-connection", "c1", "--ifc-version", "IFC2x3", "--itwin-token", "it",
         "--base-url", httpserver.url_for("/v2"), "--itwin-base-url", httpserver.url_for("/itwin")]
    )
    assert rc == 0
    out = capsys.readouterr().out
    assert '"state": "Completed"' in out and '"result": "Success"' in out


def test_add_subcommands_plugs_into_a_parser():
    parser = argparse.ArgumentParser(prog="bimgeo")
    sub = parser.add_subparsers(dest="command", required=True)
    add_subcommands(sub)
    args = parser.parse_args(["fetch", "--team", "t", "--project", "p", "--object", "o", "-o", "x.json"])
    assert args.func.__name__ == "run_fetch" and args.format == "threejs"
    with pytest.raises(SystemExit):
        parser.parse_args(["fetch", "--team", "t", "--project", "p", "--object", "o", "--model", "m", "-o", "x"])


def test_python_dash_m_runs():
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-m", "bimgeo.api", "--help"], check=True, capture_output=True, text=True
    )
    assert "fetch" in done.stdout and "export-ifc" in done.stdout


def test_wired_into_the_bimgeo_command(httpserver, tmp_path):
    cli = pytest.importorskip("bimgeo._cli")
    httpserver.expect_request(f"/v2/{TEAM}/objects/{OBJECT}/geometries/threejs").respond_with_handler(
        chunked(2, lambda i: load("threejs"))
    )
    out = tmp_path / "o.json"
    rc = cli.main(
        ["fetch", "--team", TEAM, "--project", PROJECT, "--object", OBJECT,
         "--base-url", httpserver.url_for("/v2"), "-o", str(out)]
    )
    assert rc == 0 and len(json.loads(out.read_bytes())) == 2


def test_fetch_obj_through_the_converter(httpserver, tmp_path):
    httpserver.expect_request(f"/v2/{TEAM}/objects/{OBJECT}/geometries/meshblob").respond_with_handler(
        chunked(1, lambda i: load("meshblob_discipline"))
    )
    out = tmp_path / "m.obj"
    rc = main(
        ["fetch", "--team", TEAM, "--project", PROJECT, "--object", OBJECT,
         "--format", "meshblob", "--base-url", httpserver.url_for("/v2"), "-o", str(out)]
    )
    assert rc == 0 and out.stat().st_size > 0


def test_fetch_streams_chunks_to_json_and_checks_each(httpserver, tmp_path, capsys):
    # Chunks are written as they arrive (one JSON array, each chunk as the
    # server sent it); one that is not a JSON object fails the fetch and
    # leaves nothing behind.
    httpserver.expect_request(f"/v2/{TEAM}/objects/{OBJECT}/geometries/meshblob").respond_with_handler(chunked(3, meshblob_chunk))
    out = tmp_path / "ok.json"
    rc = main(["fetch", "--team", TEAM, "--project", PROJECT, "--object", OBJECT, "--format", "meshblob",
               "--base-url", httpserver.url_for("/v2"), "-o", str(out)])
    assert rc == 0 and json.loads(out.read_bytes()) == [meshblob_chunk(i) for i in (1, 2, 3)]
    assert "3 chunk(s), 3 element(s)" in capsys.readouterr().err

    httpserver.clear()

    def broken(request: Request) -> Response:
        i = int(request.args["chunk"])
        text = json.dumps(meshblob_chunk(i)) if i != 2 else "[1, 2]"
        return Response(text, content_type="application/json", headers={"X-Total-Count": "3"})

    httpserver.expect_request(f"/v2/{TEAM}/objects/{OBJECT}/geometries/meshblob").respond_with_handler(broken)
    bad = tmp_path / "bad.json"
    rc = main(["fetch", "--team", TEAM, "--project", PROJECT, "--object", OBJECT, "--format", "meshblob",
               "--base-url", httpserver.url_for("/v2"), "-o", str(bad)])
    assert rc == 1 and "chunk 2" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ok.json"]


def test_fetch_threejs_chunks_to_glb(httpserver, tmp_path, capsys):
    # threejs chunks go to bimgeo.load as bytes, one at a time: every element arrives.
    doc = load("threejs_discipline")

    def body(i):
        b = copy.deepcopy(doc)
        b["objects"] = [dict(b["objects"][0], id=f"chunk-{i}")]
        return b

    httpserver.expect_request(f"/v2/{TEAM}/objects/{OBJECT}/geometries/threejs").respond_with_handler(chunked(4, body))
    out = tmp_path / "t.glb"
    rc = main(["fetch", "--team", TEAM, "--project", PROJECT, "--object", OBJECT,
               "--base-url", httpserver.url_for("/v2"), "-o", str(out)])
    assert rc == 0 and "4 chunk(s), 4 element(s)" in capsys.readouterr().err
    data = out.read_bytes()
    gltf = json.loads(data[20:20 + int.from_bytes(data[12:16], "little")])
    assert sorted(n["name"] for n in gltf["nodes"] if n.get("name", "").startswith("chunk-")) == [f"chunk-{i}" for i in range(1, 5)]


def test_fetch_to_glb_stops_on_a_broken_chunk(httpserver, tmp_path, capsys):
    doc = load("threejs_discipline")

    def handler(request: Request) -> Response:
        i = int(request.args["chunk"])
        text = json.dumps(doc) if i != 3 else '{"objects": ['
        return Response(text, content_type="application/json", headers={"X-Total-Count": "5"})

    httpserver.expect_request(f"/v2/{TEAM}/objects/{OBJECT}/geometries/threejs").respond_with_handler(handler)
    out = tmp_path / "t.glb"
    rc = main(["fetch", "--team", TEAM, "--project", PROJECT, "--object", OBJECT,
               "--base-url", httpserver.url_for("/v2"), "-o", str(out)])
    assert rc == 1 and "JSON" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
