# The canonical reader: included by nrbf.pyx (it shares the Ctx, Out and
# the little-endian loads defined there).
#
# Every picture of a building is a CBaseElementPolyeder written by .NET's
# BinaryFormatter, so every stream has the same shape (design.md §2, and
# _encode.py, which writes it byte for byte): one library, the root with its
# class description, its inline PolyederType and Guid, then the lists, their
# arrays, the points, edges and faces, each face's List<Int32> and its array,
# objects breadth-first with ids handed out 1, 2, 3, ... as references are
# met. The general reader builds an object table, a slot per member value,
# an id map, resolves, checks the graph and walks it twice; most of that
# work only finds out that the stream has this shape.
#
# This reader follows BinaryFormatter's writer instead: a FIFO of the
# objects referenced so far (runs of consecutive ids), and the next record
# must be the object at its head, with exactly the record type, member
# names, binary and primitive types the writer uses, ids exactly in the
# writer's order, ASCII names, arrays with their items first and a run of
# nulls as padding. Anything else, including every error, is "not
# canonical" (return 1): the caller then runs the general reader from the
# start, which gives the result or the error it always gave. What this
# reader accepts, the general reader accepts too, with the same result:
#   - ids 1 (root), 2 (library), then strictly consecutive, inline value
#     objects negative: unique and nonzero; every reference is to an object
#     written later exactly once, so no dangling reference and no cycle;
#   - each class described at its first object and named by ClassWithId
#     (MetadataId = that object's id) after, and member lookups by name find
#     the members the writer puts in the fixed order checked here;
#   - trailing nulls of an array are not charged to the null budget by the
#     general reader either; the graph is at most 6 objects deep, so
#     max_depth >= 8 cannot be hit;
#   - the semantic checks of ``_walk`` (list sizes within the arrays, edge
#     ends and face references in range, max_face_size) are made here and
#     send a stream that fails them to the general reader.
# tests/test_nrbf_compiled.py runs both readers on the same streams
# (samples, encoder output, every truncation and bit flip of them) and
# requires equal results.

cdef enum:
    # class slots: one class description each
    CS_ROOT = 0
    CS_PTYPE
    CS_GUID
    CS_PLIST
    CS_ELIST
    CS_FLIST
    CS_CA
    CS_ILIST
    CS_SLIST
    CS_POINT
    CS_EDGE
    CS_FACE
    CS_COUNT

cdef enum:
    # what a queued object is: a list, array or item of points (k = 0),
    # edges (1) or faces (2); a CountArray (idx 0: m_Radius, 1:
    # m_Bendingrolle); a List<Int32> (idx >= 0: face idx's edge list; -1 -
    # j: CountArray j's counters) or List<Single> (idx j: its values), and
    # their arrays.
    RO_LIST = 0             # + k
    RO_ARRAY = 3            # + k
    RO_ITEM = 6             # + k
    RO_CA = 9
    RO_ILIST
    RO_SLIST
    RO_IARR
    RO_SARR

cdef enum:
    QMAX = 48               # runs queued at once; a picture needs about 20
    DESC_MAX = 1024         # bytes kept of each class description (8-byte header + text)

ctypedef struct Run:        # objects first_id .. first_id + count - 1, indices idx ..
    int32_t first_id
    int32_t role
    int64_t idx
    int64_t count

ctypedef struct Canon:
    const uint8_t* buf
    Py_ssize_t n
    Py_ssize_t pos
    int64_t counter         # the last id handed out
    int32_t lib_id
    int32_t defid[CS_COUNT] # id of the object that described each class (0: not yet)
    Run q[QMAX]
    int qhead
    int qtail
    int64_t nitems
    uint8_t* dcache         # Ctx.dcache: CS_COUNT slots of DESC_MAX bytes, or NULL

