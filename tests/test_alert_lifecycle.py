"""The alert state machine: every allowed and every refused transition (pure, no app)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from f0monitor.domain import alerts as lc

T0 = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)

ALLOWED = {
    ("open", "acknowledge"): "acknowledged",
    ("open", "resolve"): "resolved",
    ("acknowledged", "resolve"): "resolved",
}


@pytest.mark.parametrize("state", lc.STATES)
@pytest.mark.parametrize("action", lc.ACTIONS)
def test_every_transition(state, action):
    expected = ALLOWED.get((state, action))
    if expected is None:
        with pytest.raises(lc.Refused) as info:
            lc.apply(state, action, "false_alarm")
        assert info.value.state == state
        assert info.value.action == action
        assert state in str(info.value)
    else:
        assert lc.apply(state, action, "false_alarm") == expected


@pytest.mark.parametrize("outcome", lc.OUTCOMES)
def test_resolve_with_each_outcome(outcome):
    assert lc.resolve("acknowledged", outcome) == "resolved"
    assert lc.resolve("open", outcome) == "resolved"


@pytest.mark.parametrize("outcome", [None, "", "cured", "transferred"])
def test_resolve_needs_a_known_outcome(outcome):
    with pytest.raises(lc.Refused) as info:
        lc.resolve("acknowledged", outcome)
    assert info.value.reason == "outcome_required"
    assert info.value.state == "acknowledged"


def test_acknowledge_twice_is_refused_naming_the_state():
    state = lc.acknowledge("open")
    with pytest.raises(lc.Refused) as info:
        lc.acknowledge(state)
    assert info.value.state == "acknowledged"


def test_unknown_action_and_state():
    with pytest.raises(lc.Refused) as info:
        lc.apply("open", "reopen")
    assert info.value.reason == "unknown_action"
    with pytest.raises(ValueError):
        lc.apply("lost", "acknowledge")


def test_allowed_actions():
    assert lc.allowed_actions("open") == ("acknowledge", "resolve")
    assert lc.allowed_actions("acknowledged") == ("resolve",)
    assert lc.allowed_actions("resolved") == ()


@pytest.mark.parametrize(
    ("state", "minutes", "escalated"),
    [
        ("open", 0, False),
        ("open", 14.99, False),
        ("open", 15, True),
        ("open", 240, True),
        ("acknowledged", 60, False),
        ("resolved", 60, False),
    ],
)
def test_escalation_after_15_minutes_unacknowledged(state, minutes, escalated):
    assert lc.is_escalated(state, T0, T0 + timedelta(minutes=minutes)) is escalated


def test_escalation_needs_aware_times():
    with pytest.raises(ValueError):
        lc.is_escalated("open", T0.replace(tzinfo=None), T0)


def test_seconds_to_acknowledge_and_due_time():
    assert lc.seconds_to_acknowledge(T0, T0 + timedelta(minutes=3, seconds=7)) == 187
    assert lc.seconds_to_acknowledge(T0, T0 - timedelta(seconds=5)) == 0
    assert lc.escalation_due_at(T0) == T0 + timedelta(minutes=15)


# Purity (standard library only, no clock) is checked for every domain module, this one
# included, by tests/test_domain_is_pure.py.
