"""Every label and reason text people see, rendered through Flask-Babel (pages and API alike).

The domain returns codes and parameters only (``Reason(code, params)``, the chart lines of
``chart_thresholds``, vocabulary keys, states); this module is the one place that turns them
into words, in the request's language (and so are the ``Msg`` messages that services return:
``render``). English is the message id, Vietnamese is in
``translations/vi``. Web pages and the API may not import each other, so the issue's
"web/common/labels.py and its API twin" is this one module at the HTTP edge, shared by both.

Numbers keep the reader's decimal mark (38,5 °C in Vietnamese, 38.5 °C in English).
``tests/data/reason_texts.json`` pins the text of every reason code in both languages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from babel.numbers import get_decimal_symbol
from flask_babel import force_locale, get_locale
from flask_babel import lazy_gettext as _l

from ..domain import covid as risk
from ..domain.states import BedType
from ..domain.text import N_, Msg
from .i18n import current_lang
from .i18n import gettext as _

STATE_LABELS = {
    "requested": _l("requested"),
    "accepted": _l("accepted by the facility"),
    "dispatched": _l("ambulance dispatched"),
    "arrived": _l("ambulance arrived"),
    "admitted": _l("admitted"),
    "cancelled": _l("cancelled"),
    "refused": _l("refused by the facility"),
}
ACTION_LABELS = {
    "request": _l("Transfer requested"),
    "accept": _l("Facility accepts"),
    "dispatch": _l("Dispatch ambulance"),
    "arrive": _l("Ambulance arrived"),
    "admit": _l("Admitted"),
    "cancel": _l("Cancel transfer"),
    "refuse": _l("Facility refused"),
}
EVENT_LABELS = {
    "request": _l("Requested"),
    "accept": _l("Accepted by the facility"),
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
    if action == "dispatch" and state == "requested":
        return _("The receiving facility has not accepted the transfer yet. A coordinator may "
                 "dispatch without waiting (tick the box; it is recorded).")
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
    ("bed_type", "unknown bed type"): _l("choose the kind of bed the patient needs"),
    ("reason", "too long"): _l("at most 1000 characters"),
    ("action", "unknown action"): _l("unknown action"),
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


# Beds of every type (general_capacity, icu_free, ...), as the beds service names its fields.
for _kind in map(str, BedType):
    _FIELD_MESSAGES[(f"{_kind}_capacity", "negative")] = _l("cannot be negative")
    _FIELD_MESSAGES[(f"{_kind}_free", "negative")] = _l("cannot be negative")
    _FIELD_MESSAGES[(f"{_kind}_free", "more than capacity")] = _l("cannot be more than the number of beds")
    _FIELD_MESSAGES[(f"{_kind}_capacity", "required")] = _l("every facility counts its general beds")


def field_message(field: str, code: str) -> str:
    """Return the message shown at a field for a service's error code."""
    return str(_FIELD_MESSAGES.get((field, code), code))


def discharge_refusal_message(exc: Any) -> str:
    """Say why a discharge is refused (the §7 rule's own words for recovery)."""
    if exc.code == "recovery_not_allowed" and exc.reason is not None:
        return _("Cannot mark recovered yet: %(why)s.", why=reason_text(exc.reason))
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


# --------------------------------------------------------------------------------------------
# Vocabularies: one label per symptom, comorbidity, severity, NEWS2 band and vital
# --------------------------------------------------------------------------------------------

