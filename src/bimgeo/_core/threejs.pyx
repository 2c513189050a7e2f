# cython: language_level=3
"""three.js JSON model format 3 (design.md §4): the compiled core.

Same functions, types, errors and messages as the pure-Python twin
``bimgeo._pure.threejs`` (constants, FaceData and message texts are taken
from there). The hot loops are ``noexcept nogil`` and return error codes;
the Python-level wrappers turn them into DecodeError.

Besides ``decode_faces`` this module has the JSON fast path
``parse_response``: one scan over the response bytes pulls every numeric
array under a key ``vertices``, ``normals`` (float64, parsed exactly as
``json.loads`` + ``float`` would: Clinger's fast path, then Eisel-Lemire,
then CPython's own ``PyOS_string_to_double``; a number past the double
range leaves its array to orjson, which refuses the document as the twin
does) or ``faces`` (int64) straight into numpy pools, leaving a small placeholder string in their place, and
takes a whole ``threejs`` geometry object made only of those arrays and a
flat ``metadata`` the same way; orjson parses the remaining skeleton.
Measured on 2,000 small threejs elements (benchmarks/report.py, load
section): orjson alone takes 0.5x-0.7x ``json.loads``, msgspec the same as
orjson on the skeleton; taking the geometry objects out cut orjson's share
from 1.0 to 0.66 µs per element. ``plain_elements`` then makes the
loader's Elements for plain objects in one loop (see its docstring).

Frames: threejs vertices are world Y up, mm; ``vertices`` arrays are
converted to the internal Z-up frame ((x, y, z) -> (x, -z, y)) during the
scan, see ``ArrayTable.vertices``.
"""
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.ref cimport Py_INCREF, PyObject
from cpython.unicode cimport PyUnicode_GET_LENGTH, PyUnicode_READ_CHAR
from libc.stdint cimport int32_t, int64_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memchr, memcpy, memset

import numpy as np

cimport numpy as cnp

cnp.import_array()

from .._errors import DecodeError
from .._pure import threejs as _twin
from .._pure.threejs import (
    FaceData,
    MAX_UV_LAYERS,
    argb_to_rgba,
    as_items,
    check_arguments,
    face_error,
    geometry_tables,
    matrix_to_zup,
    vertices_to_zup,
)

__all__ = [
    "ArrayTable",
    "FaceData",
    "MAX_UV_LAYERS",
    "argb_to_rgba",
    "decode_faces",
    "decode_geometry",
    "matrix_to_zup",
    "parse_response",
    "plain_elements",
    "vertices_to_zup",
]

include "slots.pxi"

cdef extern from "Python.h":
    double PyOS_string_to_double(const char *s, char **endptr, PyObject *overflow_exception) except? -1.0

cdef extern from *:
    """
    #include <stdint.h>
    static inline void bg_mul64(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo) {
    #if defined(__SIZEOF_INT128__)
        unsigned __int128 r = (unsigned __int128)a * b;
        *hi = (uint64_t)(r >> 64);
        *lo = (uint64_t)r;
    #else
        uint64_t a0 = a & 0xFFFFFFFFu, a1 = a >> 32, b0 = b & 0xFFFFFFFFu, b1 = b >> 32;
        uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
        uint64_t mid = (p00 >> 32) + (p01 & 0xFFFFFFFFu) + (p10 & 0xFFFFFFFFu);
        *lo = (mid << 32) | (p00 & 0xFFFFFFFFu);
        *hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
    #endif
    }
    static inline int bg_clz64(uint64_t x) {
    #if defined(__GNUC__) || defined(__clang__)
        return __builtin_clzll(x);
    #else
        int n = 0;
        while (!(x & 0x8000000000000000ull)) { x <<= 1; n++; }
        return n;
    #endif
    }
    static inline double bg_from_bits(uint64_t b) { double d; memcpy(&d, &b, 8); return d; }
    /* Arithmetic shift right of a possibly negative value (floor division by 2**s). */
    static inline int64_t bg_asr(int64_t v, int s) { return v >= 0 ? (v >> s) : -((-v - 1) >> s) - 1; }
    """
    void bg_mul64(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo) noexcept nogil
    int bg_clz64(uint64_t x) noexcept nogil
    double bg_from_bits(uint64_t b) noexcept nogil
    int64_t bg_asr(int64_t v, int s) noexcept nogil

# Shared constants (one set, from the twin).
cdef int QUAD = _twin.QUAD
cdef int MATERIAL = _twin.MATERIAL
cdef int FACE_UV = _twin.FACE_UV
cdef int VERTEX_UV = _twin.VERTEX_UV
cdef int FACE_NORMAL = _twin.FACE_NORMAL
cdef int VERTEX_NORMAL = _twin.VERTEX_NORMAL
cdef int FACE_COLOR = _twin.FACE_COLOR
cdef int VERTEX_COLOR = _twin.VERTEX_COLOR
cdef int64_t KNOWN_FLAGS = _twin.KNOWN_FLAGS
cdef int E_OK = _twin.E_OK
cdef int E_FLAGS = _twin.E_FLAGS
cdef int E_TRUNCATED = _twin.E_TRUNCATED
cdef int E_INDEX = _twin.E_INDEX
cdef int E_NOMEM = 100
cdef int T_VERTEX = _twin.T_VERTEX
cdef int T_MATERIAL = _twin.T_MATERIAL
cdef int T_UV = _twin.T_UV
cdef int T_NORMAL = _twin.T_NORMAL
cdef int T_COLOR = _twin.T_COLOR


# ---------------------------------------------------------------------------
# decode_faces
# ---------------------------------------------------------------------------

cdef struct FaceOut:
    uint32_t *tris
    int32_t *src
    int32_t *mat
    int32_t *face_uv      # f_max * layers
    int32_t *vertex_uv    # f_max * 4 * layers
    int32_t *face_normal  # f_max
    int32_t *vertex_normal  # f_max * 4
    int32_t *face_color   # f_max
    int32_t *vertex_color  # f_max * 4
    Py_ssize_t m
    Py_ssize_t f
    Py_ssize_t f_max
    # error
    int code
    Py_ssize_t offset
    Py_ssize_t start
    int64_t value
    int table
    int64_t limit


cdef inline int32_t *_lazy(int32_t **slot, Py_ssize_t count) noexcept nogil:
    """Allocate an attribute buffer on first use, every entry -1."""
    if slot[0] == NULL:
        slot[0] = <int32_t *>malloc(max(count, 1) * sizeof(int32_t))
        if slot[0] != NULL:
            memset(slot[0], 0xFF, max(count, 1) * sizeof(int32_t))
    return slot[0]


cdef inline bint _bad(FaceOut *o, const int64_t *d, Py_ssize_t at, Py_ssize_t start, int64_t limit, int table) noexcept nogil:
    cdef int64_t v = d[at]
    if v < 0 or v >= limit:
        o.code = E_INDEX
        o.offset = at
        o.start = start
        o.value = v
        o.table = table
        o.limit = limit
        return True
    return False


