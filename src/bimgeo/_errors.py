"""The exception tree of bimgeo, drawn once here.

    BimgeoError                    root of everything bimgeo raises on purpose
    ├── DecodeError(ValueError)    malformed input: says what and where
    │   └── LimitError             input exceeds a configured resource limit
    ├── UnsupportedError           well-formed but not supported (compress 2/3, CSG type 7)
    └── api.ApiError               HTTP layer (see bimgeo.api)

``DecodeError`` subclasses ``ValueError`` so that ``except ValueError`` keeps
working for callers that treat bad data generically.
"""
from __future__ import annotations

from typing import Optional

__all__ = ["BimgeoError", "DecodeError", "LimitError", "UnsupportedError"]


class BimgeoError(Exception):
    """Base class of every error bimgeo raises on purpose."""


class DecodeError(BimgeoError, ValueError):
    """Malformed input.

    The message says what was being read; ``offset`` is where it went
    wrong, counted in ``unit``: "byte" (offset in the decoded stream, the
    default), "item" (index into a JSON array such as threejs ``faces``) or
    "face" (polygon index); ``element_id`` names the element when known.
    """

    def __init__(
        self,
        message: str,
        *,
        offset: Optional[int] = None,
        element_id: Optional[str] = None,
        unit: str = "byte",
    ) -> None:
        self.reason = message
        self.offset = offset
        self.element_id = element_id
        self.unit = unit
        parts = [message]
        if offset is not None:
            parts.append(f"at {unit} {offset}")
        if element_id is not None:
            parts.append(f"in element {element_id}")
        super().__init__(" ".join(parts) if len(parts) == 1 else f"{parts[0]} ({', '.join(parts[1:])})")

    def with_element(self, element_id: Optional[str]) -> "DecodeError":
        """Return a copy of this error that names ``element_id``."""
        if element_id is None or self.element_id is not None:
            return self
        err = type(self)(self.reason, offset=self.offset, element_id=element_id, unit=self.unit)
        err.__cause__ = self.__cause__
        return err


class LimitError(DecodeError):
    """The input asks for more than a configured limit allows (see ``bimgeo.Limits``)."""


class UnsupportedError(BimgeoError):
    """Well-formed input in a form bimgeo does not decode (e.g. compress=2, CSG type 7)."""