# Display order of the report form (the domain's SYMPTOMS order); the warning signs last.
SYMPTOM_LABELS = {
    "fever": _l("Fever"),
    "cough": _l("Cough"),
    "productive_cough": _l("Cough with phlegm"),
    "sore_throat": _l("Sore throat"),
    "runny_nose": _l("Runny or blocked nose"),
    "fatigue": _l("Tiredness"),
    "headache": _l("Headache"),
    "myalgia": _l("Muscle aches"),
    "chills": _l("Chills"),
    "red_eyes": _l("Red eyes"),
    "loss_of_taste_smell": _l("Loss of taste or smell"),
    "diarrhea": _l("Diarrhoea"),
    "nausea_vomiting": _l("Nausea or vomiting"),
    "anorexia": _l("Loss of appetite"),
    "dizziness": _l("Dizziness"),
    "hemoptysis": _l("Coughing up blood"),
    "shortness_of_breath": _l("Short of breath, breathing hard or abnormal breathing"),
    "chest_pain": _l("Chest pain or tightness"),
    "altered_consciousness": _l("Confused, very drowsy, hard to wake or convulsing"),
    "cyanosis": _l("Blue or grey lips or nails, pale skin"),
    "cannot_drink_or_feed": _l("Cannot drink or feed, or vomits everything"),
    "other_acute_illness": _l("Another acute illness (dengue, hand-foot-mouth disease…)"),
    "wants_call": _l("I feel worse and want a call"),
}
# The symptoms ticked on the report form; the warning signs are asked one by one instead.
CHECKBOX_SYMPTOM_LABELS = {
    key: label for key, label in SYMPTOM_LABELS.items() if key not in risk.WARNING_SYMPTOMS
}
# 4038/QĐ-BYT Annex 01, the child list's prematurity, and "other". Reasons list them too
# ("Underlying condition: Diabetes, Hypertension").
COMORBIDITY_LABELS = {
    "diabetes": _l("Diabetes"),
    "chronic_lung_disease": _l("Chronic lung disease (COPD and others)"),
    "cancer": _l("Cancer"),
    "chronic_kidney_disease": _l("Chronic kidney disease"),
    "transplant": _l("Organ or stem-cell transplant"),
    "obesity": _l("Obesity, overweight"),
    "cardiovascular_disease": _l("Cardiovascular disease"),
    "cerebrovascular_disease": _l("Cerebrovascular disease"),
    "down_syndrome": _l("Down syndrome"),
    "hiv": _l("HIV/AIDS"),
    "neurological_disease": _l("Neurological disease, including dementia"),
    "sickle_cell_disease": _l("Sickle cell disease"),
    "asthma": _l("Asthma"),
    "hypertension": _l("Hypertension"),
    "immunodeficiency": _l("Immunodeficiency"),
    "liver_disease": _l("Liver disease"),
    "substance_use_disorder": _l("Substance use disorder"),
    "immunosuppressant_use": _l("Corticosteroid or other immunosuppressant use"),
    "systemic_disease": _l("Systemic disease"),
    "prematurity": _l("Prematurity, low birth weight (children)"),
    "other": _l("Other underlying condition"),
}
SEVERITY_LABELS = {
    "asymptomatic": _l("asymptomatic"),
    "mild": _l("mild"),
    "moderate": _l("moderate"),
    "severe": _l("severe"),
    "unknown": _l("unknown (breathing rate and SpO2 not measured)"),
}
NEWS2_BAND_LABELS = {
    "low": _l("low"),
    "low_medium": _l("low–medium (a single parameter scored 3)"),
    "medium": _l("medium"),
    "high": _l("high"),
}
# Units as people read them (chart titles, hover text); the others read the same in both.
UNIT_LABELS = {"/min": _l("/min")}
VITAL_LABELS = {
    "temperature_c": _l("temperature"),
    "spo2": "SpO2",
    "pulse": _l("pulse"),
    "respiratory_rate": _l("breathing rate"),
    "systolic_bp": _l("systolic blood pressure"),
    "diastolic_bp": _l("diastolic blood pressure"),
    "consciousness": _l("consciousness"),
}


def symptom_label(key: str) -> str:
    """Return a symptom in words (the key itself when unknown)."""
    return str(SYMPTOM_LABELS.get(key, key))


def comorbidity_label(key: str) -> str:
    """Return a comorbidity in words (the key itself when unknown)."""
    return str(COMORBIDITY_LABELS.get(key, key))


# --------------------------------------------------------------------------------------------
# Reasons: Reason(code, params) or a stored row {code, params} -> text
# --------------------------------------------------------------------------------------------

Params = Mapping[str, Any]

_OPS = {"<": "<", "<=": "≤", ">": ">", ">=": "≥"}


@contextmanager
def _language(lang: str | None) -> Iterator[None]:
    """Render in another language than the request's when asked (e.g. a patient's own)."""
    if lang is None or lang == current_lang():
        yield
    else:
        with force_locale(lang):
            yield


