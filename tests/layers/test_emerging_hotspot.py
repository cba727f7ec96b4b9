"""Emerging hot spots: Mann-Kendall, space-time Gi* against esda, every category."""

from __future__ import annotations

import math
import warnings
from datetime import UTC, datetime, timedelta

import esda
import libpysal
import numpy as np
import polars as pl
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from geo.h3cells import grid_disk, latlng_to_cells
from layers import emerging_hotspot as eh
from layers import hotspot

SEED = 7
CENTER = int(latlng_to_cells(np.array([22.55]), np.array([113.88]), 9)[0])
#: 91 cells: the target cell in the middle, five rings of background around it.
CELLS = np.array(sorted(grid_disk(CENTER, 5)), dtype=np.int64)
TARGET_DISK = np.isin(CELLS, grid_disk(CENTER, 1))
N_STEPS = 20
BACKGROUND_RATE = 10
HOT = ("hot", 15)  # add 15 incidents to each cell of the target's 7-cell neighbourhood
COLD = ("cold", 1.0)  # draw the neighbourhood's counts at rate 1 instead of 10


def _cube(states: list[tuple[str, float] | None], seed: int = SEED) -> pl.DataFrame:
    """A cube of Poisson background in which the target neighbourhood follows ``states``."""
    rng = np.random.default_rng(seed)
    counts = rng.poisson(BACKGROUND_RATE, (CELLS.size, N_STEPS))
    for step, state in enumerate(states):
        if state is None:
            continue
        kind, amount = state
        if kind == "hot":
            counts[TARGET_DISK, step] += int(amount)
        else:
            counts[TARGET_DISK, step] = rng.poisson(amount, TARGET_DISK.sum())
    return pl.DataFrame(
        {
            "cell": np.repeat(CELLS, N_STEPS),
            "step": np.tile(np.arange(N_STEPS), CELLS.size),
            "count": counts.ravel(),
        }
    )


def _at(steps, state, otherwise=None) -> list:
    return [state if t in steps else otherwise for t in range(N_STEPS)]


def _ramp(kind: str, first: float, last: float) -> list:
    return [(kind, a) for a in np.linspace(first, last, N_STEPS)]


PATTERNS: dict[str, list] = {
    "new_hotspot": _at({19}, HOT),
    "consecutive_hotspot": _at({16, 17, 18, 19}, HOT),
    "intensifying_hotspot": _ramp("hot", 8, 40),
    "persistent_hotspot": _at(set(range(20)), HOT),
    "diminishing_hotspot": _ramp("hot", 40, 15),
    "sporadic_hotspot": _at({3, 9, 14, 19}, HOT),
    "oscillating_hotspot": [COLD if 5 <= t <= 8 else HOT if t == 19 else None for t in range(20)],
    "historical_hotspot": _at(set(range(18)), HOT),
    "new_coldspot": _at({19}, COLD),
    "consecutive_coldspot": _at({16, 17, 18, 19}, COLD),
    "intensifying_coldspot": _ramp("cold", 5, 0),
    "persistent_coldspot": _at(set(range(20)), COLD),
    "diminishing_coldspot": _ramp("cold", 0, 5),
    "sporadic_coldspot": _at({3, 9, 14, 19}, COLD),
    "oscillating_coldspot": [HOT if 5 <= t <= 8 else COLD if t == 19 else None for t in range(20)],
    "historical_coldspot": _at(set(range(18)), COLD),
    "no_pattern": _at(set(), HOT),
}


# -- Mann-Kendall -----------------------------------------------------------------------


def test_mann_kendall_hand_computed_with_ties():
    # Pairs of 1, 2, 2, 3: five rises, one tie -> S = 5.
    # Var = (4*3*13 - 2*1*9) / 18 = 138/18; Z = (5 - 1) / sqrt(138/18).
    s, z, p = eh.mann_kendall(np.array([1.0, 2.0, 2.0, 3.0]))
    assert s[0] == 5
    assert z[0] == pytest.approx(4 / math.sqrt(138 / 18), abs=1e-12)
    assert p[0] == pytest.approx(2 * stats.norm.sf(4 / math.sqrt(138 / 18)), abs=1e-12)


def test_mann_kendall_hand_computed_falling_without_ties():
    # 5 4 3 2 1: S = -10, Var = 5*4*15/18, Z = (-10 + 1) / sqrt(50/3).
    s, z, _ = eh.mann_kendall(np.array([[5.0, 4, 3, 2, 1]]))
    assert s[0] == -10
    assert z[0] == pytest.approx(-9 / math.sqrt(50 / 3), abs=1e-12)


