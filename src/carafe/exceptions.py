"""HTTP errors as exceptions, and :func:`abort`.

Each class carries Werkzeug's name, status code and default description, so
raising one, catching one, or letting one reach the client looks the same as
in Flask: the default error page is byte-for-byte Werkzeug's.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, NoReturn

from carafe.http.html import escape_html
from carafe.http.status import REASON_PHRASES

if TYPE_CHECKING:
    from carafe.response import Response
    from carafe.typing import StartResponse, WSGIEnvironment

_DEFAULT_PAGES: dict[type[HTTPException], bytes] = {}


class HTTPException(Exception):
    """Base class of the HTTP errors; also a WSGI app that serves its error page.

    :param description: replaces the class's default description.
    :param response: a ready response to send instead of the generated page.
    """

    code: int | None = None
    description: str | None = None

    def __init__(self, description: str | None = None, response: Response | None = None) -> None:
        # (Exception's own, not super(): once Werkzeug's twin is a base too
        # (carafe.interop.adopt_werkzeug), its __init__ must not run after ours.)
        Exception.__init__(self)
        if description is not None:
            self.description = description
        self.response = response

    @property
    def name(self) -> str:
        """The reason phrase of :attr:`code`, or ``"Unknown Error"``."""
        if self.code is None:
            return "Unknown Error"
        return REASON_PHRASES.get(self.code, "Unknown Error")

    def get_description(
        self, environ: WSGIEnvironment | None = None, scope: dict[str, Any] | None = None
    ) -> str:
        """The escaped description in a ``<p>``, newlines turned into ``<br>``."""
        text = "" if self.description is None else escape_html(self.description)
        text = text.replace("\n", "<br>")
        return f"<p>{text}</p>"

    def get_body(
        self, environ: WSGIEnvironment | None = None, scope: dict[str, Any] | None = None
    ) -> str:
        """The HTML error page, identical to Werkzeug's."""
        name = escape_html(self.name)
        return (
            "<!doctype html>\n<html lang=en>\n"
            f"<title>{self.code} {name}</title>\n"
            f"<h1>{name}</h1>\n"
            f"{self.get_description(environ, scope)}\n"
        )

    def get_headers(
        self, environ: WSGIEnvironment | None = None, scope: dict[str, Any] | None = None
    ) -> list[tuple[str, str]]:
        """The headers of the error page; subclasses add their own."""
        return [("Content-Type", "text/html; charset=utf-8")]

    def get_response(
        self, environ: WSGIEnvironment | Any | None = None, scope: dict[str, Any] | None = None
    ) -> Response:
        """The response to send: :attr:`response` if given, else the error page.

        :param environ: a WSGI environ, or a request object holding one.
        :param scope: an ASGI scope.
        """
        if self.response is not None:
            return self.response
        from carafe.response import Response

        cls = type(self)
        if (
            "description" not in self.__dict__
            and "code" not in self.__dict__
            # A plain class attribute; not a property such as BadRequestKeyError's.
            and isinstance(cls.description, str)
            and cls.get_body is HTTPException.get_body
            and cls.get_description is HTTPException.get_description
            and cls.get_headers is HTTPException.get_headers
        ):
            # PERF: the default page of a class never changes: built once, then
            # answered with the response's fast path (same Content-Type, same bytes).
            page = _DEFAULT_PAGES.get(cls)
            if page is None:
                page = _DEFAULT_PAGES[cls] = self.get_body().encode()
            return Response(page, self.code)

        if environ is not None and not isinstance(environ, dict):
            environ = getattr(environ, "environ", None)
        return Response(self.get_body(environ, scope), self.code, self.get_headers(environ, scope))

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Serve the error as a WSGI application."""
        return self.get_response(environ)(environ, start_response)

    def __str__(self) -> str:
        code = "???" if self.code is None else self.code
        return f"{code} {self.name}: {self.description}"

    def __repr__(self) -> str:
        code = "???" if self.code is None else self.code
        return f"<{type(self).__name__} '{code}: {self.name}'>"


class RequestRedirect(HTTPException):
    """A routing redirect (the slash-less URL of a rule ending in ``/``): 308.

    Also importable from :mod:`carafe.routing`, where Werkzeug has it.
    """

    code = 308

    def __init__(self, new_url: str) -> None:
        super().__init__(new_url)
        self.new_url = new_url

    def get_response(self, environ: Any = None, scope: Any = None) -> Any:
        """Build the redirect response, as Werkzeug's ``redirect()`` would."""
        from carafe.response import redirect_response

        return redirect_response(self.new_url, self.code)


