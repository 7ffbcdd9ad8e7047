"""The emergency transfer as a pure state machine (no Flask, no SQLAlchemy, no clock).

States (../shared/api.md, Staff): ``requested → accepted → dispatched → arrived → admitted``,
or ``cancelled`` / ``refused`` with a reason. ``accepted`` is the receiving facility saying it
has the bed the request names; ``arrived`` means the ambulance reached the patient.

| action   | allowed from                                | to         | needs                      |
|----------|---------------------------------------------|------------|----------------------------|
| accept   | requested                                   | accepted   | a destination facility     |
| dispatch | accepted (requested only with an override)  | dispatched | an ambulance reference     |
| arrive   | dispatched                                  | arrived    |                            |
| admit    | dispatched, arrived                         | admitted   | a destination facility     |
| cancel   | requested, accepted, dispatched, arrived    | cancelled  | a reason (note)            |
| refuse   | requested, accepted, dispatched, arrived    | refused    | a reason (note)            |

Dispatch waits for the facility's acceptance; a coordinator may override that (the service
checks the role and the audit trail records it) when a patient cannot wait.

Admission is allowed straight from ``dispatched`` because the crew's arrival at the home is
often not radioed in; the admission itself is what matters. ``refuse`` is the receiving
facility saying no (no bed, wrong capability): the transfer ends and a new one can be opened
towards another facility. ``admitted``, ``cancelled`` and ``refused`` are final.
"""

from __future__ import annotations

from dataclasses import dataclass

from .states import TransferState, values

STATES = values(TransferState)
OPEN_STATES = frozenset({TransferState.REQUESTED, TransferState.ACCEPTED, TransferState.DISPATCHED,
                         TransferState.ARRIVED})
INITIAL_STATE = TransferState.REQUESTED
ACTIONS = ("accept", "dispatch", "arrive", "admit", "cancel", "refuse")

# action -> (states it may start from, state it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "accept": (frozenset({"requested"}), "accepted"),
    "dispatch": (frozenset({"requested", "accepted"}), "dispatched"),
    "arrive": (frozenset({"dispatched"}), "arrived"),
    "admit": (frozenset({"dispatched", "arrived"}), "admitted"),
    "cancel": (OPEN_STATES, "cancelled"),
    "refuse": (OPEN_STATES, "refused"),
}
MAX_AMBULANCE_REF = 64
MAX_NOTE = 1000


class TransitionRefused(Exception):
    """The action is not allowed from the transfer's current state."""

    def __init__(self, action: str, state: str) -> None:
        super().__init__(f"cannot {action} a transfer that is {state}")
        self.action = action
        self.state = state


class NeedsAcceptance(TransitionRefused):
    """Dispatch before the receiving facility accepted, without a coordinator's override."""


class MissingDetail(Exception):
    """The action needs a detail that was not given (`field` names it)."""

    def __init__(self, action: str, field: str) -> None:
        super().__init__(f"{action} needs {field}")
        self.action = action
        self.field = field


@dataclass(frozen=True)
class Step:
    """The outcome of an allowed action."""

    action: str
    from_state: str
    to_state: str


def allowed_actions(state: str, *, override: bool = False) -> tuple[str, ...]:
    """Return the actions allowed from a state, in the order of the table above.

    Dispatch from ``requested`` is listed only with `override` (a coordinator's choice).
    """
    return tuple(a for a in ACTIONS if state in TRANSITIONS[a][0]
                 and (override or not (a == "dispatch" and state == TransferState.REQUESTED)))


def is_open(state: str) -> bool:
    """Say whether a transfer in this state is still under way."""
    return state in OPEN_STATES


def apply(
    state: str,
    action: str,
    *,
    ambulance_ref: str | None = None,
    has_facility: bool = False,
    note: str | None = None,
    override: bool = False,
) -> Step:
    """Return the step an action makes from a state.

    :raise ValueError: for an unknown action or state.
    :raise TransitionRefused: when the action is not allowed from `state`.
    :raise MissingDetail: when a required detail (ambulance_ref, facility, note) is missing.
    """
    if state not in STATES:
        raise ValueError(f"unknown state {state!r}")
    if action not in TRANSITIONS:
        raise ValueError(f"unknown action {action!r}")
    sources, target = TRANSITIONS[action]
    if state not in sources:
        raise TransitionRefused(action, state)
    if action == "dispatch" and state == TransferState.REQUESTED and not override:
        raise NeedsAcceptance(action, state)
    if action == "accept" and not has_facility:
        raise MissingDetail(action, "facility_id")
    if action == "dispatch" and not (ambulance_ref or "").strip():
        raise MissingDetail(action, "ambulance_ref")
    if action == "admit" and not has_facility:
        raise MissingDetail(action, "facility_id")
    if action in ("cancel", "refuse") and not (note or "").strip():
        raise MissingDetail(action, "note")
    return Step(action=action, from_state=state, to_state=target)
