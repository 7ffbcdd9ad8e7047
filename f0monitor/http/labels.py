"""People's words for transfers, discharge and consult requests (pages and API alike)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..domain.text import Msg
from .i18n import current_lang

STATE_LABELS = {
    "requested": _l("requested"),
    "dispatched": _l("ambulance dispatched"),
    "arrived": _l("ambulance arrived"),
    "admitted": _l("admitted"),
    "cancelled": _l("cancelled"),
    "refused": _l("refused by the facility"),
}
ACTION_LABELS = {
    "request": _l("Transfer requested"),
    "dispatch": _l("Dispatch ambulance"),
    "arrive": _l("Ambulance arrived"),
    "admit": _l("Admitted"),
    "cancel": _l("Cancel transfer"),
    "refuse": _l("Facility refused"),
}
EVENT_LABELS = {
    "request": _l("Requested"),
    "dispatch": _l("Ambulance dispatched"),
    "arrive": _l("Ambulance arrived"),
    "admit": _l("Admitted"),
    "cancel": _l("Cancelled"),
    "refuse": _l("Refused by the facility"),
}
OUTCOME_LABELS = {
    "recovered": _l("Recovered (completed home treatment)"),
    "deceased": _l("Deceased"),
    "withdrawn": _l("Withdrawn from home follow-up"),
}
STATUS_LABELS = {
    "active": _l("under home treatment"),
    "transferred": _l("transferred to a facility"),
    "recovered": _l("recovered"),
    "deceased": _l("deceased"),
    "withdrawn": _l("withdrawn"),
}
CATEGORY_LABELS = {
    "medical": _l("Medical consultation"),
    "testing": _l("Testing, isolation (CDC)"),
    "violation": _l("Report a breach of epidemic rules"),
    "emergency": _l("Emergency: someone is very ill now"),
}
FORWARD_LABELS = {
    "ward_station": _l("Ward health station"),
    "cdc": _l("Provincial CDC"),
    "115": _l("115 emergency centre"),
}
CONSULT_STATE_LABELS = {
    "open": _l("waiting"),
    "answered": _l("answered"),
    "forwarded": _l("forwarded"),
}


def state_label(state: str | None) -> str:
    """Return a transfer state in words."""
    return str(STATE_LABELS.get(state or "", state or ""))


def transfer_refused_message(action: str, state: str) -> str:
    """Say that an action is not allowed and what state the transfer is in."""
    return _(
        "“%(action)s” is not possible: the transfer is now %(state)s.",
        action=ACTION_LABELS.get(action, action),
        state=state_label(state),
    )


def transfer_changed_message(state: str | None) -> str:
    """Say that someone else changed the transfer, and what it is now."""
    if state is None:
        return _("Someone else changed this transfer. Reload the page and check before acting.")
    return _(
        "Someone else changed this transfer: it is now %(state)s. Check it before acting again.",
        state=state_label(state),
    )


_FIELD_MESSAGES = {
    ("ambulance_ref", "required"): _l("enter the ambulance reference (115 call or vehicle number)"),
    ("ambulance_ref", "too long"): _l("at most 64 characters"),
    ("facility_id", "required"): _l("choose the facility that admits the patient"),
    ("facility_id", "unknown facility"): _l("choose a facility of this province from the list"),
    ("note", "required"): _l("give the reason"),
    ("note", "too long"): _l("at most 1000 characters"),
    ("reason", "required"): _l("say why the patient needs a transfer"),
    ("reason", "too long"): _l("at most 1000 characters"),
    ("action", "unknown action"): _l("unknown action"),
    ("bed_capacity", "negative"): _l("cannot be negative"),
    ("free_beds", "negative"): _l("cannot be negative"),
    ("free_beds", "more than capacity"): _l("cannot be more than the number of beds"),
    ("outcome", "unknown outcome"): _l("choose how home treatment ended"),
    ("negative_test_date", "in the future"): _l("the test date cannot be in the future"),
    ("negative_test_date", "before the positive test"): _l("the test date is before the positive test"),
    ("negative_test_date", "before day 7"): _l("a negative test counts only from day 7 of treatment"),
    ("question", "required"): _l("write your question"),
    ("question", "too long"): _l("at most 2000 characters"),
    ("answer", "required"): _l("write the answer"),
    ("answer", "too long"): _l("at most 4000 characters"),
    ("category", "not a queued category"): _l("choose a topic"),
    ("forwarded_to", "unknown target"): _l("choose where to forward it"),
}


def field_message(field: str, code: str) -> str:
    """Return the message shown at a field for a service's error code."""
    return str(_FIELD_MESSAGES.get((field, code), code))


def discharge_refusal_message(exc: Any) -> str:
    """Say why a discharge is refused (the §7 rule's own words for recovery)."""
    if exc.code == "recovery_not_allowed" and exc.reason is not None:
        return _("Cannot mark recovered yet: %(why)s.", why=exc.reason.message(current_lang()))
    return {
        "not_active": _("Home treatment of this patient has already ended."),
        "transfer_open": _("A transfer is under way: finish or cancel it first."),
        "alert_open": _("An alert is open: resolve it with its outcome before marking recovery."),
    }.get(exc.code, _("This conflicts with the current state."))


def render(message: Msg | str) -> str:
    """Translate an untranslated message of the inner layers into the reader's language.

    A ``Msg`` parameter that is itself a ``Msg`` is rendered first; a plain string (already
    translated, or not a message at all) is returned as it is.
    """
    if not isinstance(message, Msg):
        return str(message)
    params = {k: render(v) if isinstance(v, Msg) else v for k, v in message.params.items()}
    return _(message.id, **params)


def render_all(messages: Iterable[Msg | str]) -> list[str]:
    """Render a list of field messages (see ``render``)."""
    return [render(m) for m in messages]


def render_fields(errors: Mapping[str, Iterable[Msg | str]]) -> dict[str, list[str]]:
    """Render the messages of a field → messages mapping (see ``render``)."""
    return {name: render_all(messages) for name, messages in errors.items()}
