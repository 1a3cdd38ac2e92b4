"""The seed scenarios written once per framework, each the idiomatic way for that framework.

Every module exposes ``app``, a WSGI callable. ``flask_app`` and ``carafe_app`` are the same
source with only the import line switched (``bench/run.py`` checks this before timing).
"""