cdef int _decode_faces(
    const int64_t *d, Py_ssize_t n, int64_t nvert, Py_ssize_t layers, int64_t nnorm, int64_t ncol,
    int64_t nmat, const int64_t *nuvs, FaceOut *o,
) noexcept nogil:
    cdef Py_ssize_t pos = 0, start, need, j, i, f = 0, m = 0
    cdef int64_t flag
    cdef int nv
    cdef int64_t v[4]
    cdef int32_t mt
    cdef int32_t *buf
    while pos < n:
        start = pos
        flag = d[pos]
        if flag < 0 or (flag & ~KNOWN_FLAGS) != 0:
            o.code = E_FLAGS
            o.offset = start
            o.start = start
            o.value = flag
            return E_FLAGS
        nv = 4 if (flag & QUAD) else 3
        need = 1 + nv
        if flag & MATERIAL:
            need += 1
        if flag & FACE_UV:
            need += layers
        if flag & VERTEX_UV:
            need += layers * nv
        if flag & FACE_NORMAL:
            need += 1
        if flag & VERTEX_NORMAL:
            need += nv
        if flag & FACE_COLOR:
            need += 1
        if flag & VERTEX_COLOR:
            need += nv
        if need > n - pos:
            o.code = E_TRUNCATED
            o.offset = start
            o.start = start
            o.value = need
            o.limit = n - pos
            return E_TRUNCATED
        pos += 1
        for j in range(nv):
            if _bad(o, d, pos, start, nvert, T_VERTEX):
                return E_INDEX
            v[j] = d[pos]
            pos += 1
        mt = -1
        if flag & MATERIAL:
            if _bad(o, d, pos, start, nmat, T_MATERIAL):
                return E_INDEX
            mt = <int32_t>d[pos]
            pos += 1
        if flag & FACE_UV:
            buf = _lazy(&o.face_uv, o.f_max * layers)
            if buf == NULL:
                o.code = E_NOMEM
                return E_NOMEM
            for i in range(layers):
                if _bad(o, d, pos, start, nuvs[i], T_UV):
                    return E_INDEX
                buf[f * layers + i] = <int32_t>d[pos]
                pos += 1
        if flag & VERTEX_UV:
            buf = _lazy(&o.vertex_uv, o.f_max * 4 * layers)
            if buf == NULL:
                o.code = E_NOMEM
                return E_NOMEM
            for i in range(layers):
                for j in range(nv):
                    if _bad(o, d, pos, start, nuvs[i], T_UV):
                        return E_INDEX
                    buf[(f * 4 + j) * layers + i] = <int32_t>d[pos]
                    pos += 1
        if flag & FACE_NORMAL:
            buf = _lazy(&o.face_normal, o.f_max)
            if buf == NULL:
                o.code = E_NOMEM
                return E_NOMEM
            if _bad(o, d, pos, start, nnorm, T_NORMAL):
                return E_INDEX
            buf[f] = <int32_t>d[pos]
            pos += 1
        if flag & VERTEX_NORMAL:
            buf = _lazy(&o.vertex_normal, o.f_max * 4)
            if buf == NULL:
                o.code = E_NOMEM
                return E_NOMEM
            for j in range(nv):
                if _bad(o, d, pos, start, nnorm, T_NORMAL):
                    return E_INDEX
                buf[f * 4 + j] = <int32_t>d[pos]
                pos += 1
        if flag & FACE_COLOR:
            buf = _lazy(&o.face_color, o.f_max)
            if buf == NULL:
                o.code = E_NOMEM
                return E_NOMEM
            if _bad(o, d, pos, start, ncol, T_COLOR):
                return E_INDEX
            buf[f] = <int32_t>d[pos]
            pos += 1
        if flag & VERTEX_COLOR:
            buf = _lazy(&o.vertex_color, o.f_max * 4)
            if buf == NULL:
                o.code = E_NOMEM
                return E_NOMEM
            for j in range(nv):
                if _bad(o, d, pos, start, ncol, T_COLOR):
                    return E_INDEX
                buf[f * 4 + j] = <int32_t>d[pos]
                pos += 1
        if nv == 4:
            o.tris[3 * m] = <uint32_t>v[0]
            o.tris[3 * m + 1] = <uint32_t>v[1]
            o.tris[3 * m + 2] = <uint32_t>v[3]
            o.tris[3 * m + 3] = <uint32_t>v[1]
            o.tris[3 * m + 4] = <uint32_t>v[2]
            o.tris[3 * m + 5] = <uint32_t>v[3]
            o.src[m] = <int32_t>f
            o.src[m + 1] = <int32_t>f
            o.mat[m] = mt
            o.mat[m + 1] = mt
            m += 2
        else:
            o.tris[3 * m] = <uint32_t>v[0]
            o.tris[3 * m + 1] = <uint32_t>v[1]
            o.tris[3 * m + 2] = <uint32_t>v[2]
            o.src[m] = <int32_t>f
            o.mat[m] = mt
            m += 1
        f += 1
    o.m = m
    o.f = f
    return E_OK


cdef object _take(int32_t *buf, Py_ssize_t count, tuple shape):
    """A numpy int32 copy of a lazily allocated attribute buffer, or None."""
    if buf == NULL:
        return None
    cdef cnp.ndarray out = np.empty(shape, dtype=np.int32)
    if count > 0:
        memcpy(cnp.PyArray_DATA(out), buf, count * sizeof(int32_t))
    return out


cdef void _free_out(FaceOut *o) noexcept nogil:
    free(o.tris)
    free(o.src)
    free(o.mat)
    free(o.face_uv)
    free(o.vertex_uv)
    free(o.face_normal)
    free(o.vertex_normal)
    free(o.face_color)
    free(o.vertex_color)


def decode_faces(
    faces,
    n_vertices,
    *,
    n_uv_layers=1,
    n_normals=None,
    n_colors=None,
    n_materials=None,
    n_uvs=None,
    element_id=None,
):
    """Decode a threejs format-3 ``faces`` stream in one pass (design.md §4).

    faces: the flat stream (list or integer array; an int64 array is used
    without a copy): per face a flag word, then per set bit its items (bit 0
    quad; 1 material; 2 face UV per layer; 3 vertex UVs per layer; 4 face
    normal; 5 vertex normals; 6 face colour; 7 vertex colours).
    n_vertices: vertex count; every vertex index is checked against it.
    n_normals, n_colors, n_materials, n_uvs (one size or one per layer):
    the other tables; None = only checked to be a non-negative int32.
    n_uv_layers: how many times UV items repeat.

    Returns FaceData (see ``bimgeo._pure.threejs.FaceData``): triangles
    (m, 3) uint32 with quads split (a, b, d) + (b, c, d), face_source and
    material (m,) int32, per-face attribute indices or None. Raises
    DecodeError naming the item offset and ``element_id``.
    """
    cdef cnp.ndarray items = faces if _is_items(faces) else as_items(faces, element_id)
    if (n_uv_layers == 1 and n_normals is None and n_colors is None and n_materials is None and n_uvs is None
            and type(n_vertices) is int and 0 <= n_vertices <= ANY_INDEX):
        return _faces_plain(items, n_vertices, element_id)
    nvert, layers, nnorm, ncol, nmat, uvs = check_arguments(
        n_vertices, n_uv_layers, n_normals, n_colors, n_materials, n_uvs, element_id
    )
    return _faces(items, nvert, layers, nnorm, ncol, nmat, uvs, element_id)


# A table size that admits every int32 index: what an absent table is
# checked against (the twin's INDEX_MAX + 1).
cdef int64_t ANY_INDEX = _twin.INDEX_MAX + 1
_NO_UVS = (ANY_INDEX,)


cdef inline bint _is_items(object faces):
    """An int64, 1-D, C-contiguous array: a faces stream ``_faces`` takes as it is."""
    return (type(faces) is np.ndarray and cnp.PyArray_TYPE(faces) == cnp.NPY_INT64
            and cnp.PyArray_NDIM(faces) == 1 and cnp.PyArray_IS_C_CONTIGUOUS(faces))


cdef object _faces_plain(cnp.ndarray items, int64_t n_vertices, object element_id):
    """``_faces`` with no normal, colour, material or UV tables (n_vertices in [0, ANY_INDEX])."""
    return _faces(items, n_vertices, 1, ANY_INDEX, ANY_INDEX, ANY_INDEX, _NO_UVS, element_id)


cdef object _faces(cnp.ndarray items, int64_t c_nvert, Py_ssize_t L, int64_t c_nnorm, int64_t c_ncol,
                   int64_t c_nmat, object uvs, object element_id):
    """``decode_faces`` on checked arguments: items a C-contiguous int64 array."""
    cdef Py_ssize_t n = cnp.PyArray_DIM(items, 0)
    cdef Py_ssize_t m_max = (2 * n) // 5 + 2
    cdef int64_t uv_buf[1]
    cdef int64_t *c_uvs = uv_buf
    cdef Py_ssize_t i
    cdef const int64_t *data = <const int64_t *>cnp.PyArray_DATA(items)
    cdef FaceOut o
    cdef int code
    cdef cnp.npy_intp dims[2]
    memset(&o, 0, sizeof(FaceOut))
    o.f_max = n // 4 + 1
    if L > 1:
        c_uvs = <int64_t *>malloc(L * sizeof(int64_t))
        if c_uvs == NULL:
            raise MemoryError()
    try:
        for i in range(L):
            c_uvs[i] = uvs[i]
        o.tris = <uint32_t *>malloc(3 * m_max * sizeof(uint32_t))
        o.src = <int32_t *>malloc(m_max * sizeof(int32_t))
        o.mat = <int32_t *>malloc(m_max * sizeof(int32_t))
        if o.tris == NULL or o.src == NULL or o.mat == NULL:
            raise MemoryError()
        with nogil:
            code = _decode_faces(data, n, c_nvert, L, c_nnorm, c_ncol, c_nmat, c_uvs, &o)
        if code == E_NOMEM:
            raise MemoryError()
        if code != E_OK:
            raise face_error(code, o.offset, o.start, o.value, o.table, o.limit, element_id)
        dims[0] = o.m
        dims[1] = 3
        tris = cnp.PyArray_EMPTY(2, dims, cnp.NPY_UINT32, 0)
        src = cnp.PyArray_EMPTY(1, dims, cnp.NPY_INT32, 0)
        mat = cnp.PyArray_EMPTY(1, dims, cnp.NPY_INT32, 0)
        if o.m > 0:
            memcpy(cnp.PyArray_DATA(tris), o.tris, 3 * o.m * sizeof(uint32_t))
            memcpy(cnp.PyArray_DATA(src), o.src, o.m * sizeof(int32_t))
            memcpy(cnp.PyArray_DATA(mat), o.mat, o.m * sizeof(int32_t))
        f = o.f
        return FaceData(
            tris,
            src,
            mat,
            f,
            _take(o.face_uv, f * L, (f, L)),
            _take(o.vertex_uv, f * 4 * L, (f, 4, L)),
            _take(o.face_normal, f, (f,)),
            _take(o.vertex_normal, f * 4, (f, 4)),
            _take(o.face_color, f, (f,)),
            _take(o.vertex_color, f * 4, (f, 4)),
        )
    finally:
        _free_out(&o)
        if c_uvs != uv_buf:
            free(c_uvs)


