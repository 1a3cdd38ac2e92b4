"""Nothing lost: request bodies arrive whole, in bounded memory, unmixed, on both interfaces.

Issue 11, item 7, against ``carafe run`` over real sockets (the app is
``tests/e2e/apps/upload_app.py``, which answers with what it received: hashes, fields,
the temporary files it holds):

- a large multipart upload (200 MB by default; ``CARAFE_UPLOAD_MB`` sets another size),
  made up by the client as it is sent, is parsed into a temporary file while the
  server's peak RSS grows by less than 50 MB, and its SHA-256 is the one sent;
- bodies sent one byte per write (``Content-Length`` and chunked) arrive whole, read as
  raw data, as a urlencoded form and as multipart;
- concurrent uploads each get their own data back;
- over ASGI, the event loop keeps answering while a large upload is received.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import random
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from .serverproc import RunningServer, carafe_run_command, free_port, serving

pytestmark = pytest.mark.e2e

APP = "tests.e2e.apps.upload_app"
MB = 1000 * 1000
MIB = 1024 * 1024
UPLOAD_MB = int(os.environ.get("CARAFE_UPLOAD_MB", "200"))
RSS_GROWTH_LIMIT = 50 * MIB
BOUNDARY = "carafe-e2e-upload-7f3a9c"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
# How long the concurrent request may take while an upload is received (a liveness bound:
# it takes milliseconds; a loop blocked for the upload would take seconds).
LIVENESS_BOUND = 0.5


@pytest.fixture(scope="module", params=["wsgi", "asgi"])
def upload_server(request: pytest.FixtureRequest) -> Iterator[RunningServer]:
    port = free_port()
    with serving(carafe_run_command(port, APP, ["--interface", request.param]), port) as server:
        yield server


# -- made-up files ---------------------------------------------------------------------


class MadeUpFile:
    """``size`` bytes derived from ``seed``, made as they are sent and hashed on the way.

    Every block starts with the seed and its own offset, so data from another file, or
    from elsewhere in this one, never hashes the same.

    :param pause: seconds to wait after each block (to send slowly).
    """

    def __init__(self, seed: int, size: int, *, block_size: int = MIB, pause: float = 0.0) -> None:
        self.seed = seed
        self.size = size
        self.block_size = block_size
        self.pause = pause
        self.filename = f"file-{seed}.bin"
        self._digest = hashlib.sha256()
        self.sent = threading.Event()

    def blocks(self) -> Iterator[bytes]:
        filler = random.Random(self.seed).randbytes(self.block_size)
        for offset in range(0, self.size, self.block_size):
            stamp = b"%d:%d:" % (self.seed, offset)
            block = (stamp + filler[len(stamp) :])[: self.size - offset]
            self._digest.update(block)
            yield block
            if self.pause:
                time.sleep(self.pause)
        self.sent.set()

    def sha256(self) -> str:
        """The hash of what was sent (once it all was)."""
        assert self.sent.is_set(), "the file was not sent whole"
        return self._digest.hexdigest()


def multipart_head(fields: dict[str, str], filename: str) -> bytes:
    """The start of a multipart body: ``fields``, then the head of the file part
    ``upload`` (its content and :data:`MULTIPART_TAIL` follow)."""
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    ]
    parts.append(
        f"--{BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="upload"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    )
    return "".join(parts).encode()


MULTIPART_TAIL = f"\r\n--{BOUNDARY}--\r\n".encode()


def multipart_upload(upload: MadeUpFile, fields: dict[str, str]) -> tuple[int, Iterator[bytes]]:
    """The length of a multipart body with ``fields`` then ``upload``, and the body as
    an iterator."""
    head = multipart_head(fields, upload.filename)

    def body() -> Iterator[bytes]:
        yield head
        yield from upload.blocks()
        yield MULTIPART_TAIL

    return len(head) + upload.size + len(MULTIPART_TAIL), body()


def post_upload(
    server: RunningServer, path: str, upload: MadeUpFile, fields: dict[str, str]
) -> httpx.Response:
    """Stream ``upload`` with ``fields`` as a multipart body with a Content-Length."""
    length, body = multipart_upload(upload, fields)
    return httpx.post(
        server.url + path,
        content=body,
        headers={"Content-Type": MULTIPART, "Content-Length": str(length)},
        timeout=120,
    )


def assert_received(response: httpx.Response, upload: MadeUpFile, fields: dict[str, str]) -> None:
    assert response.status_code == 200, response.text[:500]
    answer = response.json()
    assert answer["form"] == fields
    assert answer["files"] == {
        "upload": {"filename": upload.filename, "sha256": upload.sha256(), "size": upload.size}
    }


# -- peak memory -----------------------------------------------------------------------


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants: the ``carafe run`` main process and its workers."""
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            pids += process_tree(int(child))
    return pids


