"""Every colour scale and categorical palette the figures and legends use, in one place.

Each palette was chosen so that its classes stay apart for readers with a colour-vision
deficiency: ``tests/dashboard/test_palettes.py`` simulates protanopia, deuteranopia and
tritanopia (Machado, Oliveira & Fernandes 2009) and checks the CIEDE2000 distance of every
pair of classes (categorical palettes) or of neighbouring steps (ramps).

* :data:`SEQUENTIAL` – counts, scores, ranks: ColorBrewer YlOrBr sampled from 8 % to 100 %,
  monotonic in lightness (a grey-scale print keeps the order). YlOrRd, used before, lost two
  neighbouring steps under deuteranopia (ΔE00 5.3).
* :data:`DIVERGING` – Gi* hot (3) to cold (-3): orange–grey–blue. Orange and blue are the
  one hue pair every common deficiency keeps; red–blue lost its near-white steps under
  protanopia.
* :data:`CATEGORY` and :data:`SOURCE` – Okabe & Ito's palette (2008), designed for
  colour-blind readers; black stands for "other".
* :data:`EMERGING` – the 17 emerging hot spot patterns: warm hues for hot patterns, cool hues
  for cold ones (Esri's split), picked from an HLS grid by a greedy max–min search over the
  four visions.
"""

from __future__ import annotations

from collections.abc import Sequence

#: ColorBrewer YlOrBr, 7 steps from 8 % to 100 % of the ramp (pale yellow to dark brown).
SEQUENTIAL: tuple[str, ...] = (
    "#fffacb",
    "#fee697",
    "#fec14c",
    "#f88b22",
    "#da5c0a",
    "#a43904",
    "#662506",
)
#: Hot 99 % … not significant … cold 99 % (the Gi* classes 3 … -3).
DIVERGING: tuple[str, ...] = (
    "#8c2d04",
    "#e6550d",
    "#fdae6b",
    "#f2f2f2",
    "#9ecae1",
    "#3182bd",
    "#08306b",
)
#: A hot cell hot only through its neighbours (Gi* halo): a pale orange, lighter than hot 90 %.
HALO = "#fde3c8"
#: Okabe–Ito, by incident category (:data:`data.vocab.CATEGORIES`).
CATEGORY: dict[str, str] = {
    "domestic_violence": "#D55E00",
    "relationship_dispute": "#0072B2",
    "family_dispute": "#E69F00",
    "child_abuse": "#CC79A7",
    "elder_abuse": "#009E73",
    "other": "#000000",
}
#: Okabe–Ito, by source channel (:data:`data.vocab.SOURCES`).
SOURCE: dict[str, str] = {
    "call_110": "#0072B2",
    "grid_patrol": "#E69F00",
    "court": "#009E73",
    "womens_federation": "#CC79A7",
    "mediation_referral": "#F0E442",
    "mandatory_report": "#D55E00",
    "other": "#000000",
}
#: A code outside the vocabulary (from a newer importer): Okabe–Ito sky blue.
FALLBACK = "#56B4E9"
#: Colour of each emerging hot spot pattern (:data:`layers.emerging_hotspot.CATEGORIES`).
EMERGING: dict[str, str] = {
    "new_hotspot": "#f9ab0f",
    "consecutive_hotspot": "#a88540",
    "intensifying_hotspot": "#a34404",
    "persistent_hotspot": "#570f0f",
    "diminishing_hotspot": "#dfceab",
    "sporadic_hotspot": "#fa4f93",
    "oscillating_hotspot": "#8e1986",
    "historical_hotspot": "#dfabc7",
    "new_coldspot": "#8ec9fc",
    "consecutive_coldspot": "#6e6efb",
    "intensifying_coldspot": "#4106e2",
    "persistent_coldspot": "#190f57",
    "diminishing_coldspot": "#9393d6",
    "sporadic_coldspot": "#04a398",
    "oscillating_coldspot": "#0f5752",
    "historical_coldspot": "#2e7974",
    "no_pattern": "#f2f2f2",
}
#: Outline of the selected station or cell: black reads on every class of every palette
#: above but the darkest, where the 3 px width still shows against the white cell borders.
SELECTION_LINE = "#000000"
#: The time slider's window on the trend chart: a translucent grey band behind the bars.
WINDOW_BAND = "rgba(62,76,89,0.14)"


def ramp(colours: Sequence[str] = SEQUENTIAL) -> list[list]:
    """A plotly colour scale spreading ``colours`` evenly over ``[0, 1]``."""
    last = len(colours) - 1
    return [[i / last, c] for i, c in enumerate(colours)]


def category_colour(code: str) -> str:
    """The colour of an incident category; :data:`FALLBACK` for a code it does not know."""
    return CATEGORY.get(code, FALLBACK)
