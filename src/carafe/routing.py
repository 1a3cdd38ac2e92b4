"""URL rules, converters, a matcher compiled once, and URL building.

Matching mirrors Werkzeug's observable behaviour: static paths win over dynamic
ones, converters are tried by weight, a rule ending in ``/`` redirects the
slash-less URL with a 308, a path that matches with the wrong method is a 405
listing the allowed methods, and ``HEAD`` comes with ``GET``.

PERF: a static path is one dict lookup; dynamic rules are sorted by priority
once and matched with one precompiled regex each, in order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from carafe.converters import _PLACEHOLDER

# The converters' names, where Werkzeug's users import them from.
from carafe.converters import DEFAULT_CONVERTERS as DEFAULT_CONVERTERS
from carafe.converters import AnyConverter as AnyConverter
from carafe.converters import BaseConverter as BaseConverter
from carafe.converters import FloatConverter as FloatConverter
from carafe.converters import IntegerConverter as IntegerConverter
from carafe.converters import NumberConverter as NumberConverter
from carafe.converters import PathConverter as PathConverter
from carafe.converters import UnicodeConverter as UnicodeConverter
from carafe.converters import UUIDConverter as UUIDConverter
from carafe.converters import ValidationError as ValidationError
from carafe.converters import parse_converter_args as parse_converter_args
from carafe.exceptions import (
    BadHost,
    HTTPException,
    MethodNotAllowed,
    NotFound,
    RequestURITooLarge,
    SecurityError,
)
from carafe.exceptions import RequestRedirect as RequestRedirect  # Werkzeug's place for it.
from carafe.http._compiled import mypyc_attr
from carafe.interop import with_werkzeug_twin
from carafe.request_head import VALID_HOST_HEADERS

if TYPE_CHECKING:
    from carafe.request import Request


@mypyc_attr(allow_interpreted_subclasses=True)
class BuildError(LookupError):
    """``url_for`` found no rule that can build a URL from the given values."""

    def __init__(self, endpoint: str, values: Mapping[str, Any], method: str | None) -> None:
        self.endpoint = endpoint
        self.values = dict(values)
        self.method = method
        message = f"Could not build url for endpoint {endpoint!r}"
        if method:
            message += f" ({method!r})"
        if values:
            message += f" with values {sorted(values)!r}"
        # (LookupError's own: Werkzeug's BuildError may be a base too, see carafe.interop.)
        LookupError.__init__(self, message + ". Did you forget to specify values or the endpoint?")

    def __str__(self) -> str:
        return str(self.args[0])


# ---------------------------------------------------------------------------
# Rules


@mypyc_attr(allow_interpreted_subclasses=True)
class Rule:
    """One URL rule: a pattern such as ``/users/<int:id>``, its endpoint and methods."""

    def __init__(
        self,
        string: str,
        *,
        endpoint: str | None = None,
        methods: Iterable[str] | None = None,
        defaults: Mapping[str, Any] | None = None,
        strict_slashes: bool | None = None,
        provide_automatic_options: bool = False,
        redirect_to: str | None = None,
        subdomain: str | None = None,
        host: str | None = None,
    ) -> None:
        if not string.startswith("/"):
            raise ValueError(f"URL rule {string!r} must start with a slash.")
        self.rule = string
        self.endpoint: str = endpoint or ""
        if methods is None:
            methods = ("GET",)
        upper = {method.upper() for method in methods}
        if "GET" in upper:
            upper.add("HEAD")
        self.methods: set[str] = upper
        self.defaults: dict[str, Any] = dict(defaults or {})
        self.strict_slashes = strict_slashes
        self.provide_automatic_options = provide_automatic_options
        self.redirect_to = redirect_to
        #: The subdomain this rule matches (None: the map's default), or with
        #: ``host_matching`` the host; either may hold placeholders (``<user>``).
        self.subdomain = subdomain
        self.host = host
        self.map: Map | None = None
        # The subdomain or host this rule matches, and its regex if it has placeholders.
        self._domain = ""
        self._domain_parts: list[tuple[bool, str]] = []
        self._domain_regex: re.Pattern[str] | None = None
        self.arguments: set[str] = set()
        self._converters: dict[str, BaseConverter] = {}
        self._parts: list[tuple[bool, str]] = []  # (is_placeholder, text or name)
        self._regex: re.Pattern[str] | None = None
        self._sort_key: tuple[Any, ...] = ()
        # Earlier rules of the same endpoint whose defaults stand for this rule's
        # arguments: a URL matching this rule with those values redirects to them.
        self._default_providers: list[Rule] = []

    def __str__(self) -> str:
        return self.rule

    def __repr__(self) -> str:
        methods = ", ".join(sorted(self.methods))
        return f"<Rule {self.rule!r} ({methods}) -> {self.endpoint}>"

    @property
    def is_static(self) -> bool:
        """True when the rule has no placeholders."""
        return not self._converters

    def bind(self, url_map: Map) -> None:
        """Compile the rule against ``url_map``'s converters; called by ``Map.add``."""
        self.map = url_map
        if self.strict_slashes is None:
            self.strict_slashes = url_map.strict_slashes
        pattern, key = self._compile(self.rule, url_map, self._parts)
        pattern.insert(0, "^")
        if url_map.host_matching:
            self._domain = self.host or ""
        else:
            self._domain = (
                self.subdomain if self.subdomain is not None else url_map.default_subdomain
            )
        if "<" in self._domain:
            domain_pattern, _ = self._compile(self._domain, url_map, self._domain_parts)
            self._domain_regex = re.compile("^" + "".join(domain_pattern) + r"\Z", re.DOTALL)
        self.arguments = set(self._converters) | set(self.defaults)
        if self._converters:
            slash = "" if self.rule.endswith("/") or self.strict_slashes else "/?"
            pattern.append(slash + r"\Z")
            self._regex = re.compile("".join(pattern), re.DOTALL)
        # Static segments sort before placeholders, lighter converters before heavier
        # ones, more segments before fewer: the order Werkzeug's matcher prefers.
        self._sort_key = (tuple(key), -len(key))

    def _compile(
        self, template: str, url_map: Map, parts: list[tuple[bool, str]]
    ) -> tuple[list[str], list[tuple[int, int]]]:
        """The regex pieces and sort key of ``template`` (the path, or the subdomain or
        host), its literal and placeholder parts put in ``parts``, its converters in
        the rule's."""
        pattern: list[str] = []
        key: list[tuple[int, int]] = []
        position = 0
        for found in _PLACEHOLDER.finditer(template):
            static = template[position : found.start()]
            if static:
                parts.append((False, static))
                pattern.append(re.escape(static))
                key.extend((0, -len(segment)) for segment in static.split("/") if segment)
            name = found["name"]
            if name in self._converters:
                raise ValueError(f"Variable name {name!r} used twice in rule {self.rule!r}.")
            converter_name = found["converter"] or "default"
            converter_class = url_map.converters.get(converter_name)
            if converter_class is None:
                raise LookupError(f"The converter {converter_name!r} does not exist.")
            args, kwargs = parse_converter_args(found["args"] or "")
            converter = converter_class(url_map, *args, **kwargs)
            self._converters[name] = converter
            parts.append((True, name))
            pattern.append(f"(?P<{name}>{converter.regex})")
            key.append((1, converter.weight))
            position = found.end()
        tail = template[position:]
        if tail:
            parts.append((False, tail))
            pattern.append(re.escape(tail))
            key.extend((0, -len(segment)) for segment in tail.split("/") if segment)
        if "<" in tail or ">" in tail:
            raise ValueError(f"Malformed placeholder in URL rule {template!r}.")
        return pattern, key

    def match_domain(self, domain: str) -> dict[str, Any] | None:
        """The view arguments of ``domain`` (the request's subdomain, or host under
        host matching) if this rule matches it, else None."""
        regex = self._domain_regex
        if regex is None:
            return {} if domain == self._domain else None
        found = regex.match(domain)
        if found is None:
            return None
        try:
            return {
                name: self._converters[name].to_python(text)
                for name, text in found.groupdict().items()
            }
        except (ValidationError, ValueError):
            return None

    def build_domain(self, values: Mapping[str, Any]) -> str:
        """The subdomain or host this rule builds URLs for, from ``values``."""
        if self._domain_regex is None:
            return self._domain
        return "".join(
            self._converters[text].to_url(values[text]) if is_placeholder else text
            for is_placeholder, text in self._domain_parts
        )

    def match(self, path: str) -> dict[str, Any] | None:
        """Return the view arguments if ``path`` matches this dynamic rule, else None."""
        assert self._regex is not None
        found = self._regex.match(path)
        if found is None:
            return None
        values: dict[str, Any] = {}
        try:
            for name, text in found.groupdict().items():
                values[name] = self._converters[name].to_python(text)
        except (ValidationError, ValueError):
            return None
        if self.defaults:
            return {**self.defaults, **values}
        return values

    def build(self, values: Mapping[str, Any]) -> str:
        """Build the path of this rule from ``values`` (which must hold its arguments)."""
        pieces = []
        for is_placeholder, text in self._parts:
            if is_placeholder:
                pieces.append(self._converters[text].to_url(values[text]))
            else:
                pieces.append(text)
        return "".join(pieces)

    def _redirect_to_defaults(self, view_args: Mapping[str, Any], method: str) -> str | None:
        """The path of a rule whose defaults equal ``view_args``, as Werkzeug's
        ``redirect_defaults`` finds it: ``/page/1`` -> ``/page/`` when that rule has
        ``defaults={"number": 1}``."""
        for provider in self._default_providers:
            if provider.can_build(view_args, method):
                return provider.build({**view_args, **provider.defaults})
        return None

    def can_build(self, values: Mapping[str, Any], method: str | None) -> bool:
        """True if this rule can build a URL for ``values`` (and ``method``)."""
        if method is not None and method not in self.methods:
            return False
        for name in self._converters:
            if values.get(name) is None and name not in self.defaults:
                return False
        # A default that is not a placeholder must agree with the given value, as in
        # Werkzeug, so that two rules for one endpoint are told apart by their defaults.
        for name, default in self.defaults.items():
            if name not in self._converters and name in values and values[name] != default:
                return False
        return True


