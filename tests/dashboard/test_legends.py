"""Colours and legends of the map layers: pure functions over hand-built layer results."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from component_tree import text_of

from dashboard.parts.figures import SEQUENTIAL_SCALE
from dashboard.parts.legends import (
    CLASSES,
    DIVERGING_COLOURS,
    EMERGING_COLOURS,
    Legend,
    LegendEntry,
    build_legend,
    classes_of,
    colour_scale,
    legend_component,
)
from dashboard.parts.palettes import HALO
from layers import emerging_hotspot, hotspot
from layers.registry import REGISTRY

HOTSPOT = REGISTRY["hotspot"]
EMERGING = REGISTRY["emerging_hotspot"]
COUNTS = REGISTRY["counts"]
PATROL = REGISTRY["patrol_plan"]
ADDRESSES = REGISTRY["repeat_addresses"]


def _colour_at(scale: list[list], z: float, zmin: float, zmax: float) -> str:
    """The colour a stepped plotly scale gives value ``z`` (the step containing it)."""
    position = (z - zmin) / (zmax - zmin)
    for (low, colour), (high, _) in zip(scale[::2], scale[1::2], strict=True):
        if low <= position <= high:
            return colour
    raise AssertionError(f"{z} outside the scale")


def test_every_discrete_legend_layer_has_classes_with_a_colour_each():
    discrete = [s for s in REGISTRY.values() if s.legend in ("diverging", "categorical")]
    assert {s.id for s in discrete} == set(CLASSES)
    for spec in discrete:
        classes = classes_of(spec)
        assert len(classes.values) == len(classes.codes) == len(classes.colours)
        assert len(set(classes.colours)) == len(classes.colours), spec.id


def test_the_gi_classes_run_hot_to_cold_in_an_orange_blue_palette():
    classes = CLASSES["hotspot"]
    assert classes.values == classes.codes == hotspot.LABELS
    assert [c for c in classes.codes if c != hotspot.HALO_LABEL] == list(
        hotspot.CLASS_LABELS.values()
    )
    assert classes.colours == (*DIVERGING_COLOURS[:3], HALO, *DIVERGING_COLOURS[3:])
    assert len(DIVERGING_COLOURS) == 7

    def rgb(colour: str) -> tuple[int, int, int]:
        return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))

    for hot, cold in zip(DIVERGING_COLOURS[:3], DIVERGING_COLOURS[:3:-1], strict=True):
        (hr, _, hb), (cr, _, cb) = rgb(hot), rgb(cold)
        assert hr > hb and cb > cr  # hot classes are warm (red over blue), cold ones cool


def test_every_emerging_category_has_its_own_colour():
    assert set(EMERGING_COLOURS) == set(emerging_hotspot.CATEGORIES)
    assert len(set(EMERGING_COLOURS.values())) == len(EMERGING_COLOURS)


def test_each_gi_class_is_drawn_in_its_own_colour():
    frame = pl.DataFrame(
        {"cell": [1, 2, 3, 4, 5], "label": ["hot_99", "not_significant", "cold_95", "hot_90",
                                            "hot_halo"]},
        schema_overrides={"label": hotspot.LABEL_DTYPE},
    )  # fmt: skip
    scale = colour_scale(HOTSPOT, frame)
    colours = [_colour_at(scale.colorscale, z, scale.zmin, scale.zmax) for z in scale.z]
    assert colours == [DIVERGING_COLOURS[0], DIVERGING_COLOURS[3], DIVERGING_COLOURS[5],
                       DIVERGING_COLOURS[2], HALO]  # fmt: skip


def test_each_emerging_category_is_drawn_in_its_colour():
    frame = pl.DataFrame(
        {"cell": [1, 2], "category": ["persistent_hotspot", "new_coldspot"]},
        schema={"cell": pl.Int64, "category": emerging_hotspot.CATEGORY_DTYPE},
    )
    scale = colour_scale(EMERGING, frame)
    colours = [_colour_at(scale.colorscale, z, scale.zmin, scale.zmax) for z in scale.z]
    assert colours == [EMERGING_COLOURS["persistent_hotspot"], EMERGING_COLOURS["new_coldspot"]]


def test_a_sequential_scale_tops_out_at_the_98th_percentile():
    frame = pl.DataFrame({"cell": range(100), "count": [1] * 99 + [400]})
    scale = colour_scale(COUNTS, frame)
    assert (scale.zmin, scale.zmax) == (0.0, 5.0)  # never darkest below 5
    assert scale.colorscale[0][1] == SEQUENTIAL_SCALE[0]
    assert scale.colorscale[-1][1] == SEQUENTIAL_SCALE[-1]


def test_ranks_are_darkest_first():
    frame = pl.DataFrame({"cell": [1, 2, 3], "rank": [1, 2, 3], "score": [9.0, 5.0, 1.0]})
    scale = colour_scale(PATROL, frame)
    assert (scale.zmin, scale.zmax) == (1.0, 3.0)
    assert scale.colorscale[0] == [0.0, SEQUENTIAL_SCALE[-1]]
    assert scale.colorscale[-1] == [1.0, SEQUENTIAL_SCALE[0]]


def test_the_diverging_legend_lists_every_class_with_its_count():
    frame = pl.DataFrame(
        {"label": ["hot_99", "hot_99", "not_significant", "cold_90", "hot_halo"]},
        schema={"label": hotspot.LABEL_DTYPE},
    )
    legend = build_legend(HOTSPOT, frame, "zh")
    assert legend.kind == "diverging" and legend.title == "Gi* 热点等级"
    labels = [e.label for e in legend.entries]
    assert labels[0] == "热点（99% 置信）" and labels[-1] == "冷点（99% 置信）"
    assert "不显著" in labels and len(labels) == 8
    counts = {e.label: e.count for e in legend.entries}
    assert counts["热点（99% 置信）"] == 2 and counts["冷点（90% 置信）"] == 1
    assert counts["热点外围（本格案件少，因邻格而热）"] == 1  # the halo has its own entry
    assert counts["冷点（99% 置信）"] == 0  # shown though absent: cold spots exist as a class


def test_the_categorical_legend_lists_only_the_patterns_present():
    frame = pl.DataFrame(
        {"category": ["no_pattern", "sporadic_hotspot", "sporadic_hotspot"]},
        schema={"category": emerging_hotspot.CATEGORY_DTYPE},
    )
    legend = build_legend(EMERGING, frame, "en")
    assert [(e.label, e.count) for e in legend.entries] == [
        ("Sporadic hot spot", 2),
        ("No pattern detected", 1),
    ]


def test_sequential_legends_give_their_range():
    counts = build_legend(COUNTS, pl.DataFrame({"count": [1, 2, 3, 40]}), "en")
    assert counts.kind == "sequential" and counts.ticks == (
        "0",
        "≥38",
    )  # 98th percentile of 1, 2, 3, 40
    assert [e.colour for e in counts.entries] == list(SEQUENTIAL_SCALE)
    small = build_legend(COUNTS, pl.DataFrame({"count": [1, 2]}), "en")
    assert small.ticks == ("0", "5")
    ranks = build_legend(PATROL, pl.DataFrame({"rank": [1, 2, 3, 4]}), "zh")
    assert ranks.ticks == ("第 1 名", "第 4 名")
    assert ranks.entries[0].colour == SEQUENTIAL_SCALE[-1]


def test_point_legends_explain_the_dot_size():
    legend = build_legend(ADDRESSES, pl.DataFrame({"count": [2, 3]}), "zh")
    assert legend.note == "圆点大小表示事件数"


def test_an_empty_result_says_so():
    empty = pl.DataFrame(schema={"label": hotspot.LABEL_DTYPE})
    assert build_legend(EMERGING, pl.DataFrame(schema={"category": pl.String}), "en").note == (
        "No results"
    )
    assert len(build_legend(HOTSPOT, empty, "en").entries) == 8
    assert build_legend(COUNTS, pl.DataFrame(schema={"count": pl.Int64}), "zh").note == "无结果"


def test_the_legend_component_shows_swatches_or_a_ramp():
    swatches = legend_component(build_legend(HOTSPOT, pl.DataFrame({"label": ["hot_99"]}), "en"))
    text = text_of(swatches)
    assert "Hot spot, 99% confidence" in text and "Cold spot, 99% confidence" in text
    assert "legend-diverging" in swatches.className
    stops = tuple(LegendEntry(c, "") for c in SEQUENTIAL_SCALE)
    ramp = legend_component(Legend("sequential", "Incidents", stops, ("0", "≥5"), "note"))
    assert text_of(ramp).split() == ["Incidents", "0", "≥5", "note"]
    with_stops = legend_component(build_legend(COUNTS, pl.DataFrame({"count": [3]}), "en"))
    style = with_stops.children[2].style["background"]
    assert style.startswith("linear-gradient") and SEQUENTIAL_SCALE[0] in style


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_map_layer_has_a_legend_in_both_languages(lang):
    for spec in REGISTRY.values():
        if spec.geometry == "table":
            continue
        frame = pl.DataFrame({spec.value_column: np.array([], dtype=np.int64)})
        if spec.legend == "categorical":
            frame = pl.DataFrame(schema={spec.value_column: pl.String})
        legend = build_legend(spec, frame, lang)
        assert legend.title and legend.kind == spec.legend


def test_the_patrol_plan_legend_carries_its_measured_accuracy():
    from dashboard.parts.legends import accuracy_note

    panel = pl.DataFrame(
        {
            "week_start": [1, 2],
            "hit_rate_pooled": [0.25, 0.25],
            "pai_pooled": [5.04, 5.04],
        }
    )
    zh = accuracy_note(panel, "zh").children
    assert "过去 2 周" in zh and "命中率 25%" in zh and "PAI 5.0" in zh
    en = accuracy_note(panel, "en").children
    assert "past 2 weeks" in en and "hit rate 25%" in en
    none = pl.DataFrame({"hit_rate_pooled": [None], "pai_pooled": [None]})
    assert accuracy_note(none, "en").children.startswith("No incidents")
