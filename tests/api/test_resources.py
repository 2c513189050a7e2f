"""Every resource group against a loopback server answering with the documents' bodies."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from werkzeug import Request, Response

from bimgeo.api import (
    AuthenticationError,
    Client,
    ConfigurationError,
    GeometryProperties,
    NotFoundError,
    Token,
)

from .conftest import TEAM, TOKEN, http_head, load

PROJECT = "743a24f9-baaa-41b9-90b3-91717238043c"
DIVISION = "d81494b9-9731-4d2e-8fbe-da62f5270182"
OBJECT = "7cf910cb-e357-43f6-aa3a-b45c26380f75"
DISCIPLINE = "ac21b9a1-8853-4658-9fbf-0cf62340bd18"
AUTH = {"Authorization": f"BimPlus {TOKEN}"}


def v2(path: str) -> str:
    return f"/v2/{TEAM}/{path}"


# --- auth -----------------------------------------------------------------------------------------


def test_login_posts_credentials_and_uses_the_token(httpserver, policy):
    httpserver.expect_request(
        "/v2/authorize",
        method="POST",
        json={"user_id": "me@example.com", "password": "pw", "application_id": "app"},
    ).respond_with_json(
        {"access_token": "abc123", "expires_in": 86400, "client_id": "cid", "token_type": "BimPlus"}
    )
    httpserver.expect_request("/v2/teams", headers={"Authorization": "BimPlus abc123"}).respond_with_json(
        [{"slug": "bimplus", "name": "Bimplus"}]
    )
    with Client.login("me@example.com", "pw", "app", base_url=httpserver.url_for("/v2"), retries=policy) as c:
        assert c.teams.list() == [{"slug": "bimplus", "name": "Bimplus"}]
        assert "abc123" not in repr(c)


def test_token_never_in_repr():
    t = Token("secret-token", expires_in=10)
    assert "secret-token" not in repr(t)
    assert t.header == "BimPlus secret-token"
    c = Client("secret-token", team=TEAM)
    try:
        assert "secret-token" not in repr(c) and "secret-token" not in repr(c.models)
    finally:
        c.close()


def test_token_from_environment_and_custom_type(httpserver, monkeypatch, policy):
    monkeypatch.setenv("BIMPLUS_TOKEN", "envtoken")
    monkeypatch.setenv("BIMPLUS_API_URL", httpserver.url_for("/v2"))
    httpserver.expect_request("/v2/teams", headers={"Authorization": "Bearer envtoken"}).respond_with_json([])
    with Client(token_type="Bearer", retries=policy) as c:
        assert c.base_url == httpserver.url_for("/v2")
        assert c.teams.list() == []


def test_missing_token_and_team_are_configuration_errors(base_url):
    with Client(base_url=base_url) as c:
        with pytest.raises(ConfigurationError, match="token"):
            c.teams.list()
    with Client("t", base_url=base_url) as c:
        with pytest.raises(ConfigurationError, match="team"):
            c.projects.list()


def test_401_without_refresh_is_authentication_error(httpserver, client):
    httpserver.expect_request("/v2/teams").respond_with_json(
        {"error": {"code": "HeaderNotFound", "message": "Header Authorization was not found in the request."}},
        status=401,
    )
    with pytest.raises(AuthenticationError) as info:
        client.teams.list()
    assert info.value.status == 401 and info.value.code == "HeaderNotFound"
    assert TOKEN not in str(info.value)


# --- teams, projects -------------------------------------------------------------------------------


def test_teams_and_projects(httpserver, client):
    httpserver.expect_request("/v2/teams", headers=AUTH).respond_with_json([{"slug": TEAM}])
    httpserver.expect_request(v2("projects")).respond_with_json([{"id": PROJECT, "name": "P"}])
    httpserver.expect_request(v2(f"projects/{PROJECT}")).respond_with_json({"id": PROJECT})
    httpserver.expect_request(v2(f"projects/{PROJECT}/topology")).respond_with_json(load("topology"))
    assert client.teams.list() == [{"slug": TEAM}]
    assert client.projects.list()[0]["id"] == PROJECT
    assert client.projects.get(PROJECT)["id"] == PROJECT
    assert client.projects.topology(PROJECT)["type"] == "Project"


# --- models (divisions), 002 ----------------------------------------------------------------------


def test_models_create_list_get_update_delete(httpserver, client):
    httpserver.expect_request(
        v2(f"projects/{PROJECT}/divisions"),
        method="POST",
        json={"name": "Model D", "description": "Creating a model via API"},
    ).respond_with_json(load("division_created"), status=201)
    httpserver.expect_request(v2("divisions"), method="GET").respond_with_json(load("divisions_team"))
    httpserver.expect_request(
        v2(f"projects/{PROJECT}/divisions"), method="GET", query_string={"modifyonly": "true"}
    ).respond_with_json(load("divisions_project"))
    httpserver.expect_request(v2(f"divisions/{DIVISION}"), method="GET").respond_with_json(load("division"))
    httpserver.expect_request(v2(f"divisions/{DIVISION}/disciplines")).respond_with_json(load("disciplines"))
    httpserver.expect_request(
        v2(f"divisions/{DIVISION}"), method="PUT", json={"name": "Model D", "description": "Updating the model D"}
    ).respond_with_json(load("division_updated"))
    httpserver.expect_request(v2(f"divisions/{DIVISION}"), method="DELETE").respond_with_data("", status=200)

    created = client.models.create(PROJECT, "Model D", "Creating a model via API")
    assert created["id"] == "2e0ca9e9-dd11-48d0-bd31-5a65225fe28a" and created["status"] == "DONE_REFRESHED"
    team_models = client.models.list()
    assert [m["inputType"] for m in team_models] == ["IFC_IMPORT", "SKP_IMPORT"]
    project_models = client.models.list(PROJECT, modifyonly=True)
    assert project_models[0]["revisionObjects"][0]["revisionNr"] == 1
    model = client.models.get(DIVISION)
    assert model["topologyId"] == "fc4be8b1-bf85-4c6f-b9c2-bac6474ddb1d"
    assert [d["name"] for d in client.models.disciplines(DIVISION)] == ["ID_BuildingModel", "ID_RoomModel"]
    assert client.models.update(DIVISION, {"name": "Model D", "description": "Updating the model D"})["name"] == "Model D"
    assert client.models.delete(DIVISION) is None
    assert client.divisions is client.models


def test_models_head_if_none_match(httpserver, client):
    etag = '"f9efd399-4631-4a77-b40a-31fb099f42a4"'

    def handler(request: Request) -> Response:
        if request.headers.get("If-None-Match") == etag:
            return Response(status=304, headers={"ETag": etag})
        return Response(status=200, headers={"ETag": etag})

    httpserver.expect_request(v2(f"divisions/{DIVISION}"), method="HEAD").respond_with_handler(handler)
    first = client.models.head(DIVISION)
    assert first.modified and first.etag == etag
    again = client.models.head(DIVISION, "f9efd399-4631-4a77-b40a-31fb099f42a4")
    assert not again.modified and again.etag == etag


def test_models_download_streams_to_file(httpserver, client, tmp_path):
    payload = bytes(range(256)) * 4096  # 1 MiB
    httpserver.expect_request(
        v2(f"divisions/{DIVISION}/download"), query_string={"revision": "2"}
    ).respond_with_data(payload, content_type="application/octet-stream")
    dest = tmp_path / "model.ifc"
    assert client.models.download(DIVISION, dest, revision=2) == dest
    assert dest.read_bytes() == payload
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.ifc"]


def test_not_found_leaves_no_file(httpserver, client, tmp_path):
    httpserver.expect_request(v2(f"divisions/{DIVISION}/download")).respond_with_json(
        {"message": "division not found"}, status=404
    )
    with pytest.raises(NotFoundError, match="division not found"):
        client.models.download(DIVISION, tmp_path / "x.ifc")
    assert list(tmp_path.iterdir()) == []


# --- objects, 003/004 -------------------------------------------------------------------------------


def test_objects_crud_and_query_parameters(httpserver, client):
    body = {
        "parent": "925f9e2d-8877-406b-9806-afb4246ed2e2",
        "type": "Wall",
        "attributes": {"geometry": {"mesh": "{\"Color\":4278255360}"}},
    }
    httpserver.expect_request(v2("objects"), method="POST", json=body).respond_with_json(
        load("object_created"), status=201
    )
    httpserver.expect_request(
        v2(f"objects/{OBJECT}"),
        method="GET",
        query_string={
            "revision": "2",
            "internal": "true",
            "children": "true",
            "freeattributes": "true",
            "disciplineId": DISCIPLINE,
            "type": "Wall",
            "documentversion": "1",
            "projectid": PROJECT,
            "shortinfo": "false",
        },
    ).respond_with_json(load("object_internal"))
    httpserver.expect_request(
        v2(f"objects/{OBJECT}"), method="GET", query_string={"freeattributes": "true"}
    ).respond_with_json(load("object_freeattributes"))
    httpserver.expect_request(v2(f"objects/{OBJECT}"), method="GET", query_string="").respond_with_json(load("object"))
    httpserver.expect_request(
        v2(f"objects/{OBJECT}"), method="PUT", query_string={"projectid": PROJECT}, json=body
    ).respond_with_json(load("object_created"))
    httpserver.expect_request(v2(f"objects/{OBJECT}"), method="DELETE").respond_with_data("")
    httpserver.expect_request(v2(f"objects/{OBJECT}/topology")).respond_with_json(load("topology"))
    httpserver.expect_request(
        v2(f"objects/{OBJECT}/complexproperties"), query_string={"revision": "2"}
    ).respond_with_json(load("complexproperties"))

    assert client.objects.create(body)["id"] == "33c741c1-f03e-4c47-b072-de8637f8f340"
    full = client.objects.get(
        OBJECT,
        revision=2,
        internal=True,
        children=True,
        freeattributes=True,
        discipline_id=DISCIPLINE,
        type="Wall",
        documentversion=1,
        projectid=PROJECT,
        shortinfo=False,
    )
    assert full["attributes"]["element"]["matrix"]["values"][3] == 120
    free = client.objects.get(OBJECT, freeattributes=True)
    assert free["attributes"]["element (default property set)"]["type"]["value"] == "Wall"
    assert client.objects.get(OBJECT)["attributes"]["content"]["ydim"] == 208.5
    assert client.objects.update(OBJECT, body, projectid=PROJECT)["type"] == "Wall"
    assert client.objects.delete(OBJECT) is None
    assert client.objects.topology(OBJECT)["ifcType"] == "IfcBuilding"
    tree = client.objects.complex_properties(OBJECT, revision=2)
    assert tree["children"][0]["name"] == "Allplan Attributes"


def test_object_scene_is_sent_as_json_string(httpserver, client):
    scene = {"viewMode": "transparent", "camera": {"fov": 45}}
    seen = {}

    def handler(request: Request) -> Response:
        seen.update(json.loads(request.data))
        return Response("", status=200)

    httpserver.expect_request(v2(f"objects/{OBJECT}"), method="PUT").respond_with_handler(handler)
    assert client.objects.set_scene(OBJECT, scene, type="Wall") is None
    assert seen["id"] == OBJECT and seen["type"] == "Wall"
    assert json.loads(seen["attributes"]["slide"]["scene"]) == scene


def test_object_head(httpserver, client):
    httpserver.expect_request(
        v2(f"objects/{OBJECT}"), method="HEAD", headers={"If-None-Match": '"ca85"'}
    ).respond_with_data("", status=304, headers={"ETag": '"ca85"'})
    assert client.objects.head(OBJECT, "ca85").modified is False


# --- comments, attachments, hyperlinks, custom tables, reports ----------------------------------------


def test_comments(httpserver, client):
    text = "The fire exit should be x:120, y: 120; z: 340"
    httpserver.expect_request(v2(f"objects/{OBJECT}/comments"), method="POST", json={"text": text}).respond_with_json(
        load("comment"), status=201
    )
    httpserver.expect_request(v2(f"objects/{OBJECT}/comments"), method="GET").respond_with_json(load("comments"))
    assert client.comments.create(OBJECT, text)["text"] == text
    assert client.comments.list(OBJECT)[0]["author"]["fullname"] == "Unknown User"


def test_attachment_multipart_upload_list_delete_download(httpserver, client, tmp_path):
    src = tmp_path / "TestFile.xml"
    src.write_bytes(b"<report>" + b"x" * 5000 + b"</report>")
    seen = {}

    def upload(request: Request) -> Response:
        seen["content_type"] = request.headers["Content-Type"]
        seen["body"] = request.get_data()
        return Response(json.dumps(load("attachment")), status=201, content_type="application/json")

    httpserver.expect_request(v2(f"objects/{OBJECT}/attachments"), method="POST").respond_with_handler(upload)
    httpserver.expect_request(v2(f"objects/{OBJECT}/attachments"), method="GET").respond_with_json(load("attachments"))
    httpserver.expect_request(v2(f"objects/{OBJECT}/attachments"), method="DELETE").respond_with_data("")
    att_id = "6cea110a-88f4-43ac-9a00-ebaf677be333"
    httpserver.expect_request(v2(f"attachments/{att_id}/download")).respond_with_data(src.read_bytes())

    att = client.attachments.upload(OBJECT, src, name="TestFile", classification="Report", tag="ABCDE")
    assert att["classification"] == "Report" and att["rights"]["download"] is True
    boundary = seen["content_type"].split("boundary=")[1]
    assert seen["content_type"].startswith("multipart/form-data")
    body = seen["body"]
    assert body.startswith(f"--{boundary}\r\n".encode())
    assert body.endswith(f"\r\n--{boundary}--\r\n".encode())
    assert (
        b'Content-Disposition: form-data; name="TestFile"; filename="TestFile.xml"; '
        b'classification="Report"; tag="ABCDE"\r\nContent-Type: application/xml\r\n\r\n<report>' in body
    )
    assert body.count(f"--{boundary}".encode()) == 2  # exactly one part
    assert client.attachments.list(OBJECT)[0]["fileName"] == "TestFile.xml"
    assert client.attachments.delete_all(OBJECT) is None
    out = client.attachments.download(att_id, tmp_path / "copy.xml")
    assert out.read_bytes() == src.read_bytes()


def test_attachment_upload_bytes_needs_a_filename(client):
    with pytest.raises(ConfigurationError):
        client.attachments.upload(OBJECT, b"data")


def test_hyperlinks(httpserver, client):
    httpserver.expect_request(
        v2(f"objects/{OBJECT}/hyperlinks"), method="POST", json={"name": "My website", "url": "https://www.bimplus.net/"}
    ).respond_with_json(load("hyperlink"), status=200)
    httpserver.expect_request(v2(f"objects/{OBJECT}/hyperlinks"), method="GET").respond_with_json(load("hyperlinks"))
    assert client.hyperlinks.create(OBJECT, "My website", "https://www.bimplus.net/")["orderNumber"] == 1
    assert [h["orderNumber"] for h in client.hyperlinks.list(OBJECT)] == [1, 2]


def test_custom_tables(httpserver, client):
    table = load("customtable")
    httpserver.expect_request(
        v2(f"objects/{OBJECT}/customtables"),
        method="POST",
        json={"dataTable": table["dataTable"], "name": table["name"], "description": table["description"]},
    ).respond_with_json(table, status=201)
    httpserver.expect_request(v2(f"objects/{OBJECT}/customtables"), method="GET").respond_with_json(load("customtables"))
    httpserver.expect_request(v2(f"objects/{OBJECT}/customtables"), method="DELETE").respond_with_data("")
    made = client.custom_tables.create(OBJECT, table["dataTable"], name=table["name"], description=table["description"])
    assert made["id"] == "2517e000-eb32-4487-be36-c5db90b9b943"
    rows = client.custom_tables.list(OBJECT)[0]["dataTable"]["rows"]
    assert [r["items"][0] for r in rows] == [1, 2, 3, 4]
    assert client.custom_tables.delete_all(OBJECT) is None


def test_reports(httpserver, client):
    httpserver.expect_request(
        v2(f"objects/{OBJECT}/reports"), query_string={"version": "1", "action": "Download_Document"}
    ).respond_with_json(load("reports")[:1])
    got = client.reports.list(OBJECT, version=1, action="Download_Document")
    assert got[0]["user"]["email"] == "test@email.com"


# --- geometries -----------------------------------------------------------------------------------


def test_geometry_threejs_and_meshblob(httpserver, client):
    httpserver.expect_request(v2(f"objects/{OBJECT}/geometries/threejs")).respond_with_json(load("threejs"))
    httpserver.expect_request(
        v2(f"objects/{OBJECT}/geometries/threejs/properties/7")
    ).respond_with_json(load("threejs_properties"))
    httpserver.expect_request(
        v2(f"objects/{OBJECT}/disciplines/{DISCIPLINE}/geometries/threejs")
    ).respond_with_json(load("threejs_discipline"))
    httpserver.expect_request(
        v2(f"objects/{OBJECT}/geometries/meshblob"), query_string={"elementTypeId": "10074eef"}
    ).respond_with_json(load("meshblob"))
    httpserver.expect_request(
        v2(f"objects/{OBJECT}/disciplines/{DISCIPLINE}/geometries/meshblob")
    ).respond_with_json(load("meshblob_discipline"))

    assert client.geometries.threejs(OBJECT)["colors"] == [-9868951]
    props = GeometryProperties.TREE | GeometryProperties.VIEWER_ATTRIBUTES | GeometryProperties.FACE_NORMALS
    assert client.geometries.threejs(OBJECT, properties=props)["objects"][0]["type"] == "Column"
    assert client.geometries.threejs(OBJECT, discipline_id=DISCIPLINE)["elementsCount"] == 4
    blob = client.geometries.meshblob(OBJECT, element_type_id="10074eef")
    assert blob["objects"][0]["attributes"]["geometry"]["picture"].startswith("H4sI")
    assert len(client.geometries.meshblob(OBJECT, discipline_id=DISCIPLINE)["objects"]) == 4


def test_geometry_glb_download(httpserver, client, tmp_path):
    glb = b"glTF" + b"\x02\x00\x00\x00" + b"\x00" * 100
    httpserver.expect_request(
        v2(f"objects/{OBJECT}/geometries/glb"),
        query_string={"topology": "true", "levelOfDetail": "100", "vertexNormals": "true", "smoothingAngle": "30"},
    ).respond_with_data(glb, content_type="model/gltf-binary")
    out = client.geometries.glb(
        OBJECT, tmp_path / "m.glb", topology=True, level_of_detail=100, vertex_normals=True, smoothing_angle=30
    )
    assert out.read_bytes() == glb


def test_format_and_properties_checks(client):
    with pytest.raises(ConfigurationError):
        list(client.geometries.iter_chunks(OBJECT, format="obj"))
    with pytest.raises(ConfigurationError):
        client.geometries.iter_chunks(OBJECT, format="meshblob", properties=1)
    with pytest.raises(ConfigurationError):
        client.models.list(modifyonly=True)


def test_low_level_request(httpserver, client):
    httpserver.expect_request("/v2/some/other/resource", query_string={"a": "1"}).respond_with_json({"ok": True})
    answer = client.request("GET", "some/other/resource", params={"a": 1})
    assert answer.status == 200 and answer.json() == {"ok": True}


def test_path_segments_are_quoted(raw_server, policy):
    def handler(conn, head, n):
        body = b'{"id": "a/b"}'
        conn.sendall(http_head(200, {"Content-Length": str(len(body)), "Connection": "close"}) + body)

    server = raw_server(handler)
    with Client(TOKEN, team="my team", base_url=server.url, retries=policy) as c:
        assert c.objects.topology("a/b?x") == {"id": "a/b"}
    assert server.requests[0].startswith(b"GET /v2/my%20team/objects/a%2Fb%3Fx/topology HTTP/1.1")


def test_cache_serves_unchanged_model_with_one_conditional_request(httpserver, policy, tmp_path: Path):
    etag = '"v1"'
    hits = []

    def handler(request: Request) -> Response:
        hits.append(request.headers.get("If-None-Match"))
        if request.headers.get("If-None-Match") == etag:
            return Response(status=304, headers={"ETag": etag})
        return Response(json.dumps(load("division")), headers={"ETag": etag}, content_type="application/json")

    httpserver.expect_request(v2(f"divisions/{DIVISION}")).respond_with_handler(handler)
    cache = tmp_path / "cache"
    for _ in range(2):
        with Client(TOKEN, team=TEAM, base_url=httpserver.url_for("/v2"), retries=policy, cache_dir=cache) as c:
            assert c.models.get(DIVISION)["name"] == "Model A - Vogel"
    assert hits == [None, etag]
    assert not [p for p in cache.iterdir() if p.suffix == ".part"]
    assert all(TOKEN.encode() not in p.read_bytes() for p in cache.iterdir())


def test_cache_entry_damaged_is_a_miss(httpserver, policy, tmp_path: Path):
    etag = '"v1"'
    hits = []

    def handler(request: Request) -> Response:
        hits.append(request.headers.get("If-None-Match"))
        return Response(json.dumps({"n": len(hits)}), headers={"ETag": etag}, content_type="application/json")

    httpserver.expect_request(v2(f"divisions/{DIVISION}")).respond_with_handler(handler)
    cache = tmp_path / "cache"
    with Client(TOKEN, team=TEAM, base_url=httpserver.url_for("/v2"), retries=policy, cache_dir=cache) as c:
        c.models.get(DIVISION)
        for body in cache.glob("*.body"):
            body.write_bytes(b'{"n": 999}')
        assert c.models.get(DIVISION) == {"n": 2}
    assert hits == [None, None]


def test_download_follows_redirect_without_leaking_the_token(httpserver, raw_server, client, tmp_path):
    payload = b"ifc data" * 1000

    def storage(conn, head, n):
        conn.sendall(http_head(200, {"Content-Length": str(len(payload)), "Connection": "close"}) + payload)

    blob = raw_server(storage)  # another origin (127.0.0.1:<port>), like blob storage
    httpserver.expect_request(v2(f"divisions/{DIVISION}/download")).respond_with_data(
        "", status=302, headers={"Location": blob.url + "/blob/model.ifc?sig=abc"}
    )
    out = client.models.download(DIVISION, tmp_path / "m.ifc")
    assert out.read_bytes() == payload
    assert blob.requests[0].startswith(b"GET /v2/blob/model.ifc?sig=abc ")
    assert b"authorization" not in blob.requests[0].lower()