class BadRequest(HTTPException):
    """*400*: the request could not be understood."""

    code = 400
    description = "The browser (or proxy) sent a request that this server could not understand."


class BadRequestKeyError(BadRequest, KeyError):
    """*400* that is also a :exc:`KeyError`: raised for missing form, args or file keys.

    With :attr:`show_exception` set (Flask sets it in debug mode) the missing
    key is named in the description.
    """

    _description: str = BadRequest.description
    #: Name the missing key in the page; for debugging only.
    show_exception = False

    def __init__(self, arg: object | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if arg is None:
            KeyError.__init__(self)
        else:
            KeyError.__init__(self, arg)

    @property
    def description(self) -> str:
        """The description, with the missing key when :attr:`show_exception` is set."""
        if self.show_exception:
            return f"{self._description}\nKeyError: {KeyError.__str__(self)}"
        return self._description

    @description.setter
    def description(self, value: str) -> None:
        self._description = value


class ClientDisconnected(BadRequest):
    """*400* raised when the client went away while its request was read."""


class SecurityError(BadRequest):
    """*400* raised when a request trips a security check."""


class BadHost(BadRequest):
    """*400* raised for a malformed ``Host``."""


class Unauthorized(HTTPException):
    """*401*: authentication is required.

    :param www_authenticate: one challenge or several; each becomes its own
        ``WWW-Authenticate`` header (a plain string counts as one challenge).
    """

    code = 401
    description = (
        "The server could not verify that you are authorized to access the URL requested."
        " You either supplied the wrong credentials (e.g. a bad password), or your browser"
        " doesn't understand how to supply the credentials required."
    )

    def __init__(
        self,
        description: str | None = None,
        response: Response | None = None,
        www_authenticate: object | Iterable[object] | None = None,
    ) -> None:
        super().__init__(description, response)
        if www_authenticate is not None and (
            isinstance(www_authenticate, str) or not isinstance(www_authenticate, Iterable)
        ):
            www_authenticate = (www_authenticate,)
        self.www_authenticate = www_authenticate

    def get_headers(
        self, environ: WSGIEnvironment | None = None, scope: dict[str, Any] | None = None
    ) -> list[tuple[str, str]]:
        """The page headers plus one ``WWW-Authenticate`` per challenge."""
        headers = super().get_headers(environ, scope)
        if self.www_authenticate:
            headers.extend(("WWW-Authenticate", str(value)) for value in self.www_authenticate)
        return headers


class Forbidden(HTTPException):
    """*403*: authenticated, but not allowed."""

    code = 403
    description = (
        "You don't have the permission to access the requested resource. It is either"
        " read-protected or not readable by the server."
    )


class NotFound(HTTPException):
    """*404*: no such resource."""

    code = 404
    description = (
        "The requested URL was not found on the server. If you entered the URL manually"
        " please check your spelling and try again."
    )


class MethodNotAllowed(HTTPException):
    """*405*: the resource exists but not for this method.

    :param valid_methods: the allowed methods, sent as the ``Allow`` header.
    """

    code = 405
    description = "The method is not allowed for the requested URL."

    def __init__(
        self,
        valid_methods: Iterable[str] | None = None,
        description: str | None = None,
        response: Response | None = None,
    ) -> None:
        super().__init__(description, response)
        self.valid_methods = valid_methods

    def get_headers(
        self, environ: WSGIEnvironment | None = None, scope: dict[str, Any] | None = None
    ) -> list[tuple[str, str]]:
        """The page headers plus ``Allow``."""
        headers = super().get_headers(environ, scope)
        if self.valid_methods:
            headers.append(("Allow", ", ".join(self.valid_methods)))
        return headers


class NotAcceptable(HTTPException):
    """*406*: nothing matches the ``Accept`` headers."""

    code = 406
    description = (
        "The resource identified by the request is only capable of generating response"
        " entities which have content characteristics not acceptable according to the"
        " accept headers sent in the request."
    )


class RequestTimeout(HTTPException):
    """*408*: the request took too long to arrive."""

    code = 408
    description = (
        "The server closed the network connection because the browser didn't finish the"
        " request within the specified time."
    )


class Conflict(HTTPException):
    """*409*: the request conflicts with the resource's current state."""

    code = 409
    description = (
        "A conflict happened while processing the request. The resource might have been"
        " modified while the request was being processed."
    )


class Gone(HTTPException):
    """*410*: the resource existed and is gone for good."""

    code = 410
    description = (
        "The requested URL is no longer available on this server and there is no"
        " forwarding address. If you followed a link from a foreign page, please contact"
        " the author of this page."
    )


class LengthRequired(HTTPException):
    """*411*: a ``Content-Length`` is needed."""

    code = 411
    description = "A request with this method requires a valid <code>Content-Length</code> header."


class PreconditionFailed(HTTPException):
    """*412*: an ``If-*`` precondition failed."""

    code = 412
    description = "The precondition on the request for the URL failed positive evaluation."


class RequestEntityTooLarge(HTTPException):
    """*413*: the body is over the limit."""

    code = 413
    description = "The data value transmitted exceeds the capacity limit."


class RequestURITooLarge(HTTPException):
    """*414*: the URL is over the limit."""

    code = 414
    description = (
        "The length of the requested URL exceeds the capacity limit for this server. The"
        " request cannot be processed."
    )


class UnsupportedMediaType(HTTPException):
    """*415*: the body's media type is not handled."""

    code = 415
    description = "The server does not support the media type transmitted in the request."


class RequestedRangeNotSatisfiable(HTTPException):
    """*416*: the requested range is outside the resource.

    :param length: the resource's length, sent as ``Content-Range: <units> */<length>``.
    :param units: the range unit.
    """

    code = 416
    description = "The server cannot provide the requested range."

    def __init__(
        self,
        length: int | None = None,
        units: str = "bytes",
        description: str | None = None,
        response: Response | None = None,
    ) -> None:
        super().__init__(description, response)
        self.length = length
        self.units = units

    def get_headers(
        self, environ: WSGIEnvironment | None = None, scope: dict[str, Any] | None = None
    ) -> list[tuple[str, str]]:
        """The page headers plus ``Content-Range`` when the length is known."""
        headers = super().get_headers(environ, scope)
        if self.length is not None:
            headers.append(("Content-Range", f"{self.units} */{self.length}"))
        return headers


class ExpectationFailed(HTTPException):
    """*417*: the ``Expect`` header cannot be met."""

    code = 417
    description = "The server could not meet the requirements of the Expect header"


class ImATeapot(HTTPException):
    """*418*: the server is a teapot."""

    code = 418
    description = "This server is a teapot, not a coffee machine"


class MisdirectedRequest(HTTPException):
    """*421*: this server cannot answer for the requested origin."""

    code = 421
    description = "The server is not able to produce a response."


class UnprocessableEntity(HTTPException):
    """*422*: well-formed but semantically wrong."""

    code = 422
    description = (
        "The request was well-formed but was unable to be followed due to semantic errors."
    )


class Locked(HTTPException):
    """*423*: the resource is locked."""

    code = 423
    description = "The resource that is being accessed is locked."


class FailedDependency(HTTPException):
    """*424*: an action this one depends on failed."""

    code = 424
    description = (
        "The method could not be performed on the resource because the requested action"
        " depended on another action and that action failed."
    )


class PreconditionRequired(HTTPException):
    """*428*: the request must be conditional."""

    code = 428
    description = (
        'This request is required to be conditional; try using "If-Match" or'
        ' "If-Unmodified-Since".'
    )


class _RetryAfter(HTTPException):
    """An error that may tell the client when to retry.

    :param retry_after: seconds, or a :class:`~datetime.datetime`, sent as
        ``Retry-After``; falsy values send nothing, as in Werkzeug.
    """

    def __init__(
        self,
        description: str | None = None,
        response: Response | None = None,
        retry_after: datetime | int | None = None,
    ) -> None:
        super().__init__(description, response)
        self.retry_after = retry_after

    def get_headers(
        self, environ: WSGIEnvironment | None = None, scope: dict[str, Any] | None = None
    ) -> list[tuple[str, str]]:
        """The page headers plus ``Retry-After`` when set."""
        headers = super().get_headers(environ, scope)
        if self.retry_after:
            if isinstance(self.retry_after, datetime):
                from carafe.http.dates import http_date

                value = http_date(self.retry_after)
            else:
                value = str(self.retry_after)
            headers.append(("Retry-After", value))
        return headers


class TooManyRequests(_RetryAfter):
    """*429*: rate limited."""

    code = 429
    description = "This user has exceeded an allotted request count. Try again later."


class RequestHeaderFieldsTooLarge(HTTPException):
    """*431*: the headers are over the limit."""

    code = 431
    description = "One or more header fields exceeds the maximum size."


class UnavailableForLegalReasons(HTTPException):
    """*451*: withheld because of a legal demand."""

    code = 451
    description = "Unavailable for legal reasons."


class InternalServerError(HTTPException):
    """*500*: the application failed.

    :param original_exception: the unhandled exception this error stands for.
    """

    code = 500
    description = (
        "The server encountered an internal error and was unable to complete your request."
        " Either the server is overloaded or there is an error in the application."
    )

    def __init__(
        self,
        description: str | None = None,
        response: Response | None = None,
        original_exception: BaseException | None = None,
    ) -> None:
        self.original_exception = original_exception
        super().__init__(description, response)


class NotImplemented(HTTPException):
    """*501*: the server does not support this action."""

    code = 501
    description = "The server does not support the action requested by the browser."


class BadGateway(HTTPException):
    """*502*: an upstream server answered badly."""

    code = 502
    description = "The proxy server received an invalid response from an upstream server."


class ServiceUnavailable(_RetryAfter):
    """*503*: temporarily unable to serve."""

    code = 503
    description = (
        "The server is temporarily unable to service your request due to maintenance"
        " downtime or capacity problems. Please try again later."
    )


class GatewayTimeout(HTTPException):
    """*504*: an upstream server timed out."""

    code = 504
    description = "The connection to an upstream server timed out."


class HTTPVersionNotSupported(HTTPException):
    """*505*: the HTTP version is not supported."""

    code = 505
    description = "The server does not support the HTTP protocol version used in the request."


#: The exception class for each error code, as :func:`abort` looks them up.
default_exceptions: dict[int, type[HTTPException]] = {
    cls.code: cls
    for cls in (
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
        MethodNotAllowed,
        NotAcceptable,
        RequestTimeout,
        Conflict,
        Gone,
        LengthRequired,
        PreconditionFailed,
        RequestEntityTooLarge,
        RequestURITooLarge,
        UnsupportedMediaType,
        RequestedRangeNotSatisfiable,
        ExpectationFailed,
        ImATeapot,
        MisdirectedRequest,
        UnprocessableEntity,
        Locked,
        FailedDependency,
        PreconditionRequired,
        TooManyRequests,
        RequestHeaderFieldsTooLarge,
        UnavailableForLegalReasons,
        InternalServerError,
        NotImplemented,
        BadGateway,
        ServiceUnavailable,
        GatewayTimeout,
        HTTPVersionNotSupported,
    )
}


class Aborter:
    """Raise the exception mapped to a status code, or wrap a response.

    :param mapping: code -> exception class; :data:`default_exceptions` if omitted.
    :param extra: more entries, added over ``mapping``.
    """

    def __init__(
        self,
        mapping: dict[int, type[HTTPException]] | None = None,
        extra: dict[int, type[HTTPException]] | None = None,
    ) -> None:
        self.mapping = dict(default_exceptions if mapping is None else mapping)
        if extra is not None:
            self.mapping.update(extra)

    def __call__(self, code: int | Response, *args: Any, **kwargs: Any) -> NoReturn:
        """Raise for ``code``; extra arguments go to the exception's constructor.

        :raises LookupError: if no exception is mapped to ``code``.
        """
        if isinstance(code, int):
            exc_class = self.mapping.get(code)
            if exc_class is not None:
                raise exc_class(*args, **kwargs)
        else:
            from carafe.response import Response

            if isinstance(code, Response):
                raise HTTPException(response=code)
        raise LookupError(f"no exception for {code!r}")


_aborter = Aborter()


def abort(status: int | Response, *args: Any, **kwargs: Any) -> NoReturn:
    """Raise the :class:`HTTPException` for ``status``, as Werkzeug's ``abort``.

    ``abort(404)``, ``abort(404, "description")`` and ``abort(response)``
    (which sends that response as it is) all work.
    """
    _aborter(status, *args, **kwargs)
