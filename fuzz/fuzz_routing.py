"""Fuzz URL matching and building (carafe/routing.py) with a map of every converter.

Documented outcomes: ``Map.route`` gives a ``(rule, view_args)`` match for a rule
that takes the method, or returns NotFound, MethodNotAllowed (listing the methods
the path allows) or RequestRedirect (to the path with its trailing slash, or to a
rule's defaults; always a path on the site, never ``//host``); ``Map.match``
raises what ``route`` returns. A match builds back (``Map.build``) to a URL that
routes to the same endpoint with the same view arguments. Anything else is a crash.
"""

from __future__ import annotations

from urllib.parse import unquote

from _runner import instrumented, run

with instrumented():
    from carafe.exceptions import MethodNotAllowed, NotFound
    from carafe.routing import Map, RequestRedirect, Rule

SEEDS = [
    b"\x00",
    b"\x00about",
    b"\x00docs",
    b"\x00s/caf\xc3\xa9",
    b"\x01i/0042",
    b"\x02post/7",
    b"\x00si/-12",
    b"\x00f/1.50",
    b"\x00p/a/b//c/edit",
    b"\x00u/6FA459EA-EE8A-3CA4-894E-DB77E160355E",
    b"\x00a/blue sky",
    b"\x00page/1",
    b"\x00fixed/007",
    b"\x00bounded/100",
    b"\x00d/x",
    b"\x00lax/",
    b"\x00short/ab/x",
]
METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "get", "")


def make_map() -> Map:
    url_map = Map()
    for string, endpoint, options in [
        ("/", "index", {}),
        ("/about", "about", {}),
        ("/docs/", "docs", {}),
        ("/lax", "lax", {"strict_slashes": False}),
        ("/s/<name>", "string", {}),
        ("/short/<string(minlength=2, maxlength=4):short>/x", "short", {}),
        ("/i/<int:n>", "int", {}),
        ("/post/<int:n>", "post", {"methods": ["POST"]}),
        ("/si/<int(signed=True):n>", "signed", {}),
        ("/f/<float:x>", "float", {}),
        ("/p/<path:rest>/edit", "path", {"methods": ["GET", "PUT"]}),
        ("/u/<uuid:id>", "uuid", {}),
        ("/a/<any(red, green, 'blue sky'):color>", "any", {}),
        ("/page/", "page", {"defaults": {"number": 1}}),
        ("/page/<int:number>", "page", {}),
        ("/fixed/<int(fixed_digits=3):code>", "fixed", {}),
        ("/bounded/<int(min=1, max=99):n>", "bounded", {}),
        ("/d/<name>/", "slashed", {}),
    ]:
        url_map.add(Rule(string, endpoint=endpoint, **options))
    return url_map


URL_MAP = make_map()
RULES = list(URL_MAP.iter_rules())


def check_round_trip(rule: Rule, view_args: dict[str, object], method: str) -> None:
    if len(list(URL_MAP.iter_rules(rule.endpoint))) > 1:
        return  # Several rules: which one builds is the defaults' business.
    if any(isinstance(value, float) and "e" in repr(value) for value in view_args.values()):
        return  # str(1e+16) is not "digits.digits": no float converter matches it.
    url = URL_MAP.build(rule.endpoint, view_args, method)
    found = URL_MAP.route(unquote(url), method)
    assert isinstance(found, tuple), (url, found)
    assert found[0] is rule and found[1] == view_args, (url, found, view_args)


def test_one_input(data: bytes) -> None:
    if not data:
        return
    method = METHODS[data[0] % len(METHODS)]
    path = data[1:].decode("utf-8", "replace")
    if not data[0] & 0x80:
        path = "/" + path
    found = URL_MAP.route(path, method)
    try:
        assert URL_MAP.match(path, method) == found
    except (NotFound, MethodNotAllowed, RequestRedirect) as exc:
        assert type(exc) is type(found), (path, exc, found)
    if isinstance(found, tuple):
        rule, view_args = found
        assert rule in RULES and method in rule.methods, (path, rule)
        assert set(view_args) == rule.arguments, (path, view_args)
        check_round_trip(rule, view_args, method)
    elif isinstance(found, MethodNotAllowed):
        allowed = found.valid_methods
        assert allowed and method not in allowed, (path, allowed)
        assert allowed == URL_MAP.allowed_methods(path)
    elif isinstance(found, RequestRedirect):
        target = found.new_url
        assert target.startswith("/") and not target.startswith("//"), (path, target)
        assert target == path + "/" or URL_MAP.route(target, method) != found, (path, target)
    else:
        assert isinstance(found, NotFound), (path, found)


if __name__ == "__main__":
    run(test_one_input, SEEDS)
