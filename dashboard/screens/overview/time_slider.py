"""The time slider under the overview map: a week (or four) of the date range at a time,
with playback.

The slider's values are day ordinals (:meth:`datetime.date.toordinal`) of the Mondays of the
date range, one step a week, plus one position before the first week: "the whole range".
Values are absolute, so a new date range keeps the chosen week when it still lies inside.
The window (:class:`dashboard.parts.filters.TimeWindow`) narrows the map, its layer, the KPIs and
the lists together; the trend keeps the whole range and shades the window.

Playback advances the slider one week per tick of a ``dcc.Interval`` and stops at the last
week; a tick that comes before the map has drawn the week shown waits (a slow PC sees every
week, later, rather than skipping some). While it plays the URL is left alone (one history
entry per week would bury the back button); pausing writes the week into the URL.

Layout builders are pure; the callbacks are plain functions (tested without a browser).
"""

from __future__ import annotations

from datetime import date, timedelta

from dash import dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboard.parts.filters import WINDOW_WEEKS, TimeWindow, monday, parse_date, parse_window
from dashboard.parts.i18n import t

#: Component ids (the ``map-`` prefix: the overview map's own components).
SLIDER = "map-time-slider"
WINDOW = "map-time-window"
PLAY = "map-time-play"
TICK = "map-time-tick"
LABEL = "map-time-label"
BAR = "map-time-bar"
#: What the map had painted when playback last moved the slider, and ticks waited since.
FRAME = "map-time-frame"
#: Ticks playback waits for the map to draw a week before it moves on regardless (a map
#: whose answer never comes must not stop playback for good).
MAX_WAIT_TICKS = 4
#: Milliseconds between two weeks of playback: time to read the map before it moves on.
PLAY_INTERVAL_MS = 1500
#: At most this many month labels under the slider (more would overlap at 1440 px).
MAX_MONTH_MARKS = 8
PLAY_SYMBOL, PAUSE_SYMBOL = "▶", "❚❚"


def slider_bounds(start: date | None, end: date | None) -> tuple[int, int]:
    """The slider's ``min`` (the "whole range" position) and ``max`` (the last Monday)."""
    if start is None or end is None:
        today = date.today()
        start = end = today
    first = monday(start).toordinal()
    return first - 7, max(monday(end).toordinal(), first)


def slider_value(window: TimeWindow | None, start: date | None, end: date | None) -> int:
    """The slider position of ``window`` (the "whole range" position for None)."""
    low, _ = slider_bounds(start, end)
    return window.week.toordinal() if window is not None else low


def window_of(value: object, weeks: object, start: object, end: object) -> TimeWindow | None:
    """The window at slider ``value`` with ``weeks`` weeks, inside the ``start``–``end`` range
    (dates or ``YYYY-MM-DD``); None at the "whole range" position or outside the range."""
    if not isinstance(value, int | float) or isinstance(value, bool) or value < 1:
        return None
    first, last = _day(start), _day(end)
    if first is not None and last is not None and first > last:
        first, last = last, first
    return parse_window(date.fromordinal(int(value)), weeks, first, last)


def _day(value: object) -> date | None:
    return value if isinstance(value, date) else parse_date(value)


