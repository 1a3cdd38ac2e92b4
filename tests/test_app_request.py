"""The request object as a view sees it, and how bad input turns into 4xx answers."""

from __future__ import annotations

import io

import pytest

from carafe import request

FORM = "application/x-www-form-urlencoded"


# ---------------------------------------------------------------------------
# The request line and URL parts


def test_method(app, client):
    @app.route("/", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def index():
        return request.method

    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        assert client.open("/", method=method).data == method.encode()


def test_url_parts(app, client):
    @app.route("/some/path")
    def view():
        return {
            "path": request.path,
            "full_path": request.full_path,
            "script_root": request.script_root,
            "url": request.url,
            "base_url": request.base_url,
            "url_root": request.url_root,
            "host": request.host,
            "host_url": request.host_url,
            "scheme": request.scheme,
            "is_secure": request.is_secure,
            "remote_addr": request.remote_addr,
            "query_string": request.query_string.decode(),
        }

    assert client.get("/some/path?a=1&b=x%20y").json == {
        "path": "/some/path",
        "full_path": "/some/path?a=1&b=x%20y",
        "script_root": "",
        "url": "http://localhost/some/path?a=1&b=x%20y",
        "base_url": "http://localhost/some/path",
        "url_root": "http://localhost/",
        "host": "localhost",
        "host_url": "http://localhost/",
        "scheme": "http",
        "is_secure": False,
        "remote_addr": "127.0.0.1",
        "query_string": "a=1&b=x%20y",
    }


def test_full_path_without_query_keeps_question_mark(app, client):
    @app.route("/p")
    def view():
        return request.full_path

    assert client.get("/p").data == b"/p?"


def test_url_parts_with_base_url(app, client):
    @app.route("/p")
    def view():
        return {
            "path": request.path,
            "script_root": request.script_root,
            "url": request.url,
            "url_root": request.url_root,
            "host": request.host,
            "host_url": request.host_url,
            "scheme": request.scheme,
            "is_secure": request.is_secure,
        }

    response = client.get("/p?x=1", base_url="https://example.com:8443/mount")
    assert response.json == {
        "path": "/p",
        "script_root": "/mount",
        "url": "https://example.com:8443/mount/p?x=1",
        "url_root": "https://example.com:8443/mount/",
        "host": "example.com:8443",
        "host_url": "https://example.com:8443/",
        "scheme": "https",
        "is_secure": True,
    }


def test_unicode_path(app, client):
    @app.route("/<name>")
    def view(name):
        return {"name": name, "path": request.path, "url": request.url}

    assert client.get("/caf%C3%A9").json == {
        "name": "caf\u00e9",
        "path": "/caf\u00e9",
        # Werkzeug gives the URL as an IRI: non-ASCII characters unquoted.
        "url": "http://localhost/caf\u00e9",
    }


def test_remote_addr_override(app, client):
    @app.route("/")
    def view():
        return request.remote_addr

    response = client.get("/", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert response.data == b"10.1.2.3"


# ---------------------------------------------------------------------------
# Query string


def test_args(app, client):
    @app.route("/")
    def view():
        return {
            "a": request.args["a"],
            "all_b": request.args.getlist("b"),
            "first_b": request.args.get("b"),
            "missing": request.args.get("missing"),
            "default": request.args.get("missing", "dflt"),
            "typed": request.args.get("n", type=int),
            "bad_typed": request.args.get("a", type=int),
            "empty": request.args.get("empty"),
            "plus": request.args.get("plus"),
            "keys": sorted(request.args.keys()),
        }

    response = client.get("/?a=1&b=x&b=y&n=42&empty=&plus=a+b%2Bc")
    assert response.json == {
        "a": "1",
        "all_b": ["x", "y"],
        "first_b": "x",
        "missing": None,
        "default": "dflt",
        "typed": 42,
        "bad_typed": 1,
        "empty": "",
        "plus": "a b+c",
        "keys": ["a", "b", "empty", "n", "plus"],
    }


def test_query_string_argument(app, client):
    @app.route("/")
    def view():
        return {"args": request.args.to_dict(flat=False)}

    assert client.get("/", query_string={"q": "a b", "t": ["1", "2"]}).json == {
        "args": {"q": ["a b"], "t": ["1", "2"]}
    }
    assert client.get("/", query_string="x=1&x=2").json == {"args": {"x": ["1", "2"]}}


def test_missing_arg_is_400(app, client):
    @app.route("/")
    def view():
        return request.args["nope"]

    response = client.get("/")
    assert response.status_code == 400
    assert b"<title>400 Bad Request</title>" in response.data


def test_args_are_immutable(app, client):
    @app.route("/")
    def view():
        with pytest.raises(TypeError):
            request.args["x"] = "1"
        return "ok"

    assert client.get("/?a=1").data == b"ok"


# ---------------------------------------------------------------------------
# Forms and files


def test_form(app, client):
    @app.route("/", methods=["POST"])
    def view():
        return {
            "name": request.form["name"],
            "many": request.form.getlist("many"),
            "missing": request.form.get("missing"),
            "data": request.data.decode(),
            "mimetype": request.mimetype,
        }

    response = client.post("/", data={"name": "J\u00fcrgen", "many": ["1", "2"]})
    assert response.json == {
        "name": "J\u00fcrgen",
        "many": ["1", "2"],
        "missing": None,
        "data": "",
        "mimetype": FORM,
    }


def test_form_from_raw_urlencoded_body(app, client):
    @app.route("/", methods=["POST"])
    def view():
        return request.form.to_dict(flat=False)

    response = client.post(
        "/", data="username=sam&firstname=john&lastname=king&x=a+b%26", content_type=FORM
    )
    assert response.json == {
        "username": ["sam"],
        "firstname": ["john"],
        "lastname": ["king"],
        "x": ["a b&"],
    }


def test_form_is_empty_for_other_content_types(app, client):
    @app.route("/", methods=["POST"])
    def view():
        return {"form": request.form.to_dict(), "data": request.get_data(as_text=True)}

    response = client.post("/", data="a=1", content_type="text/plain")
    assert response.json == {"form": {}, "data": "a=1"}


def test_values_get_uses_args_only(app, client):
    @app.route("/", methods=["GET", "POST"])
    def view():
        return request.values.to_dict(flat=False)

    assert client.get("/?a=1").json == {"a": ["1"]}
    assert client.post("/?a=1", data={"a": "2", "b": "3"}).json == {"a": ["1", "2"], "b": ["3"]}


def test_missing_form_key_is_400(app, client):
    @app.route("/", methods=["POST"])
    def view():
        return request.form["lastname"]

    response = client.post("/", data={"username": "sam"})
    assert response.status == "400 BAD REQUEST"
    assert b"The browser (or proxy) sent a request that this server could not understand." in (
        response.data
    )


def test_missing_form_key_is_catchable_as_key_error(app, client):
    @app.route("/", methods=["POST"])
    def view():
        try:
            return request.form["nope"]
        except KeyError as exc:
            return f"caught {exc.args[0]}", 422

    response = client.post("/", data={"a": "1"})
    assert response.status_code == 422
    assert response.data == b"caught nope"


def test_missing_form_key_in_debug_names_the_key(app, client):
    app.config["TRAP_BAD_REQUEST_ERRORS"] = False
    app.debug = True
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/", methods=["POST"])
    def view():
        return request.form["lastname"]

    response = client.post("/", data={"username": "sam"})
    assert response.status_code == 400
    assert b"KeyError: &#39;lastname&#39;" in response.data


def test_file_upload(app, client, tmp_path):
    saved = tmp_path / "saved.txt"

    @app.route("/upload", methods=["POST"])
    def upload():
        storage = request.files["doc"]
        info = {
            "filename": storage.filename,
            "name": storage.name,
            "mimetype": storage.mimetype,
            "content_type": storage.content_type,
            "content": storage.read().decode(),
            "field": request.form["title"],
        }
        storage.seek(0)
        storage.save(str(saved))
        return info

    response = client.post(
        "/upload",
        data={
            "title": "A title",
            "doc": (io.BytesIO(b"file contents"), "notes.txt", "text/plain"),
        },
    )
    assert response.json == {
        "filename": "notes.txt",
        "name": "doc",
        "mimetype": "text/plain",
        "content_type": "text/plain",
        "content": "file contents",
        "field": "A title",
    }
    assert saved.read_bytes() == b"file contents"


def test_several_files_in_one_field(app, client):
    @app.route("/", methods=["POST"])
    def view():
        return {
            "names": [storage.filename for storage in request.files.getlist("docs")],
            "sizes": [len(storage.read()) for storage in request.files.getlist("docs")],
        }

    response = client.post(
        "/",
        data={"docs": [(io.BytesIO(b"a"), "one.bin"), (io.BytesIO(b"bbb"), "two.bin")]},
    )
    assert response.json == {"names": ["one.bin", "two.bin"], "sizes": [1, 3]}


def test_binary_file_upload_is_not_altered(app, client):
    payload = bytes(range(256)) * 40

    @app.route("/", methods=["POST"])
    def view():
        return request.files["blob"].read()

    response = client.post("/", data={"blob": (io.BytesIO(payload), "b.bin")})
    assert response.data == payload


def test_file_save_to_stream(app, client):
    @app.route("/", methods=["POST"])
    def view():
        target = io.BytesIO()
        request.files["f"].save(target)
        return target.getvalue()

    assert client.post("/", data={"f": (io.BytesIO(b"xyz"), "f.txt")}).data == b"xyz"


def test_missing_file_is_400(app, client):
    @app.route("/", methods=["POST"])
    def view():
        return request.files["nope"].filename

    assert client.post("/", data={"a": "1"}).status_code == 400


def test_files_empty_without_multipart(app, client):
    @app.route("/", methods=["POST"])
    def view():
        return {"files": len(request.files), "form": request.form.to_dict()}

    assert client.post("/", data={"a": "1"}).json == {"files": 0, "form": {"a": "1"}}


# ---------------------------------------------------------------------------
# JSON and raw bodies


def test_json(app, client):
    @app.route("/", methods=["POST"])
    def view():
        return {
            "json": request.json,
            "is_json": request.is_json,
            "mimetype": request.mimetype,
            "content_type": request.content_type,
        }

    response = client.post("/", json={"a": [1, 2], "b": None})
    assert response.json == {
        "json": {"a": [1, 2], "b": None},
        "is_json": True,
        "mimetype": "application/json",
        "content_type": "application/json",
    }


def test_json_plus_json_mimetype(app, client):
    @app.route("/", methods=["POST"])
    def view():
        return {"is_json": request.is_json, "json": request.get_json()}

    response = client.post("/", data='{"x": 1}', content_type="application/vnd.api+json")
    assert response.json == {"is_json": True, "json": {"x": 1}}


def test_json_with_charset_parameter(app, client):
    @app.route("/", methods=["POST"])
    def view():
        return {"json": request.get_json()}

    response = client.post("/", data='{"x": 1}', content_type="application/json; charset=utf-8")
    assert response.json == {"json": {"x": 1}}


def test_get_json_force(app, client):
    @app.route("/", methods=["POST"])
    def view():
        return {"forced": request.get_json(force=True)}

    response = client.post("/", data='{"x": 1}', content_type="text/plain")
    assert response.json == {"forced": {"x": 1}}


def test_get_json_silent(app, client):
    @app.route("/", methods=["POST"])
    def view():
        return {"silent": request.get_json(silent=True)}

    assert client.post("/", data="{broken", content_type="application/json").json == {
        "silent": None
    }
    assert client.post("/", data="{}", content_type="text/plain").json == {"silent": None}


def test_get_json_cache(app, client):
    @app.route("/", methods=["POST"])
    def view():
        first = request.get_json()
        first["mutated"] = True
        return {"second": request.get_json()}

    assert client.post("/", json={"a": 1}).json == {"second": {"a": 1, "mutated": True}}


def test_get_json_no_cache(app, client):
    @app.route("/", methods=["POST"])
    def view():
        return {"first": request.get_json(cache=False)}

    assert client.post("/", json={"a": 1}).json == {"first": {"a": 1}}


def test_malformed_json_is_400(app, client):
    @app.route("/", methods=["POST"])
    def view():
        return {"got": request.json}

    response = client.post("/", data="{not json", content_type="application/json")
    assert response.status == "400 BAD REQUEST"
    assert b"<title>400 Bad Request</title>" in response.data


def test_empty_json_body_is_400(app, client):
    @app.route("/", methods=["POST"])
    def view():
        return {"got": request.get_json()}

    assert client.post("/", data="", content_type="application/json").status_code == 400


def test_json_on_text_plain_is_415(app, client):
    @app.route("/", methods=["POST"])
    def view():
        return {"got": request.get_json()}

    response = client.post("/", data='{"a": 1}', content_type="text/plain")
    assert response.status == "415 UNSUPPORTED MEDIA TYPE"
    assert b"Did not attempt to load JSON data" in response.data


def test_json_without_body_or_type_is_415(app, client):
    @app.route("/", methods=["POST"])
    def view():
        return {"got": request.json}

    assert client.post("/").status_code == 415


def test_json_invalid_utf8_is_400(app, client):
    @app.route("/", methods=["POST"])
    def view():
        return {"got": request.get_json()}

    response = client.post("/", data=b'{"a": "\xff"}', content_type="application/json")
    assert response.status_code == 400


def test_json_scalars(app, client):
    @app.route("/", methods=["POST"])
    def view():
        return {"got": request.get_json()}

    assert client.post("/", json=5).json == {"got": 5}
    assert client.post("/", json="s").json == {"got": "s"}
    assert client.post("/", json=[1]).json == {"got": [1]}


def test_data_and_get_data(app, client):
    @app.route("/", methods=["POST"])
    def view():
        return {
            "data": request.data.decode(),
            "get_data": request.get_data().decode(),
            "text": request.get_data(as_text=True),
            "length": request.content_length,
            "type": request.content_type,
        }

    response = client.post("/", data="h\u00e9llo", content_type="text/plain; charset=utf-8")
    assert response.json == {
        "data": "h\u00e9llo",
        "get_data": "h\u00e9llo",
        "text": "h\u00e9llo",
        "length": 6,
        "type": "text/plain; charset=utf-8",
    }


def test_get_data_bytes_body(app, client):
    @app.route("/", methods=["PUT"])
    def view():
        return request.get_data()

    payload = b"\x00\x01\xff binary"
    assert client.put("/", data=payload).data == payload


def test_stream_read(app, client):
    @app.route("/", methods=["POST"])
    def view():
        return request.stream.read()

    assert client.post("/", data=b"streamed body", content_type="text/plain").data == (
        b"streamed body"
    )


def test_no_body(app, client):
    @app.route("/")
    def view():
        return {
            "data": request.get_data().decode(),
            "length": request.content_length,
            "type": request.content_type,
            "mimetype": request.mimetype,
            "is_json": request.is_json,
            "form": request.form.to_dict(),
        }

    assert client.get("/").json == {
        "data": "",
        "length": None,
        "type": None,
        "mimetype": "",
        "is_json": False,
        "form": {},
    }


# ---------------------------------------------------------------------------
# Headers and cookies


def test_headers(app, client):
    @app.route("/")
    def view():
        return {
            "custom": request.headers["X-Custom"],
            "lower": request.headers.get("x-custom"),
            "missing": request.headers.get("X-Missing"),
            "user_agent": str(request.user_agent),
            "ua_string": request.user_agent.string,
            "host": request.headers["Host"],
            "in": "X-Custom" in request.headers,
        }

    response = client.get("/", headers={"X-Custom": "value", "User-Agent": "MyAgent/1.0"})
    assert response.json == {
        "custom": "value",
        "lower": "value",
        "missing": None,
        "user_agent": "MyAgent/1.0",
        "ua_string": "MyAgent/1.0",
        "host": "localhost",
        "in": True,
    }


def test_missing_header_key_is_400(app, client):
    # Flask raises a plain KeyError here (a 500); Carafe answers the client's
    # missing header with a 400, like a missing form or query key.
    @app.route("/")
    def view():
        try:
            request.headers["X-Required"]
        except KeyError:
            pass
        else:
            raise AssertionError("no KeyError")
        return request.headers["X-Required"]

    assert client.get("/").status_code == 400


def test_headers_as_list_of_pairs(app, client):
    @app.route("/")
    def view():
        return request.headers.get("X-A")

    assert client.get("/", headers=[("X-A", "1")]).data == b"1"


def test_cookies(app, client):
    @app.route("/")
    def view():
        return {"cookies": request.cookies.to_dict(), "one": request.cookies.get("a")}

    # Without a cookie jar, the client sends the Cookie header as given.
    client = app.test_client(use_cookies=False)
    response = client.get("/", headers={"Cookie": 'a=1; b="quoted value"; c=caf%C3%A9'})
    assert response.json == {
        "cookies": {"a": "1", "b": "quoted value", "c": "caf%C3%A9"},
        "one": "1",
    }


def test_missing_cookie_key_is_400(app, client):
    @app.route("/")
    def view():
        return request.cookies["session_id"]

    assert client.get("/").status_code == 400


def test_view_args_endpoint_url_rule(app, client):
    @app.route("/item/<int:ident>/<slug>")
    def item(ident, slug):
        return {
            "view_args": request.view_args,
            "endpoint": request.endpoint,
            "rule": str(request.url_rule),
        }

    assert client.get("/item/3/abc").json == {
        "view_args": {"ident": 3, "slug": "abc"},
        "endpoint": "item",
        "rule": "/item/<int:ident>/<slug>",
    }


def test_url_rule_none_on_404(app, client):
    seen = []

    @app.errorhandler(404)
    def not_found(error):
        seen.append((request.url_rule, request.endpoint, request.view_args))
        return "nf", 404

    client.get("/nowhere")
    assert seen == [(None, None, None)]


# ---------------------------------------------------------------------------
# Hostile or broken input: a 4xx or replacement characters, never a 500


def test_invalid_utf8_in_query(app, client):
    @app.route("/")
    def view():
        return {"args": request.args.to_dict()}

    # Percent-encoded bytes that are not UTF-8 stay percent-encoded, as in Werkzeug 3.
    response = client.get("/?a=%FF&b=caf%C3%A9")
    assert response.status_code == 200
    assert response.json == {"args": {"a": "%FF", "b": "caf\u00e9"}}


def test_invalid_utf8_raw_bytes_in_query(app, client):
    # Flask answers this with a 500 (UnicodeDecodeError); Carafe must not.
    @app.route("/")
    def view():
        return {"args": request.args.to_dict()}

    response = client.get("/", environ_overrides={"QUERY_STRING": "a=\xff\xfe"})
    assert response.status_code == 200
    assert response.json == {"args": {"a": "\ufffd\ufffd"}}


def test_invalid_utf8_in_form(app, client):
    @app.route("/", methods=["POST"])
    def view():
        return {"form": request.form.to_dict()}

    response = client.post("/", data=b"a=%FF&b=ok", content_type=FORM)
    assert response.status_code == 200
    assert response.json == {"form": {"a": "%FF", "b": "ok"}}


def test_invalid_utf8_raw_bytes_in_form(app, client):
    # Werkzeug drops the whole form here; Carafe keeps it, with replacement characters.
    @app.route("/", methods=["POST"])
    def view():
        return {"form": request.form.to_dict()}

    response = client.post("/", data=b"b=ok&c=\xfe", content_type=FORM)
    assert response.status_code == 200
    assert response.json == {"form": {"b": "ok", "c": "\ufffd"}}


def test_invalid_utf8_in_path(app, client):
    @app.route("/<name>")
    def view(name):
        return {"name": name, "path": request.path}

    response = client.get("/x%FF")
    assert response.status_code == 200
    assert response.json == {"name": "x\ufffd", "path": "/x\ufffd"}


def test_invalid_utf8_in_path_404(app, client):
    response = client.get("/%FF%FE")
    assert response.status_code == 404


def test_invalid_utf8_in_cookies(app, client):
    # Werkzeug leaves these as latin-1 mojibake; Carafe decodes UTF-8 with replacement.
    @app.route("/")
    def view():
        return {"cookies": request.cookies.to_dict()}

    client = app.test_client(use_cookies=False)
    response = client.get("/", environ_overrides={"HTTP_COOKIE": "a=caf\xc3\xa9; b=\xff"})
    assert response.status_code == 200
    assert response.json == {"cookies": {"a": "caf\u00e9", "b": "\ufffd"}}


def test_utf8_cookie_value_is_decoded_once(app, client):
    # A valid UTF-8 value only: decoding its bytes twice turned "é" into U+FFFD.
    @app.route("/")
    def view():
        return {"cookies": request.cookies.to_dict()}

    client = app.test_client(use_cookies=False)
    response = client.get("/", environ_overrides={"HTTP_COOKIE": "a=caf\xc3\xa9"})
    assert response.json == {"cookies": {"a": "caf\u00e9"}}


def test_invalid_utf8_in_multipart_field(app, client):
    boundary = "XyZ"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="a"\r\n\r\n'.encode()
        + b"\xff\xfe"
        + f"\r\n--{boundary}--\r\n".encode()
    )

    @app.route("/", methods=["POST"])
    def view():
        return {"form": request.form.to_dict()}

    response = client.post(
        "/", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 200
    assert response.json == {"form": {"a": "\ufffd\ufffd"}}


def test_bad_percent_encoding_in_query(app, client):
    @app.route("/")
    def view():
        return {"args": request.args.to_dict()}

    response = client.get("/", query_string="a=%zz&b=%4&c=100%")
    assert response.status_code == 200
    assert response.json == {"args": {"a": "%zz", "b": "%4", "c": "100%"}}


def test_bad_percent_encoding_in_form(app, client):
    @app.route("/", methods=["POST"])
    def view():
        return {"form": request.form.to_dict()}

    response = client.post("/", data="a=%zz&b=%", content_type=FORM)
    assert response.status_code == 200
    assert response.json == {"form": {"a": "%zz", "b": "%"}}


def test_bad_percent_encoding_in_path(app, client):
    @app.route("/<name>")
    def view(name):
        return name

    response = client.get("/", environ_overrides={"PATH_INFO": "/%zz"})
    assert response.status_code == 200
    assert response.data == b"%zz"


def test_max_content_length_413(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 10

    @app.route("/", methods=["POST"])
    def view():
        return request.get_data()

    assert client.post("/", data=b"x" * 10).data == b"x" * 10
    response = client.post("/", data=b"x" * 11)
    assert response.status == "413 REQUEST ENTITY TOO LARGE"
    assert b"<title>413 Request Entity Too Large</title>" in response.data


def test_max_content_length_413_for_form(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 10

    @app.route("/", methods=["POST"])
    def view():
        return request.form.get("a", "none")

    assert client.post("/", data={"a": "x" * 50}).status_code == 413


def test_max_content_length_413_for_json(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 10

    @app.route("/", methods=["POST"])
    def view():
        return {"got": request.json}

    assert client.post("/", json={"a": "x" * 50}).status_code == 413


def test_body_not_read_is_not_413(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 10

    @app.route("/", methods=["POST"])
    def view():
        return "ignored body"

    assert client.post("/", data=b"x" * 100).status_code == 200


def test_max_form_memory_size_413(app, client):
    app.config["MAX_FORM_MEMORY_SIZE"] = 100

    @app.route("/", methods=["POST"])
    def view():
        return request.form.get("a", "none")

    assert client.post("/", data={"a": "x" * 50}).data == b"x" * 50
    boundary = "bnd"
    big_field = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="a"\r\n\r\n'
        + "x" * 500
        + f"\r\n--{boundary}--\r\n"
    )
    response = client.post(
        "/", data=big_field, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 413


def test_max_form_memory_size_does_not_limit_files(app, client):
    app.config["MAX_FORM_MEMORY_SIZE"] = 100_000

    @app.route("/", methods=["POST"])
    def view():
        return str(len(request.files["f"].read()))

    response = client.post("/", data={"f": (io.BytesIO(b"y" * 1_000_000), "big.bin")})
    assert response.data == b"1000000"
    response = client.post("/", data={"f": "y" * 200_000, "g": (io.BytesIO(b"z"), "z.bin")})
    assert response.status_code == 413


def test_max_form_parts_413(app, client):
    app.config["MAX_FORM_PARTS"] = 5

    @app.route("/", methods=["POST"])
    def view():
        return str(len(request.form))

    fields = {f"f{index}": (io.BytesIO(b"x"), f"{index}.txt") for index in range(10)}
    assert client.post("/", data=fields).status_code == 413
    assert client.post("/", data={"f": (io.BytesIO(b"x"), "f.txt")}).status_code == 200


def test_limits_come_from_the_request_then_the_app_then_the_defaults(app):
    # Flask 3.1: the limits can be set on a request; None goes back to the app's. A
    # request never looks up the current app: one built by hand without the app's
    # options has Carafe's defaults, even inside an app context (Flask's reads the
    # current app's config there).
    from carafe.request import Request

    app.config.update(MAX_CONTENT_LENGTH=100, MAX_FORM_MEMORY_SIZE=50, MAX_FORM_PARTS=3)
    alone = Request({})
    defaults = (16 * 1024 * 1024, 500_000, 1000)
    assert (alone.max_content_length, alone.max_form_memory_size, alone.max_form_parts) == defaults
    with app.app_context():
        assert (alone.max_content_length, alone.max_form_memory_size) == defaults[:2]
    made = Request({}, app.request_options)

    def limits(request: Request) -> tuple[int | None, ...]:
        return (request.max_content_length, request.max_form_memory_size, request.max_form_parts)

    assert limits(made) == (100, 50, 3)
    made.max_content_length, made.max_form_memory_size, made.max_form_parts = 90, 30, 4
    assert limits(made) == (90, 30, 4)
    # The app's own values are untouched by one request's.
    assert app.request_options.max_content_length == 100
    made.max_form_parts = None
    assert made.max_form_parts == 3


def test_request_options_follow_the_config(app, client):
    # Set after the first request, a limit still applies, as Flask reads its config.
    @app.route("/", methods=["POST"])
    def view():
        return request.get_data()

    assert client.post("/", data=b"x" * 20).status_code == 200
    app.config["MAX_CONTENT_LENGTH"] = 10
    assert client.post("/", data=b"x" * 20).status_code == 413
    app.config.update(MAX_CONTENT_LENGTH=None)
    assert client.post("/", data=b"x" * 20).status_code == 200
    del app.config["MAX_CONTENT_LENGTH"]
    assert app.request_options.max_content_length == 16 * 1024 * 1024
    app.config.setdefault("MAX_CONTENT_LENGTH", 5)
    assert client.post("/", data=b"x" * 6).status_code == 413
    app.config |= {"TRUSTED_HOSTS": ["example.com"]}
    assert app.request_options.trusted_hosts == ["example.com"]
    app.config.pop("TRUSTED_HOSTS")
    assert app.request_options.trusted_hosts is None
    app.debug = True
    assert app.request_options.debug is True


def test_a_view_can_set_its_own_limits(app, client):
    @app.before_request
    def small_bodies_only():
        if request.path == "/strict":
            request.max_content_length = 10

    @app.route("/strict", methods=["POST"])
    def strict():
        return request.get_data()

    @app.route("/fields", methods=["POST"])
    def fields():
        request.max_form_memory_size = 7  # an urlencoded body counts whole: "a=" too
        return request.form.get("a", "none")

    @app.route("/parts", methods=["POST"])
    def parts():
        request.max_form_parts = 2
        return str(len(request.form))

    assert client.post("/strict", data=b"x" * 10).data == b"x" * 10
    assert client.post("/strict", data=b"x" * 11).status_code == 413
    assert client.post("/fields", data={"a": "x" * 5}).data == b"xxxxx"
    assert client.post("/fields", data={"a": "x" * 6}).status_code == 413
    files = {f"f{index}": (io.BytesIO(b"x"), f"{index}.txt") for index in range(3)}
    assert client.post("/parts", data=files).status_code == 413
    assert client.post("/parts", data={"f": (io.BytesIO(b"x"), "f.txt")}).status_code == 200


def test_default_limits(app):
    # Flask's form limits; a body limit where Flask has none (docs/security.md).
    assert app.config["MAX_CONTENT_LENGTH"] == 16 * 1024 * 1024
    assert app.config["MAX_FORM_MEMORY_SIZE"] == 500_000
    assert app.config["MAX_FORM_PARTS"] == 1000
    assert app.config["MAX_URL_LENGTH"] == 8192
    assert app.config["MAX_QUERY_FIELDS"] == 1000
    assert app.config["MAX_JSON_SIZE"] == 1024 * 1024
    assert app.config["MAX_JSON_DEPTH"] == 100


def test_truncated_body_is_400(app, client):
    @app.route("/", methods=["POST"])
    def view():
        return request.get_data()

    response = client.post(
        "/", data=b"short", content_type="text/plain", environ_overrides={"CONTENT_LENGTH": "100"}
    )
    assert response.status_code == 400


def test_truncated_form_body_is_400(app, client):
    @app.route("/", methods=["POST"])
    def view():
        return request.form.get("a", "none")

    response = client.post(
        "/", data=b"a=1", content_type=FORM, environ_overrides={"CONTENT_LENGTH": "100"}
    )
    assert response.status_code == 400


def test_truncated_multipart_body_is_400(app, client):
    # Werkzeug silently drops the unfinished part; Carafe refuses a truncated upload.
    boundary = "bnd"
    body = f'--{boundary}\r\nContent-Disposition: form-data; name="a"\r\n\r\nvalue'.encode()

    @app.route("/", methods=["POST"])
    def view():
        return request.form.get("a", "none")

    response = client.post(
        "/", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 400


def test_invalid_content_length_reads_nothing(app, client):
    @app.route("/", methods=["POST"])
    def view():
        return {"length": request.content_length, "data": request.get_data().decode()}

    # Werkzeug reads an unparsable Content-Length as 0.
    response = client.post(
        "/", data=b"abc", content_type="text/plain", environ_overrides={"CONTENT_LENGTH": "abc"}
    )
    assert response.status_code == 200
    assert response.json == {"length": 0, "data": ""}


def test_multipart_without_boundary_does_not_500(app, client):
    @app.route("/", methods=["POST"])
    def view():
        return {"form": request.form.to_dict()}

    response = client.post("/", data=b"whatever", content_type="multipart/form-data")
    assert response.status_code in (200, 400)