# ---------------------------------------------------------------------------
# JSON fast path
# ---------------------------------------------------------------------------

# Eisel-Lemire table: 128-bit mantissas of 10**q, rounded down, q in [-348, 347].
cdef enum:
    POW10_MIN = -348
    POW10_MAX = 347
cdef uint64_t POW10_HI[POW10_MAX - POW10_MIN + 1]
cdef uint64_t POW10_LO[POW10_MAX - POW10_MIN + 1]
cdef double EXACT_POW10[23]


def _init_tables():
    cdef int k
    mask = (1 << 64) - 1
    for q in range(int(POW10_MIN), int(POW10_MAX) + 1):
        if q >= 0:
            v = 5 ** q
            b = v.bit_length()
            t = v >> (b - 128) if b >= 128 else v << (128 - b)
        else:
            p = 5 ** (-q)
            t = (1 << (p.bit_length() + 127)) // p
        POW10_HI[q + 348] = t >> 64
        POW10_LO[q + 348] = t & mask
    for k in range(23):
        EXACT_POW10[k] = float(10 ** k)


_init_tables()


cdef inline bint _eisel_lemire(uint64_t man, int64_t exp10, bint neg, double *out) noexcept nogil:
    """Correctly rounded man * 10**exp10, or False when undecided (Go's strconv algorithm)."""
    cdef uint64_t xhi, xlo, yhi, ylo, mhi, mlo, ret_man, msb, ret_exp2, bits
    cdef int clz
    if man == 0:
        out[0] = -0.0 if neg else 0.0
        return True
    if exp10 < POW10_MIN or exp10 > POW10_MAX:
        return False
    clz = bg_clz64(man)
    man <<= clz
    ret_exp2 = <uint64_t>(bg_asr(217706 * exp10, 16) + 64 + 1023) - <uint64_t>clz
    bg_mul64(man, POW10_HI[exp10 - POW10_MIN], &xhi, &xlo)
    if (xhi & 0x1FF) == 0x1FF and xlo + man < man:
        bg_mul64(man, POW10_LO[exp10 - POW10_MIN], &yhi, &ylo)
        mhi = xhi
        mlo = xlo + yhi
        if mlo < xlo:
            mhi += 1
        if (mhi & 0x1FF) == 0x1FF and mlo + 1 == 0 and ylo + man < man:
            return False
        xhi = mhi
        xlo = mlo
    msb = xhi >> 63
    ret_man = xhi >> (msb + 9)
    ret_exp2 -= 1 ^ msb
    if xlo == 0 and (xhi & 0x1FF) == 0 and (ret_man & 3) == 1:
        return False
    ret_man += ret_man & 1
    ret_man >>= 1
    if (ret_man >> 53) > 0:
        ret_man >>= 1
        ret_exp2 += 1
    if ret_exp2 - 1 >= 0x7FF - 1:
        return False
    bits = (ret_exp2 << 52) | (ret_man & 0x000FFFFFFFFFFFFFULL)
    if neg:
        bits |= 0x8000000000000000ULL
    out[0] = bg_from_bits(bits)
    return True


cdef double _slow_double(const char *s, Py_ssize_t length, bint *ok) noexcept nogil:
    """CPython's own string -> double for the rare numbers the fast paths leave undecided."""
    cdef char local[128]
    cdef char *text = local
    cdef double r = 0.0
    if length >= 127:
        text = <char *>malloc(length + 1)
        if text == NULL:
            ok[0] = False
            return 0.0
    memcpy(text, s, length)
    text[length] = 0
    with gil:
        try:
            r = PyOS_string_to_double(text, NULL, NULL)
            ok[0] = True
        except Exception:
            ok[0] = False
    if text != local:
        free(text)
    return r


cdef inline Py_ssize_t _parse_double(const char *b, Py_ssize_t i, double *out) noexcept nogil:
    """Parse one strict JSON number at b[i:]; return the index after it, or -1.

    The value equals float(json.loads(text)) bit for bit (an integer
    literal, even -0, converts as Python's int -> float does). The text
    must end with a NUL (a bytes object's buffer does): the loops stop
    there, so they need no length.
    """
    cdef Py_ssize_t start = i, digits = 0
    cdef bint neg = False, integral = True, exact
    cdef uint64_t man = 0
    cdef int64_t exp10 = 0, e = 0
    cdef bint eneg = False, ok
    cdef char c
    cdef double d
    if b[i] == b'-':
        neg = True
        i += 1
    c = b[i]
    if c == b'0':
        i += 1
    elif b'1' <= c <= b'9':
        while b'0' <= b[i] <= b'9':
            if digits < 19:
                man = man * 10 + <uint64_t>(b[i] - 48)
            else:
                exp10 += 1
            digits += 1
            i += 1
    else:
        return -1
    if b[i] == b'.':
        integral = False
        i += 1
        if not (b'0' <= b[i] <= b'9'):
            return -1
        while b'0' <= b[i] <= b'9':
            if digits < 19:
                if man != 0 or b[i] != b'0':
                    man = man * 10 + <uint64_t>(b[i] - 48)
                    digits += 1
                exp10 -= 1
            else:
                digits += 1
            i += 1
    if b[i] == b'e' or b[i] == b'E':
        integral = False
        i += 1
        if b[i] == b'+' or b[i] == b'-':
            eneg = b[i] == b'-'
            i += 1
        if not (b'0' <= b[i] <= b'9'):
            return -1
        while b'0' <= b[i] <= b'9':
            if e < 100000:
                e = e * 10 + (b[i] - 48)
            i += 1
        exp10 += -e if eneg else e
    if integral and man == 0:
        out[0] = 0.0  # json.loads gives int 0 for "-0": float(0) is +0.0
        return i
    if digits <= 19:
        # Clinger: both operands exact, one correctly rounded operation.
        if man <= 9007199254740992ULL and -22 <= exp10 <= 22:
            d = <double>man
            if exp10 < 0:
                d = d / EXACT_POW10[-exp10]
            else:
                d = d * EXACT_POW10[exp10]
            out[0] = -d if neg else d
            return i
        if _eisel_lemire(man, exp10, neg, out):
            return i
    d = _slow_double(b + start, i - start, &ok)
    if not ok:
        return -1
    out[0] = d
    return i


cdef inline Py_ssize_t _parse_int(const char *b, Py_ssize_t i, int64_t *out) noexcept nogil:
    """Parse one JSON integer (no fraction or exponent) fitting int64; -1 otherwise.
    The text must end with a NUL (see _parse_double)."""
    cdef bint neg = False
    cdef uint64_t v = 0
    if b[i] == b'-':
        neg = True
        i += 1
    if b[i] == b'0':
        i += 1
    elif b'1' <= b[i] <= b'9':
        while b'0' <= b[i] <= b'9':
            if v > (<uint64_t>9223372036854775807ULL - <uint64_t>(b[i] - 48)) // 10:
                return -1  # beyond int64: leave it to the generic parser
            v = v * 10 + <uint64_t>(b[i] - 48)
            i += 1
    else:
        return -1
    if b[i] == b'.' or b[i] == b'e' or b[i] == b'E':
        return -1
    out[0] = -<int64_t>v if neg else <int64_t>v
    return i


