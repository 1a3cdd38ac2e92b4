"""Tests for carafe.http.status, compared with the status lines Werkzeug's Response sets."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.wrappers import Response as WerkzeugResponse

from carafe.http.status import (
    BODYLESS_CODES,
    REASON_PHRASES,
    STATUS_LINES,
    parse_status,
    status_line,
)


def werkzeug_status(status: int | str | HTTPStatus) -> tuple[int, str]:
    response = WerkzeugResponse(status=status)
    return response.status_code, response.status


def test_reason_phrases_are_werkzeugs() -> None:
    assert REASON_PHRASES == HTTP_STATUS_CODES


def test_status_lines_are_the_upper_case_reasons() -> None:
    assert set(STATUS_LINES) == set(REASON_PHRASES)
    assert STATUS_LINES[200] == "200 OK"
    assert STATUS_LINES[404] == "404 NOT FOUND"
    assert STATUS_LINES[418] == "418 I'M A TEAPOT"
    for code, line in STATUS_LINES.items():
        assert line == werkzeug_status(code)[1]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (100, "100 CONTINUE"),
        (201, "201 CREATED"),
        (203, "203 NON AUTHORITATIVE INFORMATION"),
        (226, "226 IM USED"),
        (299, "299 UNKNOWN"),
        (420, "420 UNKNOWN"),
        (599, "599 UNKNOWN"),
        (999, "999 UNKNOWN"),
    ],
)
def test_status_line(code: int, expected: str) -> None:
    assert status_line(code) == expected


def test_status_line_of_every_three_digit_code_matches_werkzeug() -> None:
    for code in range(100, 1000):
        assert status_line(code) == werkzeug_status(code)[1], code


@pytest.mark.parametrize("code", [-200, 0, 1, 99, 1000, 2000])
def test_status_line_refuses_codes_outside_three_digits(code: int) -> None:
    with pytest.raises(ValueError, match=f"between 100 and 999, not {code}"):
        status_line(code)


# -- parse_status --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (200, (200, "200 OK")),
        (299, (299, "299 UNKNOWN")),
        (HTTPStatus.CREATED, (201, "201 CREATED")),
        (HTTPStatus.IM_A_TEAPOT, (418, "418 I'M A TEAPOT")),
        ("201", (201, "201 CREATED")),
        ("  404  ", (404, "404 NOT FOUND")),
        ("299", (299, "299 UNKNOWN")),
        ("201 created custom", (201, "201 created custom")),
        ("201 Created", (201, "201 Created")),
        ("404  two spaces", (404, "404  two spaces")),
        ("200 OK\r\n", (200, "200 OK")),
        ("599 tab\tinside", (599, "599 tab\tinside")),
    ],
)
def test_parse_status_matches_werkzeug(
    status: int | str | HTTPStatus, expected: tuple[int, str]
) -> None:
    assert parse_status(status) == expected
    assert werkzeug_status(status) == expected


def test_parse_status_returns_a_plain_int_for_http_status() -> None:
    code, _ = parse_status(HTTPStatus.NO_CONTENT)
    assert type(code) is int


@pytest.mark.parametrize("status", ["", "   ", "\r\n"])
def test_parse_status_refuses_an_empty_status(status: str) -> None:
    with pytest.raises(ValueError, match="Empty status argument"):
        parse_status(status)


@pytest.mark.parametrize(
    "status",
    ["abc", "OK 200", "42", "20", "2010", "0201", "+201", "-201", "20a NOT", "201\tx", "2 01"],
)
def test_parse_status_refuses_a_status_without_a_three_digit_code(status: str) -> None:
    # Werkzeug takes these ("abc" becomes "0 abc", "42" becomes "42 UNKNOWN");
    # Carafe refuses them rather than send a malformed status line.
    with pytest.raises(ValueError, match="does not start with a three-digit code"):
        parse_status(status)


@pytest.mark.parametrize("code", [0, 99, 1000, -404, True])
def test_parse_status_refuses_int_codes_outside_three_digits(code: int) -> None:
    with pytest.raises(ValueError, match="between 100 and 999"):
        parse_status(code)


@pytest.mark.parametrize(
    "status",
    ["200 OK\r\nSet-Cookie: x=1", "200 O\rK", "200 O\nK", "200 OK\x00", "302 \r\nLocation: /"],
)
def test_parse_status_refuses_line_breaks_and_nul_in_the_reason(status: str) -> None:
    # SECURITY: the status line is written to the wire as given (response splitting).
    with pytest.raises(ValueError, match="CR, LF or NUL"):
        parse_status(status)


@pytest.mark.parametrize("status", [200.0, None, b"200", ["200"]])
def test_parse_status_refuses_other_types(status: object) -> None:
    with pytest.raises(TypeError, match="must be an int, a str or an HTTPStatus"):
        parse_status(status)  # type: ignore[arg-type]


# -- bodyless codes ------------------------------------------------------------------


def test_bodyless_codes_are_informational_204_and_304() -> None:
    assert frozenset(range(100, 200)) <= BODYLESS_CODES
    assert {204, 304} <= BODYLESS_CODES
    assert len(BODYLESS_CODES) == 102
    for code in (200, 201, 205, 206, 301, 302, 303, 400, 404, 500):
        assert code not in BODYLESS_CODES
