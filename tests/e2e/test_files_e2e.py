"""Static files, ``send_file`` and ``send_from_directory`` on a real ``carafe run`` server,
over WSGI and over ASGI (issue 14, item 4; the app is ``tests/e2e/apps/files_app.py``,
serving a folder this module lays out).

- every traversal attempt on ``/static`` and on a ``send_from_directory`` view is a 404
  (a 400 where the server refuses the request line first), sent exactly as written:
  raw sockets, ``curl --path-as-is`` and httpx (whose path is checked to have gone out
  as written, so a client's normalising cannot make a test pass);
- a large file arrives byte for byte, whole and in ranges (one range, several as
  ``multipart/byteranges``, thousands answered with the whole file, ``bytes=5-4`` a 416);
- over ASGI, Granian sends a whole file itself (``http.response.pathsend``) and a range
  goes through Python; the app records the ASGI messages it sent (a pass-through
  middleware), which is the proof. Granian's WSGI offers no ``wsgi.file_wrapper``
  (recorded too), so there the body is read in blocks by Python;
- the server holds no file open after any answer (200, 206, multipart, 304, 412, 416,
  HEAD) nor after a client leaves mid-download (the app lists its open files from
  ``/proc/self/fd``: the server's own descriptors included).

No timing is asserted; waits are bounded by ``TIMEOUT``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from email.parser import BytesParser
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from .serverproc import RunningServer, carafe_run_command, free_port, start_server, wait_for

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads /proc/self/fd"),
]

APP = "tests/e2e/apps/files_app.py:app"
TIMEOUT = 10.0
SECRET = b"SECRET: app.py, outside the static folder"
SIBLING = b"SIBLING: beside the static folder"
HELLO = b"Hello, static world.\n"
UNICODE_NAME = "naïve café.txt"
BIG_SIZE = 8 * 1024 * 1024
MEDIUM_SIZE = 64 * 1024
#: Thousands of one-byte ranges in one header (28 KB, under the server's 32 KiB head limit).
MANY_RANGES = "bytes=" + ",".join(f"{n}-{n}" for n in range(3000))


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The app's folder: ``static/`` with files, links and traps; secrets around it."""
    root = tmp_path_factory.mktemp("files-root").resolve()
    (root / "app.py").write_bytes(SECRET)
    (root / "static1.txt").write_bytes(SIBLING)
    (root / "static1").mkdir()
    (root / "static1" / "secret.txt").write_bytes(SIBLING)
    static = root / "static"
    (static / "sub").mkdir(parents=True)
    (static / "hello.txt").write_bytes(HELLO)
    (static / "sub" / "nested.txt").write_bytes(b"nested")
    (static / UNICODE_NAME).write_bytes(UNICODE_NAME.encode())
    (static / "big.bin").write_bytes(os.urandom(BIG_SIZE))
    (static / "medium.bin").write_bytes(os.urandom(MEDIUM_SIZE))
    # Files named as Windows devices, with a colon or a backslash exist here: they are
    # refused by their names.
    for name in ("NUL", "CON.txt", "nul.txt", "COM1", "..\\app.py"):
        (static / name).write_bytes(b"odd-named")
    (static / "C:").mkdir()
    (static / "C:" / "x").write_bytes(b"odd-named")
    (static / "link-out").symlink_to(root / "app.py")
    (static / "link-dir-out").symlink_to(root / "static1", target_is_directory=True)
    (static / "link-in").symlink_to("hello.txt")
    (static / "loop").symlink_to("loop")
    os.mkfifo(static / "fifo")
    (root / "bp_static").mkdir()
    (root / "bp_static" / "bp.txt").write_bytes(b"from the blueprint")
    return root


@pytest.fixture(scope="module", params=["wsgi", "asgi"])
def server(request: pytest.FixtureRequest, root: Path) -> Iterator[RunningServer]:
    """The files app on ``carafe run --interface wsgi|asgi``; it must stop cleanly, with
    no traceback logged."""
    port = free_port()
    command = carafe_run_command(port, APP, ["--interface", request.param])
    running = start_server(command, port, env={"CARAFE_FILES_ROOT": str(root)})
    try:
        yield running
    finally:
        status = running.stop()
        output = running.output()
        running.log.close()
    assert status == 0, output
    assert "Traceback" not in output, output


