"""Resource groups, one per API document section (000-004, design.md §5, §9).

Each method builds a :class:`~bimgeo.api._client.Call` and hands it to the
client, so the same groups serve :class:`Client` (values) and
:class:`AsyncClient` (awaitables, async iterators).
"""
from __future__ import annotations

import mimetypes
import os
import uuid
from pathlib import Path
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Dict,
    Iterable,
    Iterator,
    List,
    Mapping,
    Optional,
    Tuple,
    Union,
    cast,
)

import orjson

from ._client import Answer, Call, same_origin, total_count
from ._errors import ApiError, ConfigurationError, ExportError
from ._types import (
    Attachment,
    BimObject,
    Comment,
    ComplexProperty,
    Conditional,
    CustomTable,
    Discipline,
    Division,
    ExportJob,
    ExportRun,
    GeometryChunk,
    Hyperlink,
    Report,
)

if TYPE_CHECKING:  # pragma: no cover
    from ._client import _ClientBase

__all__ = [
    "Attachments",
    "Comments",
    "CustomTables",
    "Geometries",
    "Hyperlinks",
    "ITwinExport",
    "IfcExport",
    "Models",
    "Objects",
    "Projects",
    "Reports",
    "Teams",
]

PathLike = Union[str, "os.PathLike[str]"]
ITWIN_ACCEPT = "application/vnd.bentley.itwin-platform.v1+json"
_FAILED_RESULTS = frozenset({"error", "failed", "failure", "canceled", "cancelled"})
_FAILED_STATES = frozenset({"failed", "canceled", "cancelled", "error"})


# --- parsers -------------------------------------------------------------------------------


def _json(answer: Answer) -> Any:
    return answer.json()


def _dict(answer: Answer) -> Dict[str, Any]:
    data = answer.json()
    if not isinstance(data, dict):
        raise ApiError(f"expected a JSON object, got {type(data).__name__}", status=answer.status, url=answer.url)
    return data


def _list(answer: Answer) -> List[Any]:
    data = answer.json()
    if data is None:
        return []
    if not isinstance(data, list):
        raise ApiError(f"expected a JSON array, got {type(data).__name__}", status=answer.status, url=answer.url)
    return data


def _none(answer: Answer) -> None:
    return None


def _path(answer: Answer) -> Path:
    assert answer.path is not None
    return answer.path


def _bytes(answer: Answer) -> bytes:
    return answer.body


def _with_total(parse: Callable[[Answer], Any]) -> Callable[[Answer], Tuple[Any, int]]:
    def both(answer: Answer) -> Tuple[Any, int]:
        return parse(answer), total_count(answer.headers)

    return both


def _flag(value: Optional[bool]) -> Optional[int]:
    """Bimplus 0/1 query flags."""
    return None if value is None else int(bool(value))


class _Group:
    """A resource group bound to a client."""

    def __init__(self, client: "_ClientBase") -> None:
        self._c = client

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._c!r}>"

    def _run(self, call: Call[Any]) -> Any:
        return self._c._execute(call)


# --- teams, projects --------------------------------------------------------------------------


class Teams(_Group):
    """``GET /v2/teams`` (design.md §9)."""

    def list(self) -> List[Dict[str, Any]]:
        """The teams of the user (each with its ``slug``)."""
        return cast(List[Dict[str, Any]], self._run(Call("GET", self._c.url("teams"), _list)))


class Projects(_Group):
    """Projects of the team and their topology (design.md §9)."""

    def list(self) -> List[Dict[str, Any]]:
        """The projects of the team."""
        return cast(List[Dict[str, Any]], self._run(Call("GET", self._c.team_url("projects"), _list)))

    def get(self, project_id: str) -> Dict[str, Any]:
        """One project."""
        return cast(Dict[str, Any], self._run(Call("GET", self._c.team_url("projects", project_id), _dict)))

    def topology(self, project_id: str) -> Dict[str, Any]:
        """The project's topology tree (``projects/<id>/topology``)."""
        url = self._c.team_url("projects", project_id, "topology")
        return cast(Dict[str, Any], self._run(Call("GET", url, _dict, cacheable=True)))


# --- models (divisions), 002 -----------------------------------------------------------------------