# The member schema of each class slot, as BinaryFormatter writes it:
# (name, BinaryTypeEnum, PrimitiveTypeEnum for types 0 and 7).
_CANON_SPEC = [
    [("point", 3, 0), ("edge", 3, 0), ("face", 3, 0), ("m_Radius", 4, 0), ("m_Bendingrolle", 4, 0),
     ("type", 4, 0), ("ID", 3, 0)],
    [("value__", 0, 8)],
    [("_a", 0, 8), ("_b", 0, 7), ("_c", 0, 7)] + [("_" + ch, 0, 2) for ch in "defghijk"],
    [("_items", 4, 0), ("_size", 0, 8), ("_version", 0, 8)],
    [("_items", 4, 0), ("_size", 0, 8), ("_version", 0, 8)],
    [("_items", 4, 0), ("_size", 0, 8), ("_version", 0, 8)],
    [("m_Counter", 3, 0), ("m_Values", 3, 0)],
    [("_items", 7, 8), ("_size", 0, 8), ("_version", 0, 8)],
    [("_items", 7, 11), ("_size", 0, 8), ("_version", 0, 8)],
    [("x", 0, 6), ("y", 0, 6), ("z", 0, 6)],
    [("begin", 0, 8), ("end", 0, 8)],
    [("edges", 3, 0)],
]
cdef enum:
    SPEC_MAX = 48
cdef const char* _SPEC_NAME[SPEC_MAX]
cdef Py_ssize_t _SPEC_LEN[SPEC_MAX]
cdef uint8_t _SPEC_BT[SPEC_MAX]
cdef uint8_t _SPEC_PT[SPEC_MAX]
cdef int _SPEC_BASE[CS_COUNT]
cdef int _SPEC_N[CS_COUNT]
_canon_names = []   # keeps the name bytes alive


cdef void _canon_init():
    cdef int cs, k = 0
    if len(_CANON_SPEC) != CS_COUNT or sum(map(len, _CANON_SPEC)) > SPEC_MAX:
        raise ImportError("bimgeo._core.nrbf: canonical schema does not fit its tables")
    for cs in range(CS_COUNT):
        _SPEC_BASE[cs] = k
        _SPEC_N[cs] = len(_CANON_SPEC[cs])
        for name, bt, pt in _CANON_SPEC[cs]:
            b = name.encode("ascii")
            _canon_names.append(b)
            _SPEC_NAME[k] = <const char*>b
            _SPEC_LEN[k] = len(b)
            _SPEC_BT[k] = bt
            _SPEC_PT[k] = pt
            k += 1
_canon_init()

cdef bint _canon_on = True      # tests switch it off to compare both readers


cdef inline bint _ascii(const uint8_t* s, Py_ssize_t n) noexcept nogil:
    cdef uint64_t acc = 0, w
    cdef Py_ssize_t i = 0
    while i + 8 <= n:
        memcpy(&w, s + i, 8)
        acc |= w
        i += 8
    while i < n:
        acc |= s[i]
        i += 1
    return (acc & <uint64_t>0x8080808080808080) == 0

cdef inline int _cn_u8(Canon* f) noexcept nogil:
    """The next byte, or -1 at the end."""
    if f.pos >= f.n:
        return -1
    f.pos += 1
    return f.buf[f.pos - 1]

cdef inline int _cn_i32(Canon* f, int32_t* v) noexcept nogil:
    if f.n - f.pos < 4:
        return -1
    v[0] = _ld_i32(f.buf + f.pos)
    f.pos += 4
    return 0

cdef inline int _cn_is(Canon* f, int32_t want) noexcept nogil:
    """An Int32 equal to ``want``."""
    cdef int32_t v
    if _cn_i32(f, &v) < 0 or v != want:
        return -1
    return 0

cdef int _cn_lps(Canon* f, Py_ssize_t* off, Py_ssize_t* ln) noexcept nogil:
    """A LengthPrefixedString of ASCII (so valid UTF-8) with a 1- or 2-byte length."""
    cdef Py_ssize_t p = f.pos, k
    if p >= f.n:
        return -1
    k = f.buf[p]
    p += 1
    if k >= 0x80:
        if p >= f.n or f.buf[p] >= 0x80:
            return -1
        k = (k & 0x7F) | (<Py_ssize_t>f.buf[p] << 7)
        p += 1
    if k > f.n - p or not _ascii(f.buf + p, k):
        return -1
    off[0] = p
    ln[0] = k
    f.pos = p + k
    return 0