def _num(value: object) -> str:
    """Return a parameter as shown: one decimal with the reader's decimal mark; lists joined."""
    if isinstance(value, float):
        locale = get_locale()
        return f"{value:.1f}".replace(".", get_decimal_symbol(locale) if locale else ".")
    if isinstance(value, tuple):
        return ", ".join(_num(v) for v in value)
    return str(value)


def _conditions(keys: object) -> str:
    labels = []
    for key in keys if isinstance(keys, tuple) else ():
        labels.append("BMI ≥ 30" if key == "BMI_30" else comorbidity_label(key))
    return ", ".join(labels)


def _w3(p: Params) -> str:
    values = {"value": p["value"], "op": _OPS[p["op"]], "limit": p["limit"]}
    if p.get("recheck"):
        return _("Low SpO2: SpO2 %(value)s%% (%(op)s %(limit)s%%) (recheck)", **values)
    return _("Low SpO2: SpO2 %(value)s%% (%(op)s %(limit)s%%)", **values)


def _w5(p: Params) -> str:
    parts = []
    if "systolic_bp" in p:
        parts.append(
            _("systolic %(value)s mmHg (< %(limit)s)", value=p["systolic_bp"], limit=p["systolic_limit"])
        )
    if "diastolic_bp" in p:
        parts.append(
            _("diastolic %(value)s mmHg (< %(limit)s)", value=p["diastolic_bp"], limit=p["diastolic_limit"])
        )
    return _("Low blood pressure: %(values)s", values=", ".join(parts))


def _w11(p: Params) -> str:
    texts = {
        "patient": _l("the patient feels worse and wants a call"),
        "staff": _l("a staff member judged that the patient needs attention"),
    }
    by = p.get("by", ())
    parts = [str(texts[b]) for b in by if isinstance(by, tuple) and b in texts]
    return _("Needs help: %(who)s", who="; ".join(parts))


def _c2(p: Params) -> str:
    temperature = _num(p["temperature_c"])
    if "fever_hours" in p:
        return _(
            "Fever ≥ %(limit)s °C for %(hours)s hours (now %(temperature)s °C)",
            limit=_num(p["fever_limit"]),
            hours=p["fever_hours"],
            temperature=temperature,
        )
    return _(
        "High fever %(temperature)s °C (> %(limit)s °C) in a child",
        temperature=temperature,
        limit=_num(p["limit"]),
    )


def _news2_total(band: Callable[[], str]) -> Callable[[Params], str]:
    def text(p: Params) -> str:
        if p.get("complete", True):
            return f"NEWS2 = {p['score']} ({band()})"
        return _("NEWS2 at least %(score)s (%(band)s; some values not measured)", score=p["score"], band=band())

    return text


_NEWS2_PARAMETERS: dict[str, Callable[[str], str]] = {
    "respiratory_rate": lambda v: _("respiratory rate %(value)s/min", value=v),
    "spo2": lambda v: f"SpO2 {v}%",
    "systolic_bp": lambda v: _("systolic BP %(value)s mmHg", value=v),
    "pulse": lambda v: _("pulse %(value)s/min", value=v),
    "consciousness": lambda v: _("new confusion"),
    "temperature_c": lambda v: _("temperature %(value)s °C", value=v),
}


def _w2(p: Params) -> str:
    if p.get("op") == "<=":
        return _(
            "Very slow breathing: respiratory rate %(value)s/min (≤ %(limit)s/min)",
            value=_num(p["value"]),
            limit=_num(p["limit"]),
        )
    return _(
        "Fast breathing: respiratory rate %(value)s/min (≥ %(limit)s/min for age)",
        value=_num(p["value"]),
        limit=_num(p["limit"]),
    )


_NEWS2_PART_NAMES: dict[str, Callable[[], str]] = {
    "respiratory_rate": lambda: _("breathing rate"),
    "spo2": lambda: "SpO2",
    "air_or_oxygen": lambda: _("oxygen"),
    "systolic_bp": lambda: _("systolic blood pressure"),
    "pulse": lambda: _("pulse"),
    "consciousness": lambda: _("consciousness"),
    "temperature_c": lambda: _("temperature"),
}


