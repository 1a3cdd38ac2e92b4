"""An app for the upload tests: it hashes what arrived, as raw bytes, form fields or files.

Each body route has a sync and an ``async def`` twin (``/async/...``): over ASGI the two
take different paths (a sync view reads the body lazily from its pool thread; an async
one has it prefetched on the event loop, spooled to disk past 1 MiB). Files are hashed
by streaming their ``FileStorage`` in 1 MiB reads, never read whole, and the answer
lists the sizes of the deleted temporary files the worker holds open, so a test can
tell that an upload went to disk rather than to memory.

``/loop-lag`` watches the worker's event loop (over ASGI): how late a 5 ms timer fired
at worst, that is how long something kept the loop from running anything else.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
import threading
import time
from typing import Any

from carafe import Flask, request

app = Flask(__name__)
# The default limit is 16 MiB; the large-upload test sends 200 MB in one file by default
# (CARAFE_UPLOAD_MB, which the server inherits from the tests, makes it more or less).
UPLOAD_BYTES = int(os.environ.get("CARAFE_UPLOAD_MB", "200")) * 1000 * 1000
app.config["MAX_CONTENT_LENGTH"] = max(300 * 1000 * 1000, UPLOAD_BYTES + 1024 * 1024)

READ_SIZE = 1024 * 1024
LOOP_TICK = 0.005

# The most upload views in progress at once in this worker since the last reset (the
# concurrency test checks that its uploads really overlapped).
_in_flight = 0
_in_flight_peak = 0
_in_flight_lock = threading.Lock()

# The event loop watcher: its task, and the worst lateness of its timer so far.
_loop_watcher: asyncio.Task[None] | None = None
_loop_lag_max = 0.0


def enter_view() -> None:
    global _in_flight, _in_flight_peak
    with _in_flight_lock:
        _in_flight += 1
        _in_flight_peak = max(_in_flight_peak, _in_flight)


def leave_view() -> None:
    global _in_flight
    with _in_flight_lock:
        _in_flight -= 1


def temporary_files_on_disk() -> list[int]:
    """The sizes of the deleted files in the temporary directory that this process
    holds open: spooled uploads (a ``SpooledTemporaryFile`` past its memory size)."""
    prefix = os.path.realpath(tempfile.gettempdir()) + os.sep
    sizes = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
            if target.startswith(prefix) and target.endswith(" (deleted)"):
                sizes.append(os.stat(f"/proc/self/fd/{fd}").st_size)
        except OSError:
            continue  # closed meanwhile: the listing's own descriptor, another request's
    return sorted(sizes)


def describe_upload() -> dict[str, Any]:
    """The form fields, and each file's name, SHA-256 and size, read by streaming it."""
    files = {}
    for name, storage in request.files.items():
        digest = hashlib.sha256()
        size = 0
        while block := storage.stream.read(READ_SIZE):
            digest.update(block)
            size += len(block)
        files[name] = {"filename": storage.filename, "sha256": digest.hexdigest(), "size": size}
    return {
        "form": request.form.to_dict(),
        "files": files,
        "temporary_files": temporary_files_on_disk(),
        "pid": os.getpid(),
    }


def describe_data() -> dict[str, Any]:
    data = request.get_data()
    return {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


async def watch_loop() -> None:
    global _loop_lag_max
    while True:
        started = time.monotonic()
        await asyncio.sleep(LOOP_TICK)
        _loop_lag_max = max(_loop_lag_max, time.monotonic() - started - LOOP_TICK)


@app.route("/fast")
async def fast() -> str:
    return "fast"


@app.route("/loop-lag", methods=["GET", "DELETE"])
async def loop_lag() -> dict[str, float]:
    """The worst lag of the event loop, in seconds; DELETE starts the watcher or resets it."""
    global _loop_watcher, _loop_lag_max
    if request.method == "DELETE":
        if _loop_watcher is None:
            _loop_watcher = asyncio.get_running_loop().create_task(watch_loop())
        _loop_lag_max = 0.0
    return {"max": _loop_lag_max}


@app.route("/in-flight-peak", methods=["GET", "DELETE"])
def in_flight_peak() -> dict[str, int]:
    """The most upload views in progress at once; DELETE resets it."""
    global _in_flight_peak
    with _in_flight_lock:
        if request.method == "DELETE":
            _in_flight_peak = _in_flight
        return {"peak": _in_flight_peak}


@app.route("/upload", methods=["POST"])
def upload() -> dict[str, Any]:
    enter_view()
    try:
        return describe_upload()
    finally:
        leave_view()


@app.route("/async/upload", methods=["POST"])
async def async_upload() -> dict[str, Any]:
    enter_view()
    try:
        # Carafe parsed the large form in its thread pool before the view ran, so
        # reading it here, on the event loop, is only a lookup. Hashing 200 MB is the
        # view's own blocking work: it goes to a thread (with the request context,
        # which to_thread copies).
        request.files
        return await asyncio.to_thread(describe_upload)
    finally:
        leave_view()


@app.route("/form", methods=["POST"])
def form() -> dict[str, Any]:
    return {"form": request.form.to_dict()}


@app.route("/async/form", methods=["POST"])
async def async_form() -> dict[str, Any]:
    return {"form": request.form.to_dict()}


@app.route("/data", methods=["POST"])
def data() -> dict[str, Any]:
    return describe_data()


@app.route("/async/data", methods=["POST"])
async def async_data() -> dict[str, Any]:
    return describe_data()
