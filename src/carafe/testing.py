"""The test client: requests to the app without a server, with a cookie jar.

``app.test_client()`` mirrors Flask's ``FlaskClient``: ``get/post/...(path,
data=, json=, headers=, query_string=, content_type=, follow_redirects=)``,
``get_cookie``/``set_cookie``/``delete_cookie``, and ``with client:`` keeping
the last request's context pushed.

This module holds the client, its cookie jar and ``TestResponse``. Building a request's
environ and running it through the app over WSGI or ASGI is in
:mod:`carafe._test_exchange`; ``build_environ`` and the other public names there are
importable from here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urljoin, urlsplit

from click.testing import CliRunner, Result

from carafe._test_exchange import USER_AGENT as USER_AGENT
from carafe._test_exchange import build_environ as build_environ
from carafe._test_exchange import environ_to_scope as environ_to_scope
from carafe._test_exchange import run_asgi_app as run_asgi_app
from carafe._test_exchange import run_wsgi_app as run_wsgi_app
from carafe.http.cookies import dump_cookie, parse_cookie_header
from carafe.http.dates import parse_http_date
from carafe.http.headers import Headers
from carafe.response import Response

if TYPE_CHECKING:
    from carafe.app import Flask
    from carafe.ctx import RequestContext
    from carafe.sessions import SessionMixin
    from carafe.typing import WSGIEnvironment

_REDIRECT_CODES = frozenset({301, 302, 303, 305, 307, 308})


# ---------------------------------------------------------------------------
# Cookies


@dataclass
class Cookie:
    """A cookie in the test client's jar, as Werkzeug's test client describes it:
    ``value`` is the raw value as sent on the wire, ``decoded_value`` what the
    app reads."""

    key: str
    value: str
    decoded_key: str
    decoded_value: str
    expires: datetime | None = None
    max_age: int | None = None
    domain: str = "localhost"
    origin_only: bool = True
    path: str = "/"
    secure: bool = False
    http_only: bool = False
    same_site: str | None = None
    partitioned: bool = False

    def _matches(self, host: str, path: str) -> bool:
        host = host.split(":", 1)[0]
        if self.origin_only:
            domain_ok = host == self.domain
        else:
            domain_ok = host == self.domain or host.endswith("." + self.domain.lstrip("."))
        cookie_path = self.path or "/"
        path_ok = path == cookie_path or path.startswith(cookie_path.rstrip("/") + "/")
        return domain_ok and path_ok

    def _expired(self, now: datetime) -> bool:
        return self.expires is not None and self.expires <= now


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def parse_set_cookie(header: str, default_domain: str) -> Cookie:
    """Parse one ``Set-Cookie`` header value into a :class:`Cookie`."""
    first, *attributes = header.split(";")
    raw_key, _, raw_value = first.partition("=")
    pairs = parse_cookie_header(first)
    key, value = pairs[0] if pairs else (raw_key.strip(), "")
    cookie = Cookie(
        key=raw_key.strip(),
        value=raw_value.strip(),
        decoded_key=key,
        decoded_value=value,
        domain=default_domain,
    )
    for attribute in attributes:
        name, _, attr_value = attribute.strip().partition("=")
        name = name.lower()
        if name == "domain" and attr_value:
            cookie.domain = attr_value.lstrip(".")
            cookie.origin_only = False
        elif name == "path":
            cookie.path = attr_value or "/"
        elif name == "expires":
            if cookie.max_age is None:
                cookie.expires = parse_http_date(attr_value)
        elif name == "max-age":
            try:
                cookie.max_age = int(attr_value)
            except ValueError:
                continue
            cookie.expires = _utc_now() + timedelta(seconds=cookie.max_age)
        elif name == "secure":
            cookie.secure = True
        elif name == "httponly":
            cookie.http_only = True
        elif name == "samesite":
            cookie.same_site = attr_value
        elif name == "partitioned":
            cookie.partitioned = True
    return cookie


# ---------------------------------------------------------------------------
# The client


class TestResponse(Response):
    """A response as the test client returns it: fully read, with the request and
    the redirect ``history``."""

    __test__ = False

    request: Any
    history: tuple[TestResponse, ...]


_TEST_RESPONSE_CLASSES: dict[type[Response], type[TestResponse]] = {Response: TestResponse}


def _test_response_class(response_class: type[Response]) -> type[TestResponse]:
    """``TestResponse`` mixed into an app's own response class (made once per class)."""
    wrapper = _TEST_RESPONSE_CLASSES.get(response_class)
    if wrapper is None:
        wrapper = type("TestResponse", (TestResponse, response_class), {"__test__": False})
        _TEST_RESPONSE_CLASSES[response_class] = wrapper
    return wrapper


