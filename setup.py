"""Build the optional compiled code; the rest of the package is declared in pyproject.toml.

Two kinds, both optional, neither a copy of the Python:

- ``carafe.http._speedups`` (src/carafe/http/_speedups.c): a few hand-written leaf
  functions over built-in types (urlencoded parsing, the JSON plain-value check,
  header-list checks and encoding). Built whenever a C compiler is there; where it
  is not, the install goes on and their Python twins run.
- With ``CARAFE_MYPYC=1`` in the environment, the request path's own modules
  (:data:`MYPYC_MODULES`) compiled from the same typed source by mypyc, as black
  is built. Opt-in: it needs mypy at build time (``pip install --no-build-isolation``
  from a virtualenv that has it, as ``make compiled`` does).
"""

import os

from setuptools import Extension, setup

#: The modules mypyc compiles (paths under src/carafe/): the request path. Kept out:
#: the app (users assign ``app.wsgi_app`` and ``app.response_class`` on instances),
#: the context-local proxies (``carafe.globals``: ``__getattribute__``), the
#: exceptions (users subclass them and set ``code`` on the class), and the edges
#: (CLI, serving, testing, debug, middleware), which run once per process or test.
#: ``http/own_attributes.py`` must stay Python: a compiled class that inherits from it
#: gets an instance ``__dict__`` (an app's own attributes on requests and responses).
#: The header parsers of http/ (accept, auth, cache_control, etags, header_lists,
#: ranges) stay Python too: nothing inherits from them, and a request only calls them
#: when it reads such a header.
MYPYC_MODULES = [
    "http/caches.py",
    "http/cookies.py",
    "http/dates.py",
    "http/environ_headers.py",
    "http/forms.py",
    "http/header_values.py",
    "http/headers.py",
    "http/hosts.py",
    "http/html.py",
    "http/nesting.py",
    "http/status.py",
    "http/urls.py",
    "conversion.py",
    "ctx.py",
    "options.py",
    "response.py",
    "response_fields.py",
    "request.py",
    "request_fields.py",
    "request_body.py",
    "request_head.py",
    "routing.py",
    "converters.py",
    "plan.py",
    "pipeline.py",
    "_pipeline_sync.py",
    "wsgi.py",
    "wsgi_apps.py",
    "asgi_request.py",
    "asgi.py",
]

ext_modules = [
    Extension("carafe.http._speedups", ["src/carafe/http/_speedups.c"], optional=True),
]
if os.environ.get("CARAFE_MYPYC"):
    from mypyc.build import mypycify

    ext_modules += mypycify(
        [os.path.join("src", "carafe", module) for module in MYPYC_MODULES],
        opt_level=os.environ.get("CARAFE_MYPYC_OPT_LEVEL", "3"),
        # mypyc's generated C, apart from setuptools' own build folders.
        target_dir=os.path.join("build", "mypyc"),
    )

setup(ext_modules=ext_modules)
