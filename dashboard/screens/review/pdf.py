"""The review as a PDF meeting pack (fpdf2, charts drawn by matplotlib's Agg backend).

A4 pages in the user's language: the cover (period, comparison, key figures with their
change, notes on the data's coverage), the trends by category and by source, the hour ×
weekday heatmap with the definitions of the measures, and the station league table
(landscape). Chinese text is set in the Noto Sans CJK SC subset shipped in
``data/shipped/fonts`` (see ``scripts/ship_cjk_font.py``), embedded and subset again by
fpdf2, so the pack reads the same on any machine. Nothing goes through a browser and nothing
is fetched. The output is deterministic for one report: the PDF's dates are the report's
``now`` and the charts carry no timestamps.
"""

from __future__ import annotations

import io
import threading
from pathlib import Path
from zoneinfo import ZoneInfo

import matplotlib
import numpy as np
import polars as pl
from fpdf import FPDF
from fpdf.fonts import FontFace
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from dashboard.parts import palettes
from dashboard.parts.i18n import label, t
from dashboard.parts.loop_view import (
    COMPLIANCE_HEADER_KEYS,
    DEPARTMENT_HEADER_KEYS,
    UNIT_HEADER_KEYS,
    compliance_rows,
    department_rows,
    unit_rows,
)
from dashboard.screens.review.figures import COMPARISON_STYLE, DIMENSIONS
from dashboard.screens.review.loop import LoopFigures
from dashboard.screens.review.map_page import MAP_ASPECT, MapPage, map_caption, map_png
from dashboard.screens.review.report import (
    Findings,
    Report,
    coverage_notes,
    fmt_change,
    fmt_period,
    fmt_value,
    station_label,
)
from measures.review import LEAGUE_COLUMNS, MEASURES

FONT_PATH = (
    Path(__file__).resolve().parents[3]
    / "data"
    / "shipped"
    / "fonts"
    / "NotoSansSC-Regular-GB2312.otf"
)
FONT = "noto-sc"
MIME = "application/pdf"
INK = (31, 41, 51)
SOFT = (82, 96, 109)
HEAD_FILL = (220, 228, 242)
ACCENT = (20, 80, 200)
#: Chart resolution (dots per inch) of the PNG images placed in the PDF.
CHART_DPI = 200
_FONT_LOCK = threading.Lock()
_font_name: str | None = None


def _chart_font() -> str:
    """Register the shipped font with matplotlib once; its family name."""
    global _font_name
    with _FONT_LOCK:
        if _font_name is None:
            font_manager.fontManager.addfont(str(FONT_PATH))
            _font_name = font_manager.FontProperties(fname=str(FONT_PATH)).get_name()
    return _font_name