# ---------------------------------------------------------------------------
# The map


#: The outcome of routing one request: the rule and its view arguments.
#: PERF: a plain tuple, built without a call.
Match = tuple["Rule", dict[str, Any]]


@mypyc_attr(allow_interpreted_subclasses=True)
class Map:
    """All the URL rules of an app, compiled for matching and building."""

    default_converters: ClassVar[dict[str, type[BaseConverter]]] = DEFAULT_CONVERTERS

    def __init__(
        self,
        strict_slashes: bool = True,
        host_matching: bool = False,
        default_subdomain: str = "",
        merge_slashes: bool = True,
    ) -> None:
        self.strict_slashes = strict_slashes
        #: A URL with repeated slashes that a rule matches once they are merged is
        #: redirected (308) to the merged URL, as Werkzeug does.
        self.merge_slashes = merge_slashes
        #: Rules match the request's host (``Rule(host=...)``) instead of a subdomain.
        self.host_matching = host_matching
        #: The subdomain of rules that name none.
        self.default_subdomain = default_subdomain
        #: Read the subdomain from the Host (against ``SERVER_NAME``); the app's
        #: ``subdomain_matching``. When False every request is on the default one.
        self.subdomain_matching = False
        #: Some rule matches another subdomain or a host: requests are routed by it.
        self.domain_rules = False
        self.converters: dict[str, type[BaseConverter]] = dict(self.default_converters)
        self._rules: list[Rule] = []
        self._static: dict[str, list[Rule]] = {}
        self._dynamic: list[Rule] = []
        # PERF: the dynamic rules a path can match, by its first segment: those whose
        # first segment is that literal text, with those whose first segment is not
        # literal (``_dynamic_wild``), in matching order. A request tries only those.
        self._dynamic_by_segment: dict[str, list[Rule]] = {}
        self._dynamic_wild: list[Rule] = []
        # Dynamic rules a slash-less URL may be redirected to (strict, ending in "/").
        self._dynamic_slashed: list[Rule] = []
        self._by_endpoint: dict[str, list[Rule]] = {}

    def add(self, rule: Any) -> None:
        """Add and compile ``rule`` (a Werkzeug ``Rule`` is taken as Carafe's)."""
        if not isinstance(rule, Rule):
            rule = _rule_from_werkzeug(rule)
        rule.bind(self)
        if self.host_matching or rule._domain != self.default_subdomain:
            self.domain_rules = True
        self._rules.append(rule)
        siblings = self._by_endpoint.setdefault(rule.endpoint, [])
        siblings.append(rule)
        # Build order, as Werkzeug's: more arguments first, then more defaults, then
        # registration order (the sort is stable).
        siblings.sort(key=lambda item: (-len(item.arguments), -len(item.defaults)))
        for index, sibling in enumerate(siblings):
            sibling._default_providers = [
                earlier
                for earlier in siblings[:index]
                if earlier.defaults and earlier.arguments == sibling.arguments
            ]
        if rule.is_static:
            self._static.setdefault(rule.rule, []).append(rule)
            if not rule.strict_slashes:
                other = rule.rule[:-1] if rule.rule.endswith("/") else rule.rule + "/"
                if other:
                    self._static.setdefault(other, []).append(rule)
        else:
            self._dynamic.append(rule)
            self._dynamic.sort(key=lambda item: item._sort_key)
            self._dynamic_wild = [item for item in self._dynamic if not _segment(item)]
            self._dynamic_by_segment = {
                key: [item for item in self._dynamic if _segment(item) in (key, "")]
                for key in {_segment(item) for item in self._dynamic} - {""}
            }
            if rule.strict_slashes and rule.rule.endswith("/"):
                self._dynamic_slashed.append(rule)
                self._dynamic_slashed.sort(key=lambda item: item._sort_key)

    def iter_rules(self, endpoint: str | None = None) -> Iterator[Rule]:
        """Iterate over the rules, optionally only those of ``endpoint``."""
        if endpoint is not None:
            return iter(self._by_endpoint.get(endpoint, ()))
        return iter(self._rules)

    def __iter__(self) -> Iterator[Rule]:
        return iter(self._rules)

    def _candidates(self, path: str, domain: str | None = None) -> Iterator[Match]:
        """Every rule matching ``path`` (and ``domain``, the request's subdomain or
        host, when given) regardless of method, best first."""
        for rule in self._static.get(path, ()):
            if domain is None:
                yield rule, dict(rule.defaults)
            else:
                domain_args = rule.match_domain(domain)
                if domain_args is not None:
                    yield rule, {**rule.defaults, **domain_args}
        dynamic = self._dynamic
        if self._dynamic_by_segment:
            end = path.find("/", 1)
            dynamic = self._dynamic_by_segment.get(
                path[1:end] if end > 0 else path[1:], self._dynamic_wild
            )
        for rule in dynamic:
            view_args = rule.match(path)
            if view_args is None:
                continue
            if domain is not None:
                domain_args = rule.match_domain(domain)
                if domain_args is None:
                    continue
                view_args.update(domain_args)
            yield rule, view_args

    def match(self, path: str, method: str, domain: str | None = None) -> Match:
        """Find the rule for ``path`` and ``method``.

        :raises NotFound: nothing matches the path.
        :raises MethodNotAllowed: the path matches, but not with this method.
        :raises RequestRedirect: the path lacks the trailing slash of a strict rule.
        """
        found = self.route(path, method, domain)
        if found.__class__ is tuple:
            return found
        raise found  # type: ignore[misc]

    def route(self, path: str, method: str, domain: str | None = None) -> Match | HTTPException:
        """:meth:`match`, with the routing error returned instead of raised.

        PERF: the request path takes a 404 or 405 to its handler without raising
        and catching it.
        """
        # PERF: a static path with an allowed method is a dict lookup and one set test.
        static = self._static.get(path) if domain is None else None
        if static is not None:
            for rule in static:
                if method in rule.methods and not rule._default_providers:
                    return rule, dict(rule.defaults) if rule.defaults else {}
        allowed: set[str] = set()
        for rule, view_args in self._candidates(path, domain):
            if method in rule.methods:
                if rule._default_providers:
                    target = rule._redirect_to_defaults(view_args, method)
                    if target is not None:
                        return RequestRedirect(target)
                return rule, view_args
            allowed |= rule.methods
        if allowed:
            return MethodNotAllowed(valid_methods=sorted(allowed))
        if not path.endswith("/"):
            # PERF: only rules ending in a slash can redirect; the others are not retried.
            slashed = path + "/"
            for rule in self._static.get(slashed, ()):
                if (
                    rule.strict_slashes
                    and rule.rule.endswith("/")
                    and (domain is None or rule.match_domain(domain) is not None)
                ):
                    return RequestRedirect(slashed)
            for rule in self._dynamic_slashed:
                if rule.match(slashed) is not None and (
                    domain is None or rule.match_domain(domain) is not None
                ):
                    return RequestRedirect(slashed)
        if self.merge_slashes and "//" in path:
            merged = _SLASHES.sub("/", path)
            if self.route(merged, method, domain).__class__ is tuple:
                return RequestRedirect(merged)
        return NotFound()

    def is_endpoint_expecting(self, endpoint: str, *arguments: str) -> bool:
        """True if a rule of ``endpoint`` takes every one of ``arguments`` (Werkzeug's)."""
        wanted = set(arguments)
        return any(wanted <= rule.arguments for rule in self._by_endpoint.get(endpoint, ()))

    def allowed_methods(self, path: str) -> list[str]:
        """The methods some rule accepts for ``path``, sorted (for ``Allow``)."""
        methods: set[str] = set()
        for rule, _ in self._candidates(path):
            methods |= rule.methods
        return sorted(methods)

    def build(
        self,
        endpoint: str,
        values: Mapping[str, Any],
        method: str | None = None,
    ) -> str:
        """Build the path and query string for ``endpoint`` from ``values``.

        Values that are not rule arguments become the query string; lists give
        repeated keys; ``None`` values are left out.

        :raises BuildError: no rule of ``endpoint`` fits the values.
        """
        return self.build_rule(endpoint, values, method)[1]

    def build_rule(
        self,
        endpoint: str,
        values: Mapping[str, Any],
        method: str | None = None,
    ) -> tuple[Rule, str]:
        """:meth:`build`, with the rule that built the path."""
        given = {key: value for key, value in values.items() if value is not None}
        for rule in self._by_endpoint.get(endpoint, ()):
            if rule.can_build(given, method):
                path = rule.build({**rule.defaults, **given})
                extra = [(key, value) for key, value in given.items() if key not in rule.arguments]
                if extra:
                    path += "?" + _encode_query(extra)
                return rule, path
        # (Also Werkzeug's BuildError when it is loaded: Flask code catches that one.)
        raise with_werkzeug_twin(BuildError, "werkzeug.routing")(endpoint, values, method)