def _w12(p: Params) -> str:
    """W12: the NEWS2 score and the points of each part, e.g. "pulse 3 + SpO2 2 + …"."""
    parts = []
    for item in p.get("parts", ()) or ():
        name, points = tuple(item)
        label = _NEWS2_PART_NAMES.get(str(name), lambda n=name: str(n))()
        parts.append(f"{label} {points}")
    values = {"score": p["score"], "limit": p.get("limit", 7), "parts": " + ".join(parts)}
    if p.get("complete", True):
        return _("NEWS2 emergency score %(score)s (≥ %(limit)s): %(parts)s", **values)
    return _(
        "NEWS2 at least %(score)s (≥ %(limit)s) on the values measured: %(parts)s", **values
    )


def _news2_single(p: Params) -> str:
    name = str(p.get("parameter"))
    value = p.get("value")
    shown = _num(value) if value is not None else ""
    label = _NEWS2_PARAMETERS.get(name, lambda v: f"{name} {v}")
    what = label(shown) if value is not None else label(shown).strip()
    return _("NEWS2: %(what)s scores 3", what=what)


def _elig_severity(p: Params) -> str:
    severity = str(SEVERITY_LABELS.get(str(p.get("severity")), "?"))
    return _(
        "Severity %(severity)s: only asymptomatic or mild patients may be treated at home",
        severity=severity,
    )


def _baseline(p: Params) -> dict[str, object]:
    """The parameters of the baseline texts, as the rules give them."""
    return {
        "age": p.get("age"),
        "conditions": _conditions(p.get("conditions", ())),
        "bmi": _num(p.get("bmi")),
        "months": p.get("months"),
    }


_REASON_TEXTS: dict[str, Callable[[Params], str]] = {
    "W1": lambda p: _("Shortness of breath or abnormal breathing"),
    "W2": _w2,
    "W3": _w3,
    "W4": lambda p: _(
        "Abnormal pulse: %(value)s/min (%(op)s %(limit)s)",
        value=p["value"],
        op=_OPS[p["op"]],
        limit=p["limit"],
    ),
    "W5": _w5,
    "W6": lambda p: _("Chest pain or tightness"),
    "W7": lambda p: _("Altered consciousness: confusion, drowsiness, hard to wake or convulsions"),
    "W8": lambda p: _("Cyanosis: blue or grey lips or nails, pale skin"),
    "W9": lambda p: _("Cannot drink or feed, or vomits everything"),
    "W10": lambda p: _("Another acute illness (dengue, hand-foot-mouth disease…)"),
    "W11": _w11,
    "C2": _c2,
    "W12": _w12,
    # VN-2022.1's code for NEWS2 >= 7 (W12 since VN-2022.2): assessments stored under it
    # keep their version and their words.
    "NEWS2_HIGH": _news2_total(lambda: _("≥ 7: high risk")),
    "NEWS2_MEDIUM": _news2_total(lambda: _("5–6: medium risk")),
    "NEWS2_SINGLE_3": _news2_single,
    "AGE_65_COMORBID": lambda p: _(
        "Aged 65 or over (%(age)s) with an underlying condition: %(conditions)s", **_baseline(p)
    ),
    "AGE_65_UNVACCINATED": lambda p: _("Aged 65 or over (%(age)s), not fully vaccinated", **_baseline(p)),
    "AGE_65_VACCINATED": lambda p: _(
        "Aged 65 or over (%(age)s), fully vaccinated, no underlying condition", **_baseline(p)
    ),
    "COMORBIDITY": lambda p: _("Underlying condition: %(conditions)s", **_baseline(p)),
    "BMI_30": lambda p: _(
        "Obesity: BMI %(bmi)s (≥ 30), counts as an underlying condition", **_baseline(p)
    ),
    "AGE_50_64_UNVACCINATED": lambda p: _("Aged 50–64 (%(age)s), not fully vaccinated", **_baseline(p)),
    "PREGNANT": lambda p: _("Pregnant"),
    "POSTPARTUM": lambda p: _("Gave birth in the last 42 days"),
    "INFANT_UNDER_3_MONTHS": lambda p: _("Infant under 3 months (%(months)s months)", **_baseline(p)),
    "AGE_50_64_VACCINATED": lambda p: _(
        "Aged 50–64 (%(age)s), fully vaccinated, no underlying condition", **_baseline(p)
    ),
    "UNVACCINATED": lambda p: _("Aged 3 months to 49 years, not fully vaccinated"),
    "BMI_25": lambda p: _("Overweight: BMI %(bmi)s (25–29.9)", **_baseline(p)),
    "LOW_RISK": lambda p: _(
        "Low risk: aged 3 months to 49 years, fully vaccinated, no underlying condition, "
        "not pregnant"
    ),
    "ELIG_WARNING_SIGNS": lambda p: _(
        "Warning signs (%(codes)s): needs assessment for facility care", codes=_num(p.get("codes", ()))
    ),
    "ELIG_SEVERITY": _elig_severity,
    "ELIG_COMORBIDITY": lambda p: _(
        "Underlying condition not under stable treatment: %(conditions)s", **_baseline(p)
    ),
    "RECOVERY_BEFORE_DAY_7": lambda p: _(
        "Treatment day %(day)s: at the earliest from day %(with_test_day)s with a negative rapid "
        "antigen test, otherwise from day %(without_test_day)s",
        **{k: _num(v) for k, v in p.items()},
    ),
    "RECOVERY_NEEDS_NEGATIVE_TEST": lambda p: _(
        "Treatment day %(day)s: needs a negative rapid antigen test done or supervised by a "
        "health worker, or wait until day %(without_test_day)s",
        **{k: _num(v) for k, v in p.items()},
    ),
}
LABELLED_REASON_CODES = frozenset(_REASON_TEXTS)


