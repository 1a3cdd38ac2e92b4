"""carafe.exceptions against werkzeug.exceptions: codes, names, pages, headers, abort."""

from __future__ import annotations

import pickle
from datetime import datetime, timezone

import pytest
import werkzeug.exceptions as wz

import carafe.exceptions as cx

ALL_NAMES = sorted(
    name
    for name, obj in vars(wz).items()
    if isinstance(obj, type) and issubclass(obj, wz.HTTPException) and not name.startswith("_")
)


def test_every_werkzeug_class_exists():
    missing = [name for name in ALL_NAMES if not hasattr(cx, name)]
    assert missing == []


def test_default_exceptions_match():
    assert {code: cls.__name__ for code, cls in cx.default_exceptions.items()} == {
        code: cls.__name__ for code, cls in wz.default_exceptions.items()
    }


@pytest.mark.parametrize("name", ALL_NAMES)
def test_class_matches_werkzeug(name):
    ours, theirs = getattr(cx, name), getattr(wz, name)
    assert ours.code == theirs.code
    # (Carafe's own classes: once Werkzeug is loaded its classes are bases too, see
    # test_carafe_errors_are_werkzeug_instances.)
    assert [base.__name__ for base in ours.__mro__ if base.__module__.startswith("carafe")] == [
        base.__name__ for base in theirs.__mro__ if base.__module__ != "builtins"
    ]
    mine, ref = ours(), theirs()
    assert mine.name == ref.name
    assert mine.description == ref.description
    assert mine.get_description() == ref.get_description()
    assert mine.get_body() == ref.get_body()
    assert mine.get_headers() == ref.get_headers()
    assert str(mine) == str(ref)
    assert repr(mine) == repr(ref)


@pytest.mark.parametrize(
    "description",
    ["custom", "<script>alert('x') & \"y\"</script>", "line one\nline two", "", "é ünïcode"],
)
def test_custom_description_escaped_like_werkzeug(description):
    mine, ref = cx.NotFound(description), wz.NotFound(description)
    assert mine.get_body() == ref.get_body()
    assert str(mine) == str(ref)


def test_markup_description_not_escaped():
    from markupsafe import Markup

    text = Markup("<b>bold</b>\nnext")
    assert cx.BadRequest(text).get_body() == wz.BadRequest(text).get_body()


def test_base_and_unknown_code():
    assert cx.HTTPException().name == "Unknown Error"
    assert str(cx.HTTPException()) == str(wz.HTTPException())
    assert repr(cx.HTTPException()) == repr(wz.HTTPException())
    assert cx.HTTPException().get_body() == wz.HTTPException().get_body()

    class Custom(cx.HTTPException):
        code = 599

    class WzCustom(wz.HTTPException):
        code = 599

    assert Custom().get_body() == WzCustom().get_body()


def test_teapot_name_escaped():
    assert "I&#39;m a teapot" in cx.ImATeapot().get_body()


@pytest.mark.parametrize(
    "methods", [["GET", "POST"], ("HEAD",), ["GET", "HEAD", "OPTIONS"], [], None]
)
def test_method_not_allowed_allow_header(methods):
    assert cx.MethodNotAllowed(methods).get_headers() == wz.MethodNotAllowed(methods).get_headers()


def test_method_not_allowed_keywords():
    exc = cx.MethodNotAllowed(valid_methods=["GET"], description="nope")
    assert exc.get_headers()[-1] == ("Allow", "GET")
    assert exc.description == "nope"


def test_unauthorized_www_authenticate():
    from werkzeug.datastructures import WWWAuthenticate

    basic = WWWAuthenticate("basic", {"realm": "x"})
    bearer = WWWAuthenticate("bearer")
    assert (
        cx.Unauthorized(www_authenticate=basic).get_headers()
        == wz.Unauthorized(www_authenticate=basic).get_headers()
    )
    assert (
        cx.Unauthorized(www_authenticate=[basic, bearer]).get_headers()
        == wz.Unauthorized(www_authenticate=[basic, bearer]).get_headers()
    )
    assert cx.Unauthorized().get_headers() == wz.Unauthorized().get_headers()
    # A plain string is one challenge (Werkzeug would iterate its characters).
    assert cx.Unauthorized(www_authenticate='Basic realm="x"').get_headers()[1:] == [
        ("WWW-Authenticate", 'Basic realm="x"')
    ]


@pytest.mark.parametrize("name", ["TooManyRequests", "ServiceUnavailable"])
@pytest.mark.parametrize(
    "retry_after", [None, 0, 120, datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)]
)
def test_retry_after(name, retry_after):
    ours = getattr(cx, name)(retry_after=retry_after)
    theirs = getattr(wz, name)(retry_after=retry_after)
    assert ours.get_headers() == theirs.get_headers()


def test_retry_after_naive_datetime():
    moment = datetime(2030, 1, 2, 3, 4, 5)
    assert (
        cx.TooManyRequests(retry_after=moment).get_headers()
        == wz.TooManyRequests(retry_after=moment).get_headers()
    )


@pytest.mark.parametrize("length", [None, 0, 1000])
def test_range_not_satisfiable(length):
    assert (
        cx.RequestedRangeNotSatisfiable(length).get_headers()
        == wz.RequestedRangeNotSatisfiable(length).get_headers()
    )
    assert (
        cx.RequestedRangeNotSatisfiable(length, units="items").get_headers()
        == wz.RequestedRangeNotSatisfiable(length, units="items").get_headers()
    )