def slider_marks(start: date | None, end: date | None, lang: str) -> dict[int, str]:
    """Labels under the slider: "whole range" at its start, then the first Monday of each
    month (every second or third month when the range is long; the year where it changes)."""
    low, high = slider_bounds(start, end)
    marks: dict[int, str] = {low: t("map.time_all", lang)}
    months: list[tuple[int, date]] = []
    day = date.fromordinal(low + 7)
    while day.toordinal() <= high:
        if day.day <= 7:
            months.append((day.toordinal(), day))
        day += timedelta(days=7)
    step = max(1, -(-len(months) // MAX_MONTH_MARKS))
    year = None
    for ordinal, day in months[::step]:
        marks[ordinal] = month_label(day, lang, with_year=day.year != year and year is not None)
        year = day.year
    return marks


def month_label(day: date, lang: str, with_year: bool = False) -> str:
    """``10月``/``Oct``; with the year at January or when asked (``2026年1月``/``Jan 2026``)."""
    key = "map.time_month_year" if day.month == 1 or with_year else "map.time_month"
    return t(key, lang, year=day.year, name=t(f"map.month_{day.month}", lang))


def day_label(day: date, lang: str, with_year: bool = False) -> str:
    """A day in the locale's way: ``2026年10月5日``/``5 Oct 2026`` (year optional)."""
    key = "map.time_day_year" if with_year else "map.time_day"
    return t(key, lang, year=day.year, day=day.day, name=t(f"map.month_{day.month}", lang))


def window_label(window: TimeWindow | None, start: object, end: object, lang: str) -> str:
    """What the slider shows: the window's days and ISO week, or the whole range."""
    first, last = _day(start), _day(end)
    if window is None:
        if first is None or last is None:
            return t("map.time_whole_empty", lang)
        return t(
            "map.time_whole",
            lang,
            start=day_label(first, lang, True),
            end=day_label(last, lang, True),
        )
    lo = max(window.first_day, first) if first else window.first_day
    hi = min(window.last_day, last) if last else window.last_day
    span = t(
        "map.time_span",
        lang,
        start=day_label(lo, lang, True),
        end=day_label(hi, lang, lo.year != hi.year),
    )
    week = window.week.isocalendar().week
    if window.weeks == 1:
        text = t("map.time_week", lang, week=week, span=span)
    else:
        text = t("map.time_weeks", lang, weeks=window.weeks, week=week, span=span)
    shown = (hi - lo).days + 1
    whole = (window.last_day - window.first_day).days + 1
    if shown < whole:  # the range cuts the window: fewer incidents, not a quieter week
        text += t("map.time_partial", lang, days=shown, of=whole)
    return text


def time_bar(
    lang: str, window: TimeWindow | None, start: date | None, end: date | None
) -> html.Div:
    """The play button, the slider, the window length and the label under the map."""
    low, high = slider_bounds(start, end)
    return html.Div(
        [
            html.Button(
                PLAY_SYMBOL,
                id=PLAY,
                n_clicks=0,
                className="time-play",
                title=t("map.time_play", lang),
                **{"aria-label": t("map.time_play", lang)},
            ),
            html.Div(
                dcc.Slider(
                    id=SLIDER,
                    min=low,
                    max=high,
                    step=7,
                    value=slider_value(window, start, end),
                    marks=slider_marks(start, end, lang),
                    included=False,
                    allow_direct_input=False,
                    updatemode="mouseup",
                    className="time-slider",
                ),
                className="time-slider-wrap",
                title=t("map.time_hint", lang),
            ),
            dcc.RadioItems(
                id=WINDOW,
                options=[
                    {"label": t(f"map.time_window_{w}", lang), "value": w} for w in WINDOW_WEEKS
                ],
                value=window.weeks if window else WINDOW_WEEKS[0],
                inline=True,
                className="segmented time-window",
                labelClassName="segment",
            ),
            html.Div(
                window_label(window, start, end, lang),
                id=LABEL,
                className="time-label",
                **{"aria-live": "polite"},
            ),
            dcc.Interval(id=TICK, interval=PLAY_INTERVAL_MS, disabled=True),
            dcc.Store(id=FRAME, data=None),
        ],
        id=BAR,
        className="time-bar",
    )


# -- callbacks ----------------------------------------------------------------------------------
def update_bounds(
    start: object, end: object, value: object, lang: str
) -> tuple[int, int, dict[int, str], int]:
    """Callback: the slider's bounds and marks for a new date range; the chosen week stays
    when it is still inside, else the slider goes back to the whole range."""
    first, last = _day(start), _day(end)
    if first is not None and last is not None and first > last:
        first, last = last, first
    low, high = slider_bounds(first, last)
    window = window_of(value, 1, first, last)
    return low, high, slider_marks(first, last, lang), window.week.toordinal() if window else low


def show_window(value: object, weeks: object, start: object, end: object, lang: str) -> str:
    """Callback: the label beside the slider."""
    return window_label(window_of(value, weeks, start, end), start, end, lang)


def waiting_for_draw(painted: object, frame: object) -> bool:
    """Whether playback should let this tick pass: the map has not drawn (``painted``: its
    paint count) since the slider last moved (``frame``: ``[paint count then, ticks waited]``),
    and has been waited for fewer than :data:`MAX_WAIT_TICKS` ticks."""
    if not isinstance(frame, list | tuple) or len(frame) != 2 or not isinstance(painted, int):
        return False
    then, waited = frame
    return isinstance(then, int) and painted <= then and int(waited) < MAX_WAIT_TICKS


def play(
    clicks: int | None,
    ticks: int | None,
    value: object,
    low: int | None,
    high: int | None,
    stopped: bool | None,
    triggered: set[str],
    lang: str,
) -> tuple[object, bool, str, str]:
    """Callback: the play button starts or pauses playback; each tick moves one week on and
    the last week stops it. Returns the slider value, whether the timer is stopped, the
    button's symbol and its label.

    Starting from the whole range or the last week begins at the first week.
    """
    if low is None or high is None:
        raise PreventUpdate
    current = int(value) if isinstance(value, int | float) else low
    if f"{PLAY}.n_clicks" in triggered:
        if not stopped:  # playing: pause
            return no_update, True, PLAY_SYMBOL, t("map.time_play", lang)
        start = low + 7 if current <= low or current >= high else current
        return start, False, PAUSE_SYMBOL, t("map.time_pause", lang)
    if f"{TICK}.n_intervals" in triggered and not stopped:
        following = max(current, low) + 7
        if following >= high:
            return high, True, PLAY_SYMBOL, t("map.time_play", lang)
        return following, False, PAUSE_SYMBOL, t("map.time_pause", lang)
    raise PreventUpdate
