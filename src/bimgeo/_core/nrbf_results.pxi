# Result objects: included by nrbf.pyx (after slots.pxi).
#
# Polyhedron, WireInfo, CountArray and Mesh get their __slots__ written in
# place (slots.pxi); if the import-time check fails, by attribute.

cdef enum:
    # slot numbers: Polyhedron, WireInfo, CountArray, Mesh (order of _SLOTTED)
    SP_POINTS = 0
    SP_EDGES
    SP_FACE_EDGES
    SP_FACE_OFFSETS
    SP_RADIUS
    SP_BEND
    SP_PTYPE
    SP_ID
    SP_WIRE
    SW_LIBRARY
    SW_POINTS
    SW_EDGES
    SW_FACES
    SW_FACE_LISTS
    SC_COUNTERS
    SC_VALUES
    SC_COUNTER_META
    SC_VALUE_META
    SM_VERTICES
    SM_FACES
    SM_FACE_SOURCE
    SM_LINES
    SM_RGBA
    SM_ID
    SM_PTYPE
    N_SLOTS

_SLOTTED = [
    (Polyhedron, ("points", "edges", "face_edges", "face_offsets", "radius", "bendingrolle", "polyeder_type", "id",
                  "wire")),
    (WireInfo, ("library", "points", "edges", "faces", "face_lists")),
    (CountArray, ("counters", "values", "counter_meta", "value_meta")),
    (Mesh, ("vertices", "faces", "face_source", "lines", "rgba", "id", "polyeder_type")),
]
_SLOT_NAMES = [name for _, names in _SLOTTED for name in names]
cdef Py_ssize_t _SLOT_OFF[N_SLOTS]
cdef bint _in_place = False


cdef inline void _put(object o, int k, object v) except *:
    """``setattr(o, name of slot k, v)``."""
    if _in_place:
        _put_at(o, _SLOT_OFF[k], v)
    else:
        setattr(o, _SLOT_NAMES[k], v)


_in_place = _slot_offsets(_SLOTTED, _SLOT_OFF, N_SLOTS)


def _slots_in_place():
    """Tests only: whether result objects get their slots written in place (see above)."""
    return _in_place
