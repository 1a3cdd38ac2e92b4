"""HTTP dates (RFC 9110 section 5.6.7): formatting and parsing."""

from __future__ import annotations

from datetime import date, datetime, timezone

# IMF-fixdate names are fixed English, whatever the locale (so no strftime).
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def http_date(value: datetime | date | float | None = None) -> str:
    """Format ``value`` as an IMF-fixdate such as ``Wed, 21 Oct 2015 07:28:00 GMT``.

    ``value`` may be a ``datetime`` (naive ones are taken as UTC), a ``date``
    (midnight UTC), a POSIX timestamp, or ``None`` for now.
    """
    if value is None:
        moment = datetime.now(timezone.utc)
    elif isinstance(value, datetime):
        moment = value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value
        moment = moment.astimezone(timezone.utc)
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    else:
        moment = datetime.fromtimestamp(value, timezone.utc)
    return (
        f"{_DAYS[moment.weekday()]}, {moment.day:02d} {_MONTHS[moment.month - 1]}"
        f" {moment.year:04d} {moment.hour:02d}:{moment.minute:02d}:{moment.second:02d} GMT"
    )


def parse_http_date(value: str | None) -> datetime | None:
    """Parse an HTTP date into an aware UTC ``datetime``; ``None`` if it is not one."""
    if not value:
        return None
    # Start-up: email.utils (~7 ms) loads when a date is first parsed.
    from email.utils import parsedate_to_datetime

    try:
        moment = parsedate_to_datetime(value.strip())
        if moment.tzinfo is None:
            return moment.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc)
    except (TypeError, ValueError, IndexError, OverflowError):
        # OverflowError: a field too large for a datetime, or a time zone that moves
        # the date past year 9999 (both found by fuzz/fuzz_headers.py).
        return None