def status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/{pid}/status")


def reset_peak_rss(pids: list[int]) -> dict[int, int]:
    """Reset each process's peak RSS (``VmHWM``) to its RSS now; the RSS, in KiB."""
    for pid in pids:
        # "5" resets the peak RSS (proc(5), /proc/pid/clear_refs, Linux 4.0 and later).
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    return {pid: status_kib(pid, "VmRSS") for pid in pids}


def peak_rss_growth(baseline: dict[int, int]) -> int:
    """How far the processes' RSS rose at its peak since ``reset_peak_rss``, in bytes."""
    return 1024 * sum(max(0, status_kib(pid, "VmHWM") - rss) for pid, rss in baseline.items())


# -- 1. a large upload: on disk, in bounded memory ---------------------------------------


@pytest.mark.parametrize("path", ["/upload", "/async/upload"])
def test_large_upload_is_parsed_to_a_temporary_file_in_bounded_memory(upload_server, path):
    pids = process_tree(upload_server.process.pid)
    assert len(pids) >= 2, "no worker process under carafe run"
    upload = MadeUpFile(seed=1, size=UPLOAD_MB * MB)
    fields = {"note": "large"}
    baseline = reset_peak_rss(pids)
    response = post_upload(upload_server, path, upload, fields)
    growth = peak_rss_growth(baseline)
    assert_received(response, upload, fields)
    answer = response.json()
    assert answer["pid"] in pids
    assert growth < RSS_GROWTH_LIMIT, (
        f"the server's peak RSS grew by {growth / MIB:.1f} MiB for a {UPLOAD_MB} MB upload"
    )
    # The parsed file is a temporary file on disk of exactly its size.
    assert upload.size in answer["temporary_files"], answer["temporary_files"]


# -- 2. one byte at a time -----------------------------------------------------------------


def one_byte_at_a_time(
    port: int, path: str, content_type: str, body: bytes, *, chunked: bool
) -> tuple[int, Any]:
    """POST ``body`` one byte per write (one 1-byte chunk each if ``chunked``); the
    status and the decoded JSON answer."""
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {len(body)}"
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        f"Content-Type: {content_type}\r\n{framing}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        # Each write leaves as a segment of its own, and the short pause lets the server
        # read it alone (without it, bytes written back to back arrive together).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(head.encode())
        for byte in (body[index : index + 1] for index in range(len(body))):
            sock.sendall(b"1\r\n" + byte + b"\r\n" if chunked else byte)
            time.sleep(0.0001)
        if chunked:
            sock.sendall(b"0\r\n\r\n")
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, json.loads(response.read())


# Every byte value, and bytes that look like HTTP framing and like the multipart delimiter
# (CRLF, "--", the boundary), none of them a delimiter: a prefix of the boundary after
# CRLF, the whole boundary without the CRLF.
TRICKY_BYTES = (
    bytes(range(256)) * 2
    + b"\r\n0\r\n\r\n1\r\nx\r\n"
    + f"\r\n--{BOUNDARY[:-1]}\r\n-x--{BOUNDARY}--\r\n\r\n--".encode()
)
FORM_FIELDS = {
    "name": "Zoë & Co = 100% + ∞",
    "empty": "",
    "text": "line one\r\nline two &amp; %41+" * 10,
}