cdef int _cn_describe(Canon* f, int cs, int rt) noexcept nogil:
    """ClassInfo and MemberTypeInfo of records 4/5 (after the object id): exactly class slot ``cs``."""
    cdef Py_ssize_t off, ln, i, b = _SPEC_BASE[cs], nm = _SPEC_N[cs]
    cdef int bt
    if _cn_lps(f, &off, &ln) < 0:
        return -1
    if cs == CS_ROOT and (ln < 20 or memcmp(f.buf + off + ln - 20, b"CBaseElementPolyeder", 20) != 0):
        return -1
    if _cn_is(f, <int32_t>nm) < 0:
        return -1
    for i in range(nm):
        if _cn_lps(f, &off, &ln) < 0 or ln != _SPEC_LEN[b + i] or memcmp(f.buf + off, _SPEC_NAME[b + i], ln) != 0:
            return -1
    if f.n - f.pos < nm:
        return -1
    for i in range(nm):
        if f.buf[f.pos + i] != _SPEC_BT[b + i]:
            return -1
    f.pos += nm
    for i in range(nm):
        bt = _SPEC_BT[b + i]
        if bt == 0 or bt == 7:
            if _cn_u8(f) != _SPEC_PT[b + i]:
                return -1
        else:   # 3: a class name; 4: a class name and its library
            if _cn_lps(f, &off, &ln) < 0:
                return -1
            if bt == 4 and _cn_is(f, f.lib_id) < 0:
                return -1
    if rt == 5 and _cn_is(f, f.lib_id) < 0:
        return -1
    return 0

# The descriptions of a building's pictures are the same bytes, stream after
# stream (a 4 KB picture is two-thirds descriptions). Each slot's last
# description that passed ``_cn_describe`` is kept (with its record type):
# bytes equal to it pass again, since only those bytes (and the library id,
# always 2 here) decide what ``_cn_describe`` finds. The cache belongs to
# the pooled tables, so each thread reads its own.
cdef int _cn_description(Canon* f, int cs, int rt) noexcept nogil:
    cdef Py_ssize_t start = f.pos, ln
    cdef uint8_t* slot = NULL
    cdef int32_t kept = 0
    if f.dcache != NULL:
        slot = f.dcache + cs * DESC_MAX
        memcpy(&kept, slot, 4)
        if (kept > 0 and slot[4] == rt and kept <= f.n - start
                and memcmp(f.buf + start, slot + 8, kept) == 0):
            f.pos = start + kept
            return 0
    if _cn_describe(f, cs, rt) < 0:
        return -1
    ln = f.pos - start
    if slot != NULL and ln <= DESC_MAX - 8:
        kept = <int32_t>ln
        memcpy(slot, &kept, 4)
        slot[4] = <uint8_t>rt
        memcpy(slot + 8, f.buf + start, ln)
    return 0

cdef int _cn_object(Canon* f, int cs, int32_t obj_id) noexcept nogil:
    """The record of object ``obj_id`` of class slot ``cs`` up to its member values."""
    cdef int rt = _cn_u8(f)
    if f.defid[cs] == 0:
        if (rt != 4 and rt != 5) or _cn_is(f, obj_id) < 0 or _cn_description(f, cs, rt) < 0:
            return -1
        f.defid[cs] = obj_id
        return 0
    if rt != 1 or _cn_is(f, obj_id) < 0 or _cn_is(f, f.defid[cs]) < 0:
        return -1
    return 0

cdef int _cn_push(Canon* f, int role, int64_t idx, int32_t first_id, int64_t count) noexcept nogil:
    cdef Run* t
    if f.qtail > f.qhead:
        t = &f.q[f.qtail - 1]
        if t.role == role and idx >= 0 and t.idx >= 0 and t.first_id + t.count == first_id and t.idx + t.count == idx:
            t.count += count
            return 0
    if f.qtail >= QMAX:
        return -1
    t = &f.q[f.qtail]
    t.role = role
    t.idx = idx
    t.first_id = first_id
    t.count = count
    f.qtail += 1
    return 0

