"""Running ``async def`` views and hooks from synchronous (WSGI) code.

Flask starts a new event loop for every async view call; Carafe keeps one loop
per thread and reuses it, which is what makes an async view on WSGI cost about
what a sync one does.
"""

from __future__ import annotations

import threading
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import asyncio

T = TypeVar("T")


class _ThreadLoop:
    """A thread's event loop, closed when the thread ends and drops it."""

    __slots__ = ("loop",)

    def __init__(self) -> None:
        # Start-up: asyncio loads on the first async view, not with carafe.
        import asyncio

        self.loop = asyncio.new_event_loop()

    def __del__(self) -> None:
        if not self.loop.is_closed():
            self.loop.close()


_local = threading.local()


def _thread_loop() -> asyncio.AbstractEventLoop:
    holder: _ThreadLoop | None = getattr(_local, "holder", None)
    if holder is None or holder.loop.is_closed():
        holder = _local.holder = _ThreadLoop()
    return holder.loop


def run_coroutine(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to completion on this thread's event loop.

    :raises RuntimeError: if called from inside a running event loop (an async
        view must be awaited there, not run synchronously).
    """
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        coroutine.close()
        raise RuntimeError(
            "Cannot run an async view synchronously inside a running event loop;"
            " serve the app through its ASGI interface instead."
        )
    return _thread_loop().run_until_complete(coroutine)
