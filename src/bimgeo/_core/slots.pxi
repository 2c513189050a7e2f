# Writing the __slots__ of our result classes in place: included by nrbf.pyx
# and threejs.pyx.
#
# Mesh, Polyhedron, Element, ... are plain Python classes with __slots__
# (bimgeo/_model.py, _scene.py; shared with the pure twins). Making one with
# ``cls.__new__(cls)`` and setting its slots by attribute costs more than
# decoding a small element. A slot is a PyObject* at a fixed offset in the
# object, which its member descriptor gives, so the objects are allocated
# as object.__new__ allocates them (tp_alloc) and their slots written in
# place: the same objects the attribute route makes. ``_slot_offsets``
# checks every slot at import (a T_OBJECT_EX member descriptor of that
# class, and a value written in place reads back through getattr); the
# including module falls back to setattr when a check fails.

from cpython.ref cimport PyObject, Py_INCREF, Py_XDECREF

cdef extern from "structmember.h":
    ctypedef struct PyMemberDef:
        int type
        Py_ssize_t offset

cdef extern from "Python.h":
    ctypedef struct PyTypeObject:
        pass
    object PyType_GenericAlloc(PyTypeObject*, Py_ssize_t)
    ctypedef struct PyMemberDescrObject:
        PyMemberDef* d_member


cdef inline object _alloc(object cls):
    """``cls.__new__(cls)`` for these classes: object.__new__ is their tp_alloc."""
    return PyType_GenericAlloc(<PyTypeObject*>cls, 0)


cdef inline void _put_at(object o, Py_ssize_t offset, object v) noexcept:
    """Store ``v`` in the slot at ``offset`` of ``o`` (a new reference; the old value released)."""
    cdef PyObject** p = <PyObject**>((<char*><PyObject*>o) + offset)
    Py_INCREF(v)
    Py_XDECREF(p[0])
    p[0] = <PyObject*>v


cdef bint _slot_offsets(list slotted, Py_ssize_t* offsets, Py_ssize_t n) except -1:
    """Fill ``offsets`` with the slots of ``slotted`` ([(class, names)], in order); False when
    any slot cannot be written in place (then nothing should be)."""
    import types

    cdef Py_ssize_t k = 0
    cdef PyMemberDef* m
    if sum(len(names) for _, names in slotted) != n:
        return False
    for cls, names in slotted:
        for name in names:
            d = cls.__dict__.get(name)
            if type(d) is not types.MemberDescriptorType or d.__objclass__ is not cls:
                return False
            m = (<PyMemberDescrObject*><PyObject*>d).d_member
            if m.type != 16:    # T_OBJECT_EX: a PyObject*, AttributeError when unset
                return False
            offsets[k] = m.offset
            k += 1
    k = 0
    for cls, names in slotted:
        o = _alloc(cls)
        for name in names:
            mark = object()
            _put_at(o, offsets[k], mark)
            if type(o) is not cls or getattr(o, name) is not mark:
                return False
            k += 1
    return True
