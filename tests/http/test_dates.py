"""Tests for carafe.http.dates, compared with werkzeug.http's http_date and parse_date."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone

import pytest
from werkzeug.http import http_date as w_http_date
from werkzeug.http import parse_date as w_parse_date

from carafe.http.dates import http_date, parse_http_date

UTC = timezone.utc
PLUS_TWO = timezone(timedelta(hours=2))
MINUS_FIVE = timezone(timedelta(hours=-5))

# -- formatting ----------------------------------------------------------------------

FORMAT_CASES: list[tuple[datetime | date | float, str]] = [
    (datetime(2015, 10, 21, 7, 28), "Wed, 21 Oct 2015 07:28:00 GMT"),
    (datetime(2015, 10, 21, 7, 28, tzinfo=UTC), "Wed, 21 Oct 2015 07:28:00 GMT"),
    (datetime(2015, 10, 21, 9, 28, tzinfo=PLUS_TWO), "Wed, 21 Oct 2015 07:28:00 GMT"),
    (datetime(1999, 12, 31, 23, 0, tzinfo=MINUS_FIVE), "Sat, 01 Jan 2000 04:00:00 GMT"),
    (datetime(2015, 10, 21, 7, 28, 59, 999_999), "Wed, 21 Oct 2015 07:28:59 GMT"),
    (datetime(1, 1, 1), "Mon, 01 Jan 0001 00:00:00 GMT"),
    (datetime(999, 3, 4, 5, 6, 7), "Mon, 04 Mar 0999 05:06:07 GMT"),
    (datetime(9999, 12, 31, 23, 59, 59), "Fri, 31 Dec 9999 23:59:59 GMT"),
    (date(2020, 2, 29), "Sat, 29 Feb 2020 00:00:00 GMT"),
    (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
    (0.0, "Thu, 01 Jan 1970 00:00:00 GMT"),
    (1445412480, "Wed, 21 Oct 2015 07:28:00 GMT"),
    (1445412480.999, "Wed, 21 Oct 2015 07:28:00 GMT"),
    (-1, "Wed, 31 Dec 1969 23:59:59 GMT"),
    (-0.5, "Wed, 31 Dec 1969 23:59:59 GMT"),
]


@pytest.mark.parametrize(("value", "expected"), FORMAT_CASES)
def test_http_date(value: datetime | date | float, expected: str) -> None:
    assert http_date(value) == expected
    assert w_http_date(value) == expected


def test_http_date_names_are_english_for_every_day_and_month() -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for offset in range(0, 366, 3):
        moment = start + timedelta(days=offset, hours=offset % 24, seconds=offset)
        assert http_date(moment) == w_http_date(moment)


def test_http_date_of_random_timestamps_matches_werkzeug() -> None:
    rng = random.Random(2015)
    for _ in range(2000):
        timestamp = rng.uniform(-2_000_000_000, 250_000_000_000)
        assert http_date(timestamp) == w_http_date(timestamp), timestamp


def same_second(build: Callable[[], str], reference: Callable[[], str]) -> tuple[str, str]:
    """Call both; retry when a second boundary fell between them."""
    for _ in range(3):
        ours, theirs = build(), reference()
        if ours == theirs:
            break
    return ours, theirs


def test_http_date_of_now() -> None:
    ours, theirs = same_second(http_date, w_http_date)
    assert ours == theirs
    moment = parse_http_date(ours)
    assert moment is not None
    assert abs(moment - datetime.now(UTC)) < timedelta(seconds=5)


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (253_402_300_800, ValueError),  # year 10000
        (-62_135_596_801, ValueError),  # year 0
        (float("nan"), ValueError),
        (float("inf"), OverflowError),
        ("2015", TypeError),
    ],
)
def test_http_date_refuses_what_werkzeug_refuses(value: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        http_date(value)  # type: ignore[arg-type]
    with pytest.raises(error):
        w_http_date(value)  # type: ignore[arg-type]


# -- parsing -------------------------------------------------------------------------

PARSE_CASES: list[tuple[str, datetime]] = [
    # The three formats RFC 9110 section 5.6.7 requires recipients to accept.
    ("Sun, 06 Nov 1994 08:49:37 GMT", datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)),
    ("Sunday, 06-Nov-94 08:49:37 GMT", datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)),
    ("Sun Nov  6 08:49:37 1994", datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)),
    # Lenient forms both parsers take.
    ("  Wed, 21 Oct 2015 07:28:00 GMT  ", datetime(2015, 10, 21, 7, 28, tzinfo=UTC)),
    ("21 Oct 2015 07:28:00 GMT", datetime(2015, 10, 21, 7, 28, tzinfo=UTC)),
    ("Wed, 21 Oct 2015 07:28 GMT", datetime(2015, 10, 21, 7, 28, tzinfo=UTC)),
    ("Wed, 21 Oct 15 07:28:00 GMT", datetime(2015, 10, 21, 7, 28, tzinfo=UTC)),
    ("Wed, 21 Oct 49 07:28:00 GMT", datetime(2049, 10, 21, 7, 28, tzinfo=UTC)),
    ("Wed, 21 Oct 2015 07:28:00", datetime(2015, 10, 21, 7, 28, tzinfo=UTC)),
    ("Wed, 21 Oct 2015 07:28:00 -0000", datetime(2015, 10, 21, 7, 28, tzinfo=UTC)),
    ("Wed, 21 Oct 2015 07:28:00 XYZ", datetime(2015, 10, 21, 7, 28, tzinfo=UTC)),
    # Offsets and zone names are converted to UTC.
    ("Sun, 06 Nov 1994 08:49:37 +0200", datetime(1994, 11, 6, 6, 49, 37, tzinfo=UTC)),
    ("Wed, 21 Oct 2015 07:28:00 EST", datetime(2015, 10, 21, 12, 28, tzinfo=UTC)),
    ("Wed, 21 Oct 2015 23:30:00 -0100", datetime(2015, 10, 22, 0, 30, tzinfo=UTC)),
]


@pytest.mark.parametrize(("value", "expected"), PARSE_CASES)
def test_parse_http_date(value: str, expected: datetime) -> None:
    parsed = parse_http_date(value)
    assert parsed == expected
    assert parsed is not None
    assert parsed.tzinfo == UTC
    assert parsed.utcoffset() == timedelta(0)
    # Werkzeug keeps the sender's offset; the instant is the same.
    assert w_parse_date(value) == expected


INVALID = [
    None,
    "",
    " ",
    "0",
    "garbage",
    "Wed, 21 Oct 2015",
    "Wed, 32 Oct 2015 07:28:00 GMT",
    "Wed, 21 Foo 2015 07:28:00 GMT",
    "Wed, 21 Oct 2015 25:28:00 GMT",
    "Wed, 21 Oct 2015 07:28:60 GMT",
    "Wed, 21 Oct 2015 07:28:00 +2400",
    "Mon, 29 Feb 2021 00:00:00 GMT",
]


@pytest.mark.parametrize("value", INVALID)
def test_parse_http_date_gives_none_for_invalid_input(value: str | None) -> None:
    assert parse_http_date(value) is None
    assert w_parse_date(value) is None


@pytest.mark.parametrize(
    "value",
    [
        "Wed, 21 Oct 99999999999999999999 07:28:00 GMT",
        "Wed, 99999999999999999999 Oct 2015 07:28:00 GMT",
        "Wed, 21 Oct 2015 99999999999999999999:28:00 GMT",
    ],
)
def test_parse_http_date_gives_none_for_fields_too_large(value: str) -> None:
    # Werkzeug's parse_date raises OverflowError here; a header must not cause a 500.
    with pytest.raises(OverflowError):
        w_parse_date(value)
    assert parse_http_date(value) is None


def test_parse_http_date_gives_none_past_year_9999_in_utc() -> None:
    # Valid in the sender's zone, but past datetime.max once converted to UTC.
    assert parse_http_date("Fri, 31 Dec 9999 23:30:00 -0100") is None
    assert parse_http_date("Fri, 31 Dec 9999 23:30:00 +0100") == datetime(
        9999, 12, 31, 22, 30, tzinfo=UTC
    )


def werkzeug_parse(value: str) -> datetime | None:
    """Werkzeug's parse_date, with the OverflowError it lets through read as None."""
    try:
        return w_parse_date(value)
    except OverflowError:
        return None


