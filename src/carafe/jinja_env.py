"""The Jinja side of templating: Flask's ``Environment`` and ``DispatchingJinjaLoader``
(reached as ``carafe.templating.Environment`` and ``DispatchingJinjaLoader``).

This is the only module that imports jinja2 at import time; :mod:`carafe.templating`
loads it when an app first needs its Jinja environment, so ``import carafe`` and an
app that renders nothing never load jinja2.

The loader looks a template up in the app's ``template_folder`` first, then in each
blueprint's, in the order the blueprints were registered. With
``EXPLAIN_TEMPLATE_LOADING`` on, it asks every loader and logs what each one found
to the app's logger (at ``INFO``), as Flask does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from jinja2 import BaseLoader, TemplateNotFound
from jinja2 import Environment as BaseEnvironment

from carafe.ctx import _cv_ctx

if TYPE_CHECKING:
    from carafe.app import Flask
    from carafe.scaffold import Scaffold

#: What a Jinja loader's ``get_source`` returns: the source, its file name, and a
#: function that says whether the file is unchanged since (for auto-reloading).
TemplateSource = tuple[str, str | None, Callable[[], bool] | None]

_BLUEPRINT_TEMPLATES_DOCS = "https://flask.palletsprojects.com/blueprints/#templates"


class Environment(BaseEnvironment):
    """A Jinja environment that belongs to an app: its loader, unless ``loader`` is
    given, is the app's :meth:`~carafe.Flask.create_global_jinja_loader` (the app's
    templates, then its blueprints')."""

    def __init__(self, app: Flask, **options: Any) -> None:
        if "loader" not in options:
            options["loader"] = app.create_global_jinja_loader()
        super().__init__(**options)
        #: The app this environment renders for.
        self.app = app


class DispatchingJinjaLoader(BaseLoader):
    """Finds a template in the app's template folder, then in each registered
    blueprint's (the first that has it wins)."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def get_source(self, environment: BaseEnvironment, template: str) -> TemplateSource:
        """The source of ``template`` from the first loader that has it.

        :raises jinja2.TemplateNotFound: when none has it.
        """
        if self.app.config["EXPLAIN_TEMPLATE_LOADING"]:
            return self._get_source_explained(environment, template)
        for _owner, loader in self._iter_loaders():
            source = _source_or_none(loader, environment, template)
            if source is not None:
                return source
        raise TemplateNotFound(template)

    def _get_source_explained(self, environment: BaseEnvironment, template: str) -> TemplateSource:
        """As :meth:`get_source`, asking every loader and logging what each found."""
        attempts: list[tuple[BaseLoader, Scaffold, TemplateSource | None]] = []
        found: TemplateSource | None = None
        for owner, loader in self._iter_loaders():
            source = _source_or_none(loader, environment, template)
            if found is None:
                found = source
            attempts.append((loader, owner, source))
        explain_template_loading_attempts(self.app, template, attempts)
        if found is None:
            raise TemplateNotFound(template)
        return found

    def _iter_loaders(self) -> Iterator[tuple[Scaffold, BaseLoader]]:
        """The app's loader, then each blueprint's, with the app or blueprint it
        belongs to (those without a template folder have none)."""
        loader = self.app.jinja_loader
        if loader is not None:
            yield self.app, loader
        for blueprint in self.app.iter_blueprints():
            loader = blueprint.jinja_loader
            if loader is not None:
                yield blueprint, loader

    def list_templates(self) -> list[str]:
        """The names of every template the app and its blueprints have."""
        names: set[str] = set()
        for _owner, loader in self._iter_loaders():
            names.update(loader.list_templates())
        return list(names)


def _source_or_none(
    loader: BaseLoader, environment: BaseEnvironment, template: str
) -> TemplateSource | None:
    """What ``loader`` has of ``template``, or None if it has no such template."""
    try:
        return loader.get_source(environment, template)
    except TemplateNotFound:
        return None


def explain_template_loading_attempts(
    app: Flask,
    template: str,
    attempts: list[tuple[BaseLoader, Scaffold, TemplateSource | None]],
) -> None:
    """Log, at ``INFO`` on the app's logger, where ``template`` was looked for and what
    each loader found, with a hint when the lookup went wrong in a blueprint's view."""
    lines = [f"Locating template {template!r}:"]
    matches = 0
    for number, (loader, owner, source) in enumerate(attempts, 1):
        lines.append(f"{number:5}: trying loader of {_describe_owner(owner)}")
        lines.extend(f"       {line}" for line in _describe_loader(loader))
        if source is None:
            lines.append("       -> no match")
        else:
            matches += 1
            lines.append(f"       -> found ({source[1] or '<string>'!r})")
    if matches == 0:
        lines.append("Error: the template could not be found.")
    elif matches > 1:
        lines.append("Warning: multiple loaders returned a match for the template.")
    ctx = _cv_ctx.get(None)
    request = ctx.request if ctx is not None else None
    blueprint = request.blueprint if request is not None else None
    if blueprint is not None and matches != 1:
        lines.append(
            "  The template was looked up from an endpoint that belongs to the blueprint"
            f" {blueprint!r}."
        )
        lines.append("  Maybe you did not place a template in the right folder?")
        lines.append(f"  See {_BLUEPRINT_TEMPLATES_DOCS}")
    app.logger.info("\n".join(lines))


def _describe_owner(owner: Scaffold) -> str:
    from carafe.blueprints import Blueprint

    if isinstance(owner, Blueprint):
        return f"blueprint {owner.name!r} ({owner.import_name})"
    return f"application {getattr(owner, 'import_name', owner)!r}"


def _describe_loader(loader: BaseLoader) -> Iterator[str]:
    """A loader's class and its public settings (a file loader's search path)."""
    cls = type(loader)
    yield f"class: {cls.__module__}.{cls.__name__}"
    for name, value in sorted(vars(loader).items()):
        if name.startswith("_"):
            continue
        if isinstance(value, (tuple, list)):
            if all(isinstance(item, str) for item in value):
                yield f"{name}:"
                yield from (f"  - {item}" for item in value)
        elif isinstance(value, (str, int, float, bool)):
            yield f"{name}: {value!r}"