_SLASHES = re.compile("/{2,}")


def _rule_from_werkzeug(rule: Any) -> Rule:
    """Carafe's rule for a Werkzeug ``Rule`` (added to the map by Flask code)."""
    return Rule(
        rule.rule,
        endpoint=rule.endpoint,
        methods=rule.methods,
        defaults=rule.defaults,
        strict_slashes=rule.strict_slashes,
        redirect_to=rule.redirect_to,
        subdomain=rule.subdomain,
        host=rule.host,
    )


def _segment(rule: Rule) -> str:
    """The literal first segment of ``rule``'s path (``"users"`` for
    ``/users/<int:id>``), or "" when a placeholder is part of it."""
    if not rule._parts or rule._parts[0][0]:
        return ""
    text = rule._parts[0][1]
    end = text.find("/", 1)
    return text[1:end] if text.startswith("/") and end > 1 else ""


def _encode_query(items: Iterable[tuple[str, Any]]) -> str:
    pairs: list[tuple[str, str]] = []
    for key, value in items:
        if isinstance(value, (list, tuple)):
            pairs.extend((key, str(item)) for item in value if item is not None)
        else:
            pairs.append((key, str(value)))
    from urllib.parse import urlencode  # Start-up: urllib.parse loads on first use.

    return urlencode(pairs, safe="!$'()*,/:;?@")