class Models(_Group):
    """Models (divisions), document 002."""

    def create(
        self,
        project_id: str,
        name: str,
        description: Optional[str] = None,
        *,
        topology_id: Optional[str] = None,
        disciplines: Optional[List[str]] = None,
    ) -> Division:
        """Create a model in a project (201); returns it."""
        body: Dict[str, Any] = {"name": name}
        if description is not None:
            body["description"] = description
        if topology_id is not None:
            body["topologyId"] = topology_id
        if disciplines is not None:
            body["disciplines"] = disciplines
        url = self._c.team_url("projects", project_id, "divisions")
        return cast(Division, self._run(Call("POST", url, _dict, json=body)))

    def list(self, project_id: Optional[str] = None, *, modifyonly: Optional[bool] = None) -> List[Division]:
        """Models of a project, or of the whole team when ``project_id`` is None.

        ``modifyonly=True`` (project lists only): only models the user may modify.
        """
        if project_id is None:
            if modifyonly is not None:
                raise ConfigurationError("modifyonly applies to a project's model list")
            url = self._c.team_url("divisions")
        else:
            url = self._c.team_url("projects", project_id, "divisions")
        return cast(List[Division], self._run(Call("GET", url, _list, params={"modifyonly": modifyonly})))

    def get(self, division_id: str) -> Division:
        """Model details (served from the ETag cache when unchanged)."""
        url = self._c.team_url("divisions", division_id)
        return cast(Division, self._run(Call("GET", url, _dict, cacheable=True)))

    def head(self, division_id: str, etag: Optional[str] = None) -> Conditional:
        """``HEAD`` with ``If-None-Match``: ``modified`` is False on 304; returns the current ETag."""
        headers = {"If-None-Match": _quote_etag(etag)} if etag else {}
        url = self._c.team_url("divisions", division_id)
        return cast(Conditional, self._run(Call("HEAD", url, _conditional, headers=headers, ok=frozenset({304}))))

    def disciplines(self, division_id: str) -> List[Discipline]:
        """The disciplines (layers) of a model."""
        url = self._c.team_url("divisions", division_id, "disciplines")
        return cast(List[Discipline], self._run(Call("GET", url, _list)))

    def update(self, division_id: str, body: Mapping[str, Any]) -> Division:
        """Update a model (``name`` mandatory, ``description``, ``topologyId``, ``disciplines``)."""
        url = self._c.team_url("divisions", division_id)
        return cast(Division, self._run(Call("PUT", url, _dict, json=dict(body))))

    def download(self, division_id: str, dest: PathLike, *, revision: Optional[int] = None) -> Path:
        """Stream the model's import file to ``dest`` atomically; returns the path.

        A failure or interrupt leaves no partial file (temp file + os.replace).
        """
        url = self._c.team_url("divisions", division_id, "download")
        call = Call(
            "GET",
            url,
            _path,
            params={"revision": revision},
            headers={"Accept": "application/octet-stream, */*"},
            download_to=Path(dest),
            follow_redirects=True,
        )
        return cast(Path, self._run(call))

    def delete(self, division_id: str) -> None:
        """Delete a model."""
        self._run(Call("DELETE", self._c.team_url("divisions", division_id), _none))


def _quote_etag(etag: str) -> str:
    etag = etag.strip()
    if etag.startswith(('"', "W/")) or etag == "*":
        return etag
    return f'"{etag}"'


def _conditional(answer: Answer) -> Conditional:
    return Conditional(modified=answer.status != 304, etag=answer.headers.get("etag"))


# --- objects, 003 / 004 -------------------------------------------------------------------------------