@pytest.fixture
def client(server: RunningServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=TIMEOUT) as http:
        yield http


def interface_of(server: RunningServer) -> str:
    command = list(server.process.args)  # type: ignore[arg-type]
    return str(command[command.index("--interface") + 1])


def open_files(server: RunningServer) -> list[str]:
    answer = httpx.get(f"{server.url}/debug/open-files", timeout=TIMEOUT)
    return list(answer.json()["open"])


def assert_nothing_left_open(server: RunningServer) -> None:
    # The server may close a file a moment after the last byte went out.
    assert wait_for(lambda: open_files(server) == [], TIMEOUT), open_files(server)


def sent_for(server: RunningServer, path: str) -> list[str]:
    """What the app recorded for its latest request for ``path``."""
    answer = httpx.get(f"{server.url}/debug/sent", timeout=TIMEOUT)
    records = [what for sent_path, what in answer.json()["sent"] if sent_path == path]
    starts = [n for n, what in enumerate(records) if "offered" in what]
    return records[starts[-1] :] if starts else []


def raw_get(port: int, target: bytes, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """``GET target`` exactly as given, on a connection of its own: (status, body)."""
    lines = [b"GET " + target + b" HTTP/1.1", b"Host: 127.0.0.1", b"Connection: close"]
    lines += [f"{name}: {value}".encode() for name, value in (headers or {}).items()]
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(b"\r\n".join(lines) + b"\r\n\r\n")
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    answer = b"".join(chunks)
    assert answer.startswith(b"HTTP/1.1 "), answer[:200]
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    if status == 308:
        # Repeated slashes are redirected to the merged path, as Flask does: followed
        # once, to where the attempt really ends.
        location = next(
            line.split(b":", 1)[1].strip()
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"location:")
        )
        target = b"/" + location.split(b"://", 1)[-1].split(b"/", 1)[1]
        return raw_get(port, target, headers)
    return status, body


def multipart_parts(answer: httpx.Response) -> list[tuple[str, bytes]]:
    message = BytesParser().parsebytes(
        f"Content-Type: {answer.headers['content-type']}\r\n\r\n".encode() + answer.content
    )
    return [
        (part["Content-Range"], part.get_payload(decode=True)) for part in message.get_payload()
    ]


# -- traversal ------------------------------------------------------------------------

#: Tails after ``/static/`` and ``/files/``, as they go on the request line.
TRAVERSALS = [
    b"../app.py",
    b"%2e%2e/app.py",
    b"%2E%2E/app.py",
    b"%2e%2e%2fapp.py",
    b"..%2fapp.py",
    b".%2e/app.py",
    b"sub/../../app.py",
    b"sub/%2e%2e/%2e%2e/app.py",
    b"../static1.txt",
    b"../static1/secret.txt",
    b"%2e%2e/static1.txt",
    b"/etc/passwd",
    b"%2fetc%2fpasswd",
    b"%2f..%2fapp.py",
    b"..\\app.py",
    b"..%5capp.py",
    b"sub\\..\\..\\app.py",
    b"sub%5c..%5c..%5capp.py",
    b"hello.txt%00",
    b"hello.txt%00.png",
    b"%00../app.py",
    b"NUL",
    b"CON.txt",
    b"nul.txt",
    b"COM1",
    b"C:/x",
    b"C%3a/x",
    b"hello.txt::$DATA",
    b"link-out",
    b"link-dir-out/secret.txt",
    b"loop",
    b"fifo",
    b"sub",
    b"sub/",
    b"",
    b"%252e%252e/app.py",
    b"%C0%AE%C0%AE/app.py",
    b"a" * 300,
]
#: Whole request targets outside the two prefixes.
OTHER_TARGETS = [b"//etc/passwd", b"/static/../../etc/passwd", b"/bp/static/../../app.py"]


def assert_refused(status: int, body: bytes, target: bytes) -> None:
    assert status == 404, target
    for secret in (SECRET, SIBLING, b"odd-named"):
        assert secret not in body, target


@pytest.mark.parametrize("tail", TRAVERSALS)
def test_every_traversal_attempt_is_a_404_on_a_raw_socket(server: RunningServer, tail: bytes):
    for prefix in (b"/static/", b"/files/"):
        status, body = raw_get(server.port, prefix + tail)
        assert_refused(status, body, prefix + tail)


