"""Templates, as Flask's ``flask.templating`` has them: :func:`render_template`,
:func:`render_template_string`, :func:`stream_template`, :func:`stream_template_string`,
and the app's side of them (:class:`AppTemplating`: ``app.jinja_env``, the context
processors, ``template_filter`` and friends).

Start-up: this module does not import jinja2. The app's Jinja environment is made
when a template is first rendered (or ``app.jinja_env`` first read); that imports
:mod:`carafe.jinja_env`, where ``Environment`` and ``DispatchingJinjaLoader`` live
(also reachable here, as in Flask). Filters, tests and globals registered before
then wait in the app and go into the environment when it is made. Nothing here runs
for a request that renders no template.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, Union, cast

from carafe.ctx import _NO_APP, SIGNALS, _cv_ctx, get_request_context
from carafe.globals import g, request, session
from carafe.helpers import get_flashed_messages, stream_with_context
from carafe.scaffold import Scaffold
from carafe.typing import (
    TemplateFilterCallable,
    TemplateGlobalCallable,
    TemplateTestCallable,
)

if TYPE_CHECKING:
    from jinja2 import Template

    from carafe.app import Flask
    from carafe.jinja_env import DispatchingJinjaLoader, Environment

F = TypeVar("F", bound=Callable[..., Any])
T_filter = TypeVar("T_filter", bound=TemplateFilterCallable)
T_global = TypeVar("T_global", bound=TemplateGlobalCallable)
T_test = TypeVar("T_test", bound=TemplateTestCallable)
#: A template to render: its name, a loaded template, or a list to pick the first from.
TemplateNames = Union[str, "Template", list[Union[str, "Template"]]]

_AUTOESCAPED = (".html", ".htm", ".xml", ".xhtml", ".svg")
_IN_JINJA_ENV = ("Environment", "DispatchingJinjaLoader")


def __getattr__(name: str) -> object:
    # Flask's names in this module, from the module that imports jinja2.
    if name not in _IN_JINJA_ENV:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from carafe import jinja_env

    return getattr(jinja_env, name)


class _DefaultEnvironmentClass:
    """``Flask.jinja_environment`` until a subclass sets its own: Carafe's
    :class:`~carafe.jinja_env.Environment`, imported when first read."""

    def __get__(self, instance: object, owner: type | None = None) -> type[Environment]:
        from carafe.jinja_env import Environment

        return Environment


def default_template_context() -> dict[str, Any]:
    """The app's first context processor: ``g`` and ``request`` as the objects
    themselves, not their proxies (faster to read in a template), as Flask's."""
    ctx = _cv_ctx.get(None)
    if ctx is None:
        return {}
    context: dict[str, Any] = {"g": ctx.g}
    if ctx.request is not None:
        context["request"] = ctx.request
    return context


