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

_local = threading.local()


def _thread_loop() -> asyncio.AbstractEventLoop:
    loop: asyncio.AbstractEventLoop | None = getattr(_local, "loop", None)
    if loop is None or loop.is_closed():
        # Start-up: asyncio loads on the first async view, not with carafe.
        import asyncio

        loop = asyncio.new_event_loop()
        _local.loop = loop
    return loop


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
