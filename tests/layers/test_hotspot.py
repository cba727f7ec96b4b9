"""Gi* hot spots: known answers on hand-built H3 fixtures, esda equality, BH correction."""

from __future__ import annotations

import math
import warnings
from datetime import UTC, datetime

import esda
import libpysal
import numpy as np
import polars as pl
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from geo.h3cells import cells_to_parent, grid_disk, latlng_to_cells
from layers import hotspot
from layers.counts import cell_counts

#: A res-9 cell in Bao'an, Shenzhen (lat, lng), far from any H3 pentagon.
ORIGIN_LATLNG = (22.55, 113.88)
SEED = 20240917


def _cell_at(lat: float, lng: float, res: int = 9) -> int:
    return int(latlng_to_cells(np.array([lat]), np.array([lng]), res)[0])


CENTER = _cell_at(*ORIGIN_LATLNG)


def _disk(cell: int, k: int) -> list[int]:
    return sorted(grid_disk(cell, k))


def _counts(cells, values) -> pl.DataFrame:
    return pl.DataFrame(
        {"cell": np.asarray(cells, dtype=np.int64), "count": np.asarray(values, dtype=np.int64)}
    )


def _esda_z(cells: np.ndarray, values: np.ndarray, k: int) -> np.ndarray:
    """esda's Gi* z on k-ring neighbour lists (self included) built independently."""
    members = set(cells.tolist())
    neighbours = {int(c): [n for n in grid_disk(int(c), k) if n in members] for c in cells}
    w = libpysal.weights.W(neighbours, id_order=[int(c) for c in cells], silence_warnings=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = esda.G_Local(
            values.astype(float), w, star=True, transform="B", permutations=0, n_jobs=1
        )
    return np.asarray(g.Zs)


# -- known answers ---------------------------------------------------------------------


def test_seven_cells_hand_computed():
    # Centre 8, six ring cells 2 each: n=7, mean 20/7, population variance 216/49.
    # A ring cell sees itself, the centre and its two ring neighbours: W=4, sum 14, so
    # z = (14 - 4*20/7) / (sqrt(216)/7 * sqrt((7*4 - 16)/6)) = 18/sqrt(432) = sqrt(3)/2.
    disk = _disk(CENTER, 1)
    values = [8 if c == CENTER else 2 for c in disk]
    out = hotspot.compute(_counts(disk, values))

    ring = out.filter(pl.col("cell") != CENTER)
    assert_allclose(ring["z"].to_numpy(), math.sqrt(3) / 2, rtol=0, atol=1e-12)
    assert_allclose(ring["p"].to_numpy(), 2 * stats.norm.sf(math.sqrt(3) / 2), atol=1e-12)
    # The centre's neighbourhood is the whole set: z is undefined, reported as 0 / p 1.
    centre = out.filter(pl.col("cell") == CENTER).row(0, named=True)
    assert centre["z"] == 0.0
    assert centre["p"] == 1.0
    assert out["label"].to_list() == ["not_significant"] * 7


def test_study_cells_add_zero_count_cells_hand_computed():
    # Same counts inside the second ring's study area (19 cells, 12 of them empty):
    # centre W=7, sum 20, n=19, mean 20/19, variance 88/19 - (20/19)^2 = 1272/361;
    # z = (20 - 7*20/19) / (sqrt(1272)/19 * sqrt((19*7 - 49)/18)) = 240 / sqrt(5936).
    disk = _disk(CENTER, 1)
    values = [8 if c == CENTER else 2 for c in disk]
    study = _disk(CENTER, 2)

    out = hotspot.compute(_counts(disk, values), study_cells=study)

    assert out["cell"].to_list() == study
    assert out.filter(~pl.col("cell").is_in(disk))["count"].to_list() == [0] * 12
    centre = out.filter(pl.col("cell") == CENTER).row(0, named=True)
    assert centre["z"] == pytest.approx(240 / math.sqrt(5936), abs=1e-12)
    without_study = hotspot.compute(_counts(disk, values))
    assert without_study.filter(pl.col("cell") == CENTER)["z"].item() == 0.0


def test_cluster_is_hot_and_empty_area_is_cold():
    study = np.array(_disk(CENTER, 8), dtype=np.int64)  # 217 cells
    rng = np.random.default_rng(SEED)
    values = rng.poisson(5, study.size)
    hot_centre = _cell_at(ORIGIN_LATLNG[0], ORIGIN_LATLNG[1] + 0.007)
    empty_centre = _cell_at(ORIGIN_LATLNG[0], ORIGIN_LATLNG[1] - 0.007)
    values[np.isin(study, grid_disk(hot_centre, 1))] = 15
    values[np.isin(study, grid_disk(empty_centre, 2))] = 0
    counts = _counts(study, values).filter(pl.col("count") > 0)

    out = hotspot.compute(counts, study_cells=study)

    by_cell = {r["cell"]: r for r in out.iter_rows(named=True)}
    assert by_cell[hot_centre]["label"] == "hot_99"
    assert by_cell[hot_centre]["gi_class"] == 3
    assert by_cell[empty_centre]["z"] < -3
    assert by_cell[empty_centre]["label"] == "cold_99"
    # Away from both, the random field stays mostly not significant.
    far = out.filter(~pl.col("cell").is_in(grid_disk(hot_centre, 3) + grid_disk(empty_centre, 4)))
    assert (far["gi_class"] == 0).mean() > 0.9
    # Without the study area the empty patch is simply absent: nothing can be cold there.
    assert empty_centre not in hotspot.compute(counts)["cell"].to_list()


def test_constant_counts_are_not_significant():
    disk = _disk(CENTER, 3)
    out = hotspot.compute(_counts(disk, [4] * len(disk)))
    assert (out["z"] == 0).all()
    assert (out["label"] == "not_significant").all()


# -- equality with esda ----------------------------------------------------------------


@pytest.mark.parametrize("k", [1, 2])
def test_z_equals_esda_g_local_star_binary(k):
    rng = np.random.default_rng(SEED)
    disk = np.array(_disk(CENTER, 10), dtype=np.int64)  # 331 cells
    # Holes make neighbourhood sizes differ from cell to cell.
    cells = np.sort(disk[rng.random(disk.size) > 0.2])
    values = rng.negative_binomial(2, 0.4, cells.size)

    ours = hotspot.compute(_counts(cells, values), k=k)["z"].to_numpy()

    assert cells.size > 200
    assert_allclose(ours, _esda_z(cells, values, k), rtol=0, atol=1e-9)


def test_z_equals_esda_with_zero_count_study_cells():
    rng = np.random.default_rng(SEED + 1)
    study = np.array(_disk(CENTER, 9), dtype=np.int64)
    values = rng.poisson(0.7, study.size)
    counts = _counts(study, values).filter(pl.col("count") > 0)

    ours = hotspot.compute(counts, study_cells=study)["z"].to_numpy()

    assert_allclose(ours, _esda_z(study, values, 1), rtol=0, atol=1e-9)


# -- Benjamini–Hochberg and classes ----------------------------------------------------


def test_benjamini_hochberg_hand_computed():
    # Ranked: 0.005*5/1, 0.01*5/2, 0.03*5/3, 0.04*5/4, 0.2*5/5 = .025 .025 .05 .05 .2
    p = np.array([0.01, 0.04, 0.03, 0.005, 0.20])
    assert_allclose(hotspot.benjamini_hochberg(p), [0.025, 0.05, 0.05, 0.025, 0.2], atol=1e-15)
    # Step-up: 0.02*3/1 = .06 is lowered to 0.021*3/2 = .0315 by the next rank.
    assert_allclose(hotspot.benjamini_hochberg([0.02, 0.021, 0.5]), [0.0315, 0.0315, 0.5])
    assert_allclose(hotspot.benjamini_hochberg([0.9, 0.8]), [0.9, 0.9])


def test_benjamini_hochberg_matches_scipy():
    p = np.random.default_rng(SEED).random(500) ** 3
    assert_allclose(hotspot.benjamini_hochberg(p), stats.false_discovery_control(p), atol=1e-12)


def test_classes_and_labels():
    z = np.array([3.1, -2.2, 1.7, 0.4, -3.0, 2.0])
    p = np.array([0.001, 0.05, 0.09, 0.6, 0.0099, 0.10000001])
    classes = hotspot.classify_bins(z, p)
    assert classes.tolist() == [3, -2, 1, 0, -3, 0]
    assert hotspot.class_labels(classes).to_list() == [
        "hot_99",
        "cold_95",
        "hot_90",
        "not_significant",
        "cold_99",
        "not_significant",
    ]


def test_fdr_decides_the_class_and_raw_p_is_kept():
    rng = np.random.default_rng(SEED)
    study = np.array(_disk(CENTER, 8), dtype=np.int64)
    values = rng.poisson(3, study.size)
    values[np.isin(study, grid_disk(CENTER, 1))] += 4
    counts = _counts(study, values)

    corrected = hotspot.compute(counts)
    raw = hotspot.compute(counts, fdr=False)

    assert_allclose(corrected["z"].to_numpy(), raw["z"].to_numpy())
    assert (corrected["p_fdr"] >= corrected["p"]).all()
    n_corrected = (corrected["gi_class"] != 0).sum()
    n_raw = (raw["gi_class"] != 0).sum()
    assert n_corrected < n_raw
    expected = hotspot.classify_bins(raw["z"].to_numpy(), raw["p"].to_numpy())
    assert raw["gi_class"].to_list() == expected.tolist()


# -- output shape, caching, purity ------------------------------------------------------


def test_output_schema_and_order():
    disk = _disk(CENTER, 2)
    shuffled = np.random.default_rng(SEED).permutation(disk)
    out = hotspot.compute(_counts(shuffled, np.arange(len(disk))))
    assert out.columns == ["cell", "count", "z", "p", "p_fdr", "gi_class", "label", "halo"]
    assert out.schema["cell"] == pl.Int64
    assert out.schema["count"] == pl.Int64
    assert out.schema["gi_class"] == pl.Int8
    assert out.schema["label"] == hotspot.LABEL_DTYPE
    assert out["cell"].to_list() == disk
    # counts follow their cells through the sort
    expected = dict(zip(shuffled.tolist(), range(len(disk)), strict=True))
    assert out["count"].to_list() == [expected[c] for c in disk]
    float_counts = hotspot.compute(_counts(disk, np.ones(len(disk))).cast({"count": pl.Float64}))
    assert float_counts.schema["count"] == pl.Float64
    assert hotspot.LAYER_ID == "hotspot"


def test_weights_cached_passed_or_built_give_the_same_answer():
    disk = np.array(_disk(CENTER, 6), dtype=np.int64)
    counts = _counts(disk, np.random.default_rng(SEED).poisson(2, disk.size))

    first = hotspot.compute(counts, k=2)
    assert hotspot.cached_weights(disk, 2) is hotspot.cached_weights(disk, 2)
    passed = hotspot.compute(counts, k=2, weights=hotspot.build_weights(disk, 2))

    assert first.equals(hotspot.compute(counts, k=2))
    assert first.equals(passed)
    with pytest.raises(ValueError, match="k=1"):
        hotspot.compute(counts, k=1, weights=hotspot.build_weights(disk, 2))
    with pytest.raises(ValueError, match="weights"):
        hotspot.compute(counts, k=2, weights=hotspot.build_weights(disk[:-1], 2))


def test_k_zero_is_the_standardised_count():
    disk = _disk(CENTER, 2)
    values = np.arange(len(disk), dtype=float)
    out = hotspot.compute(_counts(disk, values), k=0)
    # W=1: z = (x - mean) / (std * sqrt((n - 1)/(n - 1))) = (x - mean) / std
    assert_allclose(out["z"].to_numpy(), (values - values.mean()) / values.std(), atol=1e-12)


# -- input checks -----------------------------------------------------------------------


def test_input_errors_name_the_culprit():
    disk = _disk(CENTER, 1)
    good = _counts(disk, [1] * 7)
    with pytest.raises(ValueError, match="'count'"):
        hotspot.compute(good.drop("count"))
    with pytest.raises(ValueError, match="'k' should be >= 0"):
        hotspot.compute(good, k=-1)
    with pytest.raises(TypeError, match="'k' should be an int"):
        hotspot.compute(good, k=1.5)
    with pytest.raises(ValueError, match=f"repeats cell {disk[0]}"):
        hotspot.compute(pl.concat([good, good.head(1)]))
    with pytest.raises(ValueError, match=f"cell {disk[2]} has -1"):
        hotspot.compute(good.with_columns(count=pl.Series([1, 1, -1, 1, 1, 1, 1])))
    with pytest.raises(ValueError, match="null"):
        hotspot.compute(pl.DataFrame({"cell": [disk[0], None], "count": [1, 2]}))
    with pytest.raises(ValueError, match="outside 'study_cells'"):
        hotspot.compute(good, study_cells=disk[:3])
    with pytest.raises(ValueError, match="not an H3 cell: 12345"):
        hotspot.compute(_counts([12345, disk[0]], [1, 1]))
    parent = _cell_at(*ORIGIN_LATLNG, res=8)
    with pytest.raises(ValueError, match="mix H3 resolutions"):
        hotspot.compute(_counts([parent, disk[0]], [1, 1]))
    with pytest.raises(TypeError, match="polars DataFrame"):
        hotspot.compute(good.to_pandas())


# -- cell counts ------------------------------------------------------------------------


def test_cell_counts_per_resolution_drops_unlocated():
    a, b = CENTER, _cell_at(ORIGIN_LATLNG[0] + 0.05, ORIGIN_LATLNG[1])
    now = datetime(2026, 11, 1, tzinfo=UTC)
    incidents = pl.DataFrame(
        {"h3_cell": [a, a, b, None, a], "reported_at": [now] * 5},
        schema={"h3_cell": pl.Int64, "reported_at": pl.Datetime("us", "UTC")},
    )

    at9 = cell_counts(incidents, 9)
    at7 = cell_counts(incidents, 7)

    assert at9.to_dicts() == [{"cell": c, "count": n} for c, n in sorted([(a, 3), (b, 1)])]
    parent = pl.DataFrame({"c": [a]}).select(cells_to_parent("c", 7)).item()
    assert at7["count"].sum() == 4
    assert parent in at7["cell"].to_list()
    assert at9.schema == {"cell": pl.Int64, "count": pl.Int64}
    with pytest.raises(ValueError, match="'h3_cell'"):
        cell_counts(incidents.drop("h3_cell"), 9)
    with pytest.raises(ValueError, match="'res'"):
        cell_counts(incidents, 10)


# -- core and halo cells (planted truth) ------------------------------------------------

#: Planted scenario: a disk of 1,261 res-9 cells (k=20), quiet background of 0.15
#: incidents per cell over the window (≈ domestic-violence density over a quarter), and
#: 15 hot cells at 5 incidents per cell, scattered apart from each other.
PLANT_K = 20
BACKGROUND_RATE = 0.15
HOT_RATE = 5.0
N_HOT = 15


def _planted(seed: int) -> tuple[list[int], set[int], np.ndarray]:
    rng = np.random.default_rng(seed)
    cells = _disk(CENTER, PLANT_K)
    hot: set[int] = set()
    for c in rng.permutation(cells):
        c = int(c)
        if len(hot) == N_HOT:
            break
        if not any(n in hot for n in grid_disk(c, 3)):
            hot.add(c)
    rate = np.array([HOT_RATE if c in hot else BACKGROUND_RATE for c in cells])
    return cells, hot, rng.poisson(rate)


def _precision_recall(flagged: set[int], truth: set[int]) -> tuple[float, float]:
    hits = len(flagged & truth)
    return (hits / len(flagged) if flagged else 1.0), hits / len(truth)


def test_halo_cells_are_told_apart_from_core_cells_on_planted_hot_spots():
    """Precision and recall of the core class against the planted hot cells, over 20 draws.

    Without the halo flag every hot cell counts (the ring around each planted cell), and
    precision collapses; the core class keeps Gi*'s recall and raises precision.
    """
    hot_pr, core_pr, empty_core, empty_hot = [], [], 0, 0
    for seed in range(20):
        cells, truth, counts = _planted(seed)
        out = hotspot.compute(_counts(cells, counts), k=1)
        hot = out.filter(pl.col("gi_class") > 0)
        core = hot.filter(~pl.col("halo"))
        hot_pr.append(_precision_recall(set(hot["cell"].to_list()), truth))
        core_pr.append(_precision_recall(set(core["cell"].to_list()), truth))
        empty_core += core.filter(pl.col("count") == 0).height
        empty_hot += hot.filter(pl.col("count") == 0).height
        halo = out.filter(pl.col("halo"))
        assert (halo["label"] == hotspot.HALO_LABEL).all()
        assert (halo["gi_class"] > 0).all()  # the Gi* class itself is untouched
    hot_p, hot_r = np.mean(hot_pr, axis=0)
    core_p, core_r = np.mean(core_pr, axis=0)
    print(
        f"\nplanted hot cells ({N_HOT} of {len(cells)}, 20 draws): all Gi* hot cells "
        f"precision {hot_p:.2f} recall {hot_r:.2f} ({empty_hot} empty); core class "
        f"precision {core_p:.2f} recall {core_r:.2f} ({empty_core} empty)"
    )
    assert empty_hot > 0  # the scenario does produce halos
    assert empty_core == 0  # no core cell is empty
    assert core_p >= 0.85 and core_p > hot_p + 0.2
    assert core_r >= hot_r - 0.05


def test_with_k0_no_cell_is_a_halo():
    cells, _, counts = _planted(1)
    out = hotspot.compute(_counts(cells, counts), k=0)
    assert not out["halo"].any()


def test_halo_leaves_the_gi_star_scores_and_classes_as_they_were():
    cells, _, counts = _planted(2)
    out = hotspot.compute(_counts(cells, counts), k=1)
    assert_allclose(out["z"].to_numpy(), _esda_z(np.array(cells), counts, 1), atol=1e-9)
    halo = out["halo"].to_numpy()
    assert halo.any()
    expected = [hotspot.CLASS_LABELS[c] for c in out["gi_class"].to_list()]
    labels = out["label"].cast(pl.String).to_list()
    assert [e for e, h in zip(expected, halo, strict=True) if not h] == [
        lab for lab, h in zip(labels, halo, strict=True) if not h
    ]
