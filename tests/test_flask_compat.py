"""carafe.flask_compat: ``import flask`` answered by Carafe, and never over a real Flask
unless asked.

Each case runs in a fresh interpreter (the hook changes ``sys.modules`` and
``sys.meta_path``); Flask itself is installed here, as in every dev environment.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("flask")


def run(code: str, **environ: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-W", "default", "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env={**os.environ, **environ},
        check=False,
        timeout=60,
    )


def test_a_real_flask_beside_carafe_stays_flask_and_a_warning_says_so() -> None:
    done = run(
        """
        import carafe.flask_compat
        import flask
        print(flask.Flask.__module__)
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "flask.app"
    assert "a real Flask is installed beside Carafe" in done.stderr
    assert "replace_installed=True" in done.stderr


def test_asked_to_replace_flask_imports_give_carafe() -> None:
    done = run(
        """
        import carafe.flask_compat
        import flask, flask.globals, flask.views
        from flask import Blueprint, request
        from flask.views import MethodView
        import carafe, carafe.globals, carafe.views
        assert flask.Flask is carafe.Flask and Blueprint is carafe.Blueprint
        assert request is carafe.request
        assert flask.globals is carafe.globals and flask.views is carafe.views
        assert MethodView is carafe.views.MethodView
        assert flask.globals.request_ctx is carafe.globals.request_ctx
        print(flask.__version__, carafe.__version__)
        """,
        CARAFE_REPLACE_FLASK="1",
    )
    assert done.returncode == 0, done.stderr
    flask_version, carafe_version = done.stdout.split()
    assert flask_version.startswith("3.1.")
    assert carafe_version != flask_version
    assert "Warning" not in done.stderr


def test_a_flask_module_carafe_lacks_is_an_import_error() -> None:
    done = run(
        """
        import carafe.flask_compat
        try:
            import flask.no_such_module
        except ImportError as error:
            print(type(error).__name__, error.name)
        """,
        CARAFE_REPLACE_FLASK="1",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["ModuleNotFoundError", "flask.no_such_module"]


def test_install_after_flask_was_imported_warns_and_keeps_it() -> None:
    done = run(
        """
        import flask
        import carafe.flask_compat as compat
        assert compat.install() is False
        import flask as again
        print(again is flask, again.Flask.__module__)
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "flask.app"]
    assert "Flask itself is already imported" in done.stderr


def test_replace_installed_drops_an_imported_flask_and_uninstall_restores_it() -> None:
    done = run(
        """
        import flask as real
        import carafe, carafe.flask_compat as compat
        assert compat.install(replace_installed=True) is True
        import flask
        print(flask.Flask is carafe.Flask)
        compat.uninstall()
        import flask
        print(flask.Flask is carafe.Flask, flask.Flask.__module__)
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "False", "flask.app"]


def test_an_app_written_for_flask_runs_on_carafe() -> None:
    done = run(
        """
        import carafe.flask_compat
        from flask import Flask, Blueprint, jsonify, request, url_for

        app = Flask(__name__)
        bp = Blueprint("api", __name__, url_prefix="/api")

        @bp.get("/items/<int:item>")
        def item(item):
            return jsonify(item=item, url=url_for(".item", item=item + 1))

        app.register_blueprint(bp)
        response = app.test_client().get("/api/items/1")
        print(type(app).__module__, response.status_code, response.get_json()["url"])
        """,
        CARAFE_REPLACE_FLASK="1",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["carafe.app", "200", "/api/items/2"]