def route_request(url_map: Map, request: Request, host_header: str | bytes | None) -> None:
    """Route ``request``: set its ``url_rule`` and ``view_args``, or its routing error
    (a 404, 405 or redirect, kept for the pipeline to answer).

    SECURITY: first, a path longer than ``MAX_URL_LENGTH`` is a 414 (the query
    string counts too, when ``request.args`` reads it), and a malformed ``Host`` or
    one outside ``TRUSTED_HOSTS`` a 400, as in Flask 3.1 (whose routing reads the
    host). PERF: the edge passes the raw Host header it has at hand (None when there
    is none); one already found valid is a dict lookup, with no call.
    """
    options = request.options
    limit = options.max_url_length
    if limit is not None and len(request.path) > limit:
        request.routing_exception = RequestURITooLarge(
            f"The URL is longer than {limit} characters (MAX_URL_LENGTH)."
        )
        return
    if host_header not in VALID_HOST_HEADERS or options.trusted_hosts is not None:
        try:
            request.host  # noqa: B018 - checks the header.
        except (BadHost, SecurityError) as exc:
            request.routing_exception = exc
            return
    domain = request_domain(url_map, request) if url_map.domain_rules else None
    found = url_map.route(request.path, request.method, domain)
    if isinstance(found, tuple):
        request.url_rule, request.view_args = found
        return
    if isinstance(found, RequestRedirect):
        query = request.query_string.decode("latin-1")
        target = request.url_root.rstrip("/") + found.new_url
        found.new_url = f"{target}?{query}" if query else target
    request.routing_exception = found


def request_domain(url_map: Map, request: Request) -> str:
    """What ``request`` is routed by besides its path, as Flask 3.1 does: its host
    under host matching; else its subdomain against ``SERVER_NAME`` (or its own
    host) when the app matches subdomains; else the default subdomain."""
    host = request.host.lower()
    scheme = request.scheme
    host = _without_default_port(host, scheme)
    if url_map.host_matching:
        return host
    if not url_map.subdomain_matching:
        return url_map.default_subdomain
    server_name = request.options.server_name
    if not server_name:
        return ""
    server_parts = _without_default_port(server_name.lower(), scheme).split(".")
    host_parts = host.split(".")
    if host_parts[-len(server_parts) :] != server_parts:
        return "<invalid>"  # another host: nothing matches (a 404), as Werkzeug does
    return ".".join(part for part in host_parts[: -len(server_parts)] if part)


def _without_default_port(host: str, scheme: str) -> str:
    if scheme == "http" and host.endswith(":80"):
        return host[:-3]
    if scheme == "https" and host.endswith(":443"):
        return host[:-4]
    return host
