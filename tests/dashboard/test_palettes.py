"""The palettes stay readable for colour-blind readers: simulated, then measured.

Colour-vision deficiencies are simulated with the full-severity matrices of Machado,
Oliveira & Fernandes (2009, IEEE TVCG 15(6)), applied to linear sRGB; distances are
CIEDE2000 (Sharma, Wu & Dalal 2005) in CIELAB under D65.

Thresholds. ΔE00 ≈ 1 is a just-noticeable difference between large patches side by side;
the marks here are small (5–20 px hexagons, bars, legend swatches) and seen on a wall
screen, where the noticeable difference grows several-fold (Stone, Szafir & Setlur 2014
measured ~4–6 for marks of a few pixels). So:

* neighbouring steps of a ramp must be at least :data:`RAMP_STEP` = 8 apart (a reader tells
  two adjacent hexagons' classes apart, with margin over the small-mark threshold);
* any two classes of a categorical palette at least :data:`CATEGORY_GAP` = 10 apart (classes
  are matched against a legend swatch rather than seen side by side, which needs more).

The old YlOrRd ramp fails the first rule under deuteranopia (5.3) and the old Okabe–Ito
category set with grey for "other" fails the second (6.2): these tests can fail.
"""

from __future__ import annotations

import numpy as np
import pytest

from dashboard.parts import palettes
from dashboard.parts.legends import DIVERGING_COLOURS, EMERGING_COLOURS
from data.vocab import CATEGORIES, SOURCES
from layers import emerging_hotspot

#: Machado et al. (2009), severity 1.0, rows give simulated linear R, G, B.
MACHADO: dict[str, np.ndarray] = {
    "protanopia": np.array(
        [
            [0.152286, 1.052583, -0.204868],
            [0.114503, 0.786281, 0.099216],
            [-0.003882, -0.048116, 1.051998],
        ]
    ),
    "deuteranopia": np.array(
        [
            [0.367322, 0.860646, -0.227968],
            [0.280085, 0.672501, 0.047413],
            [-0.011820, 0.042940, 0.968881],
        ]
    ),
    "tritanopia": np.array(
        [
            [1.255528, -0.076749, -0.178779],
            [-0.078411, 0.930809, 0.147602],
            [0.004733, 0.691367, 0.303900],
        ]
    ),
}
VISIONS = ("normal", *MACHADO)
RAMP_STEP = 8.0
CATEGORY_GAP = 10.0
#: sRGB (linear) to XYZ, and the D65 white point.
_RGB_TO_XYZ = np.array(
    [
        [0.4124564, 0.3575761, 0.1804375],
        [0.2126729, 0.7151522, 0.0721750],
        [0.0193339, 0.1191920, 0.9503041],
    ]
)
_WHITE = np.array([0.95047, 1.0, 1.08883])


def _linear(colour: str) -> np.ndarray:
    srgb = np.array([int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)])
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)