class Objects(_Group):
    """Objects (documents 003 and 004)."""

    def create(self, body: Mapping[str, Any]) -> BimObject:
        """Create an object (``parent``, ``type``, ``attributes``, ``children``); geometry
        (``attributes.geometry.mesh`` etc.) comes ready-made from bimgeo's encoders."""
        return cast(BimObject, self._run(Call("POST", self._c.team_url("objects"), _dict, json=dict(body))))

    def get(
        self,
        object_id: str,
        *,
        revision: Optional[int] = None,
        internal: Optional[bool] = None,
        children: Optional[bool] = None,
        freeattributes: Optional[bool] = None,
        discipline_id: Optional[str] = None,
        type: Optional[str] = None,
        documentversion: Optional[int] = None,
        projectid: Optional[str] = None,
        shortinfo: Optional[bool] = None,
    ) -> Any:
        """An object's properties (004); every documented query parameter.

        ``children=True`` replaces the obsolete ``/tree`` and ``/properties/3``,
        ``internal=True`` ``/internal``, ``freeattributes=True`` ``/properties/8``.
        ``type="Wall"`` filters child elements by type (the answer may then
        be a list); ``projectid`` is needed when the id is a user's.
        """
        params = {
            "revision": revision,
            "internal": internal,
            "children": children,
            "freeattributes": freeattributes,
            "disciplineId": discipline_id,
            "type": type,
            "documentversion": documentversion,
            "projectid": projectid,
            "shortinfo": shortinfo,
        }
        url = self._c.team_url("objects", object_id)
        return self._run(Call("GET", url, _json, params=params, cacheable=True))

    def head(self, object_id: str, etag: Optional[str] = None) -> Conditional:
        """``HEAD`` with ``If-None-Match``: has the object changed?"""
        headers = {"If-None-Match": _quote_etag(etag)} if etag else {}
        url = self._c.team_url("objects", object_id)
        return cast(Conditional, self._run(Call("HEAD", url, _conditional, headers=headers, ok=frozenset({304}))))

    def update(
        self,
        object_id: str,
        body: Mapping[str, Any],
        *,
        freeattributes: Optional[bool] = None,
        projectid: Optional[str] = None,
        revision: Optional[int] = None,
    ) -> Any:
        """Update or replace an object (PUT); the GET query parameters apply here too."""
        params = {"freeattributes": freeattributes, "projectid": projectid, "revision": revision}
        url = self._c.team_url("objects", object_id)
        return self._run(Call("PUT", url, _json, params=params, json=dict(body)))

    def set_scene(self, object_id: str, scene: Union[str, Mapping[str, Any]], *, type: str) -> Any:
        """Save a view: PUT the object with ``attributes.slide.scene`` (sent as a JSON string)."""
        text = scene if isinstance(scene, str) else orjson.dumps(dict(scene)).decode("utf-8")
        body = {"id": object_id, "type": type, "attributes": {"slide": {"scene": text}}}
        return self._run(Call("PUT", self._c.team_url("objects", object_id), _json, json=body))

    def delete(self, object_id: str) -> None:
        """Delete an object."""
        self._run(Call("DELETE", self._c.team_url("objects", object_id), _none))

    def topology(self, object_id: str) -> Dict[str, Any]:
        """The object tree without geometry (``objects/<id>/topology``)."""
        url = self._c.team_url("objects", object_id, "topology")
        return cast(Dict[str, Any], self._run(Call("GET", url, _dict, cacheable=True)))

    def complex_properties(self, object_id: str, *, revision: Optional[int] = None) -> ComplexProperty:
        """The complex property tree of an object."""
        url = self._c.team_url("objects", object_id, "complexproperties")
        return cast(ComplexProperty, self._run(Call("GET", url, _dict, params={"revision": revision})))


# --- geometries, 003 + design.md §5 -------------------------------------------------------------------------

_FORMATS = ("threejs", "meshblob")


