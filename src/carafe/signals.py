"""Flask's signals, through blinker: connect a receiver to hear about requests and
contexts, as with ``flask.signals``.

Each signal is sent with the app as sender (``request_started.connect(func, app)``
hears one app only). PERF: while no receiver is connected to any of them, the
request path sends nothing; it tests one flag (:data:`carafe.ctx.SIGNALS`), which
connecting a receiver raises.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from blinker import ANY, NamedSignal, Namespace

from carafe.ctx import SIGNAL_NAMES, SIGNALS


class _Signal(NamedSignal):
    """A blinker signal that tells the request path when it has receivers."""

    def connect(self, receiver: Any, sender: Any = ANY, weak: bool = True) -> Any:
        connected = super().connect(receiver, sender, weak)
        SIGNALS.active = True
        return connected

    def _disconnect(self, receiver_id: Any, sender_id: Any) -> None:
        # Every way out goes through here: disconnect() for one sender or all, and a
        # weakly referenced receiver collected. (blinker 1.9's internals, pinned.)
        super()._disconnect(receiver_id, sender_id)
        SIGNALS.active = any(
            senders for signal in _namespace.values() for senders in signal._by_receiver.values()
        )


class _Namespace(Namespace):
    def signal(self, name: str, doc: str | None = None) -> NamedSignal:
        found = self.get(name)
        if found is None:
            found = self[name] = _Signal(name, doc)
        return found


_namespace = _Namespace()

#: Sent after a template is rendered: ``template``, ``context`` (from issue 14 on).
template_rendered = _namespace.signal("template-rendered")
#: Sent before a template is rendered: ``template``, ``context`` (from issue 14 on).
before_render_template = _namespace.signal("before-render-template")
#: Sent when a request starts, before the ``before_request`` hooks.
request_started = _namespace.signal("request-started")
#: Sent when the response is ready, after the ``after_request`` hooks: ``response``.
request_finished = _namespace.signal("request-finished")
#: Sent when the request's teardown runs: ``exc``.
request_tearing_down = _namespace.signal("request-tearing-down")
#: Sent when an unhandled exception is about to answer 500 (or propagate): ``exception``.
got_request_exception = _namespace.signal("got-request-exception")
#: Sent when the app context's teardown runs: ``exc``.
appcontext_tearing_down = _namespace.signal("appcontext-tearing-down")
#: Sent when an app context is pushed (a request's too).
appcontext_pushed = _namespace.signal("appcontext-pushed")
#: Sent when an app context is popped (a request's too).
appcontext_popped = _namespace.signal("appcontext-popped")
#: Sent when a message is flashed: ``message``, ``category`` (from issue 14 on).
message_flashed = _namespace.signal("message-flashed")

_BY_NAME: dict[str, NamedSignal] = {name: globals()[name] for name in SIGNAL_NAMES}


def _send(name: str, sender: Any, **kwargs: Any) -> None:
    signal = _BY_NAME[name]
    if signal.receivers:
        # As Flask: an ``async def`` receiver is run through the app's ensure_sync.
        signal.send(sender, _async_wrapper=sender.ensure_sync, **kwargs)


def _send_step(name: str, sender: Any, **kwargs: Any) -> Coroutine[Any, Any, None] | None:
    """Send from a step of the request pipeline: sync receivers run now; the
    coroutines of ``async def`` ones come back as one coroutine, for the step to
    await (on the event loop) or run to its end (elsewhere); None when there are none."""
    signal = _BY_NAME[name]
    if not signal.receivers:
        return None
    pending: list[Coroutine[Any, Any, Any]] = []

    def collect(receiver: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **inner: Any) -> None:
            pending.append(receiver(*args, **inner))

        return call

    signal.send(sender, _async_wrapper=collect, **kwargs)
    return _await_all(pending) if pending else None


async def _await_all(coroutines: list[Coroutine[Any, Any, Any]]) -> None:
    for coroutine in coroutines:
        await coroutine


SIGNALS.send = _send
SIGNALS.send_step = _send_step

__all__ = ["Namespace", *SIGNAL_NAMES]
