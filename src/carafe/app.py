"""The application: registration, dispatch, return value -> response, errors.

``Flask`` (also exported as ``Carafe``) keeps Flask's public API. The request
path is :meth:`Flask.wsgi_app`: build the request, push its context, route,
run hooks and the view, turn the return value into a response, run the
after-request hooks, send. Everything not used by an app costs nothing: the
hook lists are read once, when the first request arrives.
"""

from __future__ import annotations

import os
import sys
import weakref
from collections.abc import Awaitable, Callable, Iterable, Iterator
from types import CoroutineType
from typing import IO, TYPE_CHECKING, Any, ClassVar, TypeVar

from carafe import _pipeline_sync as pipeline
from carafe.config import DEFAULT_CONFIG, Config, ConfigAttribute, weak_callback
from carafe.conversion import to_response
from carafe.ctx import (
    AppContext,
    RequestContext,
    _AppCtxGlobals,
    get_request_context,
)
from carafe.exceptions import (
    Aborter,
    BadRequestKeyError,
    HTTPException,
)
from carafe.helpers import get_debug_flag
from carafe.interop import adopt_werkzeug
from carafe.json import DefaultJSONProvider, JSONProvider
from carafe.options import RequestOptions
from carafe.plan import STEP_METHODS, Plan, Steps, find_error_handler, settle
from carafe.request import Request
from carafe.response import Response, redirect_response
from carafe.routing import BuildError, Map, Rule, route_request
from carafe.runner import is_coroutine_function
from carafe.scaffold import find_package, find_root_path
from carafe.sessions import AppSessions, SecureCookieSessionInterface
from carafe.templating import AppTemplating
from carafe.urls import build_url, inject_url_defaults
from carafe.wsgi import serve as serve_wsgi

if TYPE_CHECKING:
    import logging

    from carafe.asgi import ASGIApp
    from carafe.blueprints import Blueprint
    from carafe.cli import AppGroup
    from carafe.testing import FlaskClient, FlaskCliRunner
    from carafe.typing import StartResponse, WSGIEnvironment

F = TypeVar("F", bound=Callable[..., Any])
ErrorHandler = Callable[[Any], Any]

_ROUTE_SHORTCUT_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH")