def test_mann_kendall_matches_scipy_kendalltau_vectorised():
    rng = np.random.default_rng(SEED)
    series = rng.integers(0, 6, (40, 26)).astype(float)  # many ties
    series[3] = np.arange(26) // 3  # a trend with tied runs

    s, z, p = eh.mann_kendall(series, continuity=False)

    time_index = np.arange(series.shape[1])
    for row, values in enumerate(series):
        tau = stats.kendalltau(time_index, values)
        n_concordant_minus_discordant = sum(
            np.sign(values[j] - values[i]) for i in range(26) for j in range(i + 1, 26)
        )
        assert s[row] == n_concordant_minus_discordant
        assert p[row] == pytest.approx(tau.pvalue, abs=1e-12)
        assert np.sign(z[row]) == np.sign(tau.statistic)


def test_mann_kendall_all_tied_is_no_trend():
    s, z, p = eh.mann_kendall(np.zeros((2, 12)))
    assert s.tolist() == [0, 0]
    assert z.tolist() == [0, 0]
    assert p.tolist() == [1, 1]


# -- space-time Gi* ---------------------------------------------------------------------


@pytest.mark.parametrize("time_window", [0, 1, 2])
def test_space_time_gi_star_equals_esda_on_space_time_weights(time_window):
    cells = np.array(sorted(grid_disk(CENTER, 4)), dtype=np.int64)  # 61 cells
    n_steps = 12
    counts = np.random.default_rng(SEED).poisson(3, (cells.size, n_steps))
    index = {c: i for i, c in enumerate(cells.tolist())}
    neighbours = {}
    for i, cell in enumerate(cells.tolist()):
        ring = [index[c] for c in grid_disk(cell, 1) if c in index]
        for t in range(n_steps):
            window = range(max(0, t - time_window), t + 1)
            neighbours[i * n_steps + t] = [j * n_steps + s for j in ring for s in window]
    w = libpysal.weights.W(neighbours, id_order=list(range(counts.size)), silence_warnings=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = esda.G_Local(
            counts.ravel().astype(float), w, star=True, transform="B", permutations=0, n_jobs=1
        ).Zs

    ours = eh.space_time_gi_star(counts, hotspot.build_weights(cells, 1), time_window)

    assert_allclose(ours.ravel(), expected, rtol=0, atol=1e-9)


# -- categories on constructed cubes ----------------------------------------------------


@pytest.mark.parametrize("category", list(PATTERNS))
def test_each_category_on_a_constructed_cube(category):
    out = eh.compute_from_cube(_cube(PATTERNS[category]), n_steps=N_STEPS)

    target = out.filter(pl.col("cell") == CENTER).row(0, named=True)
    assert target["category"] == category
    # The random background far from the target shows no pattern.
    far = out.filter(~pl.col("cell").is_in(grid_disk(CENTER, 2)))
    assert (far["category"] == "no_pattern").mean() >= 0.95


def test_constructed_categories_report_their_evidence():
    rising = eh.compute_from_cube(_cube(PATTERNS["intensifying_hotspot"]), n_steps=N_STEPS)
    row = rising.filter(pl.col("cell") == CENTER).row(0, named=True)
    assert row["mk_z"] > 0
    assert row["mk_p"] <= eh.TREND_ALPHA
    assert row["n_hot_steps"] == N_STEPS
    assert row["n_cold_steps"] == 0
    assert row["final_step_class"] == 3

    new = eh.compute_from_cube(_cube(PATTERNS["new_coldspot"]), n_steps=N_STEPS)
    row = new.filter(pl.col("cell") == CENTER).row(0, named=True)
    assert (row["n_hot_steps"], row["n_cold_steps"]) == (0, 1)
    assert row["final_step_class"] < 0


# -- the rules themselves, on hand-written class sequences ------------------------------


def _classify(sequence: str, mk_z: float = 0.0, mk_p: float = 1.0) -> str:
    """Category of one cell from a string of classes: '+' hot, '-' cold, '.' neither."""
    classes = np.array([[{"+": 1, "-": -1, ".": 0}[c] for c in sequence]])
    code = eh.classify_trends(classes, np.array([mk_z]), np.array([mk_p]))
    return eh.CATEGORIES[int(code[0])]


@pytest.mark.parametrize(
    ("sequence", "mk_z", "mk_p", "category"),
    [
        (".........+", 0, 1, "new_hotspot"),
        ("........++", 0, 1, "consecutive_hotspot"),
        ("..+.....++", 0, 1, "sporadic_hotspot"),  # hot before the final run
        ("+++++++++.", 0, 1, "historical_hotspot"),  # 90 % hot, final not significant
        ("++++++++..", 0, 1, "no_pattern"),  # 80 % hot, not now
        ("+.+.+.+.+.", 0, 1, "no_pattern"),  # on and off, but not now
        (".+++++++++", 0, 1, "persistent_hotspot"),  # exactly 90 %, final hot
        ("++++++++++", 3.0, 0.003, "intensifying_hotspot"),
        ("++++++++++", -3.0, 0.003, "diminishing_hotspot"),
        ("++++++++++", 1.8, 0.07, "persistent_hotspot"),  # trend not significant
        (".-.......+", 0, 1, "oscillating_hotspot"),  # a cold past beats "new"
        ("-.......++", 0, 1, "oscillating_hotspot"),  # ... and "consecutive"
        ("+++++++++-", 0, 1, "oscillating_coldspot"),  # the current step comes first
        (".........-", 0, 1, "new_coldspot"),
        ("......----", 0, 1, "consecutive_coldspot"),
        ("-..-.-...-", 0, 1, "sporadic_coldspot"),
        ("----------", -3.0, 0.001, "intensifying_coldspot"),  # z falling: colder
        ("----------", 3.0, 0.001, "diminishing_coldspot"),
        ("----------", 0.0, 0.5, "persistent_coldspot"),
        ("+........-", 0, 1, "oscillating_coldspot"),
        ("---------.", 0, 1, "historical_coldspot"),
        ("..........", 0, 1, "no_pattern"),
    ],
)
def test_classification_rules(sequence, mk_z, mk_p, category):
    assert _classify(sequence, mk_z, mk_p) == category


def test_ninety_percent_is_counted_on_whole_steps():
    # 20 steps: 18 hot is "mostly", 17 is not.
    assert _classify("." * 2 + "+" * 18) == "persistent_hotspot"
    assert _classify("+" + "." * 3 + "+" * 16) == "sporadic_hotspot"


# -- from incidents ---------------------------------------------------------------------


def _incidents_from_cube(cube: pl.DataFrame, end: datetime, step: timedelta) -> pl.DataFrame:
    """One incident per count, placed in the middle of its step."""
    expanded = cube.filter(pl.col("count") > 0).select(
        pl.col("cell").repeat_by("count").alias("h3_cell"),
        pl.col("step").repeat_by("count"),
    )
    expanded = expanded.explode("h3_cell", "step")
    n_steps = int(cube["step"].max()) + 1
    start = end - n_steps * step
    return expanded.select(
        "h3_cell",
        (pl.lit(start) + pl.col("step").cast(pl.Int64) * step + step / 2)
        .dt.cast_time_unit("us")
        .dt.convert_time_zone("UTC")
        .alias("reported_at"),
    )


def test_compute_from_incidents_matches_the_cube():
    end = datetime(2026, 11, 2, 16, tzinfo=UTC)  # Monday 00:00 in Asia/Shanghai
    cube = _cube(PATTERNS["consecutive_hotspot"])
    incidents = _incidents_from_cube(cube, end, eh.DEFAULT_STEP)
    unlocated = pl.DataFrame(
        {"h3_cell": [None], "reported_at": [end - timedelta(days=1)]},
        schema=incidents.schema,
    )

    out = eh.compute(pl.concat([incidents, unlocated]), end=end, n_steps=N_STEPS)

    assert out.equals(eh.compute_from_cube(cube, n_steps=N_STEPS))
    assert out.filter(pl.col("cell") == CENTER)["category"].item() == "consecutive_hotspot"
    assert eh.LAYER_ID == "emerging_hotspot"
    assert out.columns == list(eh.OUTPUT_SCHEMA)


def test_space_time_counts_step_boundaries():
    end = datetime(2026, 11, 2, 16, tzinfo=UTC)
    week = timedelta(weeks=1)
    start = end - 10 * week
    incidents = pl.DataFrame(
        {
            "h3_cell": [CENTER] * 5,
            "reported_at": [
                start - timedelta(microseconds=1),  # before the window: not counted
                start,  # first instant of step 0
                end - week - timedelta(microseconds=1),  # last instant of step 8
                end - week,  # first instant of the final step
                end,  # the window excludes its end
            ],
        },
        schema={"h3_cell": pl.Int64, "reported_at": pl.Datetime("us", "UTC")},
    )

    cube = eh.space_time_counts(incidents, end=end, n_steps=10)

    assert cube.select("step", "count").rows() == [(0, 1), (8, 1), (9, 1)]
    assert cube["step_start"].to_list() == [start, end - 2 * week, end - week]
    # Default window: ends just after the latest report and reaches back to the earliest.
    default = eh.space_time_counts(incidents.head(4).tail(3), step=timedelta(days=7))
    assert default["count"].sum() == 3
    assert default["step"].max() == 9


def test_study_cells_add_empty_cells_to_the_cube():
    cube = _cube(PATTERNS["new_hotspot"]).filter(pl.col("cell").is_in(grid_disk(CENTER, 3)))
    out = eh.compute_from_cube(cube, n_steps=N_STEPS, study_cells=CELLS)
    assert out["cell"].to_list() == CELLS.tolist()


# -- input checks -----------------------------------------------------------------------


def test_input_errors_name_the_culprit():
    cube = _cube(PATTERNS["no_pattern"])
    with pytest.raises(ValueError, match="'n_steps' should be >= 10"):
        eh.compute_from_cube(cube.filter(pl.col("step") < 5), n_steps=5)
    with pytest.raises(ValueError, match=r"step 20 \(cell \d+\) is outside 0\.\.19"):
        eh.compute_from_cube(cube.with_columns(step=pl.col("step") + 1), n_steps=N_STEPS)
    with pytest.raises(ValueError, match="'time_window' should be >= 0"):
        eh.compute_from_cube(cube, n_steps=N_STEPS, time_window=-1)
    with pytest.raises(ValueError, match="'k' should be >= 0"):
        eh.compute_from_cube(cube, n_steps=N_STEPS, k=-2)
    with pytest.raises(ValueError, match="repeats a"):
        eh.compute_from_cube(pl.concat([cube, cube.head(1)]), n_steps=N_STEPS)
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['count'\]"):
        eh.compute_from_cube(cube.drop("count"), n_steps=N_STEPS)
    with pytest.raises(ValueError, match="outside 'study_cells'"):
        eh.compute_from_cube(cube, n_steps=N_STEPS, study_cells=CELLS[:10])

    incidents = pl.DataFrame(
        {"h3_cell": [CENTER], "reported_at": [datetime(2026, 1, 1, tzinfo=UTC)]},
        schema={"h3_cell": pl.Int64, "reported_at": pl.Datetime("us", "UTC")},
    )
    with pytest.raises(ValueError, match="need at least 10"):
        eh.compute(incidents)
    with pytest.raises(ValueError, match="'end' should be time-zone-aware"):
        eh.compute(incidents, end=datetime(2026, 2, 1), n_steps=12)
    with pytest.raises(ValueError, match="'reported_at' should be a time-zone-aware"):
        eh.compute(incidents.with_columns(pl.col("reported_at").dt.replace_time_zone(None)))
    with pytest.raises(ValueError, match="'h3_cell'"):
        eh.compute(incidents.drop("h3_cell"))


def test_a_window_longer_than_the_history_is_refused_with_the_longest_it_allows():
    # Two days of incidents in a 26-week window: the first 25 weeks would be empty and
    # every cell with an incident would come out "new". Refuse, naming the dates.
    end = datetime(2026, 11, 20, tzinfo=UTC)
    cells = grid_disk(int(latlng_to_cells(np.array([22.55]), np.array([113.88]))[0]), 3)
    frame = pl.DataFrame(
        {
            "reported_at": [end - timedelta(days=2, hours=h) for h in range(len(cells))],
            "h3_cell": pl.Series(cells, dtype=pl.Int64),
        }
    )
    refusal = r"too short.*2026-11-1[678].*26 steps of 1 week.*2026-05.*covers 0 step.*at least 10"
    with pytest.raises(ValueError, match=refusal):
        eh.compute(frame, end=end, n_steps=26)
    # About twelve weeks of history allow a 12-step window (one step of slack), not 14.
    frame = frame.with_columns(pl.col("reported_at") - timedelta(weeks=11, days=5))
    more = pl.DataFrame({"reported_at": [end - timedelta(days=1)], "h3_cell": [cells[0]]})
    frame = pl.concat([frame, more.with_columns(pl.col("h3_cell").cast(pl.Int64))])
    assert eh.compute(frame, end=end, n_steps=12).height > 0
    with pytest.raises(ValueError, match="at most 12 steps"):
        eh.compute(frame, end=end, n_steps=14)
