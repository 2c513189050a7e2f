"""Shapes of what the API returns.

Where the documents define a JSON shape it is a ``TypedDict`` (the value is
the parsed dict itself, so fields the documents do not list survive); values
the client builds itself are dataclasses.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, TypedDict

__all__ = [
    "Attachment",
    "BimObject",
    "Comment",
    "ComplexProperty",
    "Conditional",
    "CustomTable",
    "Discipline",
    "Division",
    "ExportJob",
    "ExportRun",
    "GeometryChunk",
    "GeometryProperties",
    "Hyperlink",
    "Report",
    "Revision",
    "Token",
    "UserRef",
]


class UserRef(TypedDict, total=False):
    """A user as embedded in other resources (createdby, author, ...)."""

    id: str
    email: Optional[str]
    firstname: str
    lastname: str
    fullname: str
    displayname: str


class Revision(TypedDict, total=False):
    """One entry of a division's ``revisionObjects`` (002)."""

    id: str
    name: str
    description: Optional[str]
    projectId: str
    divisionId: str
    revisionNr: int
    created: str
    createdby: UserRef
    topologyId: str
    inputType: str


class Division(TypedDict, total=False):
    """A model (division), 002."""

    id: str
    name: str
    description: Optional[str]
    projectId: str
    topologyId: str
    disciplines: List[str]
    status: str
    revisionObjects: List[Revision]
    teamSlug: str
    url: str
    fileType: str
    inputType: str
    created: str
    createdby: UserRef
    changed: str
    changedby: UserRef
    size: int
    sizeMB: str
    importFileName: str
    importFileSize: int


class Discipline(TypedDict, total=False):
    """A discipline (layer) of a model, 002."""

    id: str
    category: str
    name: str
    ifcType: Optional[str]


class BimObject(TypedDict, total=False):
    """An object (003/004): attributes grouped by property set, optional children."""

    id: str
    elementtyp: str
    parent: Optional[str]
    type: str
    layerid: str
    attributes: Dict[str, Dict[str, Any]]
    children: List["BimObject"]


class ComplexProperty(TypedDict, total=False):
    """A node of ``objects/<id>/complexproperties`` (003)."""

    id: str
    parent: str
    name: Optional[str]
    type: Optional[str]
    number: int
    children: List["ComplexProperty"]


class Comment(TypedDict, total=False):
    """A comment of an object (003)."""

    id: str
    issueId: str
    text: str
    createdAt: str
    modifiedAt: str
    author: UserRef


class Attachment(TypedDict, total=False):
    """An attachment of an object (003)."""

    id: str
    objectIds: List[str]
    fileName: str
    type: str
    size: int
    createdAt: str
    creator: UserRef
    changed: str
    changedBy: UserRef
    hash: str
    attachmentType: str
    classification: str
    tag: str
    sizeMB: str
    version: str
    relatedId: str
    rights: Dict[str, bool]


class Hyperlink(TypedDict, total=False):
    """A hyperlink of an object (003)."""

    id: str
    orderNumber: int
    name: str
    url: str
    type: str


class CustomTable(TypedDict, total=False):
    """A custom table of an object (003); ``dataTable`` has columns and rows."""

    id: str
    name: str
    description: str
    relatedId: str
    created: str
    createdBy: UserRef
    changed: str
    changedBy: UserRef
    revision: int
    dataTable: Dict[str, Any]


class Report(TypedDict, total=False):
    """A report entry of an object (003)."""

    id: str
    user: UserRef
    created: str
    version: int
    action: str


class GeometryChunk(TypedDict, total=False):
    """One geometry response or chunk (003, design.md §5)."""

    elementsCount: int
    faceCount: int
    verticesCount: int
    viewbox: Dict[str, float]
    colors: List[int]
    objects: List[Dict[str, Any]]
    templates: List[Dict[str, Any]]
    revision: int


class GeometryProperties(enum.IntFlag):
    """Bits of ``geometries/threejs/properties/{props}`` (003)."""

    FLAT = 0
    TREE = 1
    VIEWER_ATTRIBUTES = 2
    FACE_NORMALS = 4
    TEMPLATES = 8
    MIXED_GEOMETRY = 16


@dataclass(frozen=True)
class Token:
    """An access token from ``POST /v2/authorize``. Its repr hides the token."""

    access_token: str = field(repr=False)
    token_type: str = "BimPlus"
    expires_in: Optional[int] = None
    client_id: Optional[str] = None

    @property
    def header(self) -> str:
        """The ``Authorization`` header value."""
        return f"{self.token_type} {self.access_token}"


@dataclass(frozen=True)
class Conditional:
    """Answer of a HEAD with ``If-None-Match``: ``modified`` False on 304."""

    modified: bool
    etag: Optional[str]

    @property
    def not_modified(self) -> bool:
        """The server answered 304 Not Modified."""
        return not self.modified


@dataclass(frozen=True)
class ExportJob:
    """A Bimplus ``exportasync`` request (000): 202 accepted or 302 already queued."""

    status: int
    location: Optional[str] = None
    body: Any = None

    @property
    def accepted(self) -> bool:
        """A new job was recorded (202)."""
        return self.status == 202

    @property
    def already_queued(self) -> bool:
        """The same export was already waiting in the queue (302)."""
        return self.status == 302


@dataclass(frozen=True)
class ExportRun:
    """An iTwin ExportConnection run (001): created (202), existing (303) or polled (200).

    ``state`` and ``result`` come from the run resource once polled; ``raw``
    holds the whole body.
    """

    connection_id: str
    run_id: Optional[str]
    location: Optional[str]
    status: int
    state: Optional[str] = None
    result: Optional[str] = None
    raw: Dict[str, Any] = field(default_factory=dict)

    @property
    def existing(self) -> bool:
        """An active run already existed (303 See Other)."""
        return self.status == 303

    @property
    def completed(self) -> bool:
        """The run reached state ``Completed``."""
        return (self.state or "").lower() == "completed"