class Flask(AppSessions, AppTemplating):
    """A Carafe application, with Flask's API.

    :param import_name: the name of the application's module, usually ``__name__``.
    """

    request_class: ClassVar[type[Request]] = Request
    response_class: ClassVar[type[Response]] = Response
    url_rule_class: ClassVar[type[Rule]] = Rule
    json_provider_class: ClassVar[type[JSONProvider]] = DefaultJSONProvider
    app_ctx_globals_class: ClassVar[type[_AppCtxGlobals]] = _AppCtxGlobals
    aborter_class: ClassVar[type[Aborter]] = Aborter
    config_class: ClassVar[type[Config]] = Config
    test_client_class: ClassVar[type[FlaskClient] | None] = None
    test_cli_runner_class: ClassVar[type[FlaskCliRunner] | None] = None
    default_config: ClassVar[dict[str, Any]] = DEFAULT_CONFIG

    def __init__(
        self,
        import_name: str,
        static_url_path: str | None = None,
        static_folder: str | os.PathLike[str] | None = "static",
        static_host: str | None = None,
        host_matching: bool = False,
        subdomain_matching: bool = False,
        template_folder: str | os.PathLike[str] | None = "templates",
        instance_path: str | None = None,
        instance_relative_config: bool = False,
        root_path: str | None = None,
    ) -> None:
        self.import_name = import_name
        self.root_path = root_path or find_root_path(import_name)
        self.static_folder = static_folder
        self.static_url_path = static_url_path
        self.template_folder = template_folder
        if instance_path is None:
            instance_path = self.auto_find_instance_path()
        elif not os.path.isabs(instance_path):
            raise ValueError(
                "If an instance path is provided it must be absolute."
                " A relative path was given instead."
            )
        #: The instance folder: files kept out of version control (config, a database).
        self.instance_path = instance_path
        # As Flask: debug mode starts from the environment (CARAFE_DEBUG, FLASK_DEBUG).
        self.config = self.config_class(
            instance_path if instance_relative_config else self.root_path,
            {**self.default_config, "DEBUG": get_debug_flag()},
        )
        self.json: JSONProvider = self.json_provider_class(self)
        #: What this app's requests read of it (limits, trusted hosts, JSON loader,
        #: debug), kept in step with the config.
        self.request_options = RequestOptions()
        self._update_request_options()
        self.config.on_change = weak_callback(self._update_request_options)
        self.aborter = self.aborter_class()
        self.url_map = Map(host_matching=host_matching)
        self.url_map.subdomain_matching = subdomain_matching
        super().__init__()
        self._init_templating()
        self.teardown_appcontext_funcs: list[Callable[[BaseException | None], Any]] = []
        self.url_build_error_handlers: list[Callable[[Exception, str, dict[str, Any]], str]] = []
        self.extensions: dict[str, Any] = {}
        #: The registered blueprints, by the (dotted) name each is registered under.
        self.blueprints: dict[str, Blueprint] = {}
        self._got_first_request = False
        #: What the request pipeline runs, frozen at the first request (see _finalize).
        self.plan: Plan | None = None
        self._logger: logging.Logger | None = None
        self._asgi: ASGIApp | None = None
        self._asgi_wrapped: Callable[..., Awaitable[None]] | None = None
        self._cli: AppGroup | None = None
        #: ``shell_context_processor`` functions: each returns names for ``carafe shell``.
        self.shell_context_processors: list[Callable[[], dict[str, Any]]] = []
        _adopt_werkzeug()
        if self.has_static_folder:
            # As Flask: whether or not the folder exists (a deployment may fill it).
            if bool(static_host) != host_matching:
                raise AssertionError("Invalid static_host/host_matching combination")
            app = weakref.ref(self)  # (the route must not keep the app alive)
            self.add_url_rule(
                f"{self.static_url_path}/<path:filename>",
                endpoint="static",
                host=static_host,
                view_func=lambda **kw: app().send_static_file(**kw),  # type: ignore[union-attr]
            )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"

    # -- settings -------------------------------------------------------------

    @property
    def name(self) -> str:
        """The app's name: the import name, or the script's name when run as ``__main__``."""
        if self.import_name == "__main__":
            main_file = getattr(sys.modules["__main__"], "__file__", None)
            if main_file:
                return os.path.splitext(os.path.basename(str(main_file)))[0]
            return "__main__"
        return self.import_name

    def auto_find_instance_path(self) -> str:
        """The instance folder when none is given: ``instance`` beside the app's module
        or package, or ``<prefix>/var/<name>-instance`` for an installed one."""
        prefix, package_path = find_package(self.import_name)
        if prefix is None:
            return os.path.join(package_path, "instance")
        return os.path.join(prefix, "var", f"{self.name}-instance")

    def open_instance_resource(
        self, resource: str, mode: str = "rb", encoding: str | None = "utf-8"
    ) -> IO[Any]:
        """Open ``resource``, a path relative to the instance folder (any mode)."""
        path = os.path.join(self.instance_path, resource)
        if "b" in mode:
            return open(path, mode)
        return open(path, mode, encoding=encoding)

    @property
    def subdomain_matching(self) -> bool:
        """Route by the subdomain of the Host, read against ``SERVER_NAME`` (the URL
        map's ``subdomain_matching``)."""
        return self.url_map.subdomain_matching

    @subdomain_matching.setter
    def subdomain_matching(self, value: bool) -> None:
        self.url_map.subdomain_matching = value

    @property
    def debug(self) -> bool:
        """Debug mode (``DEBUG`` in the config)."""
        return bool(self.config["DEBUG"])

    @debug.setter
    def debug(self, value: bool) -> None:
        self.config["DEBUG"] = value
        if self.config["TEMPLATES_AUTO_RELOAD"] is None and "jinja_env" in self.__dict__:
            self.jinja_env.auto_reload = value

    #: Testing mode (``TESTING``): exceptions propagate to the test client.
    testing = ConfigAttribute[bool]("TESTING")

    @property
    def logger(self) -> logging.Logger:
        """The ``logging`` logger named after the app; unhandled errors are logged here."""
        logger = self._logger
        if logger is None:
            # Start-up: logging loads when the app first logs, not with carafe.
            from carafe.logging import create_logger

            logger = self._logger = create_logger(self)
        return logger

    @property
    def cli(self) -> AppGroup:
        """The app's click command group: ``@app.cli.command()`` adds a ``carafe``
        command run in the app context. Start-up: click loads on first use."""
        group = self._cli
        if group is None:
            from carafe.cli import AppGroup

            group = self._cli = AppGroup(self.name)
        return group

    def shell_context_processor(self, func: F) -> F:
        """Register ``func()``, which returns names to have in ``carafe shell``."""
        self._check_setup_finished("shell_context_processor")
        self.shell_context_processors.append(func)
        return func

    def make_shell_context(self) -> dict[str, Any]:
        """The names ``carafe shell`` starts with: ``app``, ``g`` and the shell context
        processors' (later ones win)."""
        from carafe.globals import g

        context: dict[str, Any] = {"app": self, "g": g}
        for processor in self.shell_context_processors:
            context.update(processor())
        return context

    def test_cli_runner(self, **kwargs: Any) -> FlaskCliRunner:
        """A click runner that invokes the app's commands (:class:`FlaskCliRunner`)."""
        runner_class = self.test_cli_runner_class
        if runner_class is None:
            from carafe.testing import FlaskCliRunner

            runner_class = FlaskCliRunner
        return runner_class(self, **kwargs)

    # -- registration ---------------------------------------------------------

    def _check_setup_finished(self, method: str) -> None:
        if self._got_first_request:
            raise AssertionError(
                f"The setup method {method!r} can no longer be called on the application."
                " It has already handled its first request, any changes will not be"
                " applied consistently.\nMake sure all imports, decorators, functions,"
                " etc. needed to set up the application are done before running it."
            )

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: Any,
    ) -> None:
        """Register a URL rule, as :meth:`route` does without the decorator."""
        self._check_setup_finished("add_url_rule")
        if endpoint is None:
            if view_func is None:
                raise TypeError("add_url_rule needs an endpoint or a view function.")
            endpoint = view_func.__name__
        methods = options.pop("methods", None)
        if methods is None:
            methods = getattr(view_func, "methods", None) or ("GET",)
        if isinstance(methods, str):
            raise TypeError(
                "Allowed methods must be a list of strings, for example:"
                ' @app.route(..., methods=["POST"])'
            )
        method_set = {method.upper() for method in methods}
        method_set |= set(getattr(view_func, "required_methods", ()))
        if provide_automatic_options is None:
            provide_automatic_options = getattr(view_func, "provide_automatic_options", None)
        if provide_automatic_options is None:
            provide_automatic_options = "OPTIONS" not in method_set and bool(
                self.config["PROVIDE_AUTOMATIC_OPTIONS"]
            )
        if provide_automatic_options:
            method_set.add("OPTIONS")
        rule_obj = self.url_rule_class(
            rule,
            endpoint=endpoint,
            methods=method_set,
            provide_automatic_options=provide_automatic_options,
            **options,
        )
        self.url_map.add(rule_obj)
        if view_func is not None:
            existing = self.view_functions.get(endpoint)
            if existing is not None and existing != view_func:
                raise AssertionError(
                    "View function mapping is overwriting an existing endpoint"
                    f" function: {endpoint}"
                )
            self.view_functions[endpoint] = view_func

    def teardown_appcontext(self, func: F) -> F:
        """Run ``func(error)`` when the app context is popped."""
        self._check_setup_finished("teardown_appcontext")
        self.teardown_appcontext_funcs.append(func)
        return func

    def register_blueprint(self, blueprint: Blueprint, **options: Any) -> None:
        """Register ``blueprint``'s views, hooks and handlers on this app.

        :param url_prefix: put before each of its rules (instead of the blueprint's).
        :param subdomain: its rules' subdomain (instead of the blueprint's).
        :param name: the name it is registered under (its own by default): the same
            blueprint can be registered twice under two names.
        :param url_defaults: view arguments for its rules.
        Other options reach its ``record`` functions (``state.options``).
        """
        self._check_setup_finished("register_blueprint")
        blueprint.register(self, options)

    def iter_blueprints(self) -> Iterator[Blueprint]:
        """The registered blueprints, in registration order."""
        return iter(self.blueprints.values())

    # -- dispatch -------------------------------------------------------------

    def _update_request_options(self) -> None:
        self.request_options.update(self.config, self.json.loads)

    def make_plan(self) -> Plan:
        """Freeze what the request pipeline needs into a :class:`~carafe.plan.Plan`.

        PERF: the pipeline then tests an empty tuple instead of looking up and
        iterating the registration dicts, and an app without hooks pays nothing for
        them. Flask's pipeline methods that this app's class overrides are what the
        pipeline calls for those steps.
        """
        # The JSON provider may have been replaced since the config last changed.
        self._update_request_options()
        cls = type(self)
        overrides = frozenset(
            name
            for name in (*STEP_METHODS, "make_response")
            if getattr(cls, name) is not getattr(Flask, name)
        )
        sync_steps = {step: getattr(pipeline, step) for step in STEP_METHODS.values()}
        custom_sessions = type(self.session_interface) is not SecureCookieSessionInterface
        for method in overrides.intersection(STEP_METHODS):
            sync_steps[STEP_METHODS[method]] = _call_method(method)
        return Plan(
            self,
            teardown_appcontext_funcs=self.teardown_appcontext_funcs,
            views=self.view_functions,
            overrides=overrides,
            sync_steps=Steps(**sync_steps),
            session_custom=custom_sessions,
            session_check=custom_sessions or bool(self.secret_key),
        )

    def _finalize(self) -> Plan:
        """At the first request: freeze the plan; setup methods are closed from now on."""
        plan = self.plan = self.make_plan()
        self._got_first_request = True
        _adopt_werkzeug()
        return plan

    def wsgi_app(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """The WSGI application; ``app.wsgi_app`` is what middleware wraps
        (:func:`carafe.wsgi.serve`)."""
        return serve_wsgi(self, environ, start_response)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Serve a WSGI request: ``app(environ, start_response)``."""
        return self.wsgi_app(environ, start_response)

    @property
    def asgi(self) -> Callable[..., Awaitable[None]]:
        """The app as an ASGI 3 application (HTTP and lifespan), for ASGI servers.

        Like ``app.wsgi_app``, it can be wrapped in middleware by assignment:
        ``app.asgi = ProxyFixASGI(app.asgi, x_for=1)``; servers pointed at
        ``module:app.asgi`` then serve the wrapped application.
        """
        wrapped = self._asgi_wrapped
        return wrapped if wrapped is not None else self.asgi_adapter

    @asgi.setter
    def asgi(self, value: Callable[..., Awaitable[None]]) -> None:
        self._asgi_wrapped = value

    @property
    def asgi_adapter(self) -> ASGIApp:
        """Carafe's own ASGI adapter of this app (under any middleware set on ``asgi``)."""
        adapter = self._asgi
        if adapter is None:
            from carafe.asgi import ASGIApp

            adapter = self._asgi = ASGIApp(self)
        return adapter

    def match_request(self, request: Request, host_header: str | bytes | None = None) -> None:
        """Route ``request``: set its ``url_rule`` and ``view_args`` or its routing error
        (:func:`carafe.routing.route_request`, with the limits and host checks)."""
        route_request(self.url_map, request, host_header)

    # The request pipeline lives in carafe.pipeline; these are Flask's names for its
    # steps, callable from a request context (tests, extensions, overrides' super()).

    def full_dispatch_request(self) -> Response:
        """Run hooks, the view and error handling for the current request."""
        return pipeline.full_dispatch(*_plan_and_context())

    def preprocess_request(self) -> Any:
        """Run the ``before_request`` hooks; the first non-None value ends the request."""
        return pipeline.preprocess(*_plan_and_context())

    def dispatch_request(self) -> Any:
        """Call the view of the current request and return its value (not a response)."""
        plan, ctx = _plan_and_context()
        rv = pipeline.dispatch(plan, ctx)
        return settle(ctx, rv) if rv.__class__ is CoroutineType else rv

    def finalize_request(self, rv: Any, from_error_handler: bool = False) -> Response:
        """Turn ``rv`` into a response and run the after-request hooks on it."""
        return pipeline.finalize(*_plan_and_context(), rv, from_error_handler)

    def process_response(self, response: Response) -> Response:
        """Run ``after_this_request`` functions, then ``after_request`` hooks (last first)."""
        return pipeline.process_response(*_plan_and_context(), response)

    def do_teardown_request(self, exc: BaseException | None = None) -> None:
        """Run the ``teardown_request`` functions, last registered first."""
        pipeline.teardown_request(*_plan_and_context(), exc)

    def do_teardown_appcontext(self, exc: BaseException | None = None) -> None:
        """Run the ``teardown_appcontext`` functions, last registered first."""
        plan = self.plan if self.plan is not None else self.make_plan()
        pipeline.teardown_appcontext(plan, get_request_context(), exc)

    def _end_request(self, ctx: RequestContext, exc: BaseException | None) -> None:
        """Pop a request context (``RequestContext.pop``): its teardown, then the context."""
        plan = self.plan if self.plan is not None else self.make_plan()
        pipeline.teardown(plan, ctx, exc)

    def make_default_options_response(self) -> Response:
        """The automatic answer to ``OPTIONS``: an empty 200 with ``Allow``."""
        request = _require_request_context().request
        response = self.response_class()
        response.headers.set("Allow", ", ".join(self.url_map.allowed_methods(request.path)))
        return response

    # -- errors ---------------------------------------------------------------

    def _find_error_handler(
        self, error: BaseException, blueprints: list[str]
    ) -> ErrorHandler | None:
        """The handler for ``error`` raised in ``blueprints`` (``request.blueprints``):
        by its code, then by its class, each in the blueprints then the app."""
        return find_error_handler(self.error_handler_spec, error, (*blueprints, None))

    def trap_http_exception(self, error: Exception) -> bool:
        """True if an HTTP exception should propagate like any other error (debugging)."""
        if self.config["TRAP_HTTP_EXCEPTIONS"]:
            return True
        trap_bad_request = self.config["TRAP_BAD_REQUEST_ERRORS"]
        if trap_bad_request is None and isinstance(error, BadRequestKeyError) and self.debug:
            return True
        if trap_bad_request:
            from carafe.exceptions import BadRequest

            return isinstance(error, BadRequest)
        return False

    def handle_http_exception(self, error: HTTPException) -> Any:
        """Answer an HTTP exception with its handler, or with the exception itself."""
        plan, ctx = _plan_and_context()
        rv = pipeline.handle_http_exception(plan, ctx, error)
        return settle(ctx, rv) if rv.__class__ is CoroutineType else rv

    def handle_user_exception(self, error: Exception) -> Any:
        """Answer an exception raised by a hook or view, or re-raise it if unhandled."""
        plan, ctx = _plan_and_context()
        rv = pipeline.handle_user_exception(plan, ctx, error)
        return settle(ctx, rv) if rv.__class__ is CoroutineType else rv

    def handle_exception(self, error: Exception) -> Response:
        """Answer an unhandled exception with a 500 (or let it propagate when testing)."""
        return pipeline.handle_exception(*_plan_and_context(), error)

    def log_exception(self, error: BaseException) -> None:
        """Log an unhandled exception with the request's path and method."""
        ctx = get_request_context()
        where = f" on {ctx.request.path} [{ctx.request.method}]" if ctx is not None else ""
        self.logger.error(f"Exception{where}", exc_info=(type(error), error, error.__traceback__))

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """``func`` as a plain function: an ``async def`` one through
        :meth:`async_to_sync`, any other as it is."""
        if is_coroutine_function(func):
            return self.async_to_sync(func)
        return func

    def async_to_sync(self, func: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
        """A plain function that runs the coroutine function ``func`` to its end, as
        the pipeline runs an ``async def`` view (not on the event loop itself)."""

        def run(*args: Any, **kwargs: Any) -> Any:
            return settle(get_request_context(), func(*args, **kwargs))  # type: ignore[arg-type]

        return run

    # -- responses ------------------------------------------------------------

    def make_response(self, rv: Any) -> Response:
        """Turn a view's return value into a response, with Flask's rules
        (:func:`carafe.conversion.to_response`)."""
        return to_response(self, rv)

    # -- contexts, URLs, testing ----------------------------------------------

    def app_context(self) -> AppContext:
        """A context making ``current_app`` and ``g`` available: ``with app.app_context():``."""
        return AppContext(self)

    def request_context(self, environ: WSGIEnvironment) -> RequestContext:
        """A request context for a WSGI environ."""
        if not self._got_first_request:
            # Contexts made before any request (tests, scripts) see the hooks too.
            self.plan = self.make_plan()
        request = self.request_class(environ, self.request_options)
        self.match_request(request, environ.get("HTTP_HOST"))
        return RequestContext(self, request)

    def test_request_context(self, *args: Any, **kwargs: Any) -> RequestContext:
        """A request context for a request built like the test client's ``open()``
        arguments (:class:`carafe.testing.EnvironBuilder`'s)."""
        from carafe.testing import EnvironBuilder

        return self.request_context(EnvironBuilder(self, *args, **kwargs).get_environ())

    def test_client(self, use_cookies: bool = True, **kwargs: Any) -> FlaskClient:
        """A client that sends requests to the app without a server."""
        client_class = self.test_client_class
        if client_class is None:
            from carafe.testing import FlaskClient

            client_class = FlaskClient
        return client_class(self, use_cookies=use_cookies, **kwargs)

    def url_for(
        self,
        /,
        endpoint: str,
        *,
        _anchor: str | None = None,
        _method: str | None = None,
        _scheme: str | None = None,
        _external: bool | None = None,
        **values: Any,
    ) -> str:
        """Build the URL of ``endpoint``; see :func:`carafe.url_for`
        (:func:`carafe.urls.build_url`)."""
        return build_url(
            self,
            endpoint,
            values,
            anchor=_anchor,
            method=_method,
            scheme=_scheme,
            external=_external,
        )

    def inject_url_defaults(self, endpoint: str, values: dict[str, Any]) -> None:
        """Run the ``url_defaults`` functions for ``endpoint`` on ``values`` in place:
        the app's, then its blueprints' from the outermost."""
        inject_url_defaults(self, endpoint, values)

    def handle_url_build_error(
        self, error: BuildError, endpoint: str, values: dict[str, Any]
    ) -> str:
        """Try the ``url_build_error_handlers``; re-raise ``error`` if none gives a URL."""
        for handler in self.url_build_error_handlers:
            try:
                rv = handler(error, endpoint, values)
            except BuildError as exc:
                error = exc
                continue
            if rv is not None:
                return rv
        raise error

    def redirect(self, location: str, code: int = 302) -> Response:
        """A redirect response to ``location``; see :func:`carafe.redirect`."""
        return redirect_response(location, code, self.response_class)

    def run(
        self,
        host: str | None = None,
        port: int | None = None,
        debug: bool | None = None,
        **options: Any,
    ) -> None:
        """Serve the app on the embedded server (127.0.0.1:5000 by default)."""
        from carafe.serving import run_app

        run_app(self, host=host, port=port, debug=debug, **options)


def _adopt_werkzeug() -> None:
    """Carafe's errors as instances of Werkzeug's classes too, if it is loaded."""
    from carafe import exceptions, routing

    adopt_werkzeug({"werkzeug.exceptions": exceptions, "werkzeug.routing": routing})


def _require_request_context() -> RequestContext:
    ctx = get_request_context()
    if ctx is None:
        raise RuntimeError("This needs an active request context.")
    return ctx


def _plan_and_context() -> tuple[Plan, RequestContext]:
    """The current request's context and its app's plan (Flask's pipeline methods)."""
    ctx = _require_request_context()
    app = ctx.app
    plan = app.plan
    if plan is None:
        plan = app.plan = app.make_plan()
    return plan, ctx


def _call_method(name: str) -> Callable[..., Any]:
    """A step that calls the app's own (overriding) method ``name``."""

    def call_override(plan: Plan, ctx: RequestContext, *args: Any) -> Any:
        return getattr(plan.app, name)(*args)

    call_override.__name__ = name
    return call_override