class Geometries(_Group):
    """Geometry of an object tree: threejs, meshblob, templates, chunks, glb."""

    def _geometry_url(
        self, object_id: str, fmt: str, discipline_id: Optional[str], properties: int = 0
    ) -> str:
        if fmt not in _FORMATS:
            raise ConfigurationError(f"format must be one of {_FORMATS}, not {fmt!r}")
        segs: List[object] = ["objects", object_id]
        if discipline_id is not None:
            segs += ["disciplines", discipline_id]
        segs += ["geometries", fmt]
        if properties:
            if fmt != "threejs":
                raise ConfigurationError("properties bits apply to threejs geometry")
            segs += ["properties", int(properties)]
        return self._c.team_url(*segs)

    def threejs(
        self,
        object_id: str,
        *,
        discipline_id: Optional[str] = None,
        properties: int = 0,
        params: Optional[Mapping[str, Any]] = None,
    ) -> GeometryChunk:
        """The whole threejs geometry in one response (see :meth:`iter_chunks` for big models).

        ``properties``: a sum of :class:`GeometryProperties` bits (tree, viewer
        attributes, face normals, templates, mixed geometry).
        """
        url = self._geometry_url(object_id, "threejs", discipline_id, properties)
        call = Call("GET", url, _dict, params=dict(params or {}), wait_ready=True, cacheable=True)
        return cast(GeometryChunk, self._run(call))

    def meshblob(
        self,
        object_id: str,
        *,
        discipline_id: Optional[str] = None,
        element_type_id: Optional[str] = None,
        params: Optional[Mapping[str, Any]] = None,
    ) -> GeometryChunk:
        """The meshblob (compressed MS-NRBF polyhedra) geometry in one response.

        ``element_type_id`` keeps only elements of that type.
        """
        url = self._geometry_url(object_id, "meshblob", discipline_id)
        query = {"elementTypeId": element_type_id, **dict(params or {})}
        return cast(GeometryChunk, self._run(Call("GET", url, _dict, params=query, wait_ready=True, cacheable=True)))

    def _chunked(
        self,
        url: str,
        params: Mapping[str, Any],
        parse: Callable[[Answer], Any],
        *,
        chunk_size: Optional[str],
        accept: str = "application/json",
        progress: Optional[Callable[[int, int], None]] = None,
    ) -> Any:
        base = dict(params)
        if chunk_size is not None:
            base["chunkSize"] = chunk_size

        def call(i: int) -> Call[Any]:
            return Call(
                "GET",
                url,
                parse,
                params={**base, "chunk": i},
                headers={"Accept": accept},
                wait_ready=True,
                cacheable=True,
            )

        first = call(1)
        first.parse = _with_total(parse)
        if self._c._is_async:
            return self._c._aiter_chunks(call, first, progress)  # type: ignore[attr-defined]
        return self._c._iter_chunks(call, first, progress)  # type: ignore[attr-defined]

    def iter_chunks(
        self,
        object_id: str,
        *,
        format: str = "threejs",
        discipline_id: Optional[str] = None,
        properties: int = 0,
        element_type_id: Optional[str] = None,
        chunk_size: str = "medium",
        params: Optional[Mapping[str, Any]] = None,
        progress: Optional[Callable[[int, int], None]] = None,
    ) -> Iterator[GeometryChunk]:
        """Geometry chunk by chunk, in order (design.md §5).

        Asks ``chunkSize=medium&chunk=1``; ``X-Total-Count`` gives the number
        of chunks N; chunks 2..N are fetched concurrently (at most
        ``client.concurrency`` at a time) and yielded in order. A 202 (not
        ready) is asked again later, up to ``client.ready_timeout`` seconds.
        ``progress(done, total)`` is called as each chunk is handed out.
        """
        url = self._geometry_url(object_id, format, discipline_id, properties)
        query = {"elementTypeId": element_type_id, **dict(params or {})}
        return cast(
            Iterator[GeometryChunk], self._chunked(url, query, _dict, chunk_size=chunk_size, progress=progress)
        )

    def iter_chunk_bytes(
        self,
        object_id: str,
        *,
        format: str = "threejs",
        discipline_id: Optional[str] = None,
        properties: int = 0,
        element_type_id: Optional[str] = None,
        chunk_size: str = "medium",
        params: Optional[Mapping[str, Any]] = None,
        progress: Optional[Callable[[int, int], None]] = None,
    ) -> Iterator[bytes]:
        """:meth:`iter_chunks`, each chunk's JSON body as the server sent it (bytes, unparsed).

        For ``bimgeo.load`` (which parses it with the compiled scanner, one
        chunk at a time) or for saving: no chunk is held as parsed JSON.
        """
        url = self._geometry_url(object_id, format, discipline_id, properties)
        query = {"elementTypeId": element_type_id, **dict(params or {})}
        return cast(Iterator[bytes], self._chunked(url, query, _bytes, chunk_size=chunk_size, progress=progress))

    def iter_templates(
        self,
        object_id: str,
        discipline_id: str,
        *,
        revision: Optional[int] = None,
        level_of_detail: Optional[int] = None,
        chunk_size: str = "medium",
    ) -> Iterator[Dict[str, Any]]:
        """Template chunks ``{templates: [{id, geometries}], colors, revision}`` (design.md §5)."""
        url = self._c.team_url("objects", object_id, "disciplines", discipline_id, "templates", "threejs")
        query = {"revision": revision, "levelofdetail": level_of_detail}
        return cast(Iterator[Dict[str, Any]], self._chunked(url, query, _dict, chunk_size=chunk_size))

    def _glb_query(
        self,
        topology: Optional[bool],
        level_of_detail: Optional[int],
        vertex_normals: Optional[bool],
        smoothing_angle: Optional[float],
    ) -> Dict[str, Any]:
        return {
            "topology": topology,
            "levelOfDetail": level_of_detail,
            "vertexNormals": vertex_normals,
            "smoothingAngle": smoothing_angle,
        }

    def glb(
        self,
        object_id: str,
        dest: PathLike,
        *,
        discipline_id: Optional[str] = None,
        topology: Optional[bool] = None,
        level_of_detail: Optional[int] = None,
        vertex_normals: Optional[bool] = None,
        smoothing_angle: Optional[float] = None,
    ) -> Path:
        """Download the geometry as one binary glTF file (atomically) and return its path."""
        url = self._glb_url(object_id, discipline_id)
        call = Call(
            "GET",
            url,
            _path,
            params=self._glb_query(topology, level_of_detail, vertex_normals, smoothing_angle),
            headers={"Accept": "model/gltf-binary, */*"},
            wait_ready=True,
            download_to=Path(dest),
            follow_redirects=True,
        )
        return cast(Path, self._run(call))

    def iter_glb_chunks(
        self,
        object_id: str,
        *,
        discipline_id: Optional[str] = None,
        topology: Optional[bool] = None,
        level_of_detail: Optional[int] = None,
        vertex_normals: Optional[bool] = None,
        smoothing_angle: Optional[float] = None,
    ) -> Iterator[bytes]:
        """The glb in ~5 MB chunks (``chunk=1..N``, N from ``X-Total-Count``), each a glb, in order."""
        url = self._glb_url(object_id, discipline_id)
        query = self._glb_query(topology, level_of_detail, vertex_normals, smoothing_angle)
        return cast(
            Iterator[bytes],
            self._chunked(url, query, _bytes, chunk_size=None, accept="model/gltf-binary, */*"),
        )

    def _glb_url(self, object_id: str, discipline_id: Optional[str]) -> str:
        segs: List[object] = ["objects", object_id]
        if discipline_id is not None:
            segs += ["disciplines", discipline_id]
        return self._c.team_url(*segs, "geometries", "glb")


