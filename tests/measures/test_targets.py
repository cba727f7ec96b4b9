"""Targets per measure: read from the setting, and values judged by meaning (good/bad)."""

from __future__ import annotations

import pytest

from data.settings import SettingsError, review_targets
from measures.targets import DEFAULT_TARGETS, judge, parse_targets, past_target


def test_a_share_that_must_rise_and_a_delay_that_must_fall_are_judged_by_meaning():
    targets = {"sla_compliance": 0.9, "median_days_to_close": 15.0}
    assert judge("sla_compliance", 0.95, targets) == "good"  # above a floor
    assert judge("sla_compliance", 0.80, targets) == "bad"
    assert judge("median_days_to_close", 20.0, targets) == "bad"  # above a ceiling
    assert judge("median_days_to_close", 4.0, targets) == "good"
    assert judge("sla_compliance", 0.9, targets) == "good"  # on the target meets it
    assert judge("incidents", 500, targets) == ""  # no target: no colour
    assert judge("sla_compliance", None, targets) == ""
    assert judge("sla_compliance", float("nan"), targets) == ""
    assert past_target("sla_compliance", 0.5, targets) is True


def test_the_setting_replaces_only_the_targets_it_names(monkeypatch):
    monkeypatch.setenv("ANNING_REVIEW_TARGETS", " sla_compliance = 0.8 , late_open=20,")
    targets = review_targets()
    assert targets["sla_compliance"] == 0.8 and targets["late_open"] == 20.0
    assert targets["handled_24h_share"] == DEFAULT_TARGETS["handled_24h_share"]
    monkeypatch.delenv("ANNING_REVIEW_TARGETS")
    assert review_targets() == DEFAULT_TARGETS


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("sla_compliance", "should read measure=value"),
        ("speed=3", "no measure 'speed'"),
        ("incidents=100", "takes no target"),
        ("sla_compliance=ninety", "should be a number"),
        ("repeat_share=30", "its target lies in 0–1"),
    ],
)
def test_a_bad_target_is_refused_naming_the_setting(monkeypatch, text, says):
    with pytest.raises(ValueError, match=says):
        parse_targets(text)
    monkeypatch.setenv("ANNING_REVIEW_TARGETS", text)
    with pytest.raises(SettingsError, match="ANNING_REVIEW_TARGETS"):
        review_targets()
