"""Class-based views, as Flask's ``flask.views``: :class:`View` and :class:`MethodView`.

``as_view(name)`` turns the class into a view function for ``add_url_rule``. A view
class whose work is all ``async def`` (and that has no ``decorators``) gives an
``async def`` view function, which the ASGI edge runs on the event loop; any other
runs a coroutine of its work to the end itself, as Flask's ``ensure_sync`` does, so
its decorators see the result.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from types import CoroutineType
from typing import Any, ClassVar

from carafe.ctx import _cv_ctx
from carafe.globals import request
from carafe.plan import settle
from carafe.runner import is_coroutine_function

#: The methods :class:`MethodView` dispatches to, by their lower-case names.
http_method_funcs = frozenset(
    ["get", "post", "head", "options", "delete", "put", "trace", "patch"]
)


class View:
    """A view as a class: subclass it, implement :meth:`dispatch_request`, and
    register ``MyView.as_view("name")``.

    Class attributes, as Flask's:

    - ``methods``: the methods the rule accepts (``GET`` by default).
    - ``provide_automatic_options``: answer ``OPTIONS`` automatically (None: the
      app's ``PROVIDE_AUTOMATIC_OPTIONS``).
    - ``decorators``: applied to the view function, first in the list innermost.
    - ``init_every_request``: a new instance per request (True), or one instance for
      all requests (False: faster, but no per-request state on ``self``).
    """

    methods: ClassVar[Collection[str] | None] = None
    provide_automatic_options: ClassVar[bool | None] = None
    decorators: ClassVar[list[Callable[..., Any]]] = []
    init_every_request: ClassVar[bool] = True

    def dispatch_request(self, **kwargs: Any) -> Any:
        """Answer the request: what a view function returns. ``kwargs`` are the URL's
        view arguments."""
        raise NotImplementedError()

    @classmethod
    def _is_async(cls) -> bool:
        return is_coroutine_function(cls.dispatch_request)

    @classmethod
    def as_view(cls, name: str, *class_args: Any, **class_kwargs: Any) -> Callable[..., Any]:
        """The view function for ``add_url_rule``, named ``name`` (the endpoint).
        ``class_args`` and ``class_kwargs`` go to the class's constructor."""
        get_instance: Callable[[], View]
        if cls.init_every_request:

            def get_instance() -> View:
                # Through the (decorated) view function, as Flask: view_class can be
                # replaced on it.
                return view.view_class(*class_args, **class_kwargs)  # type: ignore[no-any-return]

        else:
            shared = cls(*class_args, **class_kwargs)

            def get_instance() -> View:
                return shared

        if cls._is_async() and not cls.decorators:

            async def call(**kwargs: Any) -> Any:
                rv = get_instance().dispatch_request(**kwargs)
                return await rv if rv.__class__ is CoroutineType else rv

        else:
            # As Flask's: the decorators get what the work returned, a coroutine's
            # result included.

            def call(**kwargs: Any) -> Any:  # type: ignore[misc]
                rv = get_instance().dispatch_request(**kwargs)
                return settle(_cv_ctx.get(None), rv) if rv.__class__ is CoroutineType else rv

        view: Any = call
        if cls.decorators:
            view.__name__ = name
            view.__module__ = cls.__module__
            for decorator in cls.decorators:
                view = decorator(view)
        # Read by add_url_rule, and by code that finds the class behind a view.
        view.view_class = cls
        view.__name__ = name
        view.__doc__ = cls.__doc__
        view.__module__ = cls.__module__
        view.methods = cls.methods
        view.provide_automatic_options = cls.provide_automatic_options
        return view  # type: ignore[no-any-return]


class MethodView(View):
    """A view that dispatches each request to the method named after its HTTP
    method (``get``, ``post``, ...; ``HEAD`` falls back to ``get``). ``methods`` is
    set from the methods the class defines."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "methods" not in cls.__dict__:
            methods: set[str] = set()
            for base in cls.__bases__:
                inherited = getattr(base, "methods", None)
                if inherited:
                    methods.update(inherited)
            for name in http_method_funcs:
                if hasattr(cls, name):
                    methods.add(name.upper())
            if methods:
                cls.methods = methods

    @classmethod
    def _is_async(cls) -> bool:
        if cls.dispatch_request is not MethodView.dispatch_request:
            return super()._is_async()
        # PERF: on ASGI, a view whose handlers are all async runs on the event loop;
        # one with a plain method among them runs in the thread pool.
        handlers = [getattr(cls, name) for name in http_method_funcs if hasattr(cls, name)]
        return bool(handlers) and all(is_coroutine_function(handler) for handler in handlers)

    def dispatch_request(self, **kwargs: Any) -> Any:
        method = request.method
        handler = getattr(self, method.lower(), None)
        if handler is None and method == "HEAD":
            handler = getattr(self, "get", None)
        assert handler is not None, f"Unimplemented method {method!r}"
        return handler(**kwargs)