# --- comments, attachments, hyperlinks, custom tables, reports (003) ----------------------------------------


class Comments(_Group):
    """Comments of an object."""

    def create(self, object_id: str, text: str) -> Comment:
        """Add a comment (201)."""
        url = self._c.team_url("objects", object_id, "comments")
        return cast(Comment, self._run(Call("POST", url, _dict, json={"text": text})))

    def list(self, object_id: str) -> List[Comment]:
        """All comments of an object."""
        return cast(List[Comment], self._run(Call("GET", self._c.team_url("objects", object_id, "comments"), _list)))


def _disposition_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", " ").replace("\n", " ")


class Attachments(_Group):
    """Attachments of an object: one-file multipart upload, list, delete, download."""

    def upload(
        self,
        object_id: str,
        file: Union[PathLike, bytes],
        *,
        filename: Optional[str] = None,
        name: Optional[str] = None,
        content_type: Optional[str] = None,
        classification: Optional[str] = None,
        tag: Optional[str] = None,
    ) -> Attachment:
        """Upload one file as ``multipart/form-data`` (201).

        ``name``/``filename`` become the attachment's name and file name,
        ``classification``/``tag`` go into the Content-Disposition as the
        document asks, ``content_type`` (guessed from the name) its type.
        A path is streamed from disk; bytes need ``filename``.
        """
        if isinstance(file, (bytes, bytearray)):
            if not filename:
                raise ConfigurationError("uploading bytes needs filename=")
            data: Optional[bytes] = bytes(file)
            path: Optional[Path] = None
            size = len(file)
        else:
            path = Path(file)
            data = None
            size = path.stat().st_size
            filename = filename or path.name
        assert filename is not None
        ctype = content_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
        boundary = f"----bimgeo{uuid.uuid4().hex}"
        disp = f'form-data; name="{_disposition_value(name or Path(filename).stem)}"; filename="{_disposition_value(filename)}"'
        if classification is not None:
            disp += f'; classification="{_disposition_value(classification)}"'
        if tag is not None:
            disp += f'; tag="{_disposition_value(tag)}"'
        head = (
            f"--{boundary}\r\nContent-Disposition: {disp}\r\nContent-Type: {ctype}\r\n\r\n".encode("utf-8")
        )
        tail = f"\r\n--{boundary}--\r\n".encode("ascii")

        def content() -> Iterable[bytes]:
            yield head
            if data is not None:
                yield data
            else:
                assert path is not None
                with open(path, "rb") as fh:
                    while True:
                        block = fh.read(1 << 20)
                        if not block:
                            break
                        yield block
            yield tail

        headers = {
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(len(head) + size + len(tail)),
        }
        url = self._c.team_url("objects", object_id, "attachments")
        return cast(Attachment, self._run(Call("POST", url, _dict, content=content, headers=headers)))

    def list(self, object_id: str) -> List[Attachment]:
        """All attachments of an object."""
        url = self._c.team_url("objects", object_id, "attachments")
        return cast(List[Attachment], self._run(Call("GET", url, _list)))

    def delete_all(self, object_id: str) -> None:
        """Delete all attachments of an object."""
        self._run(Call("DELETE", self._c.team_url("objects", object_id, "attachments"), _none))

    def download(self, attachment_id: str, dest: PathLike, *, documentversion: Optional[int] = None) -> Path:
        """Stream an attachment's file to ``dest`` atomically
        (``attachments/<id>/download``, *reported*; not in the documents)."""
        url = self._c.team_url("attachments", attachment_id, "download")
        call = Call(
            "GET",
            url,
            _path,
            params={"documentversion": documentversion},
            headers={"Accept": "*/*"},
            download_to=Path(dest),
            follow_redirects=True,
        )
        return cast(Path, self._run(call))


