"""Templates (``carafe.templating``): rendering, the Jinja environment, the template
context, filters/tests/globals, blueprint template folders, signals and the
explain-loading log, compared with Flask where both can run the same app.

Templates are in ``tests/templates`` (the app's folder, beside this module) and
``tests/templates_blueprints`` (the blueprints'); tests that change files write
their own folder under ``tmp_path``. Every test runs over WSGI and over ASGI.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import jinja2
import pytest
from markupsafe import Markup

import carafe
import carafe.signals
import carafe.templating
from carafe import Blueprint, Flask, g, render_template, render_template_string, request

HERE = Path(__file__).resolve().parent
BLUEPRINT_TEMPLATES = HERE / "templates_blueprints"


@pytest.fixture
def flask() -> ModuleType:
    """Flask, the reference (a development dependency)."""
    return pytest.importorskip("flask")


def new_app(module: ModuleType, **kwargs: Any) -> Any:
    """A testing app of ``module`` (``flask`` or ``carafe``) whose template folder is
    ``tests/templates``."""
    app = module.Flask(__name__, **kwargs)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def app() -> Flask:
    return new_app(carafe)


def get(app: Any, path: str = "/", **kwargs: Any) -> tuple[int, str]:
    response = app.test_client().get(path, **kwargs)
    return response.status_code, response.get_data(as_text=True)


def both(flask: ModuleType, build: Callable[[ModuleType], Any]) -> Any:
    """``build(carafe)``, after checking that ``build(flask)`` gives the same."""
    expected, got = build(flask), build(carafe)
    assert got == expected
    return got


def folder_app(tmp_path: Path, files: dict[str, str], **config: Any) -> Flask:
    """An app whose template folder is ``tmp_path/templates``, holding ``files``."""
    folder = tmp_path / "templates"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    app = Flask("folder_app", root_path=str(tmp_path))
    app.config.update(TESTING=True, **config)
    return app


# -- rendering ----------------------------------------------------------------


def test_render_template_with_a_context_processor(flask: ModuleType) -> None:
    def build(module: ModuleType) -> tuple[int, str]:
        app = new_app(module)

        @app.context_processor
        def injected() -> dict[str, Any]:
            return {"injected": 42, "value": "the processor's"}

        @app.route("/")
        def index() -> str:
            return module.render_template("page.html", value=23)  # type: ignore[no-any-return]

        return get(app)

    assert both(flask, build) == (200, "<p>23|42</p>")


def test_values_given_win_over_globals_and_processors(flask: ModuleType) -> None:
    def build(module: ModuleType) -> tuple[int, str]:
        app = new_app(module)
        app.context_processor(lambda: {"g": "processor"})

        @app.route("/")
        def index() -> str:
            source = "{{ config }} {{ g }} {{ request }}"
            return module.render_template_string(source, config=42, g="given", request=1)  # type: ignore[no-any-return]

        return get(app)

    assert both(flask, build) == (200, "42 given 1")


def test_standard_context(flask: ModuleType) -> None:
    """``request``, ``g``, ``config``, ``session`` and ``url_for`` in a template, and
    in a macro imported without the context (through the environment's globals)."""

    def build(module: ModuleType) -> tuple[int, str]:
        app = new_app(module)
        app.config.update(MARKER="m", SECRET_KEY="secret")

        @app.route("/here/")
        def index() -> str:
            module.g.marker = "G"
            module.session["user"] = "ann"
            return module.render_template_string(  # type: ignore[no-any-return]
                "{{ request.args.q }} {{ g.marker }} {{ config.DEBUG }} {{ url_for('index') }}"
                " {{ session.user }}"
                ' | {% from "macros.html" import where %}{{ where() }}'
            )

        return get(app, "/here/?q=42")

    assert both(flask, build) == (200, "42 G False /here/ ann | /here/ G m /here/ ann")


def test_flashed_messages_in_a_template(flask: ModuleType) -> None:
    def build(module: ModuleType) -> list[str]:
        app = new_app(module)
        app.secret_key = "secret"

        @app.route("/flash")
        def flash() -> str:
            module.flash("saved <ok>")
            module.flash("careful", "warning")
            return ""

        @app.route("/")
        def index() -> str:
            return module.render_template_string(  # type: ignore[no-any-return]
                "{% for category, message in get_flashed_messages(with_categories=true) %}"
                "{{ category }}:{{ message }};{% endfor %}"
            )

        client = app.test_client()
        client.get("/flash")
        return [client.get("/").get_data(as_text=True), client.get("/").get_data(as_text=True)]

    assert both(flask, build) == ["message:saved &lt;ok&gt;;warning:careful;", ""]


def test_config_debug_follows_the_environment(
    flask: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    def debug_in_template(module: ModuleType) -> list[str]:
        seen = []
        for value in ("1", "0"):
            monkeypatch.setenv("FLASK_DEBUG", value)
            app = new_app(module)
            with app.app_context():
                seen.append(module.render_template_string("{{ config.DEBUG }}"))
        return seen

    monkeypatch.delenv("CARAFE_DEBUG", raising=False)
    assert both(flask, debug_in_template) == ["True", "False"]


def test_escaping(flask: ModuleType) -> None:
    """``.html`` files and strings are autoescaped, ``.txt`` files are not; Markup
    passes as it is; ``{% autoescape %}`` blocks win."""
    text = "<p>Hi & bye"

    def build(module: ModuleType) -> list[str]:
        app = new_app(module)
        with app.test_request_context():
            return [
                module.render_template(name, text=text, html=Markup(text))
                for name in ("escaping.html", "escaping.txt")
            ] + [module.render_template_string("{{ text }}", text=text)]

    html, plain, string = both(flask, build)
    assert html.splitlines() == [
        "&lt;p&gt;Hi &amp; bye",
        "<p>Hi & bye",
        "<p>Hi & bye",
        "&lt;p&gt;Hi &amp; bye",
    ]
    assert plain.splitlines() == [
        "<p>Hi & bye",
        "<p>Hi & bye",
        "<p>Hi & bye",
        "&lt;p&gt;Hi &amp; bye",
    ]
    assert string == "&lt;p&gt;Hi &amp; bye"


@pytest.mark.parametrize(
    ("name", "escaped"),
    [
        ("page.html", True),
        ("page.htm", True),
        ("feed.xml", True),
        ("page.xhtml", True),
        ("icon.svg", True),
        ("mail.txt", False),
        ("script.js", False),
        ("PAGE.HTML", False),
    ],
)
def test_autoescape_by_file_extension(tmp_path: Path, name: str, escaped: bool) -> None:
    app = folder_app(tmp_path, {name: "{{ value }}"})
    assert app.select_jinja_autoescape(name) is escaped
    assert app.select_jinja_autoescape(None) is True
    with app.app_context():
        rendered = render_template(name, value="<b>")
    assert rendered == ("&lt;b&gt;" if escaped else "<b>")


def test_a_list_of_names_renders_the_first_that_exists(flask: ModuleType) -> None:
    def build(module: ModuleType) -> tuple[int, str]:
        app = new_app(module)

        @app.route("/")
        def index() -> str:
            names = ["missing.xml", "nested/inner.txt", "page.html"]
            return module.render_template(names, value=1)  # type: ignore[no-any-return]

        return get(app)

    assert both(flask, build) == (200, "inner 1")


def test_render_a_loaded_template(app: Flask) -> None:
    with app.app_context():
        template = app.jinja_env.get_template("nested/inner.txt")
        assert render_template(template, value=2) == "inner 2"
        assert render_template([template], value=3) == "inner 3"


def test_a_missing_template(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    @app.route("/")
    def index() -> str:
        return render_template("missing.html")

    with pytest.raises(jinja2.TemplateNotFound) as info:
        app.test_client().get("/")
    assert info.value.name == "missing.html"
    with app.app_context(), pytest.raises(jinja2.TemplatesNotFound) as many:
        render_template(["missing.html", "absent.html"])
    assert many.value.templates == ["missing.html", "absent.html"]
    app.testing = False
    monkeypatch.setattr(app.logger, "disabled", True)
    assert get(app)[0] == 500


@pytest.mark.parametrize(
    "name", ["../conftest.py", "../templates/../conftest.py", "/etc/passwd", "nested/../../x"]
)
def test_no_template_from_outside_the_folders(app: Flask, name: str) -> None:
    # SECURITY: a template name from a request cannot reach files outside the
    # template folders.
    @app.route("/")
    def index() -> str:
        return render_template(request.args["name"])

    with pytest.raises(jinja2.TemplateNotFound):
        app.test_client().get("/", query_string={"name": name})


def test_a_template_syntax_error_propagates(app: Flask) -> None:
    @app.route("/")
    def index() -> str:
        return render_template_string("{% if %}")

    with pytest.raises(jinja2.TemplateSyntaxError):
        app.test_client().get("/")


def test_rendering_outside_a_request(app: Flask) -> None:
    app.config["WORLD"] = "outside"
    app.context_processor(lambda: {"extra": 42})
    with app.app_context():
        g.marker = "g"
        rendered = render_template_string("{{ config.WORLD }} {{ extra }} {{ g.marker }}")
    assert rendered == "outside 42 g"


@pytest.mark.parametrize(
    "render",
    [
        lambda: carafe.render_template("page.html"),
        lambda: carafe.render_template_string("x"),
        lambda: carafe.stream_template("page.html"),
        lambda: carafe.stream_template_string("x"),
    ],
)
def test_rendering_needs_an_app_context(render: Callable[[], object]) -> None:
    with pytest.raises(RuntimeError, match="application context"):
        render()


def test_async_views_render(app: Flask) -> None:
    @app.route("/file")
    async def file() -> str:
        return render_template("loop.html", items=[request.args["a"], "<b>"])

    @app.route("/string")
    async def string() -> str:
        return render_template_string("{{ request.args.a }} {{ url_for('string') }}")

    assert get(app, "/file?a=1") == (200, "<ul><li>1</li><li>&lt;b&gt;</li></ul>")
    assert get(app, "/string?a=2") == (200, "2 /string")


def test_get_template_attribute(flask: ModuleType) -> None:
    def build(module: ModuleType) -> str:
        with new_app(module).app_context():
            return module.get_template_attribute("macros.html", "greet")("World")  # type: ignore[no-any-return]

    assert both(flask, build) == "Hello World!"


def test_tojson_uses_the_apps_json_provider(flask: ModuleType) -> None:
    def build(module: ModuleType) -> list[str]:
        app = new_app(module)
        with app.app_context():
            data = {"b": "</script>", "a": [1, "'&"]}
            first = module.render_template_string("{{ data|tojson }}", data=data)
            app.json.dumps = lambda obj, **kwargs: '"replaced"'
            del app.jinja_env  # the provider's dumps is read when the environment is made
            return [first, module.render_template_string("{{ 1|tojson }}")]

    assert both(flask, build) == [
        '{"a": [1, "\\u0027\\u0026"], "b": "\\u003c/script\\u003e"}',
        '"replaced"',
    ]


# -- streaming ----------------------------------------------------------------


def test_stream_template(flask: ModuleType) -> None:
    def build(module: ModuleType) -> tuple[tuple[int, str], tuple[int, str]]:
        app = new_app(module)

        @app.route("/file")
        def file() -> Any:
            module.g.marker = "G"
            return module.stream_template("loop.html", items=[request_of(module).args["a"], 2])

        @app.route("/string")
        def string() -> Any:
            module.g.marker = "G"
            return module.stream_template_string(
                "{{ g.marker }} {{ request.args.a }} {{ url_for('string') }}"
            )

        return get(app, "/file?a=1"), get(app, "/string?a=2")

    assert both(flask, build) == (
        (200, "<ul><li>1</li><li>2</li></ul>"),
        (200, "G 2 /string"),
    )


def request_of(module: ModuleType) -> Any:
    return module.request


def test_stream_template_keeps_the_request_while_it_runs(flask: ModuleType) -> None:
    """The request is there while the stream is generated; teardown functions run
    when the view returns and again when the stream ends, as in Flask 3.1."""

    def build(module: ModuleType) -> tuple[str, list[str]]:
        app = new_app(module)
        events: list[str] = []

        @app.teardown_request
        def teardown(error: BaseException | None) -> None:
            events.append("teardown")

        @app.route("/")
        def index() -> Any:
            def item() -> str:
                events.append(f"item {request_of(module).path}")
                return "x"

            return module.stream_template_string("{{ item() }}{{ item() }}", item=item)

        response = app.test_client().get("/")
        return response.get_data(as_text=True), events

    assert both(flask, build) == ("xx", ["teardown", "item /", "item /", "teardown"])


def test_stream_template_outside_a_request(app: Flask) -> None:
    with app.app_context():
        stream = carafe.stream_template("loop.html", items=[1, 2])
        assert "".join(stream) == "<ul><li>1</li><li>2</li></ul>"


# -- the Jinja environment ----------------------------------------------------


def test_jinja_env_is_made_on_first_use(app: Flask) -> None:
    assert "jinja_env" not in vars(app)
    env = app.jinja_env
    assert env is app.jinja_env
    assert isinstance(env, carafe.templating.Environment)
    assert isinstance(env, jinja2.Environment)
    assert env.app is app
    assert isinstance(env.loader, carafe.templating.DispatchingJinjaLoader)
    assert Flask.jinja_environment is carafe.templating.Environment
    assert env.globals["config"] is app.config
    assert env.globals["url_for"] == app.url_for
    assert env.globals["request"] is request
    assert env.globals["session"] is carafe.session
    assert env.globals["g"] is g
    assert env.globals["get_flashed_messages"] is carafe.get_flashed_messages


def test_templating_names(flask: ModuleType) -> None:
    for name in ("render_template", "render_template_string", "stream_template"):
        assert getattr(carafe, name) is getattr(carafe.templating, name)
    assert carafe.stream_template_string is carafe.templating.stream_template_string
    assert issubclass(carafe.templating.DispatchingJinjaLoader, jinja2.BaseLoader)
    with pytest.raises(AttributeError):
        _ = carafe.templating.no_such_name  # type: ignore[attr-defined]
    names = ["render_template", "render_template_string", "stream_template"]
    names += ["stream_template_string", "get_template_attribute"]
    assert all(hasattr(flask, name) for name in names)
    assert set(names) <= set(carafe.__all__)


def test_jinja_options_and_environment_class() -> None:
    class TrimmedEnvironment(carafe.templating.Environment):
        pass

    class TrimmedFlask(Flask):
        jinja_options = {"trim_blocks": True, "autoescape": False}
        jinja_environment = TrimmedEnvironment

    app = TrimmedFlask(__name__)
    assert isinstance(app.jinja_env, TrimmedEnvironment)
    with app.app_context():
        assert render_template_string("{% if 1 %}\n<b>{{ v }}{% endif %}", v="<i>") == "<b><i>"


def test_custom_loaders() -> None:
    class DictLoaderFlask(Flask):
        def create_global_jinja_loader(self) -> Any:
            return jinja2.DictLoader({"index.html": "from the dict"})

    class OwnLoaderFlask(Flask):
        @property
        def jinja_loader(self) -> Any:  # type: ignore[override]
            return jinja2.DictLoader({"page.html": "own loader"})

    for cls, name, text in (
        (DictLoaderFlask, "index.html", "from the dict"),
        (OwnLoaderFlask, "page.html", "own loader"),
    ):
        app = cls(__name__)

        @app.route("/")
        def index(name: str = name) -> str:
            return render_template(name)

        assert get(app) == (200, text)


def test_no_template_folder(tmp_path: Path) -> None:
    app = Flask("no_folder", template_folder=None, root_path=str(tmp_path))
    assert app.jinja_loader is None
    assert app.jinja_env.list_templates() == []
    with app.app_context(), pytest.raises(jinja2.TemplateNotFound):
        render_template("page.html")


@pytest.mark.parametrize(
    ("debug", "setting", "expected"),
    [
        (False, None, False),
        (False, False, False),
        (False, True, True),
        (True, None, True),
        (True, False, False),
        (True, True, True),
    ],
)
def test_templates_auto_reload(
    flask: ModuleType, debug: bool, setting: bool | None, expected: bool
) -> None:
    def build(module: ModuleType) -> bool:
        app = module.Flask(__name__)
        app.config.update(DEBUG=debug, TEMPLATES_AUTO_RELOAD=setting)
        return app.jinja_env.auto_reload  # type: ignore[no-any-return]

    assert both(flask, build) is expected


def test_setting_debug_turns_auto_reload_on(flask: ModuleType) -> None:
    def build(module: ModuleType) -> list[bool]:
        follows = module.Flask(__name__)
        assert follows.jinja_env.auto_reload is False
        follows.debug = True
        fixed = module.Flask(__name__)
        fixed.config["TEMPLATES_AUTO_RELOAD"] = False
        assert fixed.jinja_env.auto_reload is False
        fixed.debug = True
        return [follows.jinja_env.auto_reload, fixed.jinja_env.auto_reload]

    assert both(flask, build) == [True, False]


@pytest.mark.parametrize("debug", [True, False])
def test_changed_templates_reload_in_debug_mode(tmp_path: Path, debug: bool) -> None:
    app = folder_app(tmp_path, {"page.txt": "first"}, DEBUG=debug)
    template = tmp_path / "templates" / "page.txt"
    with app.app_context():
        assert render_template("page.txt") == "first"
        template.write_text("second")
        later = template.stat().st_mtime + 10
        os.utime(template, (later, later))
        assert render_template("page.txt") == ("second" if debug else "first")


# -- filters, tests and globals -----------------------------------------------

REGISTRATIONS: list[tuple[str, str]] = [
    ("filter", "{{ 'abc'|%s }}"),
    ("test", "{{ 'abc' is %s }}"),
    ("global", "{{ %s('abc') }}"),
]
KIND_ATTRIBUTE = {"filter": "filters", "test": "tests", "global": "globals"}


def loud(value: str) -> str:
    return value.upper()


@pytest.mark.parametrize(("kind", "use"), REGISTRATIONS)
@pytest.mark.parametrize("how", ["decorator", "decorator named", "add", "add named"])
@pytest.mark.parametrize("env_made", [False, True], ids=["env later", "env first"])
@pytest.mark.parametrize("on", ["app", "blueprint"])
def test_template_registrations(
    app: Flask, kind: str, use: str, how: str, env_made: bool, on: str
) -> None:
    """``template_<kind>`` and ``add_template_<kind>`` on the app, and their
    ``app_`` forms on a blueprint (registered twice, under two names), whether the
    Jinja environment was made before or not."""
    if env_made:
        _ = app.jinja_env
    name = "shout" if how.endswith("named") else "loud"
    given = name if how.endswith("named") else None
    owner: Any = app if on == "app" else Blueprint("bp", __name__)
    prefix = "" if on == "app" else "app_"
    if how.startswith("decorator"):
        assert getattr(owner, f"{prefix}template_{kind}")(given)(loud) is loud
    else:
        getattr(owner, f"add_{prefix}template_{kind}")(loud, given)
    if on == "blueprint":
        assert name not in getattr(app.jinja_env, KIND_ATTRIBUTE[kind])
        app.register_blueprint(owner)
        app.register_blueprint(owner, name="again", url_prefix="/again")
    assert getattr(app.jinja_env, KIND_ATTRIBUTE[kind])[name] is loud

    @app.route("/")
    def index() -> str:
        return render_template_string(use % name)

    assert get(app) == (200, "ABC")


def test_registrations_survive_a_new_environment(app: Flask) -> None:
    app.add_template_filter(loud)
    first = app.jinja_env
    del app.jinja_env
    assert app.jinja_env is not first
    assert app.jinja_env.filters["loud"] is loud


@pytest.mark.parametrize(
    "method", ["template_filter", "template_test", "template_global", "add_template_filter"]
)
def test_registering_after_the_first_request_fails(flask: ModuleType, method: str) -> None:
    def build(module: ModuleType) -> str:
        app = new_app(module)
        app.test_client().get("/")
        with pytest.raises(AssertionError) as info:
            if method.startswith("add_"):
                getattr(app, method)(loud)
            else:
                getattr(app, method)()
        return str(info.value)

    assert f"setup method {method!r}" in both(flask, build)


def test_flask_registrations_match(flask: ModuleType) -> None:
    def build(module: ModuleType) -> tuple[int, str]:
        app = new_app(module)
        blueprint = module.Blueprint("bp", __name__)

        @app.template_filter("rev")
        def reverse(value: str) -> str:
            return value[::-1]

        @blueprint.app_template_test()
        def short(value: str) -> bool:
            return len(value) < 3

        @blueprint.app_template_global("answer")
        def get_answer() -> int:
            return 42

        @app.route("/")
        def index() -> str:
            return module.render_template_string(  # type: ignore[no-any-return]
                "{{ 'abc'|rev }} {{ 'ab' is short }} {{ 'abc' is short }} {{ answer() }}"
            )

        app.register_blueprint(blueprint)
        return get(app)

    assert both(flask, build) == (200, "cba True False 42")


# -- blueprints: template folders and context processors ----------------------


def blueprint_app(module: ModuleType, order: tuple[str, ...] = ("admin", "frontend")) -> Any:
    """An app with the ``admin`` and ``frontend`` blueprints (each with a template
    folder) registered in ``order``, and a view rendering ``?name=``."""
    app = new_app(module)
    for name in order:
        blueprint = module.Blueprint(
            name, __name__, template_folder=BLUEPRINT_TEMPLATES / name, url_prefix=f"/{name}"
        )

        @blueprint.route("/")
        def page() -> str:
            return module.render_template(request_of(module).args["name"])  # type: ignore[no-any-return]

        app.register_blueprint(blueprint)

    @app.route("/")
    def index() -> str:
        return module.render_template(request_of(module).args["name"])  # type: ignore[no-any-return]

    return app


@pytest.mark.parametrize("order", [("admin", "frontend"), ("frontend", "admin")])
def test_blueprint_template_folders_after_the_apps(
    flask: ModuleType, order: tuple[str, ...]
) -> None:
    def build(module: ModuleType) -> list[tuple[int, str]]:
        app = blueprint_app(module, order)
        names = ["shared.html", "both.html", "admin/index.html", "frontend/index.html"]
        return [get(app, "/admin/", query_string={"name": name}) for name in names]

    first = order[0]
    assert both(flask, build) == [
        (200, "from the app"),
        (200, f"{first} has it"),
        (200, "admin index"),
        (200, "frontend index"),
    ]


def test_list_templates(flask: ModuleType) -> None:
    listed = both(flask, lambda module: sorted(blueprint_app(module).jinja_env.list_templates()))
    assert "admin/index.html" in listed
    assert "frontend/index.html" in listed
    assert "nested/inner.txt" in listed
    assert listed.count("shared.html") == 1


def test_blueprint_without_template_folder_has_no_loader() -> None:
    assert Blueprint("bp", __name__).jinja_loader is None
    loader = Blueprint("bp", __name__, template_folder="templates").jinja_loader
    assert isinstance(loader, jinja2.FileSystemLoader)
    assert loader.searchpath == [str(HERE / "templates")]


def test_context_processors_by_blueprint(flask: ModuleType) -> None:
    """The app's processors, then the outer blueprint's, then the inner one's; a
    blueprint's only for its own views; ``app_context_processor`` for all."""

    def build(module: ModuleType) -> list[tuple[int, str]]:
        app = new_app(module)
        outer = module.Blueprint("outer", __name__, url_prefix="/outer")
        inner = module.Blueprint("inner", __name__, url_prefix="/inner")
        app.context_processor(lambda: {"last": "app", "app": 1})
        outer.context_processor(lambda: {"last": "outer", "outer": 1})
        inner.context_processor(lambda: {"last": "inner", "inner": 1})
        inner.app_context_processor(lambda: {"everywhere": 1})
        source = "{{ last }} {{ app }}{{ outer }}{{ inner }}{{ everywhere }}"

        def view() -> str:
            return module.render_template_string(source)  # type: ignore[no-any-return]

        app.add_url_rule("/", "index", view)
        outer.add_url_rule("/", "index", view)
        inner.add_url_rule("/", "index", view)
        outer.register_blueprint(inner)
        app.register_blueprint(outer)
        return [get(app, path) for path in ("/", "/outer/", "/outer/inner/")]

    assert both(flask, build) == [(200, "app 11"), (200, "outer 111"), (200, "inner 1111")]


def test_async_context_processor(app: Flask) -> None:
    @app.context_processor
    async def from_a_coroutine() -> dict[str, Any]:
        return {"value": "async"}

    @app.route("/")
    def index() -> str:
        return render_template_string("{{ value }}")

    assert get(app) == (200, "async")


# -- explaining template loading ----------------------------------------------


def explained(
    module: ModuleType, caplog: pytest.LogCaptureFixture, path: str, name: str
) -> list[str]:
    """The explain-loading log of rendering ``name`` from ``path``."""
    app = blueprint_app(module)
    app.config["EXPLAIN_TEMPLATE_LOADING"] = True
    caplog.clear()
    with contextlib.suppress(jinja2.TemplateNotFound):
        app.test_client().get(path, query_string={"name": name})
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == app.name and record.levelno == logging.INFO
    ]


@pytest.mark.parametrize(
    ("path", "name", "verdict"),
    [
        ("/", "admin/index.html", None),
        ("/", "missing.html", "Error: the template could not be found."),
        ("/frontend/", "missing.html", "Error: the template could not be found."),
        ("/admin/", "both.html", "Warning: multiple loaders returned a match for the template."),
        ("/", "shared.html", "Warning: multiple loaders returned a match for the template."),
    ],
)
def test_explain_template_loading(
    flask: ModuleType,
    caplog: pytest.LogCaptureFixture,
    path: str,
    name: str,
    verdict: str | None,
) -> None:
    caplog.set_level(logging.INFO, logger=__name__)
    (message,) = both(flask, lambda module: explained(module, caplog, path, name))
    lines = message.splitlines()
    assert lines[0] == f"Locating template {name!r}:"
    assert lines[1] == f"    1: trying loader of application {__name__!r}"
    assert "    2: trying loader of blueprint 'admin' (test_app_templating)" in lines
    assert "       class: jinja2.loaders.FileSystemLoader" in lines
    assert f"         - {BLUEPRINT_TEMPLATES / 'frontend'}" in lines
    if verdict is None:
        assert not any(line.startswith(("Error", "Warning")) for line in lines)
    else:
        assert verdict in lines
    hint = "looked up from an endpoint that belongs to the blueprint" in message
    assert hint is (verdict is not None and path != "/")


def test_explained_loading_finds_the_same_template(monkeypatch: pytest.MonkeyPatch) -> None:
    app = blueprint_app(carafe)
    app.config["EXPLAIN_TEMPLATE_LOADING"] = True
    monkeypatch.setattr(app.logger, "disabled", True)
    assert get(app, "/admin/", query_string={"name": "both.html"}) == (200, "admin has it")


# -- signals ------------------------------------------------------------------


def recorded_signals(module: ModuleType) -> list[tuple[str, str, list[str], Any]]:
    """What ``before_render_template`` and ``template_rendered`` receivers hear,
    rendering and streaming a template."""
    app = new_app(module)
    heard: list[tuple[str, str, list[str], Any]] = []

    def receiver_for(signal: str) -> Callable[..., None]:
        def receiver(sender: Any, template: Any, context: dict[str, Any]) -> None:
            assert sender is app
            heard.append((signal, template.name, sorted(context), context["value"]))

        return receiver

    app.context_processor(lambda: {"injected": True})

    @app.route("/")
    def index() -> str:
        return module.render_template("page.html", value=1)  # type: ignore[no-any-return]

    @app.route("/stream")
    def stream() -> Any:
        return module.stream_template("page.html", value=2)

    signals = module.signals
    before = receiver_for("before")
    rendered = receiver_for("rendered")
    with (
        signals.before_render_template.connected_to(before, app),
        signals.template_rendered.connected_to(rendered, app),
    ):
        client = app.test_client()
        client.get("/")
        response = client.get("/stream")
        heard.append(("body", response.get_data(as_text=True), [], None))
    return heard


def test_render_signals(flask: ModuleType) -> None:
    keys = ["g", "injected", "request", "value"]
    assert both(flask, recorded_signals) == [
        ("before", "page.html", keys, 1),
        ("rendered", "page.html", keys, 1),
        ("before", "page.html", keys, 2),
        ("rendered", "page.html", keys, 2),
        ("body", "<p>2|True</p>", [], None),
    ]


# -- start-up -----------------------------------------------------------------


def test_jinja2_loads_when_a_template_is_first_rendered() -> None:
    code = """
import json, sys
import carafe
app = carafe.Flask("startup_app")

@app.template_filter()
def shout(value):
    return value.upper()

blueprint = carafe.Blueprint("bp", "startup_app", template_folder="templates")

@blueprint.app_template_global()
def answer():
    return 42

app.register_blueprint(blueprint)

@app.route("/plain")
def plain():
    return "plain"

@app.route("/rendered")
def rendered():
    return carafe.render_template_string("{{ 'a'|shout }}{{ answer() }}")

client = app.test_client()
seen = [client.get("/plain").get_data(as_text=True), "jinja2" in sys.modules]
seen += [client.get("/rendered").get_data(as_text=True), "jinja2" in sys.modules]
print(json.dumps(seen))
"""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert json.loads(result.stdout) == ["plain", False, "A42", True]
