"""The transfer state machine: every allowed and every refused transition (table-driven)."""

from __future__ import annotations

import itertools

import pytest

from f0monitor.domain import transfers as lc

DETAILS = {"ambulance_ref": "115-0812", "has_facility": True, "note": "no bed"}

ALLOWED = {
    ("requested", "accept"): "accepted",
    ("requested", "cancel"): "cancelled",
    ("requested", "refuse"): "refused",
    ("accepted", "dispatch"): "dispatched",
    ("accepted", "cancel"): "cancelled",
    ("accepted", "refuse"): "refused",
    ("dispatched", "arrive"): "arrived",
    ("dispatched", "admit"): "admitted",
    ("dispatched", "cancel"): "cancelled",
    ("dispatched", "refuse"): "refused",
    ("arrived", "admit"): "admitted",
    ("arrived", "cancel"): "cancelled",
    ("arrived", "refuse"): "refused",
}
# Dispatch straight from "requested" needs a coordinator's override (tested below).
REFUSED = sorted(set(itertools.product(lc.STATES, lc.ACTIONS)) - set(ALLOWED))


@pytest.mark.parametrize(("state", "action"), sorted(ALLOWED))
def test_allowed_transition(state, action):
    step = lc.apply(state, action, **DETAILS)
    assert (step.from_state, step.to_state) == (state, ALLOWED[(state, action)])
    assert action in lc.allowed_actions(state)


@pytest.mark.parametrize(("state", "action"), REFUSED)
def test_refused_transition_names_the_current_state(state, action):
    with pytest.raises(lc.TransitionRefused) as info:
        lc.apply(state, action, **DETAILS)
    assert info.value.state == state and info.value.action == action
    assert action not in lc.allowed_actions(state)


@pytest.mark.parametrize(
    ("state", "action", "missing", "field"),
    [
        ("accepted", "dispatch", {"ambulance_ref": "  "}, "ambulance_ref"),
        ("accepted", "dispatch", {"ambulance_ref": None}, "ambulance_ref"),
        ("requested", "accept", {"has_facility": False}, "facility_id"),
        ("arrived", "admit", {"has_facility": False}, "facility_id"),
        ("dispatched", "admit", {"has_facility": False}, "facility_id"),
        ("requested", "cancel", {"note": ""}, "note"),
        ("arrived", "refuse", {"note": " \n"}, "note"),
    ],
)
def test_an_action_needs_its_detail(state, action, missing, field):
    with pytest.raises(lc.MissingDetail) as info:
        lc.apply(state, action, **{**DETAILS, **missing})
    assert info.value.field == field


def test_dispatch_waits_for_acceptance_unless_overridden():
    with pytest.raises(lc.NeedsAcceptance) as info:
        lc.apply("requested", "dispatch", **DETAILS)
    assert info.value.state == "requested"
    assert "dispatch" not in lc.allowed_actions("requested")
    step = lc.apply("requested", "dispatch", override=True, **DETAILS)
    assert step.to_state == "dispatched"
    assert "dispatch" in lc.allowed_actions("requested", override=True)


def test_final_states_allow_nothing():
    final = ("admitted", "cancelled", "refused")
    assert set(lc.STATES) - set(lc.OPEN_STATES) == set(final)
    for state in final:
        assert lc.allowed_actions(state) == ()
        assert not lc.is_open(state)
    assert all(lc.is_open(s) for s in lc.OPEN_STATES)


def test_unknown_action_or_state():
    with pytest.raises(ValueError):
        lc.apply("requested", "teleport")
    with pytest.raises(ValueError):
        lc.apply("lost", "dispatch", **DETAILS)


# Purity (standard library only, no clock) is checked for every domain module, this one
# included, by tests/test_domain_is_pure.py.