class Hyperlinks(_Group):
    """Hyperlinks of an object."""

    def create(self, object_id: str, name: str, url: str, *, type: Optional[str] = None) -> Hyperlink:
        """Add a hyperlink (``type="Attachment"`` for a download link)."""
        body: Dict[str, Any] = {"name": name, "url": url}
        if type is not None:
            body["type"] = type
        target = self._c.team_url("objects", object_id, "hyperlinks")
        return cast(Hyperlink, self._run(Call("POST", target, _dict, json=body)))

    def list(self, object_id: str) -> List[Hyperlink]:
        """All hyperlinks of an object."""
        url = self._c.team_url("objects", object_id, "hyperlinks")
        return cast(List[Hyperlink], self._run(Call("GET", url, _list)))


class CustomTables(_Group):
    """Custom tables of an object."""

    def create(
        self,
        object_id: str,
        data_table: Mapping[str, Any],
        *,
        name: Optional[str] = None,
        description: Optional[str] = None,
        revision: Optional[int] = None,
    ) -> CustomTable:
        """Create a custom table (``data_table``: ``{columns: [{name, type}], rows: [{items}]}``)."""
        body: Dict[str, Any] = {"dataTable": dict(data_table)}
        for key, value in (("name", name), ("description", description), ("revision", revision)):
            if value is not None:
                body[key] = value
        url = self._c.team_url("objects", object_id, "customtables")
        return cast(CustomTable, self._run(Call("POST", url, _dict, json=body)))

    def list(self, object_id: str) -> List[CustomTable]:
        """All custom tables of an object."""
        url = self._c.team_url("objects", object_id, "customtables")
        return cast(List[CustomTable], self._run(Call("GET", url, _list)))

    def delete_all(self, object_id: str) -> None:
        """Delete all custom tables of an object."""
        self._run(Call("DELETE", self._c.team_url("objects", object_id, "customtables"), _none))


class Reports(_Group):
    """Reports of an object (e.g. document downloads)."""

    def list(self, object_id: str, *, version: Optional[int] = None, action: Optional[str] = None) -> List[Report]:
        """Reports, optionally of one document ``version`` or ``action`` (``Download_Document``)."""
        url = self._c.team_url("objects", object_id, "reports")
        return cast(List[Report], self._run(Call("GET", url, _list, params={"version": version, "action": action})))


# --- IFC export (000) and iTwin export runs (001) ------------------------------------------------------------