cdef int _cn_ref(Canon* f, int role, int64_t idx) noexcept nogil:
    """A MemberReference to the next id, queued as ``role``."""
    if f.n - f.pos < 5 or f.buf[f.pos] != 9 or f.counter >= 0x7FFFFFFF:
        return -1
    f.counter += 1
    if _ld_i32(f.buf + f.pos + 1) != f.counter:
        return -1
    f.pos += 5
    return _cn_push(f, role, idx, <int32_t>f.counter, 1)

cdef int _cn_inline(Canon* f, int cs) noexcept nogil:
    """A value-type member: its object inline, with the next id negated."""
    if f.counter >= 0x7FFFFFFF:
        return -1
    f.counter += 1
    return _cn_object(f, cs, <int32_t>(-f.counter))

cdef int _cn_root(Canon* f, Out* out) noexcept nogil:
    cdef int k
    # record 5: the root's class names its library (WireInfo.library)
    if f.pos >= f.n or f.buf[f.pos] != 5 or _cn_object(f, CS_ROOT, 1) < 0:
        return -1
    for k in range(3):
        if _cn_ref(f, RO_LIST + k, k) < 0:
            return -1
    for k in range(2):      # m_Radius, m_Bendingrolle: a CountArray or null
        if f.pos < f.n and f.buf[f.pos] == 10:
            f.pos += 1
        elif _cn_ref(f, RO_CA, k) < 0:
            return -1
    if _cn_inline(f, CS_PTYPE) < 0 or _cn_i32(f, &out.ptype_value) < 0:
        return -1
    # System.Guid {_a Int32, _b _c Int16, _d.._k Byte}: out.guid's byte order
    if _cn_inline(f, CS_GUID) < 0 or f.n - f.pos < 16:
        return -1
    memcpy(out.guid, f.buf + f.pos, 16)
    f.pos += 16
    return 0

cdef inline int _ca_list(int role, int64_t idx) noexcept nogil:
    """Which CountArray list: 0/1 m_Radius counters/values, 2/3 m_Bendingrolle's (a List<Int32> is
    queued with idx -1 - j, a List<Single> with j, for CountArray j)."""
    return 2 * (-1 - <int>idx) if role == RO_ILIST or role == RO_IARR else 2 * <int>idx + 1

cdef inline int32_t* _ca_meta(Out* out, int k) noexcept nogil:
    """(capacity, version) of CountArray list ``k`` in ``out``."""
    if k < 2:
        return &out.rmeta[2 * (k & 1)]
    return &out.bmeta[2 * (k & 1)]

cdef int _cn_list(Canon* f, Ctx* c, Out* out, int role, int64_t idx, int32_t obj_id) noexcept nogil:
    """A List<T> {_items, _size, _version}: its array queued, size and version kept."""
    cdef int32_t size, ver
    cdef int k
    cdef Item* it
    if role < RO_ARRAY:
        k = role - RO_LIST
        if _cn_object(f, CS_PLIST + k, obj_id) < 0 or _cn_ref(f, RO_ARRAY + k, k) < 0:
            return -1
    elif role == RO_ILIST:
        if _cn_object(f, CS_ILIST, obj_id) < 0 or _cn_ref(f, RO_IARR, idx) < 0:
            return -1
    elif _cn_object(f, CS_SLIST, obj_id) < 0 or _cn_ref(f, RO_SARR, idx) < 0:
        return -1
    if _cn_i32(f, &size) < 0 or _cn_i32(f, &ver) < 0 or size < 0:
        return -1
    if role < RO_ARRAY:
        # The items of all three lists are MemberReferences further on, 5
        # bytes each: their table stays within a fifth of the stream's records.
        if f.nitems + size > (f.n - f.pos) // 5:
            return -1
        c.cbase[k] = f.nitems
        f.nitems += size
        if _grow(<void**>&c.items, &c.capitems, f.nitems, sizeof(Item)) < 0:
            return -2
        out.meta[2 * k + 1] = ver
        c.csize[k] = size
    elif role == RO_ILIST and idx >= 0:
        it = &c.items[c.cbase[2] + idx]
        it.size = size
        it.ver = ver
    else:   # the counters or values of a CountArray
        k = _ca_list(role, idx)
        c.ca_size[k] = size
        _ca_meta(out, k)[1] = ver
    return 0

