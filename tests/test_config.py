"""Tests for carafe.config: the defaults and every loader, compared with flask.Config."""

from __future__ import annotations

import json
import os
import sys
import textwrap
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import flask
import pytest

import carafe
from carafe.config import DEFAULT_CONFIG, Config

# Carafe's own limits (docs/security.md), on top of Flask's keys.
CARAFE_LIMITS = {
    "MAX_URL_LENGTH": 8192,
    "MAX_QUERY_FIELDS": 1000,
    "MAX_JSON_SIZE": 1024 * 1024,
    "MAX_JSON_DEPTH": 100,
}


@pytest.fixture
def module_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """``tmp_path`` on ``sys.path``; modules imported from it are forgotten afterwards."""
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name, module in list(sys.modules.items()):
        if str(getattr(module, "__file__", None) or "").startswith(str(tmp_path)):
            del sys.modules[name]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def both(root: Path | str = ".") -> list[Config | flask.Config]:
    """A Carafe and a Flask config with the same root, to load the same input into."""
    return [Config(root), flask.Config(root)]


# -- defaults ------------------------------------------------------------------------


def test_defaults_are_flasks_plus_carafes_limits() -> None:
    flask_defaults = dict(flask.Flask.default_config)
    assert set(DEFAULT_CONFIG) == set(flask_defaults) | set(CARAFE_LIMITS)
    for key, value in flask_defaults.items():
        if key == "MAX_CONTENT_LENGTH":
            continue
        assert DEFAULT_CONFIG[key] == value, key
    for key, value in CARAFE_LIMITS.items():
        assert DEFAULT_CONFIG[key] == value, key


def test_body_limit_is_carafes_not_flasks() -> None:
    # SECURITY: Flask reads any body size; Carafe bounds it at 16 MiB by default.
    assert flask.Flask.default_config["MAX_CONTENT_LENGTH"] is None
    assert DEFAULT_CONFIG["MAX_CONTENT_LENGTH"] == 16 * 1024 * 1024


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("DEBUG", None),
        ("TESTING", False),
        ("PROPAGATE_EXCEPTIONS", None),
        ("SECRET_KEY", None),
        ("SECRET_KEY_FALLBACKS", None),
        ("PERMANENT_SESSION_LIFETIME", timedelta(days=31)),
        ("TRUSTED_HOSTS", None),
        ("SERVER_NAME", None),
        ("APPLICATION_ROOT", "/"),
        ("SESSION_COOKIE_NAME", "session"),
        ("SESSION_COOKIE_HTTPONLY", True),
        ("SESSION_COOKIE_SECURE", False),
        ("SESSION_COOKIE_PARTITIONED", False),
        ("SESSION_COOKIE_SAMESITE", None),
        ("SESSION_REFRESH_EACH_REQUEST", True),
        ("MAX_FORM_MEMORY_SIZE", 500_000),
        ("MAX_FORM_PARTS", 1000),
        ("SEND_FILE_MAX_AGE_DEFAULT", None),
        ("TRAP_HTTP_EXCEPTIONS", False),
        ("PREFERRED_URL_SCHEME", "http"),
        ("MAX_COOKIE_SIZE", 4093),
        ("PROVIDE_AUTOMATIC_OPTIONS", True),
    ],
)
def test_documented_default(key: str, value: object) -> None:
    assert DEFAULT_CONFIG[key] == value


def test_app_config_starts_from_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CARAFE_DEBUG", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    app = carafe.Flask("config_app", root_path="/srv/site")
    assert isinstance(app.config, Config)
    # As Flask: DEBUG starts from the environment (off here), not None.
    assert app.config == {**DEFAULT_CONFIG, "DEBUG": False}
    assert app.config.root_path == "/srv/site"
    app.config["MAX_CONTENT_LENGTH"] = None
    assert DEFAULT_CONFIG["MAX_CONTENT_LENGTH"] == 16 * 1024 * 1024
    assert carafe.Flask("other_app").config["MAX_CONTENT_LENGTH"] == 16 * 1024 * 1024


def test_constructor_copies_defaults_and_takes_a_path(tmp_path: Path) -> None:
    defaults = {"A": 1}
    config = Config(tmp_path, defaults)
    config["A"] = 2
    assert defaults == {"A": 1}
    assert config.root_path == str(tmp_path)
    assert Config() == {}
    assert Config().root_path == "."


def test_repr() -> None:
    assert repr(Config(defaults={"A": 1})) == "<Config {'A': 1}>"
    assert repr(Config(defaults={"A": 1})) == repr(flask.Config(".", {"A": 1}))


# -- from_object ---------------------------------------------------------------------


class BaseSettings:
    SECRET_KEY = "base"
    TIMEOUT = 5
    lowercase = "ignored"
    MixedCase = "ignored"