def _export_job(answer: Answer) -> ExportJob:
    try:
        body = answer.json()
    except ApiError:
        body = answer.body.decode("utf-8", "replace") or None
    return ExportJob(status=answer.status, location=answer.headers.get("location"), body=body)


class IfcExport(_Group):
    """Bimplus asynchronous IFC export (000): 202 accepted, 302 already queued."""

    def _options(
        self,
        file_delete: Optional[bool],
        empty_prop_export: Optional[bool],
        prop_set_export: Optional[bool],
    ) -> Dict[str, Any]:
        return {
            "fileDelete": _flag(file_delete),
            "emptyPropExport": _flag(empty_prop_export),
            "propSetExport": _flag(prop_set_export),
        }

    def model(
        self,
        project_id: str,
        model_id: str,
        *,
        revision: Optional[int] = None,
        file_delete: Optional[bool] = None,
        empty_prop_export: Optional[bool] = None,
        prop_set_export: Optional[bool] = None,
    ) -> ExportJob:
        """Queue the export of a model (a revision of it) to IFC; returns the job."""
        url = self._c.team_url("projects", project_id, "model", model_id, "exportasync")
        params = {"revision": revision, **self._options(file_delete, empty_prop_export, prop_set_export)}
        return cast(ExportJob, self._run(Call("POST", url, _export_job, params=params, ok=frozenset({302}))))

    def selection(
        self,
        selection_id: str,
        *,
        file_delete: Optional[bool] = None,
        empty_prop_export: Optional[bool] = None,
        prop_set_export: Optional[bool] = None,
    ) -> ExportJob:
        """Queue the export of a selection's elements to IFC; returns the job."""
        url = self._c.team_url("selections", selection_id, "exportasync")
        params = self._options(file_delete, empty_prop_export, prop_set_export)
        return cast(ExportJob, self._run(Call("POST", url, _export_job, params=params, ok=frozenset({302}))))

    def wait(self, job: ExportJob, *, timeout: float = 3600.0, poll_interval: Optional[float] = None) -> Any:
        """Poll the job's ``Location`` until it stops answering 202; returns its JSON body.

        The documents define no status resource for Bimplus export jobs, so
        this works only when the server sent a ``Location``; otherwise
        ExportError.
        """
        if not job.location:
            raise ExportError("the export job has no Location to poll (the API documents no job status resource)")
        url = job.location if "://" in job.location else _join(self._c.base_url, job.location)
        auth = "bimplus" if same_origin(url, self._c.base_url) else "none"
        call: Call[Answer] = Call("GET", url, lambda a: a, auth=auth)
        return _poll(
            self._c, call, lambda a: a.status != 202, timeout, poll_interval, what="IFC export job", result=_json
        )


def _join(base: str, location: str) -> str:
    if location.startswith("/"):
        from urllib.parse import urlsplit, urlunsplit

        parts = urlsplit(base)
        return urlunsplit((parts.scheme, parts.netloc, location, "", ""))
    return f"{base}/{location}"


def _poll(
    client: "_ClientBase",
    call: Call[Any],
    finished: Callable[[Any], bool],
    timeout: float,
    poll_interval: Optional[float],
    *,
    what: str,
    result: Callable[[Any], Any] = lambda value: value,
) -> Any:
    """Ask ``call`` until ``finished(value)``; waits ``poll_interval`` between asks,
    at most ``timeout`` seconds of waiting in all (counted from the sleeps, so an
    injected sleep makes it instant)."""
    interval = client.retry.poll_interval if poll_interval is None else poll_interval

    def too_long(waited: float) -> ExportError:
        return ExportError(f"{what} not finished after waiting {waited:g} s", url=call.url, method=call.method)

    if client._is_async:

        async def run_async() -> Any:
            waited = 0.0
            while True:
                value = await client._execute(call)
                if finished(value):
                    return result(value)
                if waited + interval > timeout:
                    raise too_long(waited)
                await client.retry.async_sleep(interval)
                waited += interval

        return run_async()
    waited = 0.0
    while True:
        value = client._execute(call)
        if finished(value):
            return result(value)
        if waited + interval > timeout:
            raise too_long(waited)
        client.retry.sleep(interval)
        waited += interval