class AppTemplating(Scaffold):
    """The app's templating: its Jinja environment, the template context and the
    filters, tests and globals it is given (Flask's methods of the same names)."""

    if TYPE_CHECKING:
        jinja_environment: ClassVar[type[Environment]]
    else:
        #: The class of :attr:`jinja_env` (a subclass of
        #: :class:`carafe.templating.Environment`).
        jinja_environment = _DefaultEnvironmentClass()

    #: Options for the Jinja environment, read when it is made (later changes are
    #: not seen). ``autoescape`` and ``auto_reload`` default as
    #: :meth:`create_jinja_environment` says.
    jinja_options: ClassVar[dict[str, Any]] = {}

    def _init_templating(self) -> None:
        # The filters, tests and globals registered on the app, in order: what each
        # Jinja environment it makes starts with.
        self._jinja_additions: list[tuple[str, str, Callable[..., Any]]] = []
        self.template_context_processors[None].append(default_template_context)

    @cached_property
    def jinja_env(self) -> Environment:
        """The app's Jinja environment, made by :meth:`create_jinja_environment` when
        first read (then kept), with the filters, tests and globals registered so far."""
        env = self.create_jinja_environment()
        for kind, name, func in self._jinja_additions:
            getattr(env, kind)[name] = func
        return env

    def create_jinja_environment(self) -> Environment:
        """Make the Jinja environment (:attr:`jinja_environment`) from
        :attr:`jinja_options`: autoescaping by :meth:`select_jinja_autoescape`,
        auto-reloading by ``TEMPLATES_AUTO_RELOAD`` (debug mode when it is None), and
        the globals Flask gives templates: ``config``, ``request``, ``session``,
        ``g``, ``url_for`` and ``get_flashed_messages``."""
        app = cast("Flask", self)
        options = dict(self.jinja_options)
        if "autoescape" not in options:
            options["autoescape"] = self.select_jinja_autoescape
        if "auto_reload" not in options:
            auto_reload = app.config["TEMPLATES_AUTO_RELOAD"]
            options["auto_reload"] = app.debug if auto_reload is None else auto_reload
        env = self.jinja_environment(app, **options)
        env.globals.update(
            url_for=app.url_for,
            get_flashed_messages=get_flashed_messages,
            config=app.config,
            request=request,
            session=session,
            g=g,
        )
        env.policies["json.dumps_function"] = app.json.dumps
        return env

    def create_global_jinja_loader(self) -> DispatchingJinjaLoader:
        """The loader of :attr:`jinja_env`: the app's templates, then each
        blueprint's (override :attr:`jinja_loader` to change the app's own)."""
        from carafe.jinja_env import DispatchingJinjaLoader

        return DispatchingJinjaLoader(cast("Flask", self))

    def select_jinja_autoescape(self, filename: str | None) -> bool:
        """Whether a template is autoescaped: a template from a string (no
        ``filename``) is, and so are ``.html``, ``.htm``, ``.xml``, ``.xhtml`` and
        ``.svg`` files."""
        if filename is None:
            return True
        return filename.endswith(_AUTOESCAPED)

    def update_template_context(self, context: dict[str, Any]) -> None:
        """Add what the context processors return to ``context``: the app's, then
        those of the request's blueprints from the outermost. The values given to
        the render call win over theirs."""
        ctx = _cv_ctx.get(None)
        current = ctx.request if ctx is not None else None
        scopes: list[str | None] = [None]
        if current is not None:
            scopes.extend(reversed(current.blueprints))
        given = context.copy()
        processors = self.template_context_processors
        ensure_sync = cast("Flask", self).ensure_sync
        for scope in scopes:
            for processor in processors.get(scope, ()):
                context.update(ensure_sync(processor)())
        context.update(given)

    # -- filters, tests and globals ------------------------------------------

    def _add_to_jinja(self, kind: str, func: Callable[..., Any], name: str | None) -> None:
        key = name or func.__name__
        self._jinja_additions.append((kind, key, func))
        env = self.__dict__.get("jinja_env")
        if env is not None:
            getattr(env, kind)[key] = func

    def _decorator(
        self, method: str, add: Callable[[Any, str | None], None], name: str | None
    ) -> Callable[[F], F]:
        """The decorator ``method`` returns: ``add(func, name)``, then ``func``."""
        self._check_setup_finished(method)

        def decorator(func: F) -> F:
            add(func, name)
            return func

        return decorator

    def template_filter(self, name: str | None = None) -> Callable[[T_filter], T_filter]:
        """Decorate a function to register it as a Jinja filter:
        ``@app.template_filter()`` (named after the function) or ``("name")``."""
        return self._decorator("template_filter", self.add_template_filter, name)

    def add_template_filter(self, f: TemplateFilterCallable, name: str | None = None) -> None:
        """Register ``f`` as a Jinja filter, under ``name`` (its own by default)."""
        self._check_setup_finished("add_template_filter")
        self._add_to_jinja("filters", f, name)

    def template_test(self, name: str | None = None) -> Callable[[T_test], T_test]:
        """Decorate a function to register it as a Jinja test:
        ``@app.template_test()``, then ``{% if value is name %}``."""
        return self._decorator("template_test", self.add_template_test, name)

    def add_template_test(self, f: TemplateTestCallable, name: str | None = None) -> None:
        """Register ``f`` as a Jinja test, under ``name`` (its own by default)."""
        self._check_setup_finished("add_template_test")
        self._add_to_jinja("tests", f, name)

    def template_global(self, name: str | None = None) -> Callable[[T_global], T_global]:
        """Decorate a function to make it a global of every template:
        ``@app.template_global()``."""
        return self._decorator("template_global", self.add_template_global, name)

    def add_template_global(self, f: TemplateGlobalCallable, name: str | None = None) -> None:
        """Make ``f`` a global of every template, under ``name`` (its own by default)."""
        self._check_setup_finished("add_template_global")
        self._add_to_jinja("globals", f, name)


# -- rendering ----------------------------------------------------------------


def _current_app() -> Flask:
    ctx = _cv_ctx.get(None)
    if ctx is None:
        raise RuntimeError(_NO_APP)
    return ctx.app


def _render(app: Flask, template: Template, context: dict[str, Any]) -> str:
    app.update_template_context(context)
    if SIGNALS.active:
        SIGNALS.send("before_render_template", app, template=template, context=context)
    rendered = template.render(context)
    if SIGNALS.active:
        SIGNALS.send("template_rendered", app, template=template, context=context)
    return rendered


def _stream(app: Flask, template: Template, context: dict[str, Any]) -> Iterator[str]:
    app.update_template_context(context)
    if SIGNALS.active:
        SIGNALS.send("before_render_template", app, template=template, context=context)

    def generate() -> Iterator[str]:
        yield from template.generate(context)
        if SIGNALS.active:
            SIGNALS.send("template_rendered", app, template=template, context=context)

    if get_request_context() is None:
        return generate()
    # In a request, the request context stays pushed while the body is generated.
    return cast("Iterator[str]", stream_with_context(generate()))


def render_template(template_name_or_list: TemplateNames, **context: Any) -> str:
    """Render the template of that name (the first that exists, for a list) with
    ``context``, to a string. Needs an app context.

    :raises jinja2.TemplateNotFound: when no such template exists.
    """
    app = _current_app()
    return _render(app, app.jinja_env.get_or_select_template(template_name_or_list), context)


def render_template_string(source: str, **context: Any) -> str:
    """Render the template ``source`` (autoescaped) with ``context``, to a string."""
    app = _current_app()
    return _render(app, app.jinja_env.from_string(source), context)


def stream_template(template_name_or_list: TemplateNames, **context: Any) -> Iterator[str]:
    """Render a template as :func:`render_template` does, but piece by piece: an
    iterator of strings, to return from a view as a streamed response. In a request,
    the request context stays available until the stream ends."""
    app = _current_app()
    return _stream(app, app.jinja_env.get_or_select_template(template_name_or_list), context)


def stream_template_string(source: str, **context: Any) -> Iterator[str]:
    """Render the template ``source`` as a stream (see :func:`stream_template`)."""
    app = _current_app()
    return _stream(app, app.jinja_env.from_string(source), context)


__all__ = [
    "AppTemplating",
    "DispatchingJinjaLoader",
    "Environment",
    "render_template",
    "render_template_string",
    "stream_template",
    "stream_template_string",
]