cdef struct Pool:
    char *data
    Py_ssize_t count
    Py_ssize_t cap
    Py_ssize_t itemsize


cdef bint _reserve(Pool *p, Py_ssize_t extra) noexcept nogil:
    cdef Py_ssize_t cap
    cdef char *nd
    if p.count + extra <= p.cap:
        return True
    cap = max(p.cap * 2, p.count + extra, 1024)
    nd = <char *>realloc(p.data, cap * p.itemsize)
    if nd == NULL:
        return False
    p.data = nd
    p.cap = cap
    return True


# Kinds of extracted arrays.
cdef enum:
    K_VERTICES = 0   # float64, converted to Z up in place
    K_NORMALS = 1    # float64, as on the wire
    K_FACES = 2      # int64
    K_THREEJS = 3    # not an array: a whole threejs geometry object (see _parse_geometry)
    MIN_ARRAY_TEXT = 24  # smaller arrays stay in the skeleton (placeholder would not be shorter)

# A geometry row (int64): rows of its vertices, faces and normals (-1 when
# absent), whether metadata.colorid is an integer, its value, the span of
# the metadata object in the text (-1 when absent), the key order (base 8,
# last key in the lowest digit: 1 vertices, 2 faces, 3 normals, 4 metadata).
cdef enum:
    G_VERTICES = 0
    G_FACES = 1
    G_NORMALS = 2
    G_HAS_COLORID = 3
    G_COLORID = 4
    G_META_START = 5
    G_META_END = 6
    G_ORDER = 7
    G_FIELDS = 8
    KEY_METADATA = 3  # key ids: G_VERTICES, G_FACES, G_NORMALS (their row's field), then metadata

_GEOMETRY_KEYS = ("vertices", "faces", "normals", "metadata")


cdef struct Scan:
    Pool pools[3]  # by kind: vertices (float64), normals (float64), faces (int64)
    Pool table   # int64 triples: kind, start, count
    Pool geoms   # int64 geometry rows of G_FIELDS
    Pool out     # skeleton bytes
    int code
    bint geometries  # take whole threejs geometry objects (tests switch it off: _geometry_objects)


cdef inline Py_ssize_t _skip_ws(const char *b, Py_ssize_t i, Py_ssize_t n) noexcept nogil:
    """First non-whitespace index from i (b[n] is a NUL sentinel, so at most n).

    Runs of spaces (the indentation of pretty-printed responses: a newline
    and a few dozen spaces before every number) go eight bytes at a time.
    """
    cdef uint64_t w
    while True:
        if b[i] == b' ':
            while i + 8 <= n:
                memcpy(&w, b + i, 8)
                if w != 0x2020202020202020ULL:
                    break
                i += 8
            while b[i] == b' ':
                i += 1
        elif b[i] == b'\n' or b[i] == b'\r' or b[i] == b'\t':
            i += 1
        else:
            return i


cdef Py_ssize_t _parse_array(const char *b, Py_ssize_t i, Py_ssize_t n, int kind, Scan *s) noexcept nogil:
    """Parse a flat numeric JSON array starting at b[i] == '['; index after ']' or -1 (nothing kept)."""
    cdef Pool *p = &s.pools[kind]
    cdef Py_ssize_t start_count = p.count, j, k, cnt
    cdef double *dv
    cdef double y
    i = _skip_ws(b, i + 1, n)
    if b[i] == b']':
        return i + 1
    while True:
        if p.count >= p.cap and not _reserve(p, 1):
            s.code = E_NOMEM
            p.count = start_count
            return -1
        if kind == K_FACES:
            i = _parse_int(b, i, (<int64_t *>p.data) + p.count)
        else:
            i = _parse_double(b, i, (<double *>p.data) + p.count)
            if i >= 0 and (<double *>p.data)[p.count] - (<double *>p.data)[p.count] != 0.0:
                i = -1  # past the double range (1e400): orjson refuses the document, as the twin does
        if i < 0:
            p.count = start_count
            return -1
        p.count += 1
        i = _skip_ws(b, i, n)
        if b[i] == b',':
            i = _skip_ws(b, i + 1, n)
            continue
        if b[i] == b']':
            break
        p.count = start_count
        return -1
    if kind == K_VERTICES:
        cnt = p.count - start_count
        if cnt % 3 == 0:
            dv = (<double *>p.data) + start_count
            k = 0
            while k < cnt:
                y = dv[k + 1]
                dv[k + 1] = -dv[k + 2]
                dv[k + 2] = y
                k += 3
    return i + 1


cdef inline int _key_kind(const char *b, Py_ssize_t s, Py_ssize_t e) noexcept nogil:
    """Kind of the key b[s:e] (without quotes), or -1."""
    cdef Py_ssize_t length = e - s
    if length == 8 and b[s] == b'v' and b[s + 1] == b'e' and b[s + 2] == b'r' and b[s + 3] == b't' \
            and b[s + 4] == b'i' and b[s + 5] == b'c' and b[s + 6] == b'e' and b[s + 7] == b's':
        return K_VERTICES
    if length == 5 and b[s] == b'f' and b[s + 1] == b'a' and b[s + 2] == b'c' and b[s + 3] == b'e' \
            and b[s + 4] == b's':
        return K_FACES
    if length == 7 and b[s] == b'n' and b[s + 1] == b'o' and b[s + 2] == b'r' and b[s + 3] == b'm' \
            and b[s + 4] == b'a' and b[s + 5] == b'l' and b[s + 6] == b's':
        return K_NORMALS
    if length == 7 and b[s] == b't' and b[s + 1] == b'h' and b[s + 2] == b'r' and b[s + 3] == b'e' \
            and b[s + 4] == b'e' and b[s + 5] == b'j' and b[s + 6] == b's':
        return K_THREEJS
    return -1


cdef bint _emit(Scan *s, const char *src, Py_ssize_t length) noexcept nogil:
    if not _reserve(&s.out, length):
        s.code = E_NOMEM
        return False
    if length > 0:  # memcpy from NULL is undefined even for 0 bytes (UBSan)
        memcpy(s.out.data + s.out.count, src, length)
    s.out.count += length
    return True


cdef bint _has_nul_escape(const char *b, Py_ssize_t n) noexcept nogil:
    """True when the text holds the escape \\u0000 (then placeholders could be forged)."""
    cdef const char *p = b
    cdef const char *end = b + n
    while p < end:
        p = <const char *>memchr(p, 92, end - p)  # backslash
        if p == NULL:
            return False
        if end - p >= 6 and p[1] == b'u' and p[2] == b'0' and p[3] == b'0' and p[4] == b'0' and p[5] == b'0':
            return True
        p += 2
    return False


cdef inline Py_ssize_t _string_end(const char *b, Py_ssize_t ks, Py_ssize_t n) noexcept nogil:
    """Index of the quote closing the JSON string whose text starts at b[ks], or n.

    A quote closes it unless an odd run of backslashes (counted back to
    ks) escapes it: the same quote a walk that skips the character after
    each backslash stops at.
    """
    cdef const char *q
    cdef Py_ssize_t j = ks, k
    while j < n:
        q = <const char *>memchr(b + j, 34, n - j)  # '"'
        if q == NULL:
            return n
        j = q - b
        k = j
        while k > ks and b[k - 1] == b'\\':
            k -= 1
        if (j - k) % 2 == 0:
            return j
        j += 1
    return n


cdef int _scan(const char *b, Py_ssize_t n, Scan *s) noexcept nogil:
    cdef Py_ssize_t i = 0, copied = 0, ks, ke, j, q, start
    cdef int kind
    cdef char tag
    cdef const char *hit
    cdef int64_t idx
    while i < n:
        hit = <const char *>memchr(b + i, 34, n - i)  # '"'
        if hit == NULL:
            break
        ks = (hit - b) + 1
        j = _string_end(b, ks, n)
        if j >= n:
            break  # unterminated string: orjson reports it
        ke = j
        i = ke + 1
        kind = _key_kind(b, ks, ke)
        if kind < 0:
            continue
        j = _skip_ws(b, i, n)
        if b[j] != b':':
            continue
        j = _skip_ws(b, j + 1, n)
        if kind == K_THREEJS:
            if b[j] != b'{' or not s.geometries:
                continue
            q = _parse_geometry(b, j, n, s)
            if s.code != E_OK:
                return s.code
            if q < 0:
                continue  # not one we take whole: the scan goes on inside it
            idx = s.geoms.count // G_FIELDS - 1
            tag = b'g'
        else:
            if b[j] != b'[':
                continue
            start = s.pools[kind].count
            q = _parse_array(b, j, n, kind, s)
            if s.code != E_OK:
                return s.code
            if q < 0:
                continue
            if q - j < MIN_ARRAY_TEXT:
                # Too small to be worth a placeholder: drop what was parsed.
                s.pools[kind].count = start
                i = q
                continue
            idx = _add_row(s, kind, start, s.pools[kind].count - start)
            if idx < 0:
                return E_NOMEM
            tag = 0
        # skeleton: everything up to the value, then its placeholder
        if not _emit(s, b + copied, j - copied) or not _emit_placeholder(s, tag, idx):
            return E_NOMEM
        copied = q
        i = q
    if not _emit(s, b + copied, n - copied):
        return E_NOMEM
    return E_OK