def _run_from(connection_id: str, answer: Answer) -> ExportRun:
    location = answer.headers.get("location")
    raw: Dict[str, Any] = {}
    try:
        data = answer.json()
    except ApiError:
        data = None
    if isinstance(data, dict):
        inner = data.get("run")
        raw = inner if isinstance(inner, dict) else data
    run_id = raw.get("id") if isinstance(raw.get("id"), str) else None
    if run_id is None and location:
        run_id = location.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0] or None
    state = raw.get("state")
    result = raw.get("result")
    return ExportRun(
        connection_id=connection_id,
        run_id=run_id,
        location=location,
        status=answer.status,
        state=state if isinstance(state, str) else None,
        result=result if isinstance(result, str) else None,
        raw=raw,
    )


class ITwinExport(_Group):
    """iTwin Platform export connection runs (001); base URL ``client.itwin_base_url``.

    ``create_run`` answers 202 (new run) or 303 (an active run exists, see
    ``ExportRun.existing``); 409 raises ConflictError, 422
    UnprocessableEntityError with ``details``, 429 is retried after
    ``Retry-After`` and then raises RateLimitError.
    """

    def create_run(
        self,
        connection_id: str,
        *,
        export_type: str = "IFC",
        ifc_version: Optional[str] = None,
        input_options: Optional[Mapping[str, Any]] = None,
        output_options: Optional[Mapping[str, Any]] = None,
    ) -> ExportRun:
        """Start a run of an export connection (``POST /export/connections/{id}/runs``)."""
        body: Dict[str, Any] = {"exportType": export_type}
        if ifc_version is not None:
            body["ifcVersion"] = ifc_version
        if input_options is not None:
            body["inputOptions"] = dict(input_options)
        if output_options is not None:
            body["outputOptions"] = dict(output_options)
        url = self._c.itwin_url("export", "connections", connection_id, "runs")
        call = Call(
            "POST",
            url,
            lambda a: _run_from(connection_id, a),
            json=body,
            auth="itwin",
            headers={"Accept": ITWIN_ACCEPT},
            ok=frozenset({303}),
        )
        return cast(ExportRun, self._run(call))

    def _auth_for(self, url: str) -> str:
        """The iTwin token goes to the iTwin API host only, never to a foreign Location."""
        return "itwin" if same_origin(url, self._c.itwin_base_url) else "none"

    def _run_url(self, run: ExportRun) -> str:
        if run.location:
            if "://" in run.location:
                return run.location
            return _join(self._c.itwin_base_url, run.location)
        if not run.run_id:
            raise ConfigurationError("the run has neither a Location nor an id")
        return self._c.itwin_url("export", "connections", run.connection_id, "runs", run.run_id)

    def get_run(self, connection_id: str, run_id: str) -> ExportRun:
        """One run (``GET /export/connections/{id}/runs/{runId}``)."""
        return self.refresh(ExportRun(connection_id, run_id, None, 0))

    def refresh(self, run: ExportRun) -> ExportRun:
        """The run's current state, asked at its Location (or by id)."""
        url = self._run_url(run)
        call = Call(
            "GET",
            url,
            lambda a: _run_from(run.connection_id, a),
            auth=self._auth_for(url),
            headers={"Accept": ITWIN_ACCEPT},
        )
        return cast(ExportRun, self._run(call))

    def wait(self, run: ExportRun, *, timeout: float = 3600.0, poll_interval: Optional[float] = None) -> ExportRun:
        """Poll until the run's ``state`` is ``Completed`` and return it.

        Raises ExportError when the run ends failed (state Failed/Canceled or
        result Error/Failed/Canceled) or when ``timeout`` seconds of waiting pass.
        """
        url = self._run_url(run)
        connection_id = run.connection_id

        def parse(answer: Answer) -> ExportRun:
            polled = _run_from(connection_id, answer)
            if (polled.state or "").lower() in _FAILED_STATES or (
                polled.completed and (polled.result or "").lower() in _FAILED_RESULTS
            ):
                raise ExportError(
                    f"export run {polled.run_id} ended with state {polled.state!r}, result {polled.result!r}",
                    status=answer.status,
                    url=answer.url,
                )
            return polled

        call = Call("GET", url, parse, auth=self._auth_for(url), headers={"Accept": ITWIN_ACCEPT})
        return cast(
            ExportRun,
            _poll(self._c, call, lambda r: bool(r.completed), timeout, poll_interval, what="export run"),
        )