cdef int _cn_class_array(Canon* f, Ctx* c, Out* out, int k, int32_t obj_id) noexcept nogil:
    """BinaryArray of points, edges or faces: ``size`` references, then nulls up to the length."""
    cdef int32_t length, v
    cdef int64_t size = c.csize[k], i, rem
    cdef int b
    cdef Py_ssize_t off, ln, p
    if (_cn_u8(f) != 7 or _cn_is(f, obj_id) < 0 or _cn_u8(f) != 0 or _cn_is(f, 1) < 0
            or _cn_i32(f, &length) < 0 or length < size or _cn_u8(f) != 4
            or _cn_lps(f, &off, &ln) < 0 or _cn_is(f, f.lib_id) < 0):
        return -1
    out.meta[2 * k] = length
    if size > (f.n - f.pos) // 5 or f.counter + size > 0x7FFFFFFF:
        return -1
    p = f.pos
    for i in range(size):
        if f.buf[p] != 9 or _ld_i32(f.buf + p + 1) != f.counter + 1 + i:
            return -1
        p += 5
    f.pos = p
    if size > 0 and _cn_push(f, RO_ITEM + k, 0, <int32_t>(f.counter + 1), size) < 0:
        return -1
    f.counter += size
    rem = length - size
    while rem > 0:      # the spare capacity: runs of nulls
        b = _cn_u8(f)
        if b == 10:
            v = 1
        elif b == 13:
            v = _cn_u8(f)
        elif b != 14 or _cn_i32(f, &v) < 0:
            return -1
        if v < 1 or v > rem:
            return -1
        rem -= v
    return 0

cdef int _cn_rows(Canon* f, Ctx* c, int k, int32_t first_id, int64_t idx, int64_t count) noexcept nogil:
    """Points (k = 0) or edges (1): objects of primitives only, their values' offsets kept."""
    cdef int cs = CS_POINT + k
    cdef Py_ssize_t width = 24 if k == 0 else 8, p
    cdef int64_t i = 0, n_points = c.csize[0]
    cdef int32_t meta, begin, end
    cdef Item* it = c.items + c.cbase[k] + idx
    if f.defid[cs] == 0:
        if _cn_object(f, cs, first_id) < 0 or f.n - f.pos < width:
            return -1
        it[0].off = f.pos
        f.pos += width
        i = 1
    meta = f.defid[cs]
    p = f.pos
    if count - i > (f.n - p) // (9 + width):
        return -1
    while i < count:
        if f.buf[p] != 1 or _ld_i32(f.buf + p + 1) != first_id + i or _ld_i32(f.buf + p + 5) != meta:
            return -1
        it[i].off = p + 9
        p += 9 + width
        i += 1
    f.pos = p
    if k == 1:      # edge ends: 1-based point indices
        for i in range(count):
            begin = _ld_i32(f.buf + it[i].off)
            end = _ld_i32(f.buf + it[i].off + 4)
            if begin < 1 or begin > n_points or end < 1 or end > n_points:
                return -1
    return 0

