"""Rule set VN-2022.2 applied: baseline tier, warning signs, severity, eligibility, flags."""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from datetime import date, datetime

from .. import vitals
from ..states import _TIERS, Tier
from .age import _local_date, age_on
from .model import Assessment, News2, Profile, Reason, Report
from .news2 import _news2, _news2_reasons, _w12
from .rules import (
    _AGE_FACTS,
    _BASELINE_ROWS,
    _BMI_FACTS,
    _C2_FEVER,
    _C2_HIGH,
    _C2_SPAN,
    _C2_UNDER,
    _COMORBIDITY_UNDER,
    _ELIGIBLE_SEVERITIES,
    _INF,
    _RED,
    _SEV_FEVER,
    _SEV_FROM,
    _SEV_RANK,
    _SEV_RR,
    _SEV_RR_SLOW,
    _SEV_SEVERE_SYMPTOMS,
    _SEV_SPO2,
    _SEV_SYMPTOMS,
    _SEV_SYSTOLIC_BELOW,
    _W2,
    _W2_SLOW,
    _W3_BOUNDS,
    _W3_VALUES,
    _W4,
    _W5,
    MISSING_AFTER,
    OVERDUE_AFTER,
    RULES,
    _from,
    _upto,
)
from .vocab import COMORBIDITIES, WARNING_SYMPTOMS

# --------------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------------


def _baseline(profile: Profile, months: int) -> tuple[int, tuple[Reason, ...], tuple[str, ...]]:
    """Return (tier rank, reasons, conditions counted as comorbidities incl. "BMI_30")."""
    facts = set(_from(_AGE_FACTS[0], _AGE_FACTS[1], months))
    listed = tuple(
        c
        for c in COMORBIDITIES
        if c in profile.comorbidities and months < _COMORBIDITY_UNDER.get(c, _INF)
    )
    bmi = profile.bmi
    if bmi is not None and bmi >= _BMI_FACTS[0][0]:
        facts.update(_from(_BMI_FACTS[0], _BMI_FACTS[1], bmi))
    if listed:
        facts.update(("listed_comorbidity", "comorbid"))
    if "comorbid" not in facts:
        facts.add("no_comorbid")
    facts.add("vaccinated" if profile.fully_vaccinated else "not_vaccinated")
    if profile.pregnant:
        facts.add("pregnant")
    if profile.postpartum:
        facts.add("postpartum")

    conditions = listed + (("BMI_30",) if "bmi_30" in facts else ())
    rank = 0
    reasons = []
    for code, row_rank, needs in _BASELINE_ROWS:
        if needs <= facts:
            rank = max(rank, row_rank)
            reasons.append(Reason(code, _baseline_params(code, months, bmi, listed, conditions)))
    if not reasons:
        reasons.append(_LOW_RISK)
    return rank, tuple(reasons), conditions