class Settings(BaseSettings):
    TIMEOUT = 10
    _PRIVATE_LOOKING = "upper, so taken"

    @property
    def DATABASE_URI(self) -> str:
        return f"sqlite:///{self.TIMEOUT}.db"


def test_from_object_takes_upper_case_attributes_of_a_class() -> None:
    config = Config()
    config.from_object(BaseSettings)
    assert config == {"SECRET_KEY": "base", "TIMEOUT": 5}


def test_from_object_includes_inherited_attributes_and_properties_of_an_instance() -> None:
    for config in both():
        config.from_object(Settings())
        assert config == {
            "SECRET_KEY": "base",
            "TIMEOUT": 10,
            "_PRIVATE_LOOKING": "upper, so taken",
            "DATABASE_URI": "sqlite:///10.db",
        }


def test_from_object_overrides_existing_keys_only() -> None:
    config = Config(defaults={"TIMEOUT": 1, "KEPT": True})
    config.from_object(BaseSettings)
    assert config == {"TIMEOUT": 5, "KEPT": True, "SECRET_KEY": "base"}


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("carafe_cfg_mod", {"DEBUG": False, "HOST": "module"}),
        ("carafe_cfg_mod.Production", {"HOST": "production"}),
        ("carafe_cfg_mod:Production", {"HOST": "production"}),
    ],
)
def test_from_object_import_string(
    module_dir: Path, target: str, expected: dict[str, object]
) -> None:
    write(
        module_dir / "carafe_cfg_mod.py",
        """
        DEBUG = False
        HOST = "module"

        class Production:
            HOST = "production"
        """,
    )
    for config in both():
        config.from_object(target)
        assert config == expected


def test_from_object_import_string_of_a_missing_module() -> None:
    with pytest.raises(ImportError):
        Config().from_object("carafe_no_such_config_module")


# -- from_mapping --------------------------------------------------------------------


def test_from_mapping() -> None:
    for config in both():
        assert config.from_mapping({"A": 1, "B": 2, "lower": 3}, B=20, C=30, other=4) is True
        assert config == {"A": 1, "B": 20, "C": 30}


def test_from_mapping_without_a_mapping() -> None:
    config = Config(defaults={"A": 1})
    assert config.from_mapping() is True
    assert config.from_mapping(None, B=2) is True
    assert config == {"A": 1, "B": 2}


# -- from_pyfile ---------------------------------------------------------------------

PY_CONFIG = """
import os

SECRET_KEY = "from file"
ITEMS = [1, 2]
HERE = os.path.basename(__file__)
helper = "lower case, ignored"
"""


def test_from_pyfile_relative_to_root_path(tmp_path: Path) -> None:
    write(tmp_path / "settings.cfg", PY_CONFIG)
    for config in both(tmp_path):
        assert config.from_pyfile("settings.cfg") is True
        assert config == {"SECRET_KEY": "from file", "ITEMS": [1, 2], "HERE": "settings.cfg"}


def test_from_pyfile_absolute_path_ignores_root_path(tmp_path: Path) -> None:
    path = write(tmp_path / "abs.py", "VALUE = 1\n")
    config = Config("/somewhere/else")
    assert config.from_pyfile(path) is True
    assert config == {"VALUE": 1}


def test_from_pyfile_missing_file(tmp_path: Path) -> None:
    config = Config(tmp_path, {"KEPT": 1})
    with pytest.raises(FileNotFoundError, match="Unable to load configuration file") as info:
        config.from_pyfile("missing.py")
    assert info.value.filename == str(tmp_path / "missing.py")
    assert config.from_pyfile("missing.py", silent=True) is False
    assert config == {"KEPT": 1}


def test_from_pyfile_silent_on_a_directory(tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    for config in both(tmp_path):
        assert config.from_pyfile("folder", silent=True) is False
        with pytest.raises(IsADirectoryError, match="Unable to load configuration file"):
            config.from_pyfile("folder")


def test_from_pyfile_errors_in_the_file_are_never_silent(tmp_path: Path) -> None:
    write(tmp_path / "broken.py", "VALUE = (\n")
    write(tmp_path / "raising.py", "VALUE = 1 / 0\n")
    config = Config(tmp_path)
    with pytest.raises(SyntaxError):
        config.from_pyfile("broken.py", silent=True)
    with pytest.raises(ZeroDivisionError):
        config.from_pyfile("raising.py", silent=True)
    assert config == {}


# -- from_envvar ---------------------------------------------------------------------


def test_from_envvar_loads_the_named_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "env.cfg", "FROM_ENV = True\nlower = 1\n")
    monkeypatch.setenv("CARAFE_TEST_SETTINGS", "env.cfg")
    for config in both(tmp_path):
        assert config.from_envvar("CARAFE_TEST_SETTINGS") is True
        assert config == {"FROM_ENV": True}


