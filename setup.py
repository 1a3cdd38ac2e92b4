"""Build the optional C speedups; the rest of the package is declared in pyproject.toml.

``carafe._speedups`` (src/carafe/_speedups.c) holds compiled versions of a few
per-request helpers. It is optional: where it cannot be compiled (no C compiler
or no Python headers) the install goes on and Carafe runs in pure Python.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("carafe._speedups", ["src/carafe/_speedups.c"], optional=True),
    ],
)