def test_internal_server_error_original_exception():
    assert cx.InternalServerError().original_exception is None
    cause = ValueError("boom")
    assert cx.InternalServerError(original_exception=cause).original_exception is cause


def test_bad_request_key_error():
    exc = cx.BadRequestKeyError("missing")
    ref = wz.BadRequestKeyError("missing")
    assert exc.args == ref.args == ("missing",)
    assert cx.BadRequestKeyError().args == wz.BadRequestKeyError().args == ()
    assert exc.description == ref.description
    assert str(exc) == str(ref)
    assert repr(exc) == repr(ref)
    assert exc.get_body() == ref.get_body()
    with pytest.raises(KeyError):
        raise exc
    with pytest.raises(cx.BadRequest):
        raise exc
    try:
        raise cx.BadRequestKeyError("k")
    except LookupError as caught:
        assert caught.code == 400


def test_bad_request_key_error_show_exception():
    exc, ref = cx.BadRequestKeyError("missing"), wz.BadRequestKeyError("missing")
    exc.show_exception = ref.show_exception = True
    assert exc.description == ref.description
    assert "KeyError: 'missing'" in exc.description
    assert exc.get_body() == ref.get_body()
    custom, wz_custom = cx.BadRequestKeyError("k", "told"), wz.BadRequestKeyError("k", "told")
    assert custom.description == wz_custom.description == "told"


@pytest.mark.parametrize("name", ALL_NAMES)
def test_pickle_round_trip(name):
    cls = getattr(cx, name)
    exc = cls("key") if name == "BadRequestKeyError" else cls(description="pickled")
    clone = pickle.loads(pickle.dumps(exc))
    assert type(clone) is cls
    assert clone.description == exc.description
    assert clone.args == exc.args
    assert clone.get_body() == exc.get_body()


def test_pickle_keeps_extra_state():
    clone = pickle.loads(pickle.dumps(cx.MethodNotAllowed(["GET", "POST"])))
    assert clone.get_headers()[-1] == ("Allow", "GET, POST")


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [((404,), {}), ((404, "gone away"), {}), ((404,), {"description": "kw"}), ((418,), {})],
)
def test_abort_codes(args, kwargs):
    with pytest.raises(cx.HTTPException) as ours:
        cx.abort(*args, **kwargs)
    with pytest.raises(wz.HTTPException) as theirs:
        wz.abort(*args, **kwargs)
    assert type(ours.value).__name__ == type(theirs.value).__name__
    assert ours.value.get_body() == theirs.value.get_body()


def test_abort_passes_arguments_through():
    with pytest.raises(cx.MethodNotAllowed) as info:
        cx.abort(405, valid_methods=["GET"])
    assert info.value.get_headers()[-1] == ("Allow", "GET")


@pytest.mark.parametrize("code", [999, 200, 302, "404", None])
def test_abort_unknown(code):
    with pytest.raises(LookupError) as ours:
        cx.abort(code)
    with pytest.raises(LookupError) as theirs:
        wz.abort(code)
    assert str(ours.value) == str(theirs.value)
    assert not isinstance(ours.value, cx.HTTPException)


def test_aborter_mapping_and_extra():
    class Custom(cx.HTTPException):
        code = 499
        description = "custom"

    aborter = cx.Aborter(extra={499: Custom})
    with pytest.raises(Custom):
        aborter(499)
    with pytest.raises(cx.NotFound):
        aborter(404)
    only = cx.Aborter(mapping={499: Custom})
    with pytest.raises(LookupError):
        only(404)
    assert 499 not in cx.default_exceptions


def test_abort_with_response():
    from carafe.response import Response

    response = Response("teapot body", 418)
    with pytest.raises(cx.HTTPException) as info:
        cx.abort(response)
    assert info.value.response is response
    assert info.value.get_response() is response


def test_get_response():
    response = cx.NotFound().get_response()
    assert response.status_code == 404
    assert response.headers.get("Content-Type") == "text/html; charset=utf-8"
    assert response.get_data() == wz.NotFound().get_response().get_data()


def test_get_response_headers():
    response = cx.MethodNotAllowed(["GET", "HEAD"]).get_response()
    assert response.status_code == 405
    assert response.headers.get("Allow") == "GET, HEAD"


def test_wsgi_call_matches_werkzeug():
    def run(app):
        captured = {}

        def start_response(status, headers, exc_info=None):
            captured["status"] = status
            captured["headers"] = headers
            return lambda data: None

        environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "SERVER_NAME": "x"}
        body = b"".join(app(environ, start_response))
        return captured["status"], captured["headers"], body

    status, headers, body = run(cx.NotFound())
    wz_status, wz_headers, wz_body = run(wz.NotFound())
    assert (status, body) == (wz_status, wz_body)
    assert sorted((k.lower(), v) for k, v in headers) == sorted(
        (k.lower(), v) for k, v in wz_headers
    )


def test_cached_default_pages_follow_instance_overrides() -> None:
    # The default page of a class is built once; instances that change the code or
    # the description must still get their own page.
    from carafe.exceptions import HTTPException, NotFound

    assert b"<title>404 Not Found</title>" in NotFound().get_response().get_data()
    custom = NotFound("gone fishing").get_response().get_data()
    assert b"<p>gone fishing</p>" in custom
    assert b"<p>gone fishing</p>" not in NotFound().get_response().get_data()
    error = HTTPException()
    error.code = 599
    assert error.get_response().status == "599 UNKNOWN"
    other = HTTPException()
    other.code = 598
    assert other.get_response().status == "598 UNKNOWN"
