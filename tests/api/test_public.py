"""The public surface of bimgeo.api and the small pure pieces (Retry-After, error bodies, decoder, cache)."""
from __future__ import annotations

import __future__
import gzip
import importlib
import inspect
import types
import zlib
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bimgeo
import bimgeo.api as api
from bimgeo.api import Client, parse_retry_after
from bimgeo.api._body import BodyDecoder
from bimgeo.api._cache import ETagCache
from bimgeo.api._errors import ApiError, IncompleteResponseError, error_class, parse_error_body

PRIVATE = ["_body", "_cache", "_cli", "_client", "_errors", "_resources", "_retry", "_types"]


def test_all_equals_public_names_sorted():
    public = sorted(
        name
        for name, value in vars(api).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and not isinstance(value, __future__._Feature)
    )
    assert api.__all__ == public
    for name in api.__all__:
        obj = getattr(api, name)
        mod = getattr(obj, "__module__", "bimgeo.api._x")
        if isinstance(mod, str) and mod.startswith("bimgeo"):
            assert mod.split(".")[2].startswith("_"), f"{name} lives in public module {mod}"


@pytest.mark.parametrize("name", PRIVATE)
def test_private_modules_declare_all(name):
    mod = importlib.import_module(f"bimgeo.api.{name}")
    assert isinstance(mod.__all__, list) and all(hasattr(mod, n) for n in mod.__all__)


def test_errors_hang_off_bimgeo_error():
    assert issubclass(api.ApiError, bimgeo.BimgeoError)
    for name in api.__all__:
        obj = getattr(api, name)
        if inspect.isclass(obj) and issubclass(obj, Exception):
            assert issubclass(obj, api.ApiError), name
    assert error_class(401) is api.AuthenticationError
    assert error_class(403) is api.PermissionDeniedError
    assert error_class(404) is api.NotFoundError
    assert error_class(409) is api.ConflictError
    assert error_class(422) is api.UnprocessableEntityError
    assert error_class(429) is api.RateLimitError
    assert error_class(503) is api.ServerError
    assert error_class(400) is api.ApiError
    assert issubclass(api.ConfigurationError, ValueError)


def _public_callables():
    client = Client("t", team="x")
    try:
        groups = [getattr(client, n) for n in vars(client) if not n.startswith("_") and hasattr(getattr(client, n), "_c")]
    finally:
        client.close()
    seen = set()
    for obj in [getattr(api, n) for n in api.__all__] + [type(g) for g in groups]:
        if inspect.isfunction(obj):
            yield obj.__qualname__, obj
        if inspect.isclass(obj):
            for attr, member in vars(obj).items():
                if attr.startswith("_") or not callable(member) and not isinstance(member, (classmethod, property)):
                    continue
                key = f"{obj.__qualname__}.{attr}"
                if key not in seen:
                    seen.add(key)
                    yield key, member


def test_every_public_function_has_a_docstring():
    missing = []
    for key, member in _public_callables():
        fn = member.__func__ if isinstance(member, classmethod) else member
        fn = fn.fget if isinstance(fn, property) else fn
        if not (getattr(fn, "__doc__", None) or "").strip():
            missing.append(key)
    assert missing == []


def test_resource_groups_exist():
    with Client("t", team="x") as c:
        for name in (
            "teams", "projects", "models", "divisions", "objects", "geometries", "comments", "attachments",
            "hyperlinks", "custom_tables", "reports", "ifc_export", "itwin_export",
        ):
            assert hasattr(c, name)


# --- Retry-After ------------------------------------------------------------------------------------


def test_retry_after_forms():
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("-3") is None
    past = format_datetime(datetime.now(timezone.utc) - timedelta(minutes=1), usegmt=True)
    assert parse_retry_after(past) == 0.0
    future = datetime(2030, 1, 1, tzinfo=timezone.utc)
    got = parse_retry_after(format_datetime(future, usegmt=True), now=future.timestamp() - 90)
    assert got == pytest.approx(90.0)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=40))
def test_retry_after_never_raises(text):
    value = parse_retry_after(text)
    assert value is None or value >= 0


# --- error bodies -------------------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode)))
def test_error_body_parser_never_raises(body):
    code, message, details = parse_error_body(body)
    assert code is None or isinstance(code, str)
    assert message is None or isinstance(message, str)
    assert isinstance(details, list)


def test_error_body_forms():
    assert parse_error_body(b'{"error": {"code": "C", "message": "M", "details": [{"code": "d", "message": "m", "target": "t"}]}}')[:2] == ("C", "M")
    assert parse_error_body(b'{"Message": "An error has occurred.", "ExceptionMessage": "boom"}')[1] == "An error has occurred."
    assert parse_error_body(b'{"errorCode": 17, "errorMessage": "bad"}')[:2] == ("17", "bad")
    assert parse_error_body(b"x" * 2000)[1].endswith("...")
    assert parse_error_body(b"")[1] is None
    err = ApiError("m", status=404, code="C", method="GET", url="http://h/x")
    assert str(err) == "HTTP 404: C: m (GET http://h/x)"


# --- the body decoder -------------------------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=5000), st.integers(1, 64))
def test_decoder_roundtrip_in_pieces(data, piece):
    for coding, packed in (("gzip", gzip.compress(data)), ("deflate", zlib.compress(data)), (None, data)):
        dec = BodyDecoder(coding)
        out = b"".join(dec.feed(packed[i : i + piece]) for i in range(0, len(packed), piece)) + dec.finish()
        assert out == data


def test_decoder_raw_deflate_and_multimember_gzip():
    raw = zlib.compressobj(wbits=-15)
    packed = raw.compress(b"hello") + raw.flush()
    dec = BodyDecoder("deflate")
    assert dec.feed(packed) + dec.finish() == b"hello"
    dec = BodyDecoder("gzip")
    assert dec.feed(gzip.compress(b"ab") + gzip.compress(b"cd")) + dec.finish() == b"abcd"


def test_decoder_truncated_and_unsupported():
    packed = gzip.compress(b"x" * 1000)
    dec = BodyDecoder("gzip")
    dec.feed(packed[:-10])
    with pytest.raises(IncompleteResponseError, match="truncated"):
        dec.finish()
    with pytest.raises(IncompleteResponseError):
        BodyDecoder("br")


# --- the cache ----------------------------------------------------------------------------------------------


def test_cache_roundtrip_and_damage(tmp_path):
    cache = ETagCache(tmp_path)
    key = cache.key("GET", "http://h/x?a=1")
    assert cache.get(key) is None
    cache.put(key, "http://h/x?a=1", '"e1"', {"x-total-count": "3", "set-cookie": "no"}, b"body")
    entry = cache.get(key)
    assert entry.etag == '"e1"' and entry.body == b"body" and entry.headers == {"x-total-count": "3"}
    (tmp_path / f"{key}.meta").write_bytes(b"not json")
    assert cache.get(key) is None
    cache.put(key, "http://h/x?a=1", '"e2"', {}, b"body2")
    (tmp_path / f"{key}.body").write_bytes(b"bodyX")
    assert cache.get(key) is None
    cache.clear()
    assert list(tmp_path.iterdir()) == []