@pytest.mark.parametrize("value", [None, ""])
def test_from_envvar_unset(monkeypatch: pytest.MonkeyPatch, value: str | None) -> None:
    if value is None:
        monkeypatch.delenv("CARAFE_TEST_SETTINGS", raising=False)
    else:
        monkeypatch.setenv("CARAFE_TEST_SETTINGS", value)
    config = Config()
    with pytest.raises(RuntimeError, match="'CARAFE_TEST_SETTINGS' is not set"):
        config.from_envvar("CARAFE_TEST_SETTINGS")
    assert config.from_envvar("CARAFE_TEST_SETTINGS", silent=True) is False
    assert config == {}


def test_from_envvar_naming_a_missing_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CARAFE_TEST_SETTINGS", "missing.cfg")
    config = Config(tmp_path)
    with pytest.raises(FileNotFoundError, match="Unable to load configuration file"):
        config.from_envvar("CARAFE_TEST_SETTINGS")
    assert config.from_envvar("CARAFE_TEST_SETTINGS", silent=True) is False


# -- from_prefixed_env ---------------------------------------------------------------


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No ``FLASK_*`` or ``CARAFETEST_*`` variables but the ones a test sets."""
    for name in list(os.environ):
        if name.startswith(("FLASK_", "CARAFETEST_")):
            monkeypatch.delenv(name)
    return monkeypatch


def test_from_prefixed_env_decodes_json(clean_env: pytest.MonkeyPatch) -> None:
    values = {
        "INT": ("42", 42),
        "FLOAT": ("1.5", 1.5),
        "TRUE": ("true", True),
        "NULL": ("null", None),
        "LIST": ("[1, 2]", [1, 2]),
        "DICT": ('{"a": 1}', {"a": 1}),
        "QUOTED": ('"text"', "text"),
        "PLAIN": ("not json", "not json"),
        "EMPTY": ("", ""),
        "lower": ("1", 1),
    }
    for name, (raw, _) in values.items():
        clean_env.setenv(f"CARAFETEST_{name}", raw)
    clean_env.setenv("CARAFETESTX_OTHER", "1")
    expected = {name: value for name, (_, value) in values.items()}
    for config in both():
        assert config.from_prefixed_env("CARAFETEST") is True
        assert config == expected


def test_from_prefixed_env_default_prefix_is_flask(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("FLASK_SECRET_KEY", "s3cret")
    clean_env.setenv("CARAFETEST_SECRET_KEY", "other")
    config = Config()
    config.from_prefixed_env()
    assert config == {"SECRET_KEY": "s3cret"}


def test_from_prefixed_env_nested_keys(clean_env: pytest.MonkeyPatch) -> None:
    # Sorted names: the whole DB dict is set first, then its nested keys update it.
    clean_env.setenv("CARAFETEST_DB", '{"HOST": "default", "USER": "app"}')
    clean_env.setenv("CARAFETEST_DB__HOST", "db.local")
    clean_env.setenv("CARAFETEST_DB__PORT", "5432")
    clean_env.setenv("CARAFETEST_CACHE__REDIS__URL", "redis://x")
    clean_env.setenv("CARAFETEST_EXISTING__NEW", "true")
    expected = {
        "DB": {"HOST": "db.local", "USER": "app", "PORT": 5432},
        "CACHE": {"REDIS": {"URL": "redis://x"}},
        "EXISTING": {"OLD": 1, "NEW": True},
    }
    for config in both():
        config["EXISTING"] = {"OLD": 1}
        config.from_prefixed_env("CARAFETEST")
        assert config == expected


def test_from_prefixed_env_custom_loads(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("CARAFETEST_PORT", "8000")
    clean_env.setenv("CARAFETEST_NAME", "x")

    def loads(raw: str) -> int:
        return int(raw)

    for config in both():
        config.from_prefixed_env("CARAFETEST", loads=loads)
        assert config == {"PORT": 8000, "NAME": "x"}


# -- from_file -----------------------------------------------------------------------


def test_from_file_with_json(tmp_path: Path) -> None:
    write(tmp_path / "config.json", '{"SECRET_KEY": "json", "ITEMS": [1], "lower": 1}')
    for config in both(tmp_path):
        assert config.from_file("config.json", load=json.load) is True
        assert config == {"SECRET_KEY": "json", "ITEMS": [1]}


def test_from_file_loads_json_by_default(tmp_path: Path) -> None:
    write(tmp_path / "config.json", '{"SECRET_KEY": "json"}')
    config = Config(tmp_path)
    assert config.from_file("config.json") is True
    assert config == {"SECRET_KEY": "json"}


def test_from_file_with_tomllib_in_binary_mode(tmp_path: Path) -> None:
    tomllib = pytest.importorskip("tomllib", reason="tomllib is new in Python 3.11")
    write(
        tmp_path / "config.toml",
        """
        SECRET_KEY = "tömł"
        lower = 1

        [DATABASE]
        PORT = 5432
        """,
    )
    for config in both(tmp_path):
        assert config.from_file("config.toml", load=tomllib.load, text=False) is True
        assert config == {"SECRET_KEY": "tömł", "DATABASE": {"PORT": 5432}}


def test_from_file_in_text_mode_hands_the_loader_text(tmp_path: Path) -> None:
    write(tmp_path / "config.txt", "A=1\n")
    seen: list[Any] = []

    def load(handle: Any) -> dict[str, Any]:
        seen.append(handle.read())
        return {"A": 1}

    Config(tmp_path).from_file("config.txt", load=load)
    Config(tmp_path).from_file("config.txt", load=load, text=False)
    assert seen == ["A=1\n", b"A=1\n"]


def test_from_file_missing(tmp_path: Path) -> None:
    config = Config(tmp_path, {"KEPT": 1})
    with pytest.raises(FileNotFoundError):
        config.from_file("missing.json", load=json.load)
    assert config.from_file("missing.json", load=json.load, silent=True) is False
    assert config == {"KEPT": 1}


def test_from_file_loader_errors_are_never_silent(tmp_path: Path) -> None:
    write(tmp_path / "bad.json", "{not json")
    with pytest.raises(json.JSONDecodeError):
        Config(tmp_path).from_file("bad.json", load=json.load, silent=True)


# -- get_namespace -------------------------------------------------------------------

NAMESPACED = {
    "IMAGE_STORE_TYPE": "fs",
    "IMAGE_STORE_PATH": "/var/app/images",
    "IMAGE_STORE_BASE_URL": "http://img.website.com",
    "IMAGE_STORE": "bare",
    "OTHER_IMAGE_STORE_TYPE": "s3",
}


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (
            {},
            {"type": "fs", "path": "/var/app/images", "base_url": "http://img.website.com"},
        ),
        (
            {"lowercase": False},
            {"TYPE": "fs", "PATH": "/var/app/images", "BASE_URL": "http://img.website.com"},
        ),
        (
            {"trim_namespace": False},
            {
                "image_store_type": "fs",
                "image_store_path": "/var/app/images",
                "image_store_base_url": "http://img.website.com",
            },
        ),
        (
            {"lowercase": False, "trim_namespace": False},
            {
                "IMAGE_STORE_TYPE": "fs",
                "IMAGE_STORE_PATH": "/var/app/images",
                "IMAGE_STORE_BASE_URL": "http://img.website.com",
            },
        ),
    ],
)
def test_get_namespace(options: dict[str, bool], expected: dict[str, str]) -> None:
    for config_class in (Config, flask.Config):
        config = config_class(".", NAMESPACED)
        assert config.get_namespace("IMAGE_STORE_", **options) == expected


def test_get_namespace_without_the_trailing_underscore() -> None:
    config = Config(defaults=NAMESPACED)
    assert config.get_namespace("IMAGE_STORE") == {
        "_type": "fs",
        "_path": "/var/app/images",
        "_base_url": "http://img.website.com",
        "": "bare",
    }
    assert config.get_namespace("NOTHING_") == {}


def test_app_is_freed_when_its_last_reference_goes() -> None:
    # No reference cycle through the app's own parts (its config's change callback,
    # its JSON provider, its static route): CPython frees it at once, without the
    # cycle collector, as Flask's.
    import gc
    import weakref

    import carafe

    gc.disable()
    try:
        app = carafe.Flask(__name__)
        app.config["SOMETHING"] = 1
        assert app.view_functions["static"]
        ref = weakref.ref(app)
        del app
        assert ref() is None
    finally:
        gc.enable()


def test_config_details_as_flask(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import flask

    import carafe

    for module in (flask, carafe):
        app = module.Flask(__name__)
        # Pairs, as dict() takes them.
        app.config.from_mapping([("SECRET_KEY", "pairs"), ("lower", "skipped")])
        assert app.config["SECRET_KEY"] == "pairs" and "lower" not in app.config
        with pytest.raises(OSError) as error:
            app.config.from_file(str(tmp_path / "missing.json"), load=json.load)
        assert str(error.value).startswith(
            "[Errno 2] Unable to load configuration file (No such file or directory):"
        )

        class MyConfig(module.Config):  # type: ignore[name-defined,misc]
            pass

        class MyApp(module.Flask):  # type: ignore[name-defined,misc]
            config_class = MyConfig

        assert isinstance(MyApp(__name__).config, MyConfig)
