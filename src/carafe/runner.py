"""Running ``async def`` views and hooks from synchronous (WSGI) code.

Flask starts a new event loop for every async view call; Carafe keeps one loop
per thread and reuses it, which is what makes an async view on WSGI cost about
what a sync one does.
"""

from __future__ import annotations

import contextvars

# Start-up: the C thread-local itself, without the threading module.
from _thread import _local as thread_local
from collections.abc import AsyncIterable, AsyncIterator, Coroutine, Generator
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
            # (At interpreter exit asyncio's module globals, and contextlib's, may be
            # gone: closing then fails, and there is nothing left to close for.)
            try:  # noqa: SIM105
                self.loop.close()
            except Exception:  # noqa: S110
                pass


_local = thread_local()


def _thread_loop() -> asyncio.AbstractEventLoop:
    holder: _ThreadLoop | None = getattr(_local, "holder", None)
    if holder is None or holder.loop.is_closed():
        holder = _local.holder = _ThreadLoop()
    return holder.loop


_CO_COROUTINE = 0x80  # the code flag of an ``async def`` function (inspect.CO_COROUTINE)


def is_coroutine_function(func: object) -> bool:
    """True for an ``async def`` function, also behind ``functools.partial`` or a method.

    Start-up: the same answer as ``inspect.iscoroutinefunction`` for these cases,
    without importing ``inspect`` (~9 ms) with carafe.
    """
    while True:
        inner = getattr(func, "func", None) or getattr(func, "__func__", None)
        if inner is None or inner is func:
            break
        func = inner
    code = getattr(func, "__code__", None)
    return code is not None and bool(code.co_flags & _CO_COROUTINE)


def run_coroutine(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to completion on this thread's event loop.

    PERF: the first step runs directly, with the thread's loop set as the running
    loop; a coroutine that finishes without waiting for anything (most async
    views on WSGI) never starts the loop. One that does wait is handed, as it
    is, to the loop to finish.

    :raises RuntimeError: if called from inside a running event loop (an async
        view must be awaited there, not run synchronously).
    """
    import asyncio

    if asyncio._get_running_loop() is not None:
        coroutine.close()
        raise RuntimeError(
            "Cannot run an async view synchronously inside a running event loop;"
            " serve the app through its ASGI interface instead."
        )
    loop = _thread_loop()
    # As in a task, the coroutine runs in a copy of the caller's context: it sees
    # the request, and what it sets stays its own.
    context = contextvars.copy_context()
    asyncio._set_running_loop(loop)
    try:
        waiting_for = context.run(coroutine.send, None)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
    finally:
        asyncio._set_running_loop(None)
    return loop.run_until_complete(_resume(coroutine, waiting_for, context))


async def _resume(
    coroutine: Coroutine[Any, Any, T], waiting_for: Any, context: contextvars.Context
) -> T:
    """Finish a coroutine whose first step already ran and yielded ``waiting_for``.

    This does what an asyncio task does between steps: wait until the future it
    yielded is done (or give the loop one turn for a bare yield), then resume it.
    """
    import asyncio

    while True:
        if waiting_for is None:
            await asyncio.sleep(0)
        else:
            # The coroutine reads the future's result itself when resumed.
            waiting_for._asyncio_future_blocking = False
            await asyncio.wait([waiting_for])
        try:
            waiting_for = context.run(coroutine.send, None)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]


def is_async_body(body: object) -> bool:
    """True for a response body that can only be iterated with ``async for``."""
    return not hasattr(body, "__iter__") and hasattr(body, "__aiter__")


def iterate_async(iterable: AsyncIterable[T]) -> Generator[T, None, None]:
    """Iterate over an async iterable from synchronous code, each step run on
    this thread's loop (an async generator's body, served over WSGI).

    Closing this iterator closes the async one (``aclose``), so an async
    generator's ``finally`` runs when the server is done with the body.
    """
    iterator = iterable.__aiter__()
    try:
        while True:
            try:
                item = run_coroutine(_next(iterator))
            except StopAsyncIteration:
                return
            yield item
    finally:
        if hasattr(iterator, "aclose"):
            run_coroutine(_aclose(iterator))


async def _next(iterator: AsyncIterator[T]) -> T:
    return await iterator.__anext__()


async def _aclose(iterator: Any) -> None:
    await iterator.aclose()