cdef int64_t _add_row(Scan *s, int kind, Py_ssize_t start, Py_ssize_t count) noexcept nogil:
    """Append an array row (kind, start, count); its index, or -1 (s.code = E_NOMEM)."""
    cdef int64_t *row
    if not _reserve(&s.table, 3):
        s.code = E_NOMEM
        return -1
    row = (<int64_t *>s.table.data) + s.table.count
    row[0] = kind
    row[1] = start
    row[2] = count
    s.table.count += 3
    return s.table.count // 3 - 1


cdef bint _emit_placeholder(Scan *s, char tag, int64_t idx) noexcept nogil:
    """Emit the placeholder string "\\u0000<tag><idx>" (tag 0: none; ArrayTable reads it back)."""
    cdef char ph[40]
    cdef int length = 7, first, k
    cdef char tch
    ph[0] = 34
    ph[1] = 92
    ph[2] = b'u'
    ph[3] = b'0'
    ph[4] = b'0'
    ph[5] = b'0'
    ph[6] = b'0'
    if tag != 0:
        ph[length] = tag
        length += 1
    first = length
    while True:  # decimal digits of idx, reversed into place
        ph[length] = <char>(48 + idx % 10)
        idx //= 10
        length += 1
        if idx == 0:
            break
    for k in range((length - first) // 2):
        tch = ph[first + k]
        ph[first + k] = ph[length - 1 - k]
        ph[length - 1 - k] = tch
    ph[length] = 34
    return _emit(s, ph, length + 1)


cdef inline Py_ssize_t _plain_key(const char *b, Py_ssize_t i, Py_ssize_t *ke) noexcept nogil:
    """A key at b[i] == '"' made only of ASCII letters, digits and '_' (so no escape and nothing to
    validate as UTF-8): index after its closing quote (its text is b[i + 1:ke[0]]), or -1."""
    cdef char c
    if b[i] != b'"':
        return -1
    i += 1
    while True:
        c = b[i]
        if c == b'"':
            ke[0] = i
            return i + 1
        if not ((b'a' <= c <= b'z') or (b'A' <= c <= b'Z') or (b'0' <= c <= b'9') or c == b'_'):
            return -1
        i += 1


cdef inline bint _is_literal(const char *b, Py_ssize_t i, const char *word, Py_ssize_t length) noexcept nogil:
    cdef Py_ssize_t k
    for k in range(length):
        if b[i + k] != word[k]:  # stops at the sentinel: no word holds a NUL
            return False
    return True


cdef Py_ssize_t _parse_metadata(const char *b, Py_ssize_t i, Py_ssize_t n, int64_t *g) noexcept nogil:
    """A flat JSON object at b[i] == '{' whose values are numbers, true, false or null, and whose
    ``colorid`` (at most once) is an integer or null: index after its '}', or -1. Sets
    G_HAS_COLORID / G_COLORID."""
    cdef Py_ssize_t ks, ke = 0, q
    cdef double ignored
    cdef int64_t value
    cdef bint seen_colorid = False, colorid
    i = _skip_ws(b, i + 1, n)
    if b[i] == b'}':
        return i + 1
    while True:
        ks = i + 1
        i = _plain_key(b, i, &ke)
        if i < 0:
            return -1
        colorid = ke - ks == 7 and _is_literal(b, ks, "colorid", 7)
        if colorid:
            if seen_colorid:
                return -1  # a repeated colorid: the last one counts, leave it to the general parser
            seen_colorid = True
        i = _skip_ws(b, i, n)
        if b[i] != b':':
            return -1
        i = _skip_ws(b, i + 1, n)
        if b[i] == b'n' and _is_literal(b, i, "null", 4):
            i += 4
        elif colorid:
            q = _parse_int(b, i, &value)
            if q < 0:
                return -1
            g[G_HAS_COLORID] = 1
            g[G_COLORID] = value
            i = q
        elif b[i] == b't' and _is_literal(b, i, "true", 4):
            i += 4
        elif b[i] == b'f' and _is_literal(b, i, "false", 5):
            i += 5
        else:
            q = _parse_double(b, i, &ignored)
            if q < 0 or ignored - ignored != 0.0:
                return -1  # orjson refuses numbers past the double range: let it say so
            i = q
        i = _skip_ws(b, i, n)
        if b[i] == b',':
            i = _skip_ws(b, i + 1, n)
            continue
        if b[i] == b'}':
            return i + 1
        return -1


cdef Py_ssize_t _parse_geometry(const char *b, Py_ssize_t i, Py_ssize_t n, Scan *s) noexcept nogil:
    """A threejs geometry object at b[i] == '{' made only of ``vertices``, ``faces``, optional
    ``normals`` (numeric arrays) and an optional flat ``metadata`` object (_parse_metadata), each key
    at most once: its arrays become rows, the object a geometry row, and the index after its '}'
    is returned. Anything else returns -1 and keeps nothing (s.code = E_NOMEM when out of memory):
    the object is then left to orjson, its arrays to the ordinary scan."""
    cdef Py_ssize_t saved[4]
    cdef Py_ssize_t ks, ke = 0, q, start
    cdef int64_t g[G_FIELDS]
    cdef int64_t row
    cdef int key, seen = 0, kind
    saved[0] = s.pools[0].count
    saved[1] = s.pools[1].count
    saved[2] = s.pools[2].count
    saved[3] = s.table.count
    g[G_VERTICES] = -1
    g[G_FACES] = -1
    g[G_NORMALS] = -1
    g[G_HAS_COLORID] = 0
    g[G_COLORID] = 0
    g[G_META_START] = -1
    g[G_META_END] = -1
    g[G_ORDER] = 0
    i = _skip_ws(b, i + 1, n)
    while True:
        ks = i + 1
        i = _plain_key(b, i, &ke)
        if i < 0:
            break
        key = -1
        if ke - ks == 8 and _is_literal(b, ks, "vertices", 8):
            key = G_VERTICES
        elif ke - ks == 5 and _is_literal(b, ks, "faces", 5):
            key = G_FACES
        elif ke - ks == 7 and _is_literal(b, ks, "normals", 7):
            key = G_NORMALS
        elif ke - ks == 8 and _is_literal(b, ks, "metadata", 8):
            key = KEY_METADATA
        if key < 0 or seen & (1 << key):
            break
        seen |= 1 << key
        g[G_ORDER] = g[G_ORDER] * 8 + key + 1
        i = _skip_ws(b, i, n)
        if b[i] != b':':
            break
        i = _skip_ws(b, i + 1, n)
        if key == KEY_METADATA:
            if b[i] != b'{':
                break
            q = _parse_metadata(b, i, n, g)
            if q < 0:
                break
            g[G_META_START] = i
            g[G_META_END] = q
        else:
            kind = K_VERTICES if key == G_VERTICES else (K_FACES if key == G_FACES else K_NORMALS)
            if b[i] != b'[':
                break
            start = s.pools[kind].count
            q = _parse_array(b, i, n, kind, s)
            if q < 0:
                break
            row = _add_row(s, kind, start, s.pools[kind].count - start)
            if row < 0:
                break
            g[key] = row
        i = _skip_ws(b, q, n)
        if b[i] == b',':
            i = _skip_ws(b, i + 1, n)
            continue
        if b[i] == b'}' and (seen & 3) == 3:  # vertices and faces seen
            if not _reserve(&s.geoms, G_FIELDS):
                s.code = E_NOMEM
                break
            memcpy((<int64_t *>s.geoms.data) + s.geoms.count, g, G_FIELDS * sizeof(int64_t))
            s.geoms.count += G_FIELDS
            return i + 1
        break
    s.pools[0].count = saved[0]
    s.pools[1].count = saved[1]
    s.pools[2].count = saved[2]
    s.table.count = saved[3]
    return -1


cdef class _Owned:
    """Owns a malloc'd block and lends it to numpy through the buffer protocol."""

    cdef char *data
    cdef Py_ssize_t nbytes
    cdef Py_ssize_t shape[1]
    cdef Py_ssize_t strides[1]
    cdef bytes fmt

    def __dealloc__(self):
        free(self.data)

    def __getbuffer__(self, Py_buffer *view, int flags):
        view.buf = self.data
        view.obj = self
        view.len = self.nbytes
        view.readonly = 0
        view.itemsize = 1
        view.format = NULL
        view.ndim = 1
        self.shape[0] = self.nbytes
        self.strides[0] = 1
        view.shape = self.shape
        view.strides = self.strides
        view.suboffsets = NULL
        view.internal = NULL

    def __releasebuffer__(self, Py_buffer *view):
        pass


cdef object _pool_array(Pool *p, dtype):
    """Hand a pool's memory to a numpy array (no copy); the pool is emptied."""
    cdef _Owned owner
    cdef char *shrunk
    if p.count == 0:
        free(p.data)
        p.data = NULL
        return np.zeros(0, dtype=dtype)
    shrunk = <char *>realloc(p.data, p.count * p.itemsize)
    if shrunk != NULL:
        p.data = shrunk
    owner = _Owned.__new__(_Owned)
    owner.data = p.data
    owner.nbytes = p.count * p.itemsize
    p.data = NULL
    return np.frombuffer(owner, dtype=dtype)


cdef class ArrayTable:
    """The numeric arrays and geometries pulled out of a response by ``parse_response``.

    ``resolve(value)`` gives back what the placeholder ``value`` stands for
    (a numpy array as on the wire, or a threejs geometry dict whose arrays
    are placeholders again) or ``value`` itself; ``vertices(value)`` gives
    (n, 3) float64 world Z-up vertices (mm) for a threejs ``vertices``
    value, placeholder or not; ``faces(value)`` the faces stream.
    ``extracted`` counts placeholders; ``used`` those resolved.
    """

    cdef list pools             # numpy pools by kind (vertices, normals: float64; faces: int64)
    cdef cnp.ndarray _rows      # (r, 3) int64: kind, start, count of placeholder r
    cdef const int64_t* _r
    cdef Py_ssize_t _nrows
    cdef cnp.ndarray _geoms     # (g, G_FIELDS) int64 geometry rows
    cdef const int64_t* _g
    cdef Py_ssize_t _ngeoms
    cdef bytes _text            # the response text (metadata objects are parsed from it on demand)
    cdef public Py_ssize_t extracted
    cdef public Py_ssize_t used

    def __init__(self, pools=None, rows=None, geoms=None, text=None):
        self.pools = pools
        self._nrows = 0
        self._ngeoms = 0
        if rows is not None:
            self._rows = np.ascontiguousarray(rows, dtype=np.int64).reshape(-1, 3)
            self._r = <const int64_t*>cnp.PyArray_DATA(self._rows)
            self._nrows = cnp.PyArray_DIM(self._rows, 0)
        if geoms is not None:
            self._geoms = np.ascontiguousarray(geoms, dtype=np.int64).reshape(-1, G_FIELDS)
            self._g = <const int64_t*>cnp.PyArray_DATA(self._geoms)
            self._ngeoms = cnp.PyArray_DIM(self._geoms, 0)
        self._text = text
        self.extracted = self._nrows + self._ngeoms
        self.used = 0

    cdef Py_ssize_t _index(self, object value, Py_ssize_t tag, Py_ssize_t limit):
        """The index in placeholder ``value`` ("\\x00", the tag letter unless 0, decimal digits, as
        ``_emit_placeholder`` writes them) when below ``limit``, or -1. Only ``_scan`` makes such
        strings: a document holding the escape \\u0000 is parsed without placeholders
        (``_has_nul_escape``)."""
        cdef Py_ssize_t n, i, first = 2 if tag else 1, k = 0, ch
        if limit == 0 or type(value) is not str:
            return -1
        n = PyUnicode_GET_LENGTH(value)
        if n <= first or n > 19 or <Py_ssize_t>PyUnicode_READ_CHAR(value, 0) != 0:
            return -1
        if tag and <Py_ssize_t>PyUnicode_READ_CHAR(value, 1) != tag:
            return -1
        for i in range(first, n):
            ch = <Py_ssize_t>PyUnicode_READ_CHAR(value, i)
            if ch < 48 or ch > 57:
                return -1
            k = 10 * k + (ch - 48)
        if k >= limit:
            return -1
        return k

    cdef inline Py_ssize_t _row(self, object value):
        """The row of an array placeholder, or -1."""
        return self._index(value, 0, self._nrows)

    cdef inline Py_ssize_t _geom(self, object value):
        """The geometry row of a threejs geometry placeholder, or -1."""
        return self._index(value, 103, self._ngeoms)  # 'g'

    cdef inline bint _xyz(self, Py_ssize_t k):
        """Row k holds vertices in whole (x, y, z) triples: converted to Z up during the scan."""
        return self._r[3 * k] == K_VERTICES and self._r[3 * k + 2] % 3 == 0

    cdef object _view(self, Py_ssize_t k, bint rows3):
        """Pool slice of row k without numpy's slicing machinery: an (count,) or (count/3, 3) view."""
        cdef int64_t kind = self._r[3 * k], start = self._r[3 * k + 1], count = self._r[3 * k + 2]
        cdef cnp.ndarray pool = <cnp.ndarray>self.pools[kind]
        cdef cnp.npy_intp dims[2]
        cdef int nd = 1
        dims[0] = count
        if rows3:
            dims[0] = count // 3
            dims[1] = 3
            nd = 2
        view = cnp.PyArray_SimpleNewFromData(
            nd, dims, cnp.PyArray_TYPE(pool), cnp.PyArray_BYTES(pool) + start * cnp.PyArray_ITEMSIZE(pool)
        )
        Py_INCREF(pool)
        cnp.PyArray_SetBaseObject(<cnp.ndarray>view, pool)
        return view

    cdef object _geometry(self, Py_ssize_t k):
        """Geometry row k as the dict orjson would have made, its arrays placeholders."""
        import orjson

        cdef const int64_t *g = self._g + G_FIELDS * k
        cdef int64_t order = g[G_ORDER], key
        keys = []
        while order:
            keys.append(order % 8 - 1)
            order //= 8
        out = {}
        for key in reversed(keys):
            if key == KEY_METADATA:
                out["metadata"] = orjson.loads(self._text[g[G_META_START]:g[G_META_END]])
            else:
                out[_GEOMETRY_KEYS[key]] = "\x00%d" % g[key]
        return out

    def resolve(self, value):
        """The array or geometry a placeholder stands for (as on the wire), else ``value``."""
        cdef Py_ssize_t k = self._row(value)
        if k < 0:
            k = self._geom(value)
            if k < 0:
                return value
            self.used += 1
            return self._geometry(k)
        self.used += 1
        arr = self._view(k, False)
        if self._xyz(k):
            return _unconvert(arr)
        return arr

    def vertices(self, value, element_id=None):
        """threejs ``vertices`` -> (n, 3) float64, world Z up, mm."""
        cdef Py_ssize_t k = self._row(value)
        if k < 0:
            return vertices_to_zup(value, element_id)
        self.used += 1
        if self._xyz(k):
            return self._view(k, True)
        return vertices_to_zup(self._view(k, False), element_id)

    def faces(self, value):
        """The threejs ``faces`` stream (an int64 array for a placeholder)."""
        cdef Py_ssize_t k = self._row(value)
        if k < 0:
            return value
        self.used += 1
        return self._view(k, False)


def decode_geometry(geometry, table=None, element_id=None):
    """One threejs geometry object -> (vertices, FaceData, colorid).

    vertices: (n, 3) float64, world Z up, mm (from three.js Y up);
    FaceData: the decoded ``faces`` stream, indices checked against
    ``vertices`` and the optional ``normals``/``colors``/``uvs``/``materials``
    tables; colorid: ``metadata.colorid`` (an index into the response's
    ``colors``) or None. ``table`` resolves placeholders left by
    ``parse_response``. Raises DecodeError naming ``element_id``.
    """
    if type(geometry) is not dict:
        if not isinstance(geometry, dict):
            raise DecodeError("threejs geometry is not an object", element_id=element_id)
    if table is None:
        table = _twin.ArrayTable()
    vertices = table.vertices(geometry.get("vertices", []), element_id)
    faces = table.faces(geometry.get("faces", []))
    if len(geometry) <= 3 and "normals" not in geometry and "uvs" not in geometry \
            and "colors" not in geometry and "materials" not in geometry:
        if _is_items(faces) and len(vertices) <= ANY_INDEX:
            # a placeholder's stream: decode_faces' own fast path, without the call
            fd = _faces_plain(faces, len(vertices), element_id)
        else:
            fd = decode_faces(faces, len(vertices), element_id=element_id)
    else:
        try:
            kwargs = geometry_tables(geometry, table.resolve(geometry.get("normals")))
        except DecodeError as exc:
            raise exc.with_element(element_id) from None
        fd = decode_faces(faces, len(vertices), element_id=element_id, **kwargs)
    metadata = geometry.get("metadata")
    colorid = metadata.get("colorid") if isinstance(metadata, dict) else None
    return vertices, fd, colorid


# ---------------------------------------------------------------------------
# Plain elements: the loader's common case in one compiled loop
# ---------------------------------------------------------------------------
#
# A response of many small threejs elements spent most of bimgeo.load in
# Python per element (dict lookups, FaceData, Mesh and Element made by
# attribute). plain_elements makes exactly the Element the loader's general
# path (bimgeo._load._Loader.element) makes, for the objects it calls
# plain, and stops at the first object that is not plain or does not
# decode: the loader then takes that one by its general path, which also
# makes its errors. The pure twin states the same rules in Python.

cdef enum:
    # slot numbers: Mesh, Element (order of _SLOTTED)
    SM_VERTICES = 0
    SM_FACES
    SM_FACE_SOURCE
    SM_LINES
    SM_RGBA
    SM_ID
    SM_PTYPE
    SE_ID
    SE_TYPE
    SE_NAME
    SE_PARENT
    SE_MATRIX
    SE_MESH
    SE_RGBA
    SE_TEMPLATE
    SE_ATTRIBUTES
    SE_CHILDREN
    N_SLOTS
    SMALL_STREAM = 320   # faces items decoded in stack buffers, with the GIL held
    SMALL_M = 130        # their most triangles: 2 * SMALL_STREAM / 5 + 2 (a quad is 5 items)
    NOGIL_STREAM = 4096  # faces items from which the decode releases the GIL

from .._model import NO_LINES, Mesh
from .._scene import NULL_GUID, VIRTUAL_MARK, Element

_SLOTTED = [
    (Mesh, ("vertices", "faces", "face_source", "lines", "rgba", "id", "polyeder_type")),
    (Element, ("id", "type", "name", "parent", "matrix", "mesh", "rgba", "template", "attributes", "_children")),
]
cdef Py_ssize_t _SLOT_OFF[N_SLOTS]
cdef bint _in_place = _slot_offsets(_SLOTTED, _SLOT_OFF, N_SLOTS)
cdef object _MISSING = object()


def _plain_in_place():
    """Tests only: whether plain_elements writes Mesh and Element slots in place (slots.pxi)."""
    return _in_place


cdef object _new_mesh(object vertices, object tris, object src, object rgba, object eid):
    """Mesh._from_arrays(vertices, tris, src, NO_LINES, rgba, eid, None)."""
    if not _in_place:
        return Mesh._from_arrays(vertices, tris, src, NO_LINES, rgba, eid, None)
    m = _alloc(Mesh)
    _put_at(m, _SLOT_OFF[SM_VERTICES], vertices)
    _put_at(m, _SLOT_OFF[SM_FACES], tris)
    _put_at(m, _SLOT_OFF[SM_FACE_SOURCE], src)
    _put_at(m, _SLOT_OFF[SM_LINES], NO_LINES)
    _put_at(m, _SLOT_OFF[SM_RGBA], rgba)
    _put_at(m, _SLOT_OFF[SM_ID], eid)
    _put_at(m, _SLOT_OFF[SM_PTYPE], None)
    return m


cdef object _new_element(object eid, object etype, object name, object parent, object mesh, object rgba,
                         object attributes):
    """Element._from_values(eid, etype, name, parent, None, mesh, rgba, None, attributes)."""
    if not _in_place:
        return Element._from_values(eid, etype, name, parent, None, mesh, rgba, None, attributes)
    e = _alloc(Element)
    _put_at(e, _SLOT_OFF[SE_ID], eid)
    _put_at(e, _SLOT_OFF[SE_TYPE], etype)
    _put_at(e, _SLOT_OFF[SE_NAME], name)
    _put_at(e, _SLOT_OFF[SE_PARENT], parent)
    _put_at(e, _SLOT_OFF[SE_MATRIX], None)
    _put_at(e, _SLOT_OFF[SE_MESH], mesh)
    _put_at(e, _SLOT_OFF[SE_RGBA], rgba)
    _put_at(e, _SLOT_OFF[SE_TEMPLATE], None)
    _put_at(e, _SLOT_OFF[SE_ATTRIBUTES], attributes)
    _put_at(e, _SLOT_OFF[SE_CHILDREN], None)  # made on first use
    return e


cdef object _plain_faces(const int64_t *d, Py_ssize_t n, int64_t nvert, int64_t nnorm):
    """(triangles (m, 3) uint32, face_source (m,) int32) of a faces stream with no UV, colour or material
    table (as _faces decodes it), or None when the stream is invalid."""
    cdef uint32_t tris_buf[3 * SMALL_M]
    cdef int32_t src_buf[SMALL_M]
    cdef int32_t mat_buf[SMALL_M]
    cdef int64_t uv_limit[1]
    cdef Py_ssize_t m_max = (2 * n) // 5 + 2
    cdef bint small = n <= SMALL_STREAM
    cdef FaceOut o
    cdef int code
    cdef cnp.npy_intp dims[2]
    memset(&o, 0, sizeof(FaceOut))
    o.f_max = n // 4 + 1
    uv_limit[0] = ANY_INDEX
    if small:
        o.tris = tris_buf
        o.src = src_buf
        o.mat = mat_buf
    else:
        o.tris = <uint32_t *>malloc(3 * m_max * sizeof(uint32_t))
        o.src = <int32_t *>malloc(m_max * sizeof(int32_t))
        o.mat = <int32_t *>malloc(m_max * sizeof(int32_t))
    try:
        if o.tris == NULL or o.src == NULL or o.mat == NULL:
            return None
        if n >= NOGIL_STREAM:
            with nogil:
                code = _decode_faces(d, n, nvert, 1, nnorm, ANY_INDEX, ANY_INDEX, uv_limit, &o)
        else:
            code = _decode_faces(d, n, nvert, 1, nnorm, ANY_INDEX, ANY_INDEX, uv_limit, &o)
        if code != E_OK:
            return None
        dims[0] = o.m
        dims[1] = 3
        tris = cnp.PyArray_EMPTY(2, dims, cnp.NPY_UINT32, 0)
        src = cnp.PyArray_EMPTY(1, dims, cnp.NPY_INT32, 0)
        if o.m > 0:
            memcpy(cnp.PyArray_DATA(tris), o.tris, 3 * o.m * sizeof(uint32_t))
            memcpy(cnp.PyArray_DATA(src), o.src, o.m * sizeof(int32_t))
        return tris, src
    finally:
        if small:
            o.tris = NULL
            o.src = NULL
            o.mat = NULL
        _free_out(&o)


cdef object _plain_mesh(object g, object table, ArrayTable t, dict cache, object colors, object eid):
    """(Mesh, rgba) of a threejs geometry (a geometry placeholder, or a dict), as
    bimgeo._load._threejs_mesh makes it; None when it is neither. Raises as decode_geometry."""
    cdef Py_ssize_t k = -1, kn
    cdef const int64_t *row
    cdef cnp.ndarray items
    if t is not None and type(g) is str:
        k = t._geom(g)
    if k < 0:
        if type(g) is not dict:
            return None
        # a geometry the parse did not take whole (or a dict the caller parsed): the general decoder
        vertices, fd, colorid = decode_geometry(g, table, eid)
        return _plain_tail(vertices, fd.triangles, fd.face_source, colorid, cache, colors, eid)
    # parse_response took the whole geometry: its rows say everything (no UV, colour or material table).
    row = t._g + G_FIELDS * k
    kn = row[G_NORMALS]
    if not t._xyz(row[G_VERTICES]):
        return None
    vertices = t._view(row[G_VERTICES], True)
    items = <cnp.ndarray>t._view(row[G_FACES], False)
    out = _plain_faces(
        <const int64_t *>cnp.PyArray_DATA(items), cnp.PyArray_DIM(items, 0),
        min(cnp.PyArray_DIM(vertices, 0), ANY_INDEX), ANY_INDEX if kn < 0 else min(t._r[3 * kn + 2] // 3, ANY_INDEX),
    )
    if out is None:
        return None
    t.used += 4 if kn >= 0 else 3  # the geometry and its arrays
    return _plain_tail(vertices, out[0], out[1], <object>row[G_COLORID] if row[G_HAS_COLORID] else None,
                       cache, colors, eid)


cdef object _plain_tail(object vertices, object tris, object src, object colorid, dict cache, object colors,
                        object eid):
    """_plain_mesh's end: the colour looked up (memoised by the loader's colour table), the Mesh made."""
    rgba = None
    if colorid is not None:
        rgba = cache.get(colorid, _MISSING) if type(colorid) is int else _MISSING
        if rgba is _MISSING:
            rgba = colors.rgba(colorid)
        if rgba is not None and type(rgba) is not tuple:
            return None
    return _new_mesh(vertices, tris, src, rgba, eid), rgba


cdef object _plain_element(object obj, object tree_parent, object table, ArrayTable t, dict cache, object colors,
                           bint owned):
    """The Element of one plain object (see plain_elements), or None."""
    if type(obj) is not dict:
        return None
    cdef dict o = <dict>obj
    children = o.get("children")
    if isinstance(children, list) and len(<list>children) > 0:
        return None
    eid = o.get("id")
    if type(eid) is not str or VIRTUAL_MARK in <str>eid:
        return None
    attributes = o.get("attributes")
    if type(attributes) is not dict:
        return None
    etype = o.get("type")
    if not isinstance(etype, str):
        etype = None
    general = (<dict>attributes).get("general")
    name = None
    if type(general) is dict:
        name = (<dict>general).get("name")
        if not isinstance(name, str):
            name = None
    elif isinstance(general, dict):
        return None
    parent = o.get("parent")
    if not isinstance(parent, str) or parent == NULL_GUID:
        parent = tree_parent
    geometry = (<dict>attributes).get("geometry")
    mesh = None
    rgba = None
    if isinstance(geometry, dict):
        if type(geometry) is not dict or len(<dict>geometry) != 1:
            return None
        out = _plain_mesh((<dict>geometry).get("threejs"), table, t, cache, colors, eid)
        if out is None:
            return None
        mesh, rgba = out
    # The attributes without the geometry: the parsed dict itself when the
    # loader owns it (nothing can fail from here on), else a copy.
    kept = attributes if owned else dict(<dict>attributes)
    if mesh is not None:
        del kept["geometry"]
    return _new_element(eid, etype, name, parent, mesh, rgba, kept)


def plain_elements(list objects, Py_ssize_t start, Py_ssize_t stop, parent, table, colors, list out, bint owned):
    """Elements of the plain objects in ``objects[start:stop]``, appended to ``out``.

    Returns the index of the first object in that range that is not plain
    or does not decode (``stop`` when all are), so the caller takes that
    one by its general path. Plain: a dict with a str ``id`` (not a
    virtual element's), no children, a dict ``attributes`` whose
    ``geometry`` is absent, not an object, or exactly ``{"threejs": {...}}``
    (decoded by decode_geometry, or from parse_response's rows when it took
    the geometry whole). The Element is the one bimgeo.load makes: mesh world Z up, mm (from three.js Y up), matrix
    None, ``parent`` the object's own when it is a str other than the null
    GUID, else ``parent`` given here. ``table``: the chunk's ArrayTable;
    ``colors``: the loader's colour table (``rgba(colorid)``, memoised in
    its ``cache`` dict); ``owned``: the objects are the loader's own parse,
    so an Element may keep an object's ``attributes`` dict (its geometry
    removed) instead of a copy.
    """
    cdef Py_ssize_t i, used
    cdef ArrayTable t = table if type(table) is ArrayTable else None
    cache = getattr(colors, "cache", None)
    if type(cache) is not dict:
        return start
    stop = min(stop, len(objects))
    i = start
    while i < stop:
        used = t.used if t is not None else 0
        try:
            e = _plain_element(objects[i], parent, table, t, <dict>cache, colors, owned)
        except Exception:
            e = None  # the general path reports it
        if e is None:
            if t is not None:
                t.used = used  # placeholders resolved on the way are resolved again there
            break
        out.append(e)
        if owned:
            objects[i] = None  # its data now lives in the Element: free the rest of the parse early
        i += 1
    return max(i, start)


def _unconvert(arr):
    """Z-up (x, y, z) rows back to the wire's Y-up (x, -y... ) order: (x, z, -y)."""
    v = arr.reshape(-1, 3)
    out = np.empty_like(v)
    out[:, 0] = v[:, 0]
    out[:, 1] = v[:, 2]
    out[:, 2] = -v[:, 1]
    return out.reshape(-1)


cdef bint _geometries_on = True


def _geometry_objects(on):
    """Tests only: whether parse_response takes whole threejs geometry objects; returns the
    previous setting."""
    global _geometries_on
    was = _geometries_on
    _geometries_on = bool(on)
    return was


def parse_response(data):
    """Parse a response's JSON (UTF-8 bytes or str): returns (document, ArrayTable).

    Numeric arrays under the keys ``vertices``, ``normals`` and ``faces``
    are parsed here, bit-identical to ``json.loads``, into numpy pools and
    replaced in the document by placeholder strings; so is a whole
    ``threejs`` geometry object made only of those arrays and a flat
    ``metadata`` object (numbers, true, false, null; an integer or null
    ``colorid``). Resolve placeholders with the returned ArrayTable.
    Everything else is parsed by orjson. Malformed JSON raises DecodeError.
    """
    import orjson

    cdef bytes raw
    if isinstance(data, str):
        raw = data.encode("utf-8", "surrogatepass")
    elif isinstance(data, bytes):
        raw = data
    else:
        raw = bytes(data)
    cdef const char *b = PyBytes_AS_STRING(raw)
    cdef Py_ssize_t n = PyBytes_GET_SIZE(raw)
    cdef Scan s
    cdef int code
    cdef bint forged
    with nogil:
        forged = _has_nul_escape(b, n)
    if forged:
        try:
            return orjson.loads(raw), ArrayTable()
        except (ValueError, TypeError) as exc:
            raise DecodeError(f"invalid JSON: {exc}") from None
    memset(&s, 0, sizeof(Scan))
    s.pools[0].itemsize = 8
    s.pools[1].itemsize = 8
    s.pools[2].itemsize = 8
    s.table.itemsize = 8
    s.geoms.itemsize = 8
    s.out.itemsize = 1
    s.geometries = _geometries_on
    try:
        with nogil:
            # First sizes from the text (a number takes at least 2 bytes with
            # its comma): fewer regrowths of the pools, each a copy.
            if _reserve(&s.pools[K_VERTICES], n // 16) and _reserve(&s.pools[K_FACES], n // 16) \
                    and _reserve(&s.out, n // 4):
                code = _scan(b, n, &s)
            else:
                code = E_NOMEM
        if code == E_NOMEM:
            raise MemoryError()
        skeleton = PyBytes_FromStringAndSize(s.out.data, s.out.count)
        free(s.out.data)
        s.out.data = NULL
        pools = [
            _pool_array(&s.pools[K_VERTICES], np.float64),
            _pool_array(&s.pools[K_NORMALS], np.float64),
            _pool_array(&s.pools[K_FACES], np.int64),
        ]
        rows = _pool_array(&s.table, np.int64)
        geoms = _pool_array(&s.geoms, np.int64)
    finally:
        free(s.out.data)
        free(s.pools[0].data)
        free(s.pools[1].data)
        free(s.pools[2].data)
        free(s.table.data)
        free(s.geoms.data)
    try:
        doc = orjson.loads(skeleton)
    except (ValueError, TypeError) as exc:
        try:
            orjson.loads(raw)  # the same error, placed in the text the caller gave
        except (ValueError, TypeError) as exact:
            exc = exact
        raise DecodeError(f"invalid JSON: {exc}") from None
    return doc, ArrayTable(pools, rows, geoms, raw)
