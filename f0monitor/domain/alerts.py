"""The alert state machine: pure rules, no Flask, no database.

open → acknowledged (by a named person) → resolved with an outcome; an open alert may also be
resolved directly (e.g. a false alarm seen at once). An alert left unacknowledged for
``ESCALATE_AFTER`` is escalated: this is a property of time, not a state, so it is computed
from ``opened_at`` whenever it is asked for.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from .states import AlertOutcome, AlertState, values

OPEN = AlertState.OPEN
ACKNOWLEDGED = AlertState.ACKNOWLEDGED
RESOLVED = AlertState.RESOLVED
STATES = values(AlertState)

OUTCOMES = values(AlertOutcome)

# Issue 4: "an alert unacknowledged for 15 minutes is escalated".
ESCALATE_AFTER = timedelta(minutes=15)

ACTIONS = ("acknowledge", "resolve")

# action -> states it is allowed from -> state it leads to
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "acknowledge": (frozenset({OPEN}), ACKNOWLEDGED),
    "resolve": (frozenset({OPEN, ACKNOWLEDGED}), RESOLVED),
}


class Refused(Exception):
    """The action is not allowed from the current state (or lacks what it needs)."""

    def __init__(self, action: str, state: str, reason: str = "not_allowed") -> None:
        super().__init__(f"cannot {action} an alert that is {state} ({reason})")
        self.action = action
        self.state = state
        self.reason = reason


def allowed_actions(state: str) -> tuple[str, ...]:
    """Return the actions allowed from a state, in a stable order."""
    return tuple(a for a in ACTIONS if state in TRANSITIONS[a][0])


def apply(state: str, action: str, outcome: str | None = None) -> str:
    """Return the state an action leads to.

    :raise Refused: when the action is unknown, not allowed from `state`, or a resolution
        lacks a known outcome.
    """
    if state not in STATES:
        raise ValueError(f"unknown alert state {state!r}")
    if action not in TRANSITIONS:
        raise Refused(action, state, "unknown_action")
    sources, target = TRANSITIONS[action]
    if state not in sources:
        raise Refused(action, state)
    if action == "resolve" and outcome not in OUTCOMES:
        raise Refused(action, state, "outcome_required")
    return target


def acknowledge(state: str) -> str:
    """Return the state after acknowledging. :raise Refused: unless the alert is open."""
    return apply(state, "acknowledge")


def resolve(state: str, outcome: str | None) -> str:
    """Return the state after resolving with an outcome. :raise Refused: when not allowed."""
    return apply(state, "resolve", outcome)


def is_escalated(state: str, opened_at: datetime, now: datetime) -> bool:
    """Tell whether an alert is escalated: still open (unacknowledged) for 15 minutes or more."""
    if opened_at.utcoffset() is None or now.utcoffset() is None:
        raise ValueError("datetimes must be aware")
    return state == OPEN and now - opened_at >= ESCALATE_AFTER


def escalation_due_at(opened_at: datetime) -> datetime:
    """Return the instant an unacknowledged alert becomes escalated."""
    return opened_at + ESCALATE_AFTER


def seconds_to_acknowledge(opened_at: datetime, acknowledged_at: datetime) -> int:
    """Return whole seconds from opening to acknowledgement (never negative)."""
    return max(0, int((acknowledged_at - opened_at).total_seconds()))