class _Pack(FPDF):
    """An A4 document with a footer: the title, the period and the page number."""

    def __init__(self, footer_text: str, page_text: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self._footer_text = footer_text
        self._page_text = page_text
        self.add_font(FONT, "", str(FONT_PATH))
        self.add_font(FONT, "B", str(FONT_PATH))  # one weight is shipped: headings use size
        self.set_auto_page_break(auto=True, margin=16)
        self.set_margins(16, 16, 16)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.set_text_color(*SOFT)
        self.cell(0, 6, self._footer_text, align="L")
        self.set_x(-40)
        self.cell(24, 6, self._page_text.format(n=self.page_no()), align="R")


def build_pdf(
    report: Report,
    lang: str,
    user: str,
    loop: LoopFigures | None = None,
    found: Findings | None = None,
    hot_map: MapPage | None = None,
) -> bytes:
    """The meeting pack of ``report`` in ``lang``, made by ``user``, as PDF bytes; with
    ``found``, the findings below the key figures on page 1; with ``hot_map``, a map page of
    the period's hot spots with the station names; with ``loop``, a last page with the loop's
    tables (the 通报 of support per unit)."""
    period = fmt_period(report.period, lang)
    pdf = _Pack(f"{t('review.pdf.title', lang)} · {period}", t("review.pdf.page", lang, n="{n}"))
    pdf.set_creation_date(report.now)
    pdf.set_title(f"{t('review.pdf.title', lang)} {period}")
    pdf.set_author(user)
    pdf.set_creator(t("app.name", lang))
    pdf.set_lang("zh-CN" if lang == "zh" else "en")
    _cover(pdf, report, lang, user)
    if found is not None:
        _findings(pdf, report, found, lang)
    if hot_map is not None:
        _map(pdf, hot_map, report, lang)
    _charts(pdf, report, lang)
    _league(pdf, report, lang)
    if loop is not None:
        _loop(pdf, loop, report, lang)
    return bytes(pdf.output())


def _loop_table(pdf: FPDF, headers: list[str], rows: list[list[object]], widths) -> None:
    with pdf.table(
        col_widths=widths,
        text_align=["LEFT"] + ["RIGHT"] * (len(headers) - 1),
        headings_style=FontFace(fill_color=HEAD_FILL),
        line_height=6,
        padding=1.2,
    ) as table:
        table.row(headers)
        for row in rows:
            table.row([str(v) for v in row])
    pdf.ln(4)


def _loop(pdf: FPDF, loop: LoopFigures, report: Report, lang: str) -> None:
    """The loop's page: support per unit (the 通报), department tasks, warning visits."""
    pdf.add_page(orientation="L")
    _heading(pdf, f"{t('loop.review_title', lang)} · {fmt_period(report.period, lang)}", 14)
    for title, headers, rows, widths in (
        (
            "loop.units_title",
            UNIT_HEADER_KEYS,
            unit_rows(loop.units, loop.unit_names, lang),
            (50, 26, 36, 32, 32, 26, 30),
        ),
        (
            "loop.departments_title",
            DEPARTMENT_HEADER_KEYS,
            department_rows(loop.departments, lang),
            (50, 26, 30, 26, 40, 32),
        ),
        (
            "loop.compliance_title",
            COMPLIANCE_HEADER_KEYS,
            compliance_rows(loop.compliance, loop.station_names),
            (50, 30, 30, 26, 30, 30),
        ),
    ):
        pdf.set_font(FONT, size=11)
        pdf.cell(0, 7, t(title, lang), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT, size=9)
        _loop_table(pdf, [t(k, lang) for k in headers], rows, widths)


def _heading(pdf: FPDF, text: str, size: float = 15) -> None:
    pdf.set_font(FONT, size=size)
    pdf.set_text_color(*ACCENT)
    pdf.multi_cell(0, size * 0.55, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*INK)
    pdf.ln(2)


def _cover(pdf: FPDF, report: Report, lang: str, user: str) -> None:
    pdf.add_page()
    pdf.set_font(FONT, size=22)
    pdf.set_text_color(*INK)
    pdf.multi_cell(0, 11, t("review.pdf.title", lang), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=11)
    pdf.set_text_color(*SOFT)
    pdf.multi_cell(0, 6, t("review.pdf.subtitle", lang), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_text_color(*INK)
    pdf.set_font(FONT, size=12)
    kind = t(f"review.kind.{report.state.kind}", lang)
    lines = [
        f"{t('review.period', lang)}（{kind}）：{fmt_period(report.period, lang)}"
        if lang == "zh"
        else f"{t('review.period', lang)} ({kind}): {fmt_period(report.period, lang)}",
        t("review.compared", lang, period=fmt_period(report.comparison, lang))
        + f" · {t(f'review.cmp.{report.state.compare}', lang)}",
    ]
    for line in lines:
        pdf.multi_cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")
    made = report.now.astimezone(ZoneInfo(report.tz)).strftime("%Y-%m-%d %H:%M")
    pdf.set_font(FONT, size=9)
    pdf.set_text_color(*SOFT)
    pdf.multi_cell(
        0,
        5,
        t("review.pdf.made", lang, time=made, tz=report.tz, user=user),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(3)
    notes = coverage_notes(report, lang)
    if notes:
        pdf.set_text_color(177, 0, 38)
        pdf.set_font(FONT, size=10)
        for note in notes:
            pdf.multi_cell(0, 5.5, f"· {note}", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    pdf.set_text_color(*INK)
    _heading(pdf, t("review.pdf.kpis", lang), 14)
    pdf.set_font(FONT, size=10.5)
    head = FontFace(fill_color=HEAD_FILL)
    with pdf.table(
        col_widths=(52, 30, 30, 66),
        text_align=("LEFT", "RIGHT", "RIGHT", "LEFT"),
        headings_style=head,
        line_height=7,
        padding=1.5,
    ) as table:
        table.row(
            [
                t("review.pdf.measure", lang),
                t("review.pdf.this_period", lang),
                t("review.pdf.comparison", lang),
                t("review.m.change", lang),
            ]
        )
        for measure in MEASURES:
            ch = report.change(measure)
            table.row(
                [
                    t(f"review.m.{measure}", lang),
                    fmt_value(measure, ch.current),
                    fmt_value(measure, ch.previous),
                    fmt_change(measure, ch, lang),
                ]
            )
    pdf.ln(6)
    pdf.set_font(FONT, size=8.5)
    pdf.set_text_color(*SOFT)
    pdf.multi_cell(0, 4.5, t("review.pdf.masked", lang), new_x="LMARGIN", new_y="NEXT")


def findings_lines(report: Report, found: Findings, lang: str) -> list[str]:
    """The findings as sentences with their numbers, most telling first."""
    name = lambda code: station_label(report, code or "")  # noqa: E731
    lines = []
    if found.rises:
        items = "、".join if lang == "zh" else ", ".join
        lines.append(
            t(
                "review.find.rises",
                lang,
                items=items(
                    f"{name(c.station_code)} {c.delta:+,}"
                    + ("" if c.pct is None else f" ({c.pct:+.1f}%)")
                    for c in found.rises
                ),
            )
        )
    if found.falls:
        items = "、".join if lang == "zh" else ", ".join
        lines.append(
            t(
                "review.find.falls",
                lang,
                items=items(
                    f"{name(c.station_code)} {c.delta:+,}"
                    + ("" if c.pct is None else f" ({c.pct:+.1f}%)")
                    for c in found.falls
                ),
            )
        )
    if not found.rises and not found.falls:
        lines.append(t("review.find.no_change", lang))
    for measure, missed in found.past_target.items():
        sep = "、" if lang == "zh" else ", "
        lines.append(
            t(
                "review.find.past_target",
                lang,
                measure=t(f"review.m.{measure}", lang),
                target=fmt_value(measure, found.targets[measure]),
                n=len(missed),
                items=sep.join(f"{name(code)} {fmt_value(measure, v)}" for code, v in missed),
            )
        )
    if not found.past_target:
        lines.append(t("review.find.all_on_target", lang))
    if found.hot_spots is None:
        lines.append(t("review.find.hot_unknown", lang, reason=found.hot_spots_reason or ""))
    elif found.hot_spots.is_empty():
        lines.append(t("review.find.no_new_hot", lang))
    else:
        per = (
            found.hot_spots.group_by("station_code")
            .agg(pl.len().alias("n"))
            .sort(["n", "station_code"], descending=[True, False])
        )
        sep = "、" if lang == "zh" else ", "
        lines.append(
            t(
                "review.find.new_hot",
                lang,
                n=found.hot_spots.height,
                items=sep.join(f"{name(c)} {n}" for c, n in per.iter_rows()),
            )
        )
    if found.escalating is not None:
        if found.escalating.is_empty():
            lines.append(t("review.find.no_escalating", lang))
        else:
            per = (
                found.escalating.group_by("station_code")
                .agg(pl.len().alias("n"))
                .sort(["n", "station_code"], descending=[True, False])
            )
            sep = "、" if lang == "zh" else ", "
            lines.append(
                t(
                    "review.find.escalating",
                    lang,
                    n=found.escalating.height,
                    items=sep.join(f"{name(c)} {n}" for c, n in per.head(5).iter_rows()),
                )
            )
    return lines


def _findings(pdf: FPDF, report: Report, found: Findings, lang: str) -> None:
    """The findings, below the key figures (page 1 holds the meeting's first ten minutes)."""
    pdf.ln(4)
    pdf.set_text_color(*INK)
    _heading(pdf, t("review.find.title", lang), 14)
    pdf.set_font(FONT, size=10.5)
    for line in findings_lines(report, found, lang):
        pdf.multi_cell(0, 6, f"· {line}", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)


def _map(pdf: FPDF, hot_map: MapPage, report: Report, lang: str) -> None:
    pdf.add_page(orientation="L")
    _heading(pdf, t("review.pdf.map_title", lang, period=fmt_period(report.period, lang)), 13)
    # The whole map, its caption under it, on one page.
    height = pdf.eph - (pdf.get_y() - pdf.t_margin) - 14
    width = min(pdf.epw, height * MAP_ASPECT)
    pdf.image(
        map_png(hot_map, lang, _chart_font()), w=width, x=pdf.l_margin + (pdf.epw - width) / 2
    )
    pdf.set_font(FONT, size=9)
    pdf.set_text_color(*SOFT)
    pdf.multi_cell(0, 4.8, map_caption(hot_map, lang), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*INK)


def _png(fig: Figure) -> io.BytesIO:
    out = io.BytesIO()
    FigureCanvasAgg(fig)
    fig.savefig(out, format="png", dpi=CHART_DPI, metadata={"Software": None})
    out.seek(0)
    return out


def trend_png(
    frame: pl.DataFrame,
    dimension: str,
    every: str,
    lang: str,
    lines: dict[str, pl.DataFrame] | None = None,
) -> io.BytesIO:
    """Stacked bars of ``frame`` (:func:`measures.review.trend`) as a PNG image, with the
    comparison ``lines`` (:func:`measures.review.comparison_trend`) dashed over them."""
    kind, order, colours = DIMENSIONS[dimension]
    family = _chart_font()
    with matplotlib.rc_context({"font.family": family, "axes.unicode_minus": False}):
        fig = Figure(figsize=(7.2, 3.1))
        ax = fig.add_subplot()
        if frame.is_empty():
            ax.text(0.5, 0.5, t("review.empty_period", lang, period=""), ha="center", va="center")
            ax.set_axis_off()
            return _png(fig)
        periods = sorted(frame["period"].unique().to_list())
        x = np.arange(len(periods))
        bottom = np.zeros(len(periods))
        present = set(frame["code"].unique().to_list())
        for code in [c for c in order if c in present] + sorted(present - set(order)):
            rows = dict(frame.filter(pl.col("code") == code).select("period", "count").iter_rows())
            values = np.array([rows.get(p, 0) for p in periods], dtype=float)
            ax.bar(
                x,
                values,
                bottom=bottom,
                width=0.8,
                label=label(kind, code, lang),
                color=colours.get(code, palettes.FALLBACK),
            )
            bottom += values
        position = {p: i for i, p in enumerate(periods)}
        for compare, line in (lines or {}).items():
            style = COMPARISON_STYLE[compare]
            points = [(position.get(p), n) for p, n in line.select("period", "count").iter_rows()]
            points = [(i, n) for i, n in points if i is not None]
            if points:
                ax.plot(
                    [i for i, _ in points],
                    [n for _, n in points],
                    color=style["color"],
                    linewidth=1.1,
                    linestyle="--" if style["dash"] == "dash" else ":",
                    label=t(f"review.line.{compare}", lang),
                    drawstyle="steps-mid" if every == "1d" else "default",
                )
        step = max(1, len(periods) // 10)
        fmt = "%m-%d"
        ax.set_xticks(x[::step], [p.strftime(fmt) for p in periods][::step], fontsize=8)
        ax.set_xlabel(
            t("review.axis_week" if every == "1w" else "review.axis_day", lang), fontsize=9
        )
        ax.set_ylabel(t("review.axis_count", lang), fontsize=9)
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="y", color="#e4e7eb")
        ax.set_axisbelow(True)
        ax.legend(fontsize=7.5, ncol=4, frameon=False, loc="lower left", bbox_to_anchor=(0, 1.0))
        fig.tight_layout()
        return _png(fig)


def heatmap_png(grid: np.ndarray, lang: str) -> io.BytesIO:
    """The hour × weekday counts as a PNG image (the sequential ramp, white for none)."""
    family = _chart_font()
    cmap = LinearSegmentedColormap.from_list("ylorrd", ["#ffffff", *palettes.SEQUENTIAL])
    with matplotlib.rc_context({"font.family": family, "axes.unicode_minus": False}):
        fig = Figure(figsize=(7.2, 2.9))
        ax = fig.add_subplot()
        image = ax.imshow(grid, aspect="auto", cmap=cmap, vmin=0, vmax=max(1, int(grid.max())))
        ax.set_yticks(range(7), [t(f"review.weekday.{d}", lang) for d in range(7)], fontsize=8)
        ax.set_xticks(range(0, 24, 2), [str(h) for h in range(0, 24, 2)], fontsize=8)
        ax.set_xlabel(t("review.axis_hour", lang), fontsize=9)
        top = grid.max() or 1
        for (d, h), n in np.ndenumerate(grid):
            if n:
                ax.text(
                    h,
                    d,
                    str(n),
                    ha="center",
                    va="center",
                    fontsize=6,
                    color="white" if n > top * 0.6 else "#1f2933",
                )
        bar = fig.colorbar(image, ax=ax, fraction=0.03, pad=0.02)
        bar.locator = MaxNLocator(integer=True)
        bar.update_ticks()
        bar.set_label(t("review.axis_count", lang), fontsize=8)
        bar.ax.tick_params(labelsize=7)
        fig.tight_layout()
        return _png(fig)


def _charts(pdf: FPDF, report: Report, lang: str) -> None:
    pdf.add_page()
    width = pdf.epw
    for key, frame, dimension in (
        ("review.trend_category", report.trend_category, "category"),
        ("review.trend_source", report.trend_source, "source"),
    ):
        _heading(pdf, t(key, lang), 13)
        pdf.image(trend_png(frame, dimension, report.every, lang, report.trend_lines), w=width)
        pdf.ln(4)
    pdf.add_page()
    _heading(pdf, t("review.heatmap", lang), 13)
    pdf.image(heatmap_png(report.heatmap, lang), w=width)
    pdf.ln(6)
    _heading(pdf, t("review.pdf.definitions", lang), 13)
    for measure in LEAGUE_COLUMNS:
        pdf.set_font(FONT, size=10)
        pdf.set_text_color(*INK)
        pdf.multi_cell(0, 5.5, t(f"review.m.{measure}", lang), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT, size=9)
        pdf.set_text_color(*SOFT)
        pdf.multi_cell(0, 4.8, t(f"review.def.{measure}", lang), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1.2)
    pdf.set_text_color(*INK)


def _league(pdf: FPDF, report: Report, lang: str) -> None:
    pdf.add_page(orientation="L")
    _heading(pdf, f"{t('review.league', lang)} · {fmt_period(report.period, lang)}", 14)
    pdf.set_font(FONT, size=9)
    widths = (32, 18, 16, 18, 22, 24, 22, 20, 22, 22, 20, 20)
    align = ["LEFT"] + ["RIGHT"] * (len(LEAGUE_COLUMNS) - 1)
    with pdf.table(
        col_widths=widths,
        text_align=align,
        headings_style=FontFace(fill_color=HEAD_FILL),
        line_height=6,
        padding=1.2,
    ) as table:
        table.row([t(f"review.m.{c}", lang) for c in LEAGUE_COLUMNS])
        for row in report.league.iter_rows(named=True):
            table.row(
                [station_label(report, row["station_code"])]
                + [fmt_value(c, row[c]) for c in LEAGUE_COLUMNS[1:]]
            )
        totals = report.totals
        total_change = report.change("incidents")
        table.row(
            [
                t("review.total_row", lang),
                fmt_value("incidents", totals.get("incidents")),
                fmt_value("change", total_change.delta),
                fmt_value("change_pct", total_change.pct),
                *[fmt_value(m, totals.get(m)) for m in MEASURES[1:]],
            ],
            style=FontFace(fill_color=(245, 247, 250)),
        )
    notes = coverage_notes(report, lang)
    if notes:
        pdf.ln(3)
        pdf.set_font(FONT, size=9)
        pdf.set_text_color(*SOFT)
        for note in notes:
            pdf.multi_cell(0, 5, f"· {note}", new_x="LMARGIN", new_y="NEXT")
