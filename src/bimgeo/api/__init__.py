"""bimgeo.api: a small HTTP client for the Bimplus REST API (and the iTwin export API).

    >>> from bimgeo.api import Client                       # doctest: +SKIP
    >>> with Client(team="my-team") as c:                   # token from BIMPLUS_TOKEN
    ...     model = c.models.get(model_id)
    ...     for chunk in c.geometries.iter_chunks(model["topologyId"]):
    ...         ...

``Client`` is synchronous; ``AsyncClient`` is its asyncio twin. Errors are
``ApiError`` subclasses (a ``bimgeo.BimgeoError``); see ``bimgeo.api._errors``
for the tree. Retries, timeouts, the ETag cache and atomic downloads are
described on ``Client`` and ``RetryPolicy``.
"""

from ._client import DEFAULT_BASE_URL, DEFAULT_ITWIN_URL, Answer, AsyncClient, Client
from ._errors import (
    ApiConnectionError,
    ApiError,
    ApiTimeoutError,
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    ErrorDetail,
    ExportError,
    IncompleteResponseError,
    NotFoundError,
    NotReadyError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    UnprocessableEntityError,
)
from ._retry import RetryPolicy, parse_retry_after
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
    GeometryProperties,
    Hyperlink,
    Report,
    Revision,
    Token,
    UserRef,
)

__all__ = [
    "Answer",
    "ApiConnectionError",
    "ApiError",
    "ApiTimeoutError",
    "AsyncClient",
    "Attachment",
    "AuthenticationError",
    "BimObject",
    "Client",
    "Comment",
    "ComplexProperty",
    "Conditional",
    "ConfigurationError",
    "ConflictError",
    "CustomTable",
    "DEFAULT_BASE_URL",
    "DEFAULT_ITWIN_URL",
    "Discipline",
    "Division",
    "ErrorDetail",
    "ExportError",
    "ExportJob",
    "ExportRun",
    "GeometryChunk",
    "GeometryProperties",
    "Hyperlink",
    "IncompleteResponseError",
    "NotFoundError",
    "NotReadyError",
    "PermissionDeniedError",
    "RateLimitError",
    "Report",
    "RetryPolicy",
    "Revision",
    "ServerError",
    "Token",
    "UnprocessableEntityError",
    "UserRef",
    "parse_retry_after",
]
