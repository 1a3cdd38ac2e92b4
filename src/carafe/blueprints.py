"""Blueprints: a group of views, hooks and handlers registered on an app as one, under
a URL prefix and a name, as Flask's ``flask.blueprints`` has them.

A blueprint records what it is given; :meth:`Blueprint.register` (called by
``app.register_blueprint``) replays it on the app: its rules under the prefix with
endpoints named ``"blueprint.view"``, its hooks and handlers under the blueprint's
name in the app's registries, and the blueprints nested in it, named
``"parent.child"``. The request pipeline picks a request's hooks and handlers by its
endpoint's blueprint (:class:`carafe.plan.Scope`); none of this costs a request
anything when the app has no blueprint.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any, TypeVar

from carafe.scaffold import ErrorHandler, Scaffold, find_root_path

if TYPE_CHECKING:
    from carafe.app import Flask
    from carafe.cli import AppGroup

F = TypeVar("F", bound=Callable[..., Any])

# The default cli_group: the blueprint's commands in a group named after it.
_DEFAULT_CLI_GROUP: Any = object()
# What a recorded function returns is ignored (``record_once(lambda s: s.app...)``).
DeferredSetupFunction = Callable[["BlueprintSetupState"], object]


class BlueprintSetupState:
    """What a blueprint's recorded functions get when it is registered: the app, the
    options given to ``register_blueprint`` and the prefix, subdomain and name that
    result, with :meth:`add_url_rule` to add a rule under them."""

    def __init__(
        self,
        blueprint: Blueprint,
        app: Flask,
        options: dict[str, Any],
        first_registration: bool,
    ) -> None:
        self.app = app
        self.blueprint = blueprint
        #: The options passed to ``register_blueprint``.
        self.options = options
        #: True the first time this blueprint is registered on the app (for
        #: ``record_once``).
        self.first_registration = first_registration
        subdomain = options.get("subdomain")
        self.subdomain: str | None = subdomain if subdomain is not None else blueprint.subdomain
        url_prefix = options.get("url_prefix")
        self.url_prefix: str | None = (
            url_prefix if url_prefix is not None else blueprint.url_prefix
        )
        #: The name it is registered under, and that of the blueprint it is nested in.
        self.name: str = options.get("name", blueprint.name)
        self.name_prefix: str = options.get("name_prefix", "")
        #: View arguments for every rule: the blueprint's, then the options'.
        self.url_defaults: dict[str, Any] = dict(blueprint.url_values_defaults)
        self.url_defaults.update(options.get("url_defaults", ()))

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., Any] | None = None,
        **options: Any,
    ) -> None:
        """Add a rule to the app under this registration's URL prefix, with its
        endpoint named after the blueprint (``"name.endpoint"``)."""
        if self.url_prefix is not None:
            rule = (
                "/".join((self.url_prefix.rstrip("/"), rule.lstrip("/")))
                if rule
                else self.url_prefix
            )
        if self.subdomain is not None:
            options.setdefault("subdomain", self.subdomain)
        if endpoint is None:
            endpoint = _endpoint_of(view_func)
        defaults = self.url_defaults
        if "defaults" in options:
            defaults = {**defaults, **options.pop("defaults")}
        self.app.add_url_rule(
            rule,
            f"{self.name_prefix}.{self.name}.{endpoint}".lstrip("."),
            view_func,
            defaults=defaults,
            **options,
        )


class Blueprint(Scaffold):
    """A group of views and hooks to register on an app: ``app.register_blueprint(bp)``.

    :param name: the blueprint's name, put before its endpoints (``"name.view"``);
        no dot.
    :param import_name: the name of its module, usually ``__name__``.
    :param static_folder: its folder of static files, served under ``static_url_path``
        (the app's static route wins for a blueprint without a ``url_prefix``).
    :param static_url_path: the URL path of those files.
    :param template_folder: its folder of templates, searched after the app's (and
        after those of the blueprints registered before it).
    :param url_prefix: put before each of its rules.
    :param subdomain: the subdomain its rules match.
    :param url_defaults: view arguments for each of its rules.
    :param root_path: the folder its relative paths start from (its module's).
    :param cli_group: the name of its CLI command group (its name by default; None
        puts its commands straight in the app's group).
    """

    _got_registered_once = False

    def __init__(
        self,
        name: str,
        import_name: str,
        static_folder: str | os.PathLike[str] | None = None,
        static_url_path: str | None = None,
        template_folder: str | os.PathLike[str] | None = None,
        url_prefix: str | None = None,
        subdomain: str | None = None,
        url_defaults: dict[str, Any] | None = None,
        root_path: str | None = None,
        cli_group: str | None = _DEFAULT_CLI_GROUP,
    ) -> None:
        if not name:
            raise ValueError("'name' may not be empty.")
        if "." in name:
            raise ValueError("'name' may not contain a dot '.' character.")
        super().__init__()
        self.name = name
        self.import_name = import_name
        self.root_path = root_path or find_root_path(import_name)
        self.static_folder = static_folder
        self.static_url_path = static_url_path
        self.template_folder = template_folder
        self.url_prefix = url_prefix
        self.subdomain = subdomain
        #: View arguments for each rule (``url_defaults=``).
        self.url_values_defaults: dict[str, Any] = dict(url_defaults or {})
        self.cli_group = cli_group
        self._cli: AppGroup | None = None
        #: The functions :meth:`register` calls with a :class:`BlueprintSetupState`.
        self.deferred_functions: list[DeferredSetupFunction] = []
        self._blueprints: list[tuple[Blueprint, dict[str, Any]]] = []

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"

    @property
    def cli(self) -> AppGroup:
        """The blueprint's click command group, added to the app's when registered.
        Start-up: click loads on first use."""
        group = self._cli
        if group is None:
            from carafe.cli import AppGroup

            group = self._cli = AppGroup(self.name)
        return group

    def open_resource(
        self, resource: str, mode: str = "rb", encoding: str | None = "utf-8"
    ) -> IO[Any]:
        """Open ``resource``, a path relative to the blueprint's :attr:`root_path`,
        for reading (text as UTF-8 unless ``encoding`` says otherwise)."""
        return super().open_resource(resource, mode, encoding)

    def _check_setup_finished(self, method: str) -> None:
        if self._got_registered_once:
            raise AssertionError(
                f"The setup method {method!r} can no longer be called on the blueprint"
                f" {self.name!r}. It has already been registered at least once, any"
                " changes will not be applied consistently.\n"
                "Make sure all imports, decorators, functions, etc. needed to set up"
                " the blueprint are done before registering it."
            )

    # -- recording ------------------------------------------------------------

    def record(self, func: DeferredSetupFunction) -> None:
        """Call ``func(state)`` each time the blueprint is registered on an app."""
        self._check_setup_finished("record")
        self.deferred_functions.append(func)

    def record_once(self, func: DeferredSetupFunction) -> None:
        """Call ``func(state)`` the first time the blueprint is registered on an app."""
        self._check_setup_finished("record_once")
        self.deferred_functions.append(_once(func))

    def _on_app(self, method: str, registration: str, func: Callable[..., Any]) -> None:
        """For the setup method ``method``: register ``func`` on the app through its
        method ``registration`` at the first registration."""
        self._record_once_for(method, lambda state: getattr(state.app, registration)(func))

    def _record_once_for(self, method: str, func: DeferredSetupFunction) -> None:
        """``record_once(func)`` for the setup method ``method`` (named if too late)."""
        self._check_setup_finished(method)
        self.deferred_functions.append(_once(func))

    def make_setup_state(
        self, app: Flask, options: dict[str, Any], first_registration: bool = False
    ) -> BlueprintSetupState:
        """The state the recorded functions get for one registration on ``app``."""
        return BlueprintSetupState(self, app, options, first_registration)

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: Any,
    ) -> None:
        """Register a URL rule, added to the app (under the prefix, with the endpoint
        ``"name.endpoint"``) when the blueprint is registered."""
        self._check_setup_finished("add_url_rule")
        if endpoint and "." in endpoint:
            raise ValueError("'endpoint' may not contain a dot '.' character.")
        if view_func is not None and "." in getattr(view_func, "__name__", ""):
            raise ValueError("'view_func' name may not contain a dot '.' character.")
        self.deferred_functions.append(
            lambda state: state.add_url_rule(
                rule,
                endpoint,
                view_func,
                provide_automatic_options=provide_automatic_options,
                **options,
            )
        )

    def register_blueprint(self, blueprint: Blueprint, **options: Any) -> None:
        """Nest ``blueprint`` in this one: it is registered with it, its endpoints named
        ``"this.nested.view"`` and its URL prefix after this one's."""
        if blueprint is self:
            raise ValueError("Cannot register a blueprint on itself")
        self._check_setup_finished("register_blueprint")
        self._blueprints.append((blueprint, options))

    # -- registering on an app ------------------------------------------------

    def register(self, app: Flask, options: dict[str, Any]) -> None:
        """Register this blueprint on ``app`` (what ``app.register_blueprint`` calls):
        its rules, hooks, handlers and nested blueprints, under its name."""
        name_prefix = options.get("name_prefix", "")
        own_name = options.get("name", self.name)
        # A dotted name= is taken, as Flask takes it: the blueprint then counts as
        # nested in the blueprint the name starts with.
        name = f"{name_prefix}.{own_name}".lstrip(".")
        if name in app.blueprints:
            which = "this" if app.blueprints[name] is self else "a different"
            where = f" '{name}'" if own_name != name else ""
            raise ValueError(
                f"The name '{own_name}' is already registered for {which} blueprint{where}."
                " Use 'name=' to provide a unique name."
            )
        first_registration = not any(bp is self for bp in app.blueprints.values())
        app.blueprints[name] = self
        self._got_registered_once = True
        state = self.make_setup_state(app, options, first_registration)
        if self.has_static_folder:
            state.add_url_rule(
                f"{self.static_url_path}/<path:filename>",
                view_func=self.send_static_file,
                endpoint="static",
            )
        self._merge_into(app, name)
        for deferred in self.deferred_functions:
            deferred(state)
        group = options.get("cli_group", self.cli_group)
        if self._cli is not None and self._cli.commands:
            if group is None:
                app.cli.commands.update(self._cli.commands)
            else:
                self._cli.name = name if group is _DEFAULT_CLI_GROUP else group
                app.cli.add_command(self._cli)
        for blueprint, nested_options in self._blueprints:
            blueprint.register(app, _nested_options(state, blueprint, nested_options, name))

    def _merge_into(self, app: Flask, name: str) -> None:
        """Put this blueprint's registrations into ``app``'s registries under ``name``
        (its own scope) and ``name.key`` (scopes it keeps for others)."""

        def scoped(key: str | None) -> str:
            return name if key is None else f"{name}.{key}"

        for key, by_code in self.error_handler_spec.items():
            target = app.error_handler_spec[scoped(key)]
            for code, handlers in by_code.items():
                target[code].update(handlers)
        # As Flask: an ``endpoint`` decorator's function keeps its endpoint unprefixed.
        app.view_functions.update(self.view_functions)
        for registry in (
            "before_request_funcs",
            "after_request_funcs",
            "teardown_request_funcs",
            "url_default_functions",
            "url_value_preprocessors",
            "template_context_processors",
        ):
            target_registry = getattr(app, registry)
            for key, funcs in getattr(self, registry).items():
                target_registry[scoped(key)].extend(funcs)

    # -- registrations on the app itself --------------------------------------

    def before_app_request(self, func: F) -> F:
        """Run ``func()`` before every request of the app, not only this blueprint's."""
        self._on_app("before_app_request", "before_request", func)
        return func

    def after_app_request(self, func: F) -> F:
        """Run ``func(response)`` after every request of the app."""
        self._on_app("after_app_request", "after_request", func)
        return func

    def teardown_app_request(self, func: F) -> F:
        """Run ``func(error)`` at the end of every request of the app."""
        self._on_app("teardown_app_request", "teardown_request", func)
        return func

    def app_context_processor(self, func: F) -> F:
        """Register a template context processor for the whole app."""
        self._on_app("app_context_processor", "context_processor", func)
        return func

    def app_template_filter(self, name: str | None = None) -> Callable[[F], F]:
        """Decorate a Jinja filter for the whole app (``app.template_filter``)."""
        return self._app_template_decorator("app_template_filter", "filter", name)

    def add_app_template_filter(self, f: Callable[..., Any], name: str | None = None) -> None:
        """Register ``f`` as a Jinja filter of the app, under ``name`` (its own by
        default), when the blueprint is first registered."""
        self._on_app_template("add_app_template_filter", "filter", f, name)

    def app_template_test(self, name: str | None = None) -> Callable[[F], F]:
        """Decorate a Jinja test for the whole app (``app.template_test``)."""
        return self._app_template_decorator("app_template_test", "test", name)

    def add_app_template_test(self, f: Callable[..., bool], name: str | None = None) -> None:
        """Register ``f`` as a Jinja test of the app (see :meth:`add_app_template_filter`)."""
        self._on_app_template("add_app_template_test", "test", f, name)

    def app_template_global(self, name: str | None = None) -> Callable[[F], F]:
        """Decorate a global of every template of the app (``app.template_global``)."""
        return self._app_template_decorator("app_template_global", "global", name)

    def add_app_template_global(self, f: Callable[..., Any], name: str | None = None) -> None:
        """Make ``f`` a global of the app's templates (see :meth:`add_app_template_filter`)."""
        self._on_app_template("add_app_template_global", "global", f, name)

    def _app_template_decorator(
        self, method: str, kind: str, name: str | None
    ) -> Callable[[F], F]:
        self._check_setup_finished(method)

        def decorator(func: F) -> F:
            getattr(self, f"add_app_template_{kind}")(func, name)
            return func

        return decorator

    def _on_app_template(
        self, method: str, kind: str, func: Callable[..., Any], name: str | None
    ) -> None:
        """For ``method``: ``app.add_template_<kind>(func, name)`` at the first
        registration (into the app's Jinja environment, made or not)."""
        self._record_once_for(
            method, lambda state: getattr(state.app, f"add_template_{kind}")(func, name)
        )

    def app_url_value_preprocessor(self, func: F) -> F:
        """Register a URL value preprocessor for every request of the app."""
        self._on_app("app_url_value_preprocessor", "url_value_preprocessor", func)
        return func

    def app_url_defaults(self, func: F) -> F:
        """Register a ``url_defaults`` function for every endpoint of the app."""
        self._on_app("app_url_defaults", "url_defaults", func)
        return func

    def app_errorhandler(self, code_or_exception: type[BaseException] | int) -> Callable[[F], F]:
        """Decorate a handler of an error anywhere in the app, not only in this
        blueprint's views."""
        self._check_setup_finished("app_errorhandler")

        def decorator(func: F) -> F:
            def register(state: BlueprintSetupState) -> None:
                handler: ErrorHandler = func
                state.app.register_error_handler(code_or_exception, handler)

            self._record_once_for("app_errorhandler", register)
            return func

        return decorator


def _once(func: DeferredSetupFunction) -> DeferredSetupFunction:
    def once(state: BlueprintSetupState) -> None:
        if state.first_registration:
            func(state)

    return once


def _nested_options(
    state: BlueprintSetupState, blueprint: Blueprint, options: dict[str, Any], parent: str
) -> dict[str, Any]:
    """The registration options of ``blueprint`` nested in the one ``state`` registers:
    its subdomain under the parent's, its URL prefix after the parent's, and its name
    after the parent's."""
    options = dict(options)
    subdomain = options.get("subdomain")
    if subdomain is None:
        subdomain = blueprint.subdomain
    if state.subdomain is not None and subdomain is not None:
        options["subdomain"] = f"{subdomain}.{state.subdomain}"
    elif subdomain is not None or state.subdomain is not None:
        options["subdomain"] = subdomain if subdomain is not None else state.subdomain
    url_prefix = options.get("url_prefix")
    if url_prefix is None:
        url_prefix = blueprint.url_prefix
    if state.url_prefix is not None and url_prefix is not None:
        options["url_prefix"] = f"{state.url_prefix.rstrip('/')}/{url_prefix.lstrip('/')}"
    elif url_prefix is not None or state.url_prefix is not None:
        options["url_prefix"] = url_prefix if url_prefix is not None else state.url_prefix
    options["name_prefix"] = parent
    return options


def _endpoint_of(view_func: Callable[..., Any] | None) -> str:
    if view_func is None:
        raise TypeError("add_url_rule needs an endpoint or a view function.")
    return view_func.__name__