cdef int _cn_prim_array(Canon* f, Ctx* c, Out* out, int role, int64_t idx, int32_t obj_id) noexcept nogil:
    """ArraySinglePrimitive of Int32 (a face's edge references, counters) or Single (values)."""
    cdef int32_t length, r
    cdef int64_t size, j, n_edges = c.csize[1]
    cdef int k
    cdef Py_ssize_t data
    cdef Item* it = NULL
    if _cn_u8(f) != 15 or _cn_is(f, obj_id) < 0 or _cn_i32(f, &length) < 0:
        return -1
    if _cn_u8(f) != (8 if role == RO_IARR else 11) or length < 0 or length > (f.n - f.pos) // 4:
        return -1
    data = f.pos
    f.pos += 4 * <Py_ssize_t>length
    if role == RO_IARR and idx >= 0:
        it = &c.items[c.cbase[2] + idx]
        size = it.size
        if size > length or size > c.max_face:
            return -1
        for j in range(size):
            r = _ld_i32(f.buf + data + 4 * j)
            if r == 0 or r > n_edges or r < -n_edges:
                return -1
        it.off = data
        it.cap = length
        out.n_fe += size
        return 0
    k = _ca_list(role, idx)
    if c.ca_size[k] > length:
        return -1
    c.ca_off[k] = data
    _ca_meta(out, k)[0] = length
    return 0

cdef int _canon_scan(Ctx* c, Out* out) noexcept nogil:
    """Read ``c``'s stream if BinaryFormatter laid it out (see above): 0 done, 1 not canonical, -1 no memory.

    Counts, list metadata, type, Guid and library go to ``out`` and ``c``;
    where the values are (``c.items``, ``c.ca_off``) for ``_canon_fill``.
    """
    cdef Canon f
    cdef Run* r
    cdef int role, rc, k
    cdef int64_t j
    cdef Py_ssize_t off, ln
    if c.max_depth < 8:
        return 1
    memset(out, 0, sizeof(Out))
    f.buf = c.buf
    f.n = c.n
    f.pos = 0
    f.qhead = 0
    f.qtail = 0
    f.nitems = 0
    memset(f.defid, 0, sizeof(f.defid))
    if c.dcache == NULL:
        c.dcache = <uint8_t*>calloc(CS_COUNT, DESC_MAX)    # none: no cache, nothing else changes
    f.dcache = c.dcache
    memset(c.ca_size, 0, sizeof(c.ca_size))
    # SerializationHeader: root 1, header -1, version 1.0; then the library, id 2
    if (_cn_u8(&f) != 0 or _cn_is(&f, 1) < 0 or _cn_is(&f, -1) < 0 or _cn_is(&f, 1) < 0
            or _cn_is(&f, 0) < 0 or _cn_u8(&f) != 12 or _cn_is(&f, 2) < 0 or _cn_lps(&f, &off, &ln) < 0):
        return 1
    f.lib_id = 2
    f.counter = 2
    if _cn_root(&f, out) < 0:
        return 1
    while f.qhead < f.qtail:
        r = &f.q[f.qhead]
        role = r.role
        rc = 0
        if role >= RO_ITEM and role < RO_CA:
            k = role - RO_ITEM
            if k < 2:
                rc = _cn_rows(&f, c, k, r.first_id, r.idx, r.count)
            else:
                for j in range(r.count):    # a face: CElementFace {edges: List<Int32>}
                    rc = _cn_object(&f, CS_FACE, <int32_t>(r.first_id + j))
                    if rc == 0:
                        rc = _cn_ref(&f, RO_ILIST, r.idx + j)
                    if rc < 0:
                        break
        else:
            for j in range(r.count):
                if role < RO_ARRAY or role == RO_ILIST or role == RO_SLIST:
                    rc = _cn_list(&f, c, out, role, r.idx + j, <int32_t>(r.first_id + j))
                elif role < RO_ITEM:
                    rc = _cn_class_array(&f, c, out, role - RO_ARRAY, <int32_t>(r.first_id + j))
                elif role == RO_CA:     # CountArray {m_Counter: List<Int32>, m_Values: List<Single>}
                    rc = _cn_object(&f, CS_CA, <int32_t>(r.first_id + j))
                    if rc == 0:
                        rc = _cn_ref(&f, RO_ILIST, -1 - (r.idx + j))
                    if rc == 0:
                        rc = _cn_ref(&f, RO_SLIST, r.idx + j)
                    if rc == 0:
                        if r.idx + j == 0:
                            out.has_radius = 1
                        else:
                            out.has_bend = 1
                else:
                    rc = _cn_prim_array(&f, c, out, role, r.idx + j, <int32_t>(r.first_id + j))
                if rc < 0:
                    break
        if rc == -2:
            return -1
        if rc < 0:
            return 1
        f.qhead += 1
    if _cn_u8(&f) != 11 or f.pos != f.n:
        return 1
    if _grow(<void**>&c.libs, &c.caplibs, 1, sizeof(Lib)) < 0:
        return -1
    c.libs[0].name_off = off
    c.libs[0].name_len = ln
    c.nlibs = 1
    out.lib_index = 0
    out.n_points = c.csize[0]
    out.n_edges = c.csize[1]
    out.n_faces = c.csize[2]
    out.n_rc = c.ca_size[0]
    out.n_rv = c.ca_size[1]
    out.n_bc = c.ca_size[2]
    out.n_bv = c.ca_size[3]
    return 0