def test_parse_fuzz_matches_werkzeug() -> None:
    pieces = [*"0123456789 ,:-+", "Wed", "Oct", "Nov", "GMT", "EST", "2015", "94", "-0130"]
    rng = random.Random(9110)
    for _ in range(5000):
        value = "".join(rng.choice(pieces) for _ in range(rng.randrange(0, 16)))
        parsed = parse_http_date(value)
        assert parsed == werkzeug_parse(value), repr(value)
        assert parsed is None or parsed.tzinfo == UTC


# -- round trips ---------------------------------------------------------------------


def test_round_trip_keeps_the_instant_to_the_second() -> None:
    # From year 100: the parser (email.utils, as in Werkzeug) reads years 0-99 as
    # two-digit years, so "0008" comes back as 2008.
    rng = random.Random(7231)
    for _ in range(2000):
        moment = datetime(100, 1, 1, tzinfo=UTC) + timedelta(
            seconds=rng.randrange(0, 312_413_760_000), microseconds=rng.randrange(1_000_000)
        )
        assert parse_http_date(http_date(moment)) == moment.replace(microsecond=0)


@pytest.mark.parametrize("tz", [UTC, PLUS_TWO, MINUS_FIVE, timezone(timedelta(minutes=330))])
def test_round_trip_of_aware_datetimes_in_any_zone(tz: timezone) -> None:
    moment = datetime(2023, 3, 26, 1, 30, 15, tzinfo=tz)
    parsed = parse_http_date(http_date(moment))
    assert parsed == moment
    assert parsed is not None
    assert parsed.tzinfo == UTC


def test_round_trip_of_naive_datetimes_takes_them_as_utc() -> None:
    moment = datetime(2023, 3, 26, 1, 30, 15)
    assert parse_http_date(http_date(moment)) == moment.replace(tzinfo=UTC)


def test_round_trip_from_text() -> None:
    for value, _ in FORMAT_CASES[:4]:
        text = http_date(value)
        parsed = parse_http_date(text)
        assert parsed is not None
        assert http_date(parsed) == text


@pytest.mark.parametrize(
    "value",
    [
        "1 Jan 2000 0:0:99999999999999999999",
        "1 Jan 99999999999999999999 0:0:0",
        "Wed, 21 Oct 2015 07:28:00 +99999999999999999999",
        "Fri, 31 Dec 9999 23:59:59 -0100",
    ],
)
def test_parse_http_date_out_of_range_is_none_not_overflow(value: str) -> None:
    # Found by fuzz/fuzz_headers.py: a field too large for a datetime, or a zone that
    # moves the date past year 9999, raised OverflowError (Werkzeug's parse_date too).
    assert parse_http_date(value) is None
