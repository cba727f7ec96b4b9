"""Reading local time text into UTC times: the formats a profile lists, its time zone.

Times travel through Anning in UTC; exports write them in local time, in many formats. A row is
read with the first format that fits it. Local times that do not exist (the spring-forward gap
of a daylight-saving zone) are read one hour later, as the clock shows them a moment after;
ambiguous ones (the autumn repeat) are taken as the earlier.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

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
    naive = strptime_any(text, formats)
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
