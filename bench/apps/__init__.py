"""The seed scenarios written once per framework, each the idiomatic way for that framework.

Every module exposes ``app`` (every scenario but the 50-route and session ones) and
``routes_app`` (the 50-route one); those of frameworks with Flask's session cookie (Flask,
Carafe, Quart) also ``session_app``, the only app with a secret key. Each is a WSGI
callable, an ASGI one, or (Carafe) an app whose ``asgi`` attribute is the ASGI callable.
``static/`` holds the file of the static scenarios. ``flask_app`` and ``carafe_app`` are the
same source with only the import line switched, and ``carafe_asgi_app`` has carafe_app's
routes with ``async def`` views (``bench/measure.py`` checks both before timing).
"""