def one_byte_case(kind: str) -> tuple[str, bytes, dict[str, Any]]:
    """For a kind of body: its content type, the body, what the answer must contain."""
    if kind == "data":
        digest = hashlib.sha256(TRICKY_BYTES).hexdigest()
        return (
            "application/octet-stream",
            TRICKY_BYTES,
            {"sha256": digest, "size": len(TRICKY_BYTES)},
        )
    if kind == "form":
        return (
            "application/x-www-form-urlencoded",
            urlencode(FORM_FIELDS).encode(),
            {"form": FORM_FIELDS},
        )
    fields = {"name": FORM_FIELDS["name"], "text": FORM_FIELDS["text"]}
    body = multipart_head(fields, "tricky.bin") + TRICKY_BYTES + MULTIPART_TAIL
    expected_file = {
        "filename": "tricky.bin",
        "sha256": hashlib.sha256(TRICKY_BYTES).hexdigest(),
        "size": len(TRICKY_BYTES),
    }
    return MULTIPART, body, {"form": fields, "files": {"upload": expected_file}}


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize("view", ["sync", "async"])
@pytest.mark.parametrize("kind", ["data", "form", "upload"])
def test_body_sent_one_byte_at_a_time_arrives_whole(upload_server, kind, view, chunked):
    content_type, body, expected = one_byte_case(kind)
    path = ("/async/" if view == "async" else "/") + kind
    status, answer = one_byte_at_a_time(
        upload_server.port, path, content_type, body, chunked=chunked
    )
    assert status == 200, answer
    assert {key: answer[key] for key in expected} == expected


# -- 3. concurrent uploads ------------------------------------------------------------------


def test_concurrent_uploads_do_not_mix(upload_server):
    clients = 8
    # Different sizes and contents, sent in paced 64 KiB blocks so that they overlap;
    # half to the sync view, half to the async one.
    uploads = [
        MadeUpFile(seed=100 + index, size=3 * MB + 4099 * index, block_size=64 * 1024, pause=0.002)
        for index in range(clients)
    ]
    paths = ["/upload" if index % 2 else "/async/upload" for index in range(clients)]
    responses: dict[int, httpx.Response] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(clients)

    def send(index: int) -> None:
        try:
            start.wait(timeout=10)
            fields = {"client": str(index)}
            responses[index] = post_upload(upload_server, paths[index], uploads[index], fields)
        except BaseException as exc:
            errors.append(exc)

    assert httpx.delete(upload_server.url + "/in-flight-peak").status_code == 200
    threads = [threading.Thread(target=send, args=(index,)) for index in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sorted(responses) == list(range(clients))
    for index, upload in enumerate(uploads):
        assert_received(responses[index], upload, {"client": str(index)})
    # The uploads were really handled at the same time.
    assert httpx.get(upload_server.url + "/in-flight-peak").json()["peak"] >= 2


# -- 4. the event loop during a large upload (ASGI) ------------------------------------------


@pytest.mark.parametrize("upload_server", ["asgi"], indirect=True)
@pytest.mark.parametrize("path", ["/upload", "/async/upload"])
def test_event_loop_answers_while_a_large_upload_is_received(upload_server, path):
    # 40 MB in 1 MiB blocks, 30 ms apart: over 1.2 s of upload. For the async view the
    # prefetch spools it to disk on the event loop; the sync view reads it from its pool
    # thread, through the loop, and the multipart parser spools the file there.
    upload = MadeUpFile(seed=7, size=40 * MB, pause=0.03)
    fields = {"note": "slow"}
    outcome: dict[str, httpx.Response | BaseException] = {}

    def send() -> None:
        try:
            outcome["response"] = post_upload(upload_server, path, upload, fields)
        except BaseException as exc:
            outcome["response"] = exc

    assert httpx.delete(upload_server.url + "/loop-lag").status_code == 200
    sender = threading.Thread(target=send)
    sender.start()
    latencies = []
    with httpx.Client(base_url=upload_server.url, timeout=30) as client:
        while not upload.sent.is_set() and sender.is_alive():
            started = time.monotonic()
            assert client.get("/fast").text == "fast"
            latencies.append(time.monotonic() - started)
            time.sleep(0.05)
    sender.join(timeout=60)
    response = outcome.get("response")
    assert isinstance(response, httpx.Response), response
    assert_received(response, upload, fields)
    assert len(latencies) >= 5, "the concurrent requests did not overlap the upload"
    slowest = max(latencies)
    assert slowest < LIVENESS_BOUND, f"a request took {slowest:.3f} s during the upload"
    loop_lag = httpx.get(upload_server.url + "/loop-lag").json()["max"]
    assert loop_lag < LIVENESS_BOUND, f"the event loop was blocked for {loop_lag:.3f} s"