cdef void _canon_fill(Ctx* c, Out* out) noexcept nogil:
    """Copy what ``_canon_scan`` found into ``out``'s buffers (the outputs of ``_walk`` mode 2)."""
    cdef const uint8_t* buf = c.buf
    cdef Item* it
    cdef int64_t i, j, total = 0
    cdef int k
    it = c.items + c.cbase[0]
    for i in range(out.n_points):
        if _LITTLE:
            memcpy(out.points + 3 * i, buf + it[i].off, 24)
        else:
            for k in range(3):
                out.points[3 * i + k] = _ld_f64(buf + it[i].off + 8 * k)
    it = c.items + c.cbase[1]
    for i in range(out.n_edges):
        out.edges[2 * i] = _ld_i32(buf + it[i].off) - 1
        out.edges[2 * i + 1] = _ld_i32(buf + it[i].off + 4) - 1
    it = c.items + c.cbase[2]
    out.face_offsets[0] = 0
    for i in range(out.n_faces):
        if _LITTLE:
            memcpy(out.face_edges + total, buf + it[i].off, 4 * it[i].size)
        else:
            _copy_i32(out.face_edges + total, buf + it[i].off, it[i].size)
        total += it[i].size
        out.face_offsets[i + 1] = total
        if out.face_lists != NULL:
            out.face_lists[2 * i] = it[i].cap
            out.face_lists[2 * i + 1] = it[i].ver
    if out.rc != NULL:
        for j in range(out.n_rc):
            out.rc[j] = _ld_i32(buf + c.ca_off[0] + 4 * j)
    if out.rv != NULL:
        for j in range(out.n_rv):
            out.rv[j] = _ld_f32(buf + c.ca_off[1] + 4 * j)
    if out.bc != NULL:
        for j in range(out.n_bc):
            out.bc[j] = _ld_i32(buf + c.ca_off[2] + 4 * j)
    if out.bv != NULL:
        for j in range(out.n_bv):
            out.bv[j] = _ld_f32(buf + c.ca_off[3] + 4 * j)


def _canonical_reader(on=None):
    """Tests only: whether the canonical reader is tried first; ``on`` switches it (None leaves it)."""
    global _canon_on
    was = _canon_on
    if on is not None:
        _canon_on = bool(on)
    return was


def _reads_canonically(stream, limits=None):
    """Tests only: would the canonical reader take ``stream`` (bytes) under ``limits``?"""
    cdef Ctx c
    cdef Out out
    cdef int rc
    cdef bytes data = bytes(stream)
    lim = get_default_limits() if limits is None else limits
    _ctx_take(&c)
    try:
        c.max_depth = _clamp(lim.max_depth)
        c.max_face = _clamp(lim.max_face_size)
        c.null_budget = _clamp(lim.max_elements)
        c.buf = <const uint8_t*>PyBytes_AS_STRING(data)
        c.n = PyBytes_GET_SIZE(data)
        rc = _canon_scan(&c, &out)
    finally:
        _ctx_free(&c)
    if rc < 0:
        raise MemoryError()
    return rc == 0