class FlaskClient:
    """Sends requests to an app in process; see Flask's ``FlaskClient``."""

    __test__ = False

    #: The interface requests go through when none is given: ``"wsgi"`` or ``"asgi"``.
    default_interface = "wsgi"

    def __init__(
        self,
        app: Flask,
        use_cookies: bool = True,
        interface: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.application = app
        self.use_cookies = use_cookies
        self.interface = interface or self.default_interface
        if self.interface not in ("wsgi", "asgi"):
            raise ValueError(f"interface must be 'wsgi' or 'asgi', not {self.interface!r}.")
        self.environ_base: dict[str, Any] = {
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_USER_AGENT": USER_AGENT,
            **kwargs.pop("environ_base", {}),
        }
        self._cookies: dict[tuple[str, str, str], Cookie] = {}
        self._preserve_context = False
        self._preserved: tuple[RequestContext, BaseException | None] | None = None

    # -- cookies --------------------------------------------------------------

    def get_cookie(self, key: str, domain: str = "localhost", path: str = "/") -> Cookie | None:
        """The cookie ``key`` for ``domain`` and ``path``, or None."""
        if not self.use_cookies:
            raise TypeError("Cookies are disabled. Create a client with 'use_cookies=True'.")
        cookie = self._cookies.get((domain, path, key))
        if cookie is not None and cookie._expired(_utc_now()):
            del self._cookies[(domain, path, key)]
            return None
        return cookie

    def set_cookie(
        self,
        key: str,
        value: str = "",
        *,
        domain: str = "localhost",
        origin_only: bool = True,
        path: str = "/",
        **kwargs: Any,
    ) -> None:
        """Put a cookie in the jar, sent with later requests to ``domain`` and ``path``."""
        if not self.use_cookies:
            raise TypeError("Cookies are disabled. Create a client with 'use_cookies=True'.")
        # The value is quoted as a server would send it (dump_cookie's rules), and
        # the jar then holds exactly what a Set-Cookie from the app would give.
        header = dump_cookie(key, value, domain=None, path=path, **kwargs)
        cookie = parse_set_cookie(header, domain)
        cookie.origin_only = origin_only
        cookie.path = path
        self._cookies[(domain, path, key)] = cookie

    def delete_cookie(self, key: str, *, domain: str = "localhost", path: str = "/") -> None:
        """Remove a cookie from the jar."""
        if not self.use_cookies:
            raise TypeError("Cookies are disabled. Create a client with 'use_cookies=True'.")
        self._cookies.pop((domain, path, key), None)

    def _cookie_header(self, environ: WSGIEnvironment) -> str | None:
        now = _utc_now()
        host = environ.get("HTTP_HOST", "localhost")
        path = environ.get("SCRIPT_NAME", "") + (environ.get("PATH_INFO") or "/")
        found = []
        for jar_key, cookie in list(self._cookies.items()):
            if cookie._expired(now):
                del self._cookies[jar_key]
            # (A Secure cookie goes over http too, as Werkzeug's client sends it: tests
            # of an app with SESSION_COOKIE_SECURE run over http.)
            elif cookie._matches(host, path):
                found.append(f"{cookie.key}={cookie.value}")
        return "; ".join(found) or None

    def _store_cookies(self, headers: list[tuple[str, str]], environ: WSGIEnvironment) -> None:
        host = environ.get("HTTP_HOST", "localhost").split(":", 1)[0]
        now = _utc_now()
        for name, value in headers:
            if name.lower() != "set-cookie":
                continue
            cookie = parse_set_cookie(value, host)
            jar_key = (cookie.domain, cookie.path, cookie.key)
            if cookie._expired(now):
                self._cookies.pop(jar_key, None)
            else:
                self._cookies[jar_key] = cookie

    @contextmanager
    def session_transaction(self, *args: Any, **kwargs: Any) -> Iterator[SessionMixin]:
        """Open the session the client's cookies hold, to read or change it outside a
        request; on leaving the block it is saved back into the client's cookies.
        The arguments are :meth:`~carafe.Flask.test_request_context`'s.

        ::

            with client.session_transaction() as session:
                session["user_id"] = 42
        """
        if not self.use_cookies:
            raise TypeError("Cookies are disabled. Create a client with 'use_cookies=True'.")
        app = self.application
        ctx = app.test_request_context(*args, **kwargs)
        environ = ctx.request.environ
        cookie_header = self._cookie_header(environ)
        if cookie_header:
            environ["HTTP_COOKIE"] = cookie_header
        interface = app.session_interface
        with ctx:
            session = interface.open_session(app, ctx.request)
        if session is None:
            raise RuntimeError("Session backend did not open a session.")
        yield session
        if interface.is_null_session(session):
            return
        response = app.response_class()
        with ctx:
            interface.save_session(app, session, response)
        self._store_cookies(response.headers.items(), environ)

    # -- requests -------------------------------------------------------------

    def _pop_preserved(self) -> None:
        preserved = self._preserved
        if preserved is not None:
            self._preserved = None
            ctx, error = preserved
            ctx.pop(error)

    def _keep(
        self, preserved: tuple[RequestContext, BaseException | None] | None, push_again: bool
    ) -> None:
        """Keep the request context a request left for ``with client:``, if any."""
        if preserved is None:
            return
        if push_again:
            # Kept by the ASGI side in another thread or task: push it again here.
            ctx = preserved[0]
            ctx._tokens.clear()
            ctx.push()
        self._preserved = preserved

    def _run(self, environ: WSGIEnvironment) -> TestResponse:
        self._pop_preserved()
        if self.use_cookies:
            cookie_header = self._cookie_header(environ)
            if cookie_header:
                existing = environ.get("HTTP_COOKIE")
                environ["HTTP_COOKIE"] = (
                    f"{existing}; {cookie_header}" if existing else cookie_header
                )
        if self._preserve_context:
            environ["carafe.preserve_context"] = True
        # A kept context is kept even when the view's error propagates out of the
        # call: leaving ``with client:`` pops it, with that error.
        if self.interface == "asgi":
            try:
                body, status, headers, preserved = run_asgi_app(self.application.asgi, environ)
            except BaseException:
                self._keep(environ.get("carafe.preserved_context"), push_again=True)
                raise
            self._keep(preserved, push_again=True)
        else:
            try:
                body, status, headers = run_wsgi_app(self.application, environ)
            finally:
                self._keep(environ.get("carafe.preserved_context"), push_again=False)
        if self.use_cookies:
            self._store_cookies(headers, environ)
        wrapper = _test_response_class(self.application.response_class)
        response = wrapper(body, status=status)
        # Exactly the headers that went on the wire: no default Content-Type added.
        response.headers = Headers._trusted(list(headers))
        response.request = self.application.request_class(
            environ, self.application.request_options
        )
        response.history = ()
        return response

    def open(
        self,
        *args: Any,
        follow_redirects: bool = False,
        buffered: bool = False,
        **kwargs: Any,
    ) -> TestResponse:
        """Send a request and return the response (following redirects if asked).

        The arguments are Werkzeug's ``EnvironBuilder``'s: ``path``, ``base_url``,
        ``query_string``, ``method``, ... (positional in that order, or by name).
        ``buffered`` is accepted for Flask compatibility: the answer is always read
        whole, so the response can be inspected after the request ends.
        """
        environ_base = kwargs["environ_base"] = {
            **self.environ_base,
            **(kwargs.get("environ_base") or {}),
        }
        if args and isinstance(args[0], EnvironBuilder):
            environ = args[0].get_environ()  # a prepared request, as Werkzeug's client
        elif args and isinstance(args[0], dict):
            environ = args[0]
        else:
            environ = EnvironBuilder(self.application, *args, **kwargs).get_environ()
        response = self._run(environ)
        if not follow_redirects:
            return response
        history: list[TestResponse] = []
        seen: set[tuple[str, str]] = set()
        while response.status_code in _REDIRECT_CODES:
            history.append(response)
            current = _environ_url(environ)
            target = urljoin(current, response.headers.get("Location", ""))
            key = (target, environ["REQUEST_METHOD"])
            if key in seen:
                raise RuntimeError(f"Loop detected: a redirect to {target} was already followed.")
            seen.add(key)
            if response.status_code in (307, 308):
                environ = build_environ(
                    self.application,
                    target,
                    method=environ["REQUEST_METHOD"],
                    data=_replay_body(environ),
                    content_type=environ.get("CONTENT_TYPE"),
                    environ_base=environ_base,
                    headers=kwargs.get("headers"),
                )
            else:
                method_after = "HEAD" if environ["REQUEST_METHOD"] == "HEAD" else "GET"
                environ = build_environ(
                    self.application,
                    target,
                    method=method_after,
                    environ_base=environ_base,
                    headers=kwargs.get("headers"),
                )
            response = self._run(environ)
        response.history = tuple(history)
        return response

    def get(self, *args: Any, **kwargs: Any) -> TestResponse:
        """``open(..., method="GET")``."""
        return self.open(*args, method="GET", **kwargs)

    def post(self, *args: Any, **kwargs: Any) -> TestResponse:
        """``open(..., method="POST")``."""
        return self.open(*args, method="POST", **kwargs)

    def put(self, *args: Any, **kwargs: Any) -> TestResponse:
        """``open(..., method="PUT")``."""
        return self.open(*args, method="PUT", **kwargs)

    def patch(self, *args: Any, **kwargs: Any) -> TestResponse:
        """``open(..., method="PATCH")``."""
        return self.open(*args, method="PATCH", **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> TestResponse:
        """``open(..., method="DELETE")``."""
        return self.open(*args, method="DELETE", **kwargs)

    def head(self, *args: Any, **kwargs: Any) -> TestResponse:
        """``open(..., method="HEAD")``."""
        return self.open(*args, method="HEAD", **kwargs)

    def options(self, *args: Any, **kwargs: Any) -> TestResponse:
        """``open(..., method="OPTIONS")``."""
        return self.open(*args, method="OPTIONS", **kwargs)

    def trace(self, *args: Any, **kwargs: Any) -> TestResponse:
        """``open(..., method="TRACE")``."""
        return self.open(*args, method="TRACE", **kwargs)

    def __enter__(self) -> FlaskClient:
        if self._preserve_context:
            raise RuntimeError("Cannot nest client invocations")
        self._preserve_context = True
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self._preserve_context = False
        self._pop_preserved()


class EnvironBuilder:
    """A request's environ built from the test client's arguments, as Flask's
    ``flask.testing.EnvironBuilder``: the host, scheme and root from the app's
    ``SERVER_NAME``, ``PREFERRED_URL_SCHEME`` and ``APPLICATION_ROOT`` unless
    ``base_url`` gives them. ``client.open(builder)`` sends it.

    :param subdomain: put before the server name (not with ``base_url``).
    :param url_scheme: the scheme (not with ``base_url``).
    Other arguments are Werkzeug's ``EnvironBuilder``'s, after ``base_url``.
    """

    def __init__(
        self,
        app: Flask,
        path: str = "/",
        base_url: str | None = None,
        subdomain: str | None = None,
        url_scheme: str | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        if base_url is not None and (subdomain or url_scheme):
            raise ValueError('Cannot pass "subdomain" or "url_scheme" with "base_url".')
        if base_url is None:
            host = app.config.get("SERVER_NAME") or "localhost"
            if subdomain:
                host = f"{subdomain}.{host}"
            scheme = url_scheme or app.config["PREFERRED_URL_SCHEME"] or "http"
            root = (app.config["APPLICATION_ROOT"] or "/").lstrip("/")
            url = urlsplit(path)
            base_url = f"{url.scheme or scheme}://{url.netloc or host}/{root}"
            path = url.path + (f"?{url.query}" if url.query else "")
        self.app = app
        self.path = path
        self.base_url = base_url
        self.args = args
        self.kwargs = kwargs

    @property
    def url_scheme(self) -> str:
        """The scheme of :attr:`base_url`."""
        return urlsplit(self.base_url).scheme or "http"

    @property
    def host(self) -> str:
        """The host (and port) of :attr:`base_url`."""
        return urlsplit(self.base_url).netloc

    @property
    def script_root(self) -> str:
        """The path of :attr:`base_url`, without its trailing slash."""
        return urlsplit(self.base_url).path.rstrip("/")

    def get_environ(self) -> WSGIEnvironment:
        """The WSGI environ of this request."""
        return build_environ(self.app, self.path, self.base_url, *self.args, **self.kwargs)

    def close(self) -> None:
        """Nothing to release (files given as data are the caller's)."""


def _environ_url(environ: WSGIEnvironment) -> str:
    path = quote(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "/"), safe="/%")
    url = f"{environ['wsgi.url_scheme']}://{environ['HTTP_HOST']}{path}"
    if environ.get("QUERY_STRING"):
        url += "?" + environ["QUERY_STRING"]
    return url


def _replay_body(environ: WSGIEnvironment) -> bytes:
    stream = environ["wsgi.input"]
    if hasattr(stream, "getvalue"):
        return stream.getvalue()  # type: ignore[no-any-return]
    return b""


class FlaskCliRunner(CliRunner):
    """A click test runner for an app's commands (``app.test_cli_runner()``)."""

    def __init__(self, app: Flask, **kwargs: Any) -> None:
        self.app = app
        super().__init__(**kwargs)

    def invoke(  # type: ignore[override]
        self, cli: Any = None, args: Any = None, **kwargs: Any
    ) -> Result:
        """Invoke ``cli`` (the app's ``app.cli`` by default) with ``args``, with the
        app as the one the commands load."""
        if cli is None:
            cli = self.app.cli
        if "obj" not in kwargs:
            from carafe.cli import ScriptInfo

            kwargs["obj"] = ScriptInfo(create_app=lambda: self.app)
        return super().invoke(cli, args, **kwargs)
