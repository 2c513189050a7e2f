# Result objects: included by nrbf.pyx.
#
# Polyhedron, WireInfo, CountArray and Mesh are plain Python classes with
# __slots__ (bimgeo/_model.py, shared with the pure twin). Making one with
# ``cls.__new__(cls)`` and setting its slots by attribute took a tenth of a
# small stream's parse. A slot is a PyObject* at a fixed offset in the
# object, which its member descriptor gives, so the objects are allocated
# as object.__new__ allocates them (tp_alloc) and their slots written in
# place: the same objects the attribute route makes. At import every slot
# is checked (a T_OBJECT_EX member descriptor of that class, and a value
# written in place reads back through getattr); if any check fails, the
# attribute route is used.

from cpython.ref cimport PyObject, Py_XDECREF

cdef extern from "structmember.h":
    ctypedef struct PyMemberDef:
        int type
        Py_ssize_t offset

cdef extern from "Python.h":
    ctypedef struct PyMemberDescrObject:
        PyMemberDef* d_member

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


cdef inline object _alloc(object cls):
    """``cls.__new__(cls)`` for these classes: object.__new__ is their tp_alloc."""
    return PyType_GenericAlloc(<PyTypeObject*>cls, 0)


cdef inline void _put(object o, int k, object v) except *:
    """``setattr(o, name of slot k, v)``."""
    cdef PyObject** p
    if _in_place:
        p = <PyObject**>((<char*><PyObject*>o) + _SLOT_OFF[k])
        Py_INCREF(v)
        Py_XDECREF(p[0])
        p[0] = <PyObject*>v
    else:
        setattr(o, _SLOT_NAMES[k], v)


cdef void _slots_init() except *:
    global _in_place
    import types

    cdef int k = 0
    cdef PyMemberDef* m
    if len(_SLOT_NAMES) != N_SLOTS:
        return
    for cls, names in _SLOTTED:
        for name in names:
            d = cls.__dict__.get(name)
            if type(d) is not types.MemberDescriptorType or d.__objclass__ is not cls:
                return
            m = (<PyMemberDescrObject*><PyObject*>d).d_member
            if m.type != 16:    # T_OBJECT_EX: a PyObject*, AttributeError when unset
                return
            _SLOT_OFF[k] = m.offset
            k += 1
    _in_place = True
    k = 0
    for cls, names in _SLOTTED:
        o = _alloc(cls)
        for name in names:
            mark = object()
            _put(o, k, mark)
            if type(o) is not cls or getattr(o, name) is not mark:
                _in_place = False
                return
            k += 1
_slots_init()


def _slots_in_place():
    """Tests only: whether result objects get their slots written in place (see above)."""
    return _in_place
