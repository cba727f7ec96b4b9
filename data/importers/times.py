"""Reading local time text into UTC times: the formats a profile lists, its time zone.

Times travel through Anning in UTC; exports write them in local time, in many formats. A row is
read with the first format that fits it. Local times that do not exist (the spring-forward gap
of a daylight-saving zone) are read one hour later, as the clock shows them a moment after;
ambiguous ones (the autumn repeat) are taken as the earlier.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

#: A time of day written as hours and minutes without a separator, 0 to 2359 (``930``).
_HHMM = r"^\d{1,4}$"
#: A time of day written ``H:MM``, ``HH:MM`` or ``HH:MM:SS`` (an Excel time cell).
_CLOCK = r"^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$"
#: What a date column may carry after its date (an Excel date cell read as a datetime).
_MIDNIGHT = r"\s+0?0:00(:00(\.0+)?)?$"

#: How far a local time in a daylight-saving gap is moved on.
DST_GAP = timedelta(hours=1)


def parse_local_times(
    text: pl.Series, formats: tuple[str, ...], timezone: str
) -> tuple[pl.Series, int]:
    """UTC times from local time text.

    Parameters
    ----------
    text : polars.Series
        Times as written (``String``); nulls allowed.
    formats : tuple of str
        strftime/chrono formats, tried in order.
    timezone : str
        IANA zone the text is written in.

    Returns
    -------
    (polars.Series, int)
        ``Datetime('us', 'UTC')`` values, null where no format reads the text; and how many
        times fell in a daylight-saving gap and were moved on by :data:`DST_GAP`.

    Examples
    --------
    >>> times, _ = parse_local_times(pl.Series(["2024-03-01 10:00"]), ("%Y-%m-%d %H:%M",),
    ...                              "Asia/Shanghai")
    >>> str(times[0])
    '2024-03-01 02:00:00+00:00'
    """
    return localise(strptime_any(text, formats), timezone)


def localise(naive: pl.Series, timezone: str) -> tuple[pl.Series, int]:
    """UTC times from naive local times in ``timezone`` (see :func:`parse_local_times`)."""
    local = naive.dt.replace_time_zone(timezone, ambiguous="earliest", non_existent="null")
    gap = local.is_null() & naive.is_not_null()
    shifted = int(gap.sum())
    if shifted:
        later = (naive + DST_GAP).dt.replace_time_zone(
            timezone, ambiguous="earliest", non_existent="null"
        )
        local = pl.select(pl.when(gap).then(later).otherwise(local)).to_series()
    return local.dt.convert_time_zone("UTC"), shifted


def strptime_any(text: pl.Series, formats: tuple[str, ...]) -> pl.Series:
    """Naive times, each row read with the first format that fits it.

    Each format is tried only on the rows no earlier format could read, so a file written in
    the first format costs one pass however many formats are listed.

    Parameters
    ----------
    text : polars.Series
        Times as written (``String``).
    formats : tuple of str
        Formats, tried in order.

    Returns
    -------
    polars.Series
        ``Datetime('us')``, null where no format reads the text.
    """
    result = pl.Series(text.name, [None] * len(text), dtype=pl.Datetime("us"))
    todo = text.is_not_null()
    for fmt in formats:
        if not todo.any():
            break
        idx = todo.arg_true()
        parsed = text.gather(idx).str.strptime(pl.Datetime("us"), fmt, strict=False)
        result = result.scatter(idx, parsed)
        todo = todo.scatter(idx, parsed.is_null())
    return result


def time_of_day(text: pl.Series) -> pl.Series:
    """Times of day as durations since midnight; null where the text is none.

    Reads ``HHMM`` written as a number from 0 to 2359 without leading zeros (``5`` is 00:05,
    ``930`` is 09:30, ``2359`` is 23:59), and ``H:MM``, ``HH:MM`` or ``HH:MM:SS``. Hours above
    23, minutes or seconds above 59 are no time of day.

    Parameters
    ----------
    text : polars.Series
        ``String`` cells; nulls allowed.

    Returns
    -------
    polars.Series
        ``Duration('us')``, null where empty or unreadable.
    """
    frame = pl.DataFrame({"t": text.cast(pl.String).str.strip_chars()})
    number = pl.col("t").str.contains(_HHMM)
    value = pl.col("t").cast(pl.Int64, strict=False)
    hours = (
        pl.when(number)
        .then(value // 100)
        .otherwise(pl.col("t").str.extract(_CLOCK, 1).cast(pl.Int64, strict=False))
    )
    minutes = (
        pl.when(number)
        .then(value % 100)
        .otherwise(pl.col("t").str.extract(_CLOCK, 2).cast(pl.Int64, strict=False))
    )
    seconds = (
        pl.when(number)
        .then(pl.lit(0, pl.Int64))
        .otherwise(pl.col("t").str.extract(_CLOCK, 3).cast(pl.Int64, strict=False).fill_null(0))
    )
    valid = (hours < 24) & (minutes < 60) & (seconds < 60)
    since_midnight = pl.duration(hours=hours, minutes=minutes, seconds=seconds, time_unit="us")
    return frame.select(pl.when(valid).then(since_midnight).alias(text.name)).to_series()


def parse_date_and_time(
    dates: pl.Series,
    times: pl.Series,
    date_formats: tuple[str, ...],
    timezone: str,
) -> tuple[pl.Series, pl.Series, pl.Series, int]:
    """UTC times built from a date column and a time-of-day column.

    Parameters
    ----------
    dates : polars.Series
        Dates as written (``2024-03-01``; an Excel date read as ``2024-03-01 00:00:00`` too).
    times : polars.Series
        Times of day as :func:`time_of_day` reads them.
    date_formats : tuple of str
        Formats of the dates, tried in order.
    timezone : str
        IANA zone the local date and time are in.

    Returns
    -------
    (polars.Series, polars.Series, polars.Series, int)
        The UTC times (null where the date is empty or unreadable or the time unreadable; a
        row with a date and an empty time is read at midnight); a mask of dates that could
        not be read; a mask of times that could not be read; and how many times fell in a
        daylight-saving gap.

    Examples
    --------
    >>> at, *_ = parse_date_and_time(pl.Series(["2024-03-01"]), pl.Series(["930"]),
    ...                              ("%Y-%m-%d",), "Asia/Shanghai")
    >>> str(at[0])
    '2024-03-01 01:30:00+00:00'
    """
    day_text = dates.cast(pl.String).str.strip_chars().str.replace(_MIDNIGHT, "")
    day = strptime_any(day_text, date_formats)
    clock = time_of_day(times)
    bad_date = (dates.is_not_null() & day.is_null()).fill_null(False)
    bad_time = (times.is_not_null() & clock.is_null()).fill_null(False)
    naive = pl.select(
        pl.when(~bad_time.alias("b")).then(day + clock.fill_null(timedelta(0)))
    ).to_series()
    local, shifted = localise(naive, timezone)
    return local, bad_date, bad_time, shifted