@pytest.mark.parametrize("target", OTHER_TARGETS)
def test_other_traversal_targets_are_404s(server: RunningServer, target: bytes):
    status, body = raw_get(server.port, target)
    assert_refused(status, body, target)


def test_a_raw_nul_byte_is_refused_before_the_app(server: RunningServer):
    with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as sock:
        sock.sendall(b"GET /static/hello.txt\x00/../../app.py HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = sock.recv(65536)
    # Not a valid request line: Granian answers 400 before the app sees it.
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:100]
    assert SECRET not in answer and HELLO not in answer


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
@pytest.mark.parametrize(
    "path",
    [
        "/static/../app.py",
        "/files/../app.py",
        "/static/../static1.txt",
        "/static/./../app.py",
        "/static/%2e%2e/app.py",
        "/files/..%2fapp.py",
        "/static/..\\app.py",
        "//etc/passwd",
        "/static//etc/passwd",
    ],
)
def test_curl_path_as_is_gets_404(server: RunningServer, path: str):
    completed = subprocess.run(
        [
            "curl",
            "--silent",
            "--path-as-is",
            "--location",
            "--max-time",
            str(TIMEOUT),
            "--write-out",
            "\n%{http_code}",
            server.url + path,
        ],
        capture_output=True,
        check=True,
        timeout=TIMEOUT + 5,
    )
    body, _, status = completed.stdout.rpartition(b"\n")
    assert_refused(int(status), body, path.encode())


@pytest.mark.parametrize(
    "path",
    [
        "/static/%2e%2e/app.py",
        "/files/%2e%2e%2fapp.py",
        "/static/..%5capp.py",
        "/files/hello.txt%00",
        "/static/CON.txt",
        "/files/C%3a/x",
        "/static/link-out",
        "/files/link-dir-out/secret.txt",
    ],
)
def test_httpx_gets_404(client: httpx.Client, path: str):
    answer = client.get(path)
    # The path went out as written (not normalised by the client).
    assert answer.request.url.raw_path == path.encode()
    assert_refused(answer.status_code, answer.content, path.encode())


@pytest.mark.parametrize(
    ("path", "body", "mimetype"),
    [
        ("/static/hello.txt", HELLO, "text/plain"),
        ("/files/hello.txt", HELLO, "text/plain"),
        ("/static/sub/nested.txt", b"nested", "text/plain"),
        ("/static/" + quote(UNICODE_NAME), UNICODE_NAME.encode(), "text/plain"),
        ("/static/link-in", HELLO, "application/octet-stream"),
        ("/static/sub/../hello.txt", HELLO, "text/plain"),
        ("/bp/static/bp.txt", b"from the blueprint", "text/plain"),
    ],
)
def test_files_inside_are_served(client: httpx.Client, path: str, body: bytes, mimetype: str):
    answer = client.get(path)
    assert answer.status_code == 200, path
    assert answer.content == body
    assert answer.headers["content-type"].split(";")[0] == mimetype
    assert answer.headers["content-length"] == str(len(body))


# -- bodies ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/static/big.bin", "/files/big.bin"])
def test_a_large_file_arrives_byte_for_byte(
    server: RunningServer, client: httpx.Client, root: Path, path: str
):
    expected = hashlib.sha256((root / "static" / "big.bin").read_bytes()).hexdigest()
    digest = hashlib.sha256()
    received = 0
    with client.stream("GET", path) as answer:
        assert answer.status_code == 200
        assert answer.headers["content-length"] == str(BIG_SIZE)
        for chunk in answer.iter_raw():
            digest.update(chunk)
            received += len(chunk)
    assert (received, digest.hexdigest()) == (BIG_SIZE, expected)
    sent = sent_for(server, path)
    if interface_of(server) == "asgi":
        # Granian offered to send files itself, and the whole file went that way.
        assert sent == [
            "pathsend offered: True",
            "http.response.start",
            "http.response.pathsend",
        ]
    else:
        # Granian's WSGI has no file_wrapper: the body is read in blocks by Python.
        assert sent == ["file_wrapper offered: False"]
    assert_nothing_left_open(server)