def _params(params: object) -> dict[str, Any]:
    """Return a reason's parameters as a dict; JSON gave lists back where the rules put tuples."""
    pairs: Any = params.items() if isinstance(params, Mapping) else (params or ())
    return {key: tuple(value) if isinstance(value, list) else value for key, value in pairs}


def _code_and_params(reason: risk.Reason | Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    if isinstance(reason, risk.Reason):
        return reason.code, _params(reason.params)
    return str(reason["code"]), _params(reason.get("params"))


def _render(code: str, params: Params) -> str:
    text = _REASON_TEXTS.get(code)
    return code if text is None else text(params)


def reason_text(reason: risk.Reason | Mapping[str, Any], lang: str | None = None) -> str:
    """Return the plain-language text of a reason, or of a stored row {code, params}.

    An unknown code shows as itself. ``lang`` renders in that language instead of the request's.
    """
    with _language(lang):
        return _render(*_code_and_params(reason))


def render_reasons(
    rows: Sequence[risk.Reason | Mapping[str, Any]] | None, lang: str | None = None
) -> list[dict[str, str]]:
    """Return reasons (stored rows {code, params}, or Reason objects) as {code, message}."""
    with _language(lang):
        return [
            {"code": code, "message": _render(code, params)}
            for code, params in map(_code_and_params, rows or ())
        ]


def assessment_dict(result: risk.Assessment, lang: str | None = None) -> dict[str, Any]:
    """Return the /api/v1/assess response body for a verdict of the rules."""
    n = result.news2
    with _language(lang):
        return {
            "tier": result.tier.value,
            "baseline_tier": result.baseline_tier.value,
            "alert": bool(result.warning_signs),
            "warning_signs": render_reasons(result.warning_signs),
            "reasons": render_reasons(result.reasons),
            "news2": None if n is None else {"score": n.score, "band": n.band, "complete": n.complete},
            "severity": result.severity,
            "eligible_home_care": result.eligible_home_care,
            "rules_version": result.rules_version,
        }


# --------------------------------------------------------------------------------------------
# Chart warning lines: (value, code, params) from the domain -> (value, label)
# --------------------------------------------------------------------------------------------

_CHART_TEXTS: dict[str, Callable[[Params], str]] = {
    "fever": lambda p: _("fever"),
    "C2": lambda p: _("high fever"),
    "W3": lambda p: _("low SpO2 (%(op)s %(limit)s)", op=p["op"], limit=p["limit"]),
    "W2": lambda p: _("fast breathing (≥ %(limit)s)", limit=p["limit"]),
    "W4_high": lambda p: _("fast pulse (> %(limit)s)", limit=p["limit"]),
    "W4_low": lambda p: _("slow pulse (< %(limit)s)", limit=p["limit"]),
}
LABELLED_CHART_CODES = frozenset(_CHART_TEXTS)


def chart_line_label(code: str, params: Params) -> str:
    """Return the label of a chart warning line (the code itself when unknown)."""
    text = _CHART_TEXTS.get(code)
    return code if text is None else text(params)


def chart_lines(
    thresholds: Mapping[str, Sequence[tuple[float, str, Params]]],
) -> dict[str, tuple[tuple[float, str], ...]]:
    """Return the domain's chart thresholds as (value, label) lines per vital, for the charts."""
    return {
        vital: tuple((value, chart_line_label(code, params)) for value, code, params in lines)
        for vital, lines in thresholds.items()
    }


# The staff workspace's vocabularies: contact log, alert outcomes, roles, queue flags.
CONTACT_CHANNEL_LABELS = {
    "phone": _l("Phone call"),
    "sms": _l("SMS"),
    "zalo": _l("Zalo"),
    "visit": _l("Home visit"),
}
CONTACT_OUTCOME_LABELS = {
    "reached": _l("Reached"),
    "no_answer": _l("No answer"),
    "wrong_number": _l("Wrong number"),
    "visited": _l("Visited"),
    "refused": _l("Refused to answer"),
}
ALERT_OUTCOME_LABELS = {
    "advised_at_home": _l("Advised, stays at home"),
    "transfer": _l("Transfer to hospital"),
    "false_alarm": _l("False alarm"),
    "unreachable": _l("Could not be reached"),
}
ROLE_LABELS = {
    "volunteer": _l("Volunteer"),
    "doctor": _l("Doctor"),
    "coordinator": _l("Coordinator"),
    "department": _l("Health department"),
    "admin": _l("Administrator"),
    "facility": _l("Receiving facility"),
}
FLAG_LABELS = {
    "alert": _l("Alert"),
    "overdue": _l("Overdue (12 h)"),
    "missing": _l("Missing (24 h)"),
    "call_due": _l("Due for a call"),
}

# Follow-up channels and call rounds (issue 10).
FOLLOW_UP_LABELS = {
    "app": _l("App: reports by themselves"),
    "sms": _l("SMS: answers text messages (feature phone)"),
    "phone": _l("Phone: called twice a day"),
}
FOLLOW_UP_SHORT = {"app": _l("app"), "sms": _l("SMS"), "phone": _l("phone calls")}
REPORT_CHANNEL_LABELS = {
    "self": _l("patient"),
    "staff": _l("staff"),
    "api": _l("app"),
    "seed": _l("demo"),
    "import": _l("import"),
    "sms": _l("SMS"),
    "phone": _l("phone call"),
}

# Follow-up channels (issue 10): the outbox, call tasks, reminder channels.
MESSAGE_PURPOSE_LABELS = {
    "reminder": _l("Reminder"),
    "escalation": _l("Escalation to staff"),
    "confirmation": _l("Confirmation"),
    "advice": _l("Advice"),
}
MESSAGE_STATUS_LABELS = {
    "queued": _l("queued"),
    "sent": _l("sent"),
    "delivered": _l("delivered"),
    "failed": _l("failed"),
    "cancelled": _l("not needed"),
}
MESSAGE_CHANNEL_LABELS = {"sms": _l("SMS"), "zalo": _l("Zalo"), "email": _l("E-mail")}
CALL_REASON_LABELS = {
    "phone_round": _l("Phone round"),
    "missed_report": _l("Missed report"),
    "unreadable_sms": _l("Unreadable SMS"),
    "wants_call": _l("Asked for a call"),
}
CALL_OUTCOME_LABELS = {
    "reached": _l("Reached"),
    "no_answer": _l("No answer"),
    "wrong_number": _l("Wrong number"),
    "refused": _l("Refused to answer"),
}
CALL_STATE_LABELS = {
    "due": _l("to call"),
    "claimed": _l("being called"),
    "done": _l("done"),
    "cancelled": _l("not needed"),
}
TIMELINE_KIND_LABELS = {
    "report": _l("Report"),
    "assessment": _l("Assessment"),
    "alert": _l("Alert"),
    "message": _l("Message"),
    "call": _l("Call task"),
    "transfer": _l("Transfer"),
    "note": _l("Contact"),
    "integration": _l("Integration (FHIR service account)"),
}


# Short labels of the warning signs, for the rows of the triage queue ("why did it fire"):
# message ids, translated where used (a lazy string's str() takes Flask-Babel's slow way, and a
# queue page at 1,300 open alerts renders a hundred of them).
WARNING_SHORT_LABELS = {
    "W1": N_("breathing difficulty"),
    "W2": N_("breathing rate"),
    "W3": N_("low SpO2"),
    "W4": N_("abnormal pulse"),
    "W5": N_("low blood pressure"),
    "W6": N_("chest pain"),
    "W7": N_("altered consciousness"),
    "W8": N_("cyanosis"),
    "W9": N_("cannot drink or feed"),
    "W10": N_("another acute illness"),
    "W11": N_("asks for help"),
    "W12": N_("NEWS2 emergency score"),
    "C2": N_("high or lasting fever"),
}


def warning_short(reason: Mapping[str, Any]) -> str:
    """Return a warning sign in a few words with its measured value: "low SpO2 92%"."""
    code = str(reason.get("code", ""))
    params = reason.get("params") or {}
    label = _(WARNING_SHORT_LABELS[code]) if code in WARNING_SHORT_LABELS else code
    value = params.get("value")
    if code == "W3" and value is not None:
        return f"{label} {_num(value)}%"
    if code in ("W2", "W4") and value is not None:
        return _("%(label)s %(value)s/min", label=label, value=_num(value))
    if code == "W5":
        parts = [str(params[k]) for k in ("systolic_bp", "diastolic_bp") if params.get(k) is not None]
        return f"{label} {'/'.join(parts)} mmHg" if parts else label
    if code == "W12" and params.get("score") is not None:
        return f"{label} {params['score']}"
    if code == "C2" and params.get("temperature_c") is not None:
        return f"{label} {_num(float(params['temperature_c']))} °C"
    return label


BED_TYPE_LABELS = {
    "general": _l("General bed"),
    "oxygen": _l("Bed with oxygen"),
    "icu": _l("Intensive care (ICU)"),
    "ventilator": _l("Ventilator"),
}


# The audit trail in words (the stored action codes stay as they are).
AUDIT_ACTION_LABELS = {
    "view": _l("Opened the record"),
    "page": _l("Opened the record"),
    "api": _l("Read the record through the API"),
    "report": _l("Entered a report"),
    "contact": _l("Logged a contact"),
    "assign": _l("Changed who follows the patient"),
    "alert_ack": _l("Acknowledged an alert"),
    "alert_resolve": _l("Resolved an alert"),
    "register": _l("Registered the patient"),
    "claim_code": _l("Issued a one-time code"),
    "update_profile": _l("Corrected the risk profile"),
    "view_profile_form": _l("Opened the risk profile form"),
    "certificate.view": _l("Viewed the completion certificate"),
    "audit_view": _l("Viewed this audit trail"),
    "export_personal_data": _l("Downloaded the personal data"),
    "follow_up": _l("Changed the follow-up channel"),
    "call": _l("Recorded a call"),
    "call_claim": _l("Took the call"),
    "print_summary": _l("Printed a summary"),
    "export_caseload": _l("Exported the caseload"),
    "export_line_list": _l("Downloaded the line list of patients"),
    "export_report_list": _l("Downloaded the line list of reports"),
    "transfer.open": _l("Requested a transfer"),
    "transfer.view": _l("Viewed the transfer"),
    "transfer.list": _l("Listed the transfers"),
    "discharge": _l("Ended home treatment"),
    "anonymise": _l("Anonymised the personal data"),
    "withdraw_consent": _l("Withdrew consent"),
}


def audit_action_label(action: str) -> str:
    """Return an audit action in words: known codes, transfer steps, else the code itself."""
    if action in AUDIT_ACTION_LABELS:
        return str(AUDIT_ACTION_LABELS[action])
    if action.startswith("transfer.") and action[9:] in ACTION_LABELS:
        return _("Transfer: %(step)s", step=ACTION_LABELS[action[9:]])
    if action.startswith("fhir."):
        return _("Read through the FHIR feed (%(what)s)", what=action[5:])
    return action


def role_label(role: str | None) -> str:
    """Return a role in words (a patient too)."""
    if role == "patient":
        return _("patient")
    return str(ROLE_LABELS.get(role or "", role or ""))