def _baseline_params(
    code: str,
    months: int,
    bmi: float | None,
    listed: tuple[str, ...],
    conditions: tuple[str, ...],
) -> tuple[tuple[str, object], ...]:
    """Return the parameters of one baseline reason (what its message shows)."""
    if code == "AGE_65_COMORBID":
        return (("age", months // 12), ("conditions", conditions))
    if code == "COMORBIDITY":
        return (("conditions", listed),)
    if code in ("BMI_30", "BMI_25"):
        return (("bmi", _bmi_display(bmi)),)
    if code == "INFANT_UNDER_3_MONTHS":
        return (("months", months),)
    if code.startswith("AGE_"):
        return (("age", months // 12),)
    return ()


def _bmi_display(bmi: float | None) -> float:
    # Truncate to one decimal so a BMI of 29.97 reads "29.9", inside the 25-29.9 band.
    return math.floor((bmi or 0.0) * 10 + 1e-9) / 10


def baseline_tier(profile: Profile, on: date) -> tuple[Tier, tuple[Reason, ...]]:
    """Return the 5525/QĐ-BYT baseline tier on a date, with every reason that applies."""
    rank, reasons, _ = _baseline(profile, age_on(profile.date_of_birth, on)[1])
    return _TIERS[rank], reasons


def _fever_48h(report: Report, previous: Sequence[Report]) -> int | None:
    """Return the hours since E when the C2 48-hour fever rule holds, else None."""
    now = report.reported_at
    if report.temperature_c is None or report.temperature_c < _C2_FEVER:
        return None
    cutoff = now - _C2_SPAN
    e_at: datetime | None = None
    for r in previous:
        t = r.reported_at
        if r.temperature_c is not None and t <= cutoff and (e_at is None or t > e_at):
            e_at = t
    if e_at is None:
        return None
    for r in previous:
        t = r.reported_at
        if r.temperature_c is not None and e_at <= t < now and r.temperature_c < _C2_FEVER:
            return None
    return int((now - e_at).total_seconds() // 3600)


def history_needed(profile: Profile, report: Report) -> bool:
    """Whether the verdict on `report` can depend on earlier reports.

    Only C2's 48-hour part reads them, and only for a child under 16 with a fever now: for
    every other report `assess` gives the same verdict with or without the history, so the
    caller need not load it. Keep this in step with every rule that reads earlier reports.
    """
    temp = report.temperature_c
    if temp is None or temp < _C2_FEVER:
        return False
    return age_on(profile.date_of_birth, _local_date(report.reported_at))[1] < _C2_UNDER


HISTORY_SPAN = _C2_SPAN  # the earliest report C2 reads is the latest one at least this old


def _severity(report: Report, spo2: int | None, months: int) -> str | None:
    """§4 adult severity class (VN-2022.2); None under 16.

    severe: RR > 25, SpO2 < 94, W7, W8, systolic < 90 or RR <= 8; moderate: RR 20-25,
    SpO2 94-96, W1 or W6; else mild (a symptom or a fever) or asymptomatic. A missing RR or
    SpO2 never lowers what the rest gives; both missing and no sign: "unknown".
    """
    if months < _SEV_FROM:
        return None
    rr = report.respiratory_rate
    symptoms = report.symptoms
    sbp = report.systolic_bp
    rank = _SEV_RANK["moderate"] if not _SEV_SYMPTOMS.isdisjoint(symptoms) else 0
    if not _SEV_SEVERE_SYMPTOMS.isdisjoint(symptoms) or (
        sbp is not None and sbp < _SEV_SYSTOLIC_BELOW
    ):
        rank = _SEV_RANK["severe"]
    if rr is not None:
        rank = max(rank, _SEV_RANK["severe" if rr <= _SEV_RR_SLOW else _upto(*_SEV_RR, rr)])
    if spo2 is not None:
        rank = max(rank, _SEV_RANK[_upto(*_SEV_SPO2, spo2)])
    if rank >= _SEV_RANK["moderate"]:
        return "severe" if rank == _SEV_RANK["severe"] else "moderate"
    if rr is None and spo2 is None:
        return "unknown"  # nothing measured that could tell mild from moderate
    t = report.temperature_c
    if symptoms or (t is not None and t >= _SEV_FEVER):
        return "mild"
    return "asymptomatic"


# Signs without parameters are shared instances (built once).
# W1 comes first (before the measured signs) and W11 has its own parameters.
_SYMPTOM_SIGNS = tuple(
    (key, Reason(code)) for key, code in WARNING_SYMPTOMS.items() if code not in ("W1", "W11")
)
_W1 = Reason("W1")
_LOW_RISK = Reason("LOW_RISK")
_W11_PATIENT = Reason("W11", (("by", ("patient",)),))
_W11_STAFF = Reason("W11", (("by", ("staff",)),))
_W11_BOTH = Reason("W11", (("by", ("patient", "staff")),))
_NONE: tuple[Reason, ...] = ()

# §2 warning signs, one function per group; each returns the reasons that fire (or none).


def _w1(symptoms: frozenset[str]) -> tuple[Reason, ...]:
    """W1: reported shortness of breath or abnormal breathing."""
    return (_W1,) if "shortness_of_breath" in symptoms else _NONE


def _w2(rr: int | None, months: int) -> tuple[Reason, ...]:
    """W2: respiratory rate at or above the limit for the age, or (from 12 years) <= 8."""
    if rr is None:
        return _NONE
    limit = _from(*_W2, months)
    if rr >= limit:
        return (Reason("W2", (("value", rr), ("limit", limit))),)
    slow = _from(*_W2_SLOW, months)
    if slow is not None and rr <= slow:
        return (Reason("W2", (("value", rr), ("op", "<="), ("limit", slow))),)
    return _NONE


def _w3(spo2: int | None, recheck: bool, months: int) -> tuple[Reason, ...]:
    """W3: SpO2 (the recheck when given) at or below / below the limit for the age."""
    if spo2 is None:
        return _NONE
    op, limit = _W3_VALUES[bisect_right(_W3_BOUNDS, months) - 1]
    if not (spo2 < limit or (op == "<=" and spo2 == limit)):
        return _NONE
    return (Reason("W3", (("value", spo2), ("op", op), ("limit", limit), ("recheck", recheck))),)


def _w4(pulse: int | None, months: int) -> tuple[Reason, ...]:
    """W4: pulse below or above the limits, from the age the rule applies."""
    limits = _from(*_W4, months)
    if pulse is None or limits is None:
        return _NONE
    low, high = limits
    if pulse < low:
        return (Reason("W4", (("value", pulse), ("op", "<"), ("limit", low))),)
    if pulse > high:
        return (Reason("W4", (("value", pulse), ("op", ">"), ("limit", high))),)
    return _NONE


def _w5(sbp: int | None, dbp: int | None, months: int) -> tuple[Reason, ...]:
    """W5: systolic or diastolic pressure below its limit, from the age the rule applies."""
    limits = _from(*_W5, months)
    if limits is None:
        return _NONE
    sys_limit, dia_limit = limits
    params: tuple[tuple[str, object], ...] = ()
    if sbp is not None and sbp < sys_limit:
        params += (("systolic_bp", sbp), ("systolic_limit", sys_limit))
    if dbp is not None and dbp < dia_limit:
        params += (("diastolic_bp", dbp), ("diastolic_limit", dia_limit))
    return (Reason("W5", params),) if params else _NONE


def _symptom_signs(symptoms: frozenset[str]) -> tuple[Reason, ...]:
    """W6-W10: the reported warning symptoms other than W1 and W11, in code order."""
    if not symptoms:
        return _NONE
    return tuple(reason for key, reason in _SYMPTOM_SIGNS if key in symptoms)


def _w11(symptoms: frozenset[str], staff_concern: bool) -> tuple[Reason, ...]:
    """W11: the patient asks for a call, or a staff member is concerned (or both)."""
    wants_call = "wants_call" in symptoms
    if wants_call and staff_concern:
        return (_W11_BOTH,)
    if wants_call:
        return (_W11_PATIENT,)
    if staff_concern:
        return (_W11_STAFF,)
    return _NONE


def _c2(report: Report, previous: Sequence[Report], months: int) -> tuple[Reason, ...]:
    """C2 (under 16): temperature above the high limit, or fever lasting 48 hours."""
    temp = report.temperature_c
    if months >= _C2_UNDER or temp is None or temp < _C2_FEVER:
        return _NONE
    hours = _fever_48h(report, previous) if previous else None
    if temp <= _C2_HIGH and hours is None:
        return _NONE
    params: tuple[tuple[str, object], ...] = (("temperature_c", temp), ("limit", _C2_HIGH))
    if hours is not None:
        params += (("fever_hours", hours), ("fever_limit", _C2_FEVER))
    return (Reason("C2", params),)


def _warning_signs(
    report: Report, spo2: int | None, months: int, previous: Sequence[Report]
) -> tuple[Reason, ...]:
    """Return every §2 warning sign of a report, in code order W1..W11, C2."""
    symptoms = report.symptoms
    return (
        _w1(symptoms)
        + _w2(report.respiratory_rate, months)
        + _w3(spo2, report.spo2_recheck is not None, months)
        + _w4(report.pulse, months)
        + _w5(report.systolic_bp, report.diastolic_bp, months)
        + _symptom_signs(symptoms)
        + _w11(symptoms, report.staff_concern)
        + _c2(report, previous, months)
    )


def _clinical_tier(
    signs: tuple[Reason, ...], profile: Profile, report: Report, months: int
) -> tuple[int, News2 | None, tuple[Reason, ...], tuple[Reason, ...]]:
    """§4: return (clinical tier rank, NEWS2 or None, W12 or nothing, other NEWS2 reasons)."""
    n = _news2(profile, report, months)
    if n is None:
        return (_RED if signs else 0), None, _NONE, _NONE
    w12 = _w12(n)
    n_rank, news2_reasons = _news2_reasons(n, report)
    clinical = _RED if signs or w12 else n_rank
    return clinical, n, w12, tuple(news2_reasons)


def _eligibility(
    signs: tuple[Reason, ...],
    severity: str | None,
    conditions: tuple[str, ...],
    profile: Profile,
) -> tuple[Reason, ...]:
    """§6: return why the patient may not be treated at home (empty: eligible)."""
    elig: list[Reason] = []
    if signs:
        elig.append(Reason("ELIG_WARNING_SIGNS", (("codes", tuple(s.code for s in signs)),)))
    if severity not in _ELIGIBLE_SEVERITIES:
        elig.append(Reason("ELIG_SEVERITY", (("severity", severity),)))
    if conditions and not profile.comorbidities_stable:
        elig.append(Reason("ELIG_COMORBIDITY", (("conditions", conditions),)))
    return tuple(elig)


def assess(profile: Profile, report: Report, previous_reports: Sequence[Report] = ()) -> Assessment:
    """Apply rule set VN-2022.2 to one report; previous_reports (any order) serve C2.

    Previous reports at or after this one's time are ignored. Raises ValueError when the
    report is dated before the date of birth: callers refuse such a time first
    (``report_time_problem``), so no rule ever runs on it.
    """
    months = age_on(profile.date_of_birth, _local_date(report.reported_at))[1]
    base_rank, base_reasons, conditions = _baseline(profile, months)
    spo2 = report.spo2 if report.spo2_recheck is None else report.spo2_recheck
    signs = _warning_signs(report, spo2, months, previous_reports)
    clinical, n, w12, news2_reasons = _clinical_tier(signs, profile, report, months)
    warning_signs = signs + w12  # W12 after W1..W11 and C2: code order of the table
    severity = _severity(report, spo2, months)
    elig = _eligibility(warning_signs, severity, conditions, profile)
    return Assessment(
        tier=_TIERS[max(base_rank, clinical)],
        baseline_tier=_TIERS[base_rank],
        clinical_tier=_TIERS[clinical],
        warning_signs=warning_signs,
        reasons=base_reasons + warning_signs + news2_reasons,
        news2=n,
        severity=severity,
        eligible_home_care=not elig,
        eligibility_reasons=elig,
        not_measured=tuple(
            s.name for s in vitals.MEASURED if vitals.effective_value(report, s.name) is None
        ),
    )


def reporting_flag(
    last_report_at: datetime | None, registered_at: datetime, now: datetime
) -> str | None:
    """Return "missing" after 24 h without a report, "overdue" after 12 h, else None.

    Counted from the last report, or from registration when there is none.
    """
    since = registered_at if last_report_at is None else last_report_at
    for moment in (since, now):
        if moment.utcoffset() is None:
            raise ValueError("datetimes must be aware")
    elapsed = now - since
    if elapsed >= MISSING_AFTER:
        return "missing"
    if elapsed >= OVERDUE_AFTER:
        return "overdue"
    return None


def day_of_treatment(positive_test_date: date, on: date) -> int:
    """Return the treatment day on a date; day 1 is the date of the positive test."""
    return (on - positive_test_date).days + 1


def recovery_check(
    positive_test_date: date,
    on: date,
    fully_vaccinated: bool,
    negative_supervised_rapid_test: bool,
) -> tuple[bool, Reason | None]:
    """Return whether staff may mark the patient recovered on a date, and why not (§7)."""
    day = day_of_treatment(positive_test_date, on)
    with_test = RULES["RECOVERY_DAY_WITH_NEGATIVE_TEST"]
    without_test = RULES[
        "RECOVERY_DAY_VACCINATED" if fully_vaccinated else "RECOVERY_DAY_NOT_VACCINATED"
    ]
    if (negative_supervised_rapid_test and day >= with_test) or day >= without_test:
        return True, None
    params = (("day", day), ("with_test_day", with_test), ("without_test_day", without_test))
    if day < with_test:
        return False, Reason("RECOVERY_BEFORE_DAY_7", params)
    return False, Reason("RECOVERY_NEEDS_NEGATIVE_TEST", params)