def test_ranges_of_a_large_file(server: RunningServer, client: httpx.Client, root: Path):
    data = (root / "static" / "big.bin").read_bytes()
    one = client.get("/static/big.bin", headers={"Range": "bytes=1000000-1999999"})
    assert one.status_code == 206
    assert one.headers["content-range"] == f"bytes 1000000-1999999/{BIG_SIZE}"
    assert one.content == data[1000000:2000000]
    if interface_of(server) == "asgi":
        sent = sent_for(server, "/static/big.bin")
        assert "http.response.pathsend" not in sent
        assert "http.response.body" in sent

    suffix = client.get("/files/big.bin", headers={"Range": "bytes=-100"})
    assert (suffix.status_code, suffix.content) == (206, data[-100:])

    several = client.get("/static/big.bin", headers={"Range": "bytes=0-9,4000000-4999999,-5"})
    assert several.status_code == 206
    assert several.headers["content-type"].startswith("multipart/byteranges; boundary=")
    assert int(several.headers["content-length"]) == len(several.content)
    assert multipart_parts(several) == [
        (f"bytes 0-9/{BIG_SIZE}", data[:10]),
        (f"bytes 4000000-4999999/{BIG_SIZE}", data[4000000:5000000]),
        (f"bytes {BIG_SIZE - 5}-{BIG_SIZE - 1}/{BIG_SIZE}", data[-5:]),
    ]
    assert_nothing_left_open(server)


def test_a_hostile_range_costs_one_range(server: RunningServer, client: httpx.Client, root: Path):
    data = (root / "static" / "medium.bin").read_bytes()
    many = client.get("/static/medium.bin", headers={"Range": MANY_RANGES})
    assert (many.status_code, many.content) == (200, data)
    for header in ("bytes=5-4", "bytes=" + ",".join(["5-4"] * 4000), "bytes=99999999-"):
        refused = client.get("/static/medium.bin", headers={"Range": header})
        assert refused.status_code == 416
        assert refused.headers["content-range"] == f"bytes */{MEDIUM_SIZE}"
    assert_nothing_left_open(server)


def test_conditional_answers_on_one_connection(server: RunningServer, client: httpx.Client):
    # One keep-alive connection: answers without a body (304, HEAD) must not break the
    # framing of the next one.
    first = client.get("/static/hello.txt")
    etag, last_modified = first.headers["etag"], first.headers["last-modified"]
    assert first.headers["accept-ranges"] == "bytes"
    answers = [
        client.get("/static/hello.txt", headers={"If-None-Match": etag}),
        client.get("/static/hello.txt", headers={"If-Modified-Since": last_modified}),
        client.head("/static/hello.txt"),
        client.get("/static/hello.txt", headers={"If-Match": '"other"'}),
        client.get("/static/hello.txt", headers={"Range": "bytes=0-4", "If-Range": etag}),
        client.get("/static/hello.txt", headers={"Range": "bytes=0-4", "If-Range": '"old"'}),
        client.get("/static/hello.txt", headers={"Range": "bytes=50-"}),
        client.get("/static/hello.txt"),
    ]
    assert [answer.status_code for answer in answers] == [304, 304, 200, 412, 206, 200, 416, 200]
    assert [answer.content for answer in answers[:6]] == [b"", b"", b"", HELLO, HELLO[:5], HELLO]
    assert answers[6].headers["content-range"] == f"bytes */{len(HELLO)}"
    assert answers[7].content == HELLO
    assert answers[2].headers["content-length"] == str(len(HELLO))
    assert answers[0].headers["etag"] == etag
    assert_nothing_left_open(server)


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="whole"),
        pytest.param({"Range": "bytes=10-7000000"}, id="range"),
        pytest.param({"Range": "bytes=10-3000000,4000000-7000000"}, id="multipart"),
    ],
)
def test_a_client_leaving_mid_download_leaves_no_file_open(
    server: RunningServer, headers: dict[str, str]
):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # A small receive buffer, set before connecting: the server cannot push the
        # whole file into the kernel before the client leaves.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.settimeout(TIMEOUT)
        sock.connect(("127.0.0.1", server.port))
        request = "GET /static/big.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        request += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        sock.sendall((request + "\r\n").encode())
        assert sock.recv(4096).startswith(b"HTTP/1.1 20")
        # The download is under way: the file is open (by the app or by the server).
        assert wait_for(lambda: open_files(server) != [], TIMEOUT)
    assert_nothing_left_open(server)