def lab(colour: str, vision: str = "normal") -> np.ndarray:
    """CIELAB of ``colour`` (``#rrggbb``) as a reader with ``vision`` sees it."""
    rgb = _linear(colour)
    if vision != "normal":
        rgb = np.clip(MACHADO[vision] @ rgb, 0.0, 1.0)
    xyz = (_RGB_TO_XYZ @ rgb) / _WHITE
    eps = (6 / 29) ** 3
    f = np.where(xyz > eps, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def delta_e00(lab1: np.ndarray, lab2: np.ndarray) -> float:
    """CIEDE2000 colour difference (Sharma, Wu & Dalal 2005, equations 2–16)."""
    (l1, a1, b1), (l2, a2, b2) = lab1, lab2
    c_bar = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    g = 0.5 * (1 - np.sqrt(c_bar**7 / (c_bar**7 + 25**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360
    dlp, dcp = l2 - l1, c2p - c1p
    dh = h2p - h1p
    if c1p * c2p == 0:
        dh = 0.0
    elif dh > 180:
        dh -= 360
    elif dh < -180:
        dh += 360
    dhp = 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(dh / 2))
    lbp, cbp = (l1 + l2) / 2, (c1p + c2p) / 2
    if c1p * c2p == 0:
        hbp = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        hbp = (h1p + h2p) / 2
    elif h1p + h2p < 360:
        hbp = (h1p + h2p + 360) / 2
    else:
        hbp = (h1p + h2p - 360) / 2
    t = (
        1
        - 0.17 * np.cos(np.radians(hbp - 30))
        + 0.24 * np.cos(np.radians(2 * hbp))
        + 0.32 * np.cos(np.radians(3 * hbp + 6))
        - 0.20 * np.cos(np.radians(4 * hbp - 63))
    )
    d_theta = 30 * np.exp(-(((hbp - 275) / 25) ** 2))
    rc = 2 * np.sqrt(cbp**7 / (cbp**7 + 25**7))
    sl = 1 + 0.015 * (lbp - 50) ** 2 / np.sqrt(20 + (lbp - 50) ** 2)
    sc = 1 + 0.045 * cbp
    sh = 1 + 0.015 * cbp * t
    rt = -np.sin(np.radians(2 * d_theta)) * rc
    return float(
        np.sqrt((dlp / sl) ** 2 + (dcp / sc) ** 2 + (dhp / sh) ** 2 + rt * (dcp / sc) * (dhp / sh))
    )


def _closest(colours, pairs, vision):
    seen = [lab(c, vision) for c in colours]
    return min((delta_e00(seen[i], seen[j]), colours[i], colours[j]) for i, j in pairs)


# -- the measuring tools against known answers ------------------------------------------------
@pytest.mark.parametrize(
    ("lab1", "lab2", "expected"),
    [  # pairs 1, 7 and 17 of Sharma, Wu & Dalal's test data
        ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
        ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
        ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
    ],
)
def test_ciede2000_matches_the_published_test_data(lab1, lab2, expected):
    assert delta_e00(np.array(lab1), np.array(lab2)) == pytest.approx(expected, abs=1e-4)


def test_the_simulation_merges_red_and_green_for_a_deuteranope_only():
    red, green = "#d62728", "#2ca02c"
    assert delta_e00(lab(red), lab(green)) > 60
    assert delta_e00(lab(red, "deuteranopia"), lab(green, "deuteranopia")) < 20
    assert delta_e00(lab(red, "tritanopia"), lab(green, "tritanopia")) > 40
    white = lab("#ffffff", "protanopia")  # the simulation keeps white white
    assert white[0] == pytest.approx(100, abs=0.5) and abs(white[1]) < 1.5


# -- the palettes -------------------------------------------------------------------------------
RAMPS = {"sequential": palettes.SEQUENTIAL, "diverging": palettes.DIVERGING}
CATEGORICAL = {
    "category": (*palettes.CATEGORY.values(), palettes.FALLBACK),
    "source": (*palettes.SOURCE.values(), palettes.FALLBACK),
    "emerging": tuple(palettes.EMERGING.values()),
}


@pytest.mark.parametrize("vision", VISIONS)
@pytest.mark.parametrize("name", RAMPS)
def test_neighbouring_steps_of_each_ramp_stay_apart(name, vision):
    colours = RAMPS[name]
    gap, a, b = _closest(colours, [(i, i + 1) for i in range(len(colours) - 1)], vision)
    assert gap >= RAMP_STEP, f"{name} under {vision}: {a} and {b} are only {gap:.1f} apart"


@pytest.mark.parametrize("vision", VISIONS)
def test_the_sequential_ramp_darkens_step_by_step(vision):
    lightness = [lab(c, vision)[0] for c in palettes.SEQUENTIAL]
    assert all(np.diff(lightness) < -4)


@pytest.mark.parametrize("vision", VISIONS)
def test_hot_and_cold_classes_of_the_same_strength_stay_apart(vision):
    hot, cold = palettes.DIVERGING[:3], palettes.DIVERGING[:3:-1]
    for h, c in zip(hot, cold, strict=True):
        assert delta_e00(lab(h, vision), lab(c, vision)) >= 2 * CATEGORY_GAP


@pytest.mark.parametrize("vision", VISIONS)
@pytest.mark.parametrize("name", CATEGORICAL)
def test_every_pair_of_classes_stays_apart(name, vision):
    colours = CATEGORICAL[name]
    pairs = [(i, j) for i in range(len(colours)) for j in range(i + 1, len(colours))]
    gap, a, b = _closest(colours, pairs, vision)
    assert gap >= CATEGORY_GAP, f"{name} under {vision}: {a} and {b} are only {gap:.1f} apart"


def test_the_old_palettes_would_have_failed():
    """The rules above are not vacuous: the palettes they replaced break them."""
    ylorrd = ("#ffeda0", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#b10026")
    gap, *_ = _closest(ylorrd, [(i, i + 1) for i in range(6)], "deuteranopia")
    assert gap < RAMP_STEP
    grey_other = ("#D55E00", "#0072B2", "#E69F00", "#CC79A7", "#009E73", "#999999")
    pairs = [(i, j) for i in range(6) for j in range(i + 1, 6)]
    assert _closest(grey_other, pairs, "deuteranopia")[0] < CATEGORY_GAP


def test_the_palettes_cover_their_vocabularies_and_feed_the_figures():
    assert set(palettes.CATEGORY) == set(CATEGORIES)
    assert set(palettes.SOURCE) == set(SOURCES)
    assert set(palettes.EMERGING) == set(emerging_hotspot.CATEGORIES)
    assert DIVERGING_COLOURS == palettes.DIVERGING and EMERGING_COLOURS == palettes.EMERGING
    assert palettes.ramp(("#000000", "#ffffff", "#ff0000")) == [
        [0.0, "#000000"],
        [0.5, "#ffffff"],
        [1.0, "#ff0000"],
    ]
    assert palettes.category_colour("arson") == palettes.FALLBACK
