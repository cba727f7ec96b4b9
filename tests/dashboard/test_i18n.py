"""Every interface string in both languages; every vocabulary code with a label."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from dashboard.parts import i18n
from dashboard.parts.figures import EMPTY_REASONS
from dashboard.parts.filters import MAP_RESOLUTIONS, TABS, TREND_PERIODS
from dashboard.parts.i18n import (
    LANGUAGES,
    STRINGS,
    VOCABULARY,
    column_label,
    label,
    normalise_language,
    t,
)
from dashboard.parts.layer_controls import PARAM_VOCABULARY
from dashboard.parts.layer_views import HOVER_COLUMNS, TABLE_COLUMNS
from dashboard.parts.tables import CASE_COLUMNS, DETAIL_FIELDS
from data import vocab
from layers import (
    early_warning,
    emerging_hotspot,
    hotspot,
    patrol_plan,
    repeat_addresses,
    repeat_people,
    service_levels,
)
from layers.registry import REGISTRY

DASHBOARD_DIR = Path(__file__).resolve().parents[2] / "dashboard"

#: Each vocabulary kind and the codes that must have labels.
VOCABULARY_CODES = {
    "category": vocab.CATEGORIES,
    "source": vocab.SOURCES,
    "risk": vocab.RISK_LEVELS,
    "status": vocab.STATUSES,
    "department": vocab.DEPARTMENTS,
    "location_state": vocab.LOCATION_STATES,
    "support_state": vocab.SUPPORT_STATES,
    "urgency": vocab.SUPPORT_URGENCIES,
    "support_reason": vocab.SUPPORT_REASONS,
    "support_subject": vocab.SUPPORT_SUBJECTS,
    "task_action": vocab.TASK_ACTIONS,
}


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(STRINGS))
def test_every_string_has_both_languages_and_the_same_placeholders(key):
    entry = STRINGS[key]
    assert set(entry) == set(LANGUAGES), key
    assert all(entry[lang].strip() for lang in LANGUAGES), key
    assert _placeholders(entry["zh"]) == _placeholders(entry["en"]), key


@pytest.mark.parametrize("kind", sorted(VOCABULARY_CODES))
def test_every_vocabulary_code_has_a_label_in_both_languages(kind):
    for code in VOCABULARY_CODES[kind]:
        entry = VOCABULARY[kind].get(code)
        assert entry is not None, f"{kind}.{code} has no label"
        assert set(entry) == set(LANGUAGES) and all(entry.values()), f"{kind}.{code}"


def test_every_follow_up_outcome_and_department_of_the_demo_has_a_label():
    scenario = pytest.importorskip("data.demo.scenario")
    for outcome in scenario.VISIT_OUTCOMES:
        assert outcome in VOCABULARY["outcome"], outcome
    for department in (
        *scenario.VISIT_DEPARTMENTS,
        *scenario.REPORTING_DEPARTMENT.values(),
        *scenario.FOLLOW_UP_DEPARTMENT_SHARES,
    ):
        assert department in VOCABULARY["department"], department
    for text in (*scenario.STATUS_NOTES.values(), *scenario.VISIT_NOTES.values()):
        assert text in i18n.NOTES_EN, f"standard note {text!r} has no English"


def test_labels_differ_between_languages_where_words_do():
    assert label("category", "domestic_violence", "zh") == "家庭暴力"
    assert label("category", "domestic_violence", "en") == "Domestic violence"
    assert label("risk", "high", "zh") == "高"
    assert label("status", "closed", "en") == "Closed"


def test_unknown_codes_show_as_written_and_missing_values_as_a_dash():
    assert label("category", "stalking", "zh") == "stalking"
    assert label("category", None, "en") == i18n.MISSING
    with pytest.raises(KeyError, match="colour"):
        label("colour", "red", "zh")


def test_an_unknown_key_is_an_error_that_names_it():
    with pytest.raises(KeyError, match=r"no\.such\.key"):
        t("no.such.key", "zh")


def test_placeholders_are_filled():
    assert t("cases.total", "zh", n=12) == "共 12 起"
    assert t("cases.total", "en", n=12) == "12 cases"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("en", "en"), ("EN", "en"), ("en-US", "en"), ("zh-CN", "zh"), ("fr", "zh"), (None, "zh")],
)
def test_languages_are_normalised(value, expected):
    assert normalise_language(value) == expected


def test_notes_are_translated_only_when_known():
    assert i18n.note("接警登记", "en") == "Report registered"
    assert i18n.note("接警登记", "zh") == "接警登记"
    assert i18n.note("民警已到场", "en") == "民警已到场"
    assert i18n.note(None, "en") == i18n.MISSING


def test_every_literal_key_used_in_the_dashboard_exists():
    """Catches a mistyped key before a user sees a KeyError banner."""
    pattern = re.compile(r"""\bt\(\s*["']([a-z0-9_.]+)["']""")
    used = {
        key
        for path in DASHBOARD_DIR.rglob("*.py")
        for key in pattern.findall(path.read_text(encoding="utf-8"))
    }
    assert used, "the pattern found no keys: the test would pass vacuously"
    assert used - set(STRINGS) == set()


def test_every_computed_key_family_is_complete():
    computed = (
        [f"res.{r}" for r in MAP_RESOLUTIONS]
        + [f"every.{e}" for e in TREND_PERIODS]
        + [f"field.{c}" for c in CASE_COLUMNS]
        + [f"field.{name}" for name, _ in DETAIL_FIELDS]
        + [f"empty.{r}" for r in EMPTY_REASONS]
        + [f"empty.{r}_hint" for r in EMPTY_REASONS]
        + [f"lang.{lang}" for lang in LANGUAGES]
        + [f"tabs.{tab}" for tab in TABS]
    )
    assert [k for k in computed if k not in STRINGS] == []
    assert set(i18n.dropdown_labels("en")) == {
        "select_all",
        "deselect_all",
        "selected_count",
        "search",
        "clear_search",
        "clear_selection",
        "no_options_found",
    }


# -- analytic layers -------------------------------------------------------------------------------
#: Each layer vocabulary and the codes the layers write.
LAYER_VOCABULARY_CODES = {
    "gi_class": tuple(hotspot.CLASS_LABELS.values()),
    "emerging": emerging_hotspot.CATEGORIES,
    "reason": early_warning.REASONS,
    "ew_kind": early_warning.KINDS,
    "sla": service_levels.SLAS,
    "sla_state": ("all", *service_levels.STATES),
    "patrol_method": patrol_plan.METHODS,
    "role": tuple(repeat_people.ROLES),
}


@pytest.mark.parametrize("kind", sorted(LAYER_VOCABULARY_CODES))
def test_every_layer_code_has_a_label_in_both_languages(kind):
    for code in LAYER_VOCABULARY_CODES[kind]:
        entry = VOCABULARY[kind].get(code)
        assert entry is not None, f"{kind}.{code} has no label"
        assert set(entry) == set(LANGUAGES) and all(entry.values()), f"{kind}.{code}"
    labels = [label(kind, c, "zh") for c in LAYER_VOCABULARY_CODES[kind]]
    assert len(set(labels)) == len(labels), f"two {kind} codes read the same"


def test_every_registered_layer_and_parameter_has_words():
    for layer_id, spec in REGISTRY.items():
        for key in (f"layer.{layer_id}", f"layer_hint.{layer_id}"):
            assert key in STRINGS, key
        if spec.geometry != "table":
            assert f"legend.{layer_id}" in STRINGS, layer_id
        for param in spec.params:
            assert f"param.{param.name}" in STRINGS, f"{layer_id}: {param.name}"
            if param.choices:
                vocabulary = PARAM_VOCABULARY.get(param.name)
                assert vocabulary is not None, f"choices of {param.name} have no vocabulary"
                for choice in param.choices:
                    assert choice in VOCABULARY[vocabulary], f"{param.name}={choice}"


def test_every_shown_column_has_a_header_in_both_languages():
    for layer_id in REGISTRY:
        for column in (*TABLE_COLUMNS[layer_id], *HOVER_COLUMNS.get(layer_id, ())):
            zh, en = column_label(column, "zh", layer_id), column_label(column, "en", layer_id)
            assert zh and en and zh != en, f"{layer_id}.{column}"


def test_every_repeat_address_and_warning_column_has_a_header():
    for schema in (
        repeat_addresses.OUTPUT_SCHEMA,
        repeat_people.OUTPUT_SCHEMA,
        early_warning.OUTPUT_SCHEMA,
        service_levels.OUTPUT_SCHEMA,
        hotspot.OUTPUT_SCHEMA,
        emerging_hotspot.OUTPUT_SCHEMA,
    ):
        for column in schema:
            assert column_label(column, "en"), column


def test_an_unknown_column_is_an_error_that_names_it():
    with pytest.raises(KeyError, match="no_such_column"):
        column_label("no_such_column", "zh")


def test_audit_actions_read_in_words_and_unknown_ones_stay_visible():
    from dashboard.parts.i18n import audit_action_label
    from dashboard.web.push_api import AUDIT_PUSH, AUDIT_REFUSED
    from data.importers.run import AUDIT_IMPORT, AUDIT_IMPORT_STARTED

    for code in (
        "login",
        "login_failed",
        "view_case",
        "reveal",
        "export",
        AUDIT_PUSH,
        AUDIT_REFUSED,
        AUDIT_IMPORT,
        AUDIT_IMPORT_STARTED,
    ):
        zh, en = audit_action_label(code, "zh"), audit_action_label(code, "en")
        assert zh != code and en != code and zh != en, code
    assert audit_action_label("future_action", "zh") == "future_action"
