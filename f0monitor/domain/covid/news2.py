"""NEWS2 (RCP 2017, chart 1) for adults from 16, not in pregnancy (§5 of the decisions)."""

from __future__ import annotations

from datetime import date

from .age import age_on
from .model import News2, Profile, Reason, Report
from .rules import (
    _N_ACVPU,
    _N_AIR,
    _N_BAND,
    _N_PULSE,
    _N_RR,
    _N_SBP,
    _N_SINGLE,
    _N_SINGLE_RANK,
    _N_SPO2,
    _N_TEMP,
    _N_TIERS,
    _NEWS2_FROM,
    _W12_FROM,
    _upto,
)


def _news2(profile: Profile, report: Report, months: int) -> News2 | None:
    if months < _NEWS2_FROM or profile.pregnant:
        return None
    params: list[tuple[str, int]] = []
    missing: list[str] = []
    rr = report.respiratory_rate
    if rr is None:
        missing.append("respiratory_rate")
    else:
        params.append(("respiratory_rate", _upto(*_N_RR, rr)))
    spo2 = report.spo2 if report.spo2_recheck is None else report.spo2_recheck
    if spo2 is None:
        missing.append("spo2")
    else:
        params.append(("spo2", _upto(*_N_SPO2[profile.news2_scale], spo2)))
    params.append(("air_or_oxygen", _N_AIR))
    if report.systolic_bp is None:
        missing.append("systolic_bp")
    else:
        params.append(("systolic_bp", _upto(*_N_SBP, report.systolic_bp)))
    if report.pulse is None:
        missing.append("pulse")
    else:
        params.append(("pulse", _upto(*_N_PULSE, report.pulse)))
    confused = "altered_consciousness" in report.symptoms
    params.append(("consciousness", _N_ACVPU["new_confusion" if confused else "alert"]))
    if report.temperature_c is None:
        missing.append("temperature_c")
    else:
        params.append(("temperature_c", _upto(*_N_TEMP, report.temperature_c)))
    if missing:
        return News2(None, None, False, tuple(params), tuple(missing))
    score = 0
    single = False
    for _, points in params:
        score += points
        if points >= _N_SINGLE:
            single = True
    band = _upto(*_N_BAND, score)
    if single and band == "low":
        band = "low_medium"
    return News2(score, band, True, tuple(params), ())


def news2(profile: Profile, report: Report, on: date) -> News2 | None:
    """Return the NEWS2 of a report, or None under 16 and in pregnancy."""
    return _news2(profile, report, age_on(profile.date_of_birth, on)[1])


_PARAM_VALUE = {
    "respiratory_rate": lambda r: r.respiratory_rate,
    "spo2": lambda r: r.effective_spo2,
    "systolic_bp": lambda r: r.systolic_bp,
    "pulse": lambda r: r.pulse,
    "temperature_c": lambda r: r.temperature_c,
}


def _w12(n: News2) -> tuple[Reason, ...]:
    """W12 (VN-2022.2): NEWS2 >= 7, or the measured parts alone >= 7 when incomplete.

    Its parameters say the score, whether it is complete, and the points of every part.
    """
    total = sum(points for _, points in n.parameters)
    if total < _W12_FROM:
        return ()
    return (
        Reason(
            "W12",
            (
                ("score", total),
                ("complete", n.complete),
                ("limit", _W12_FROM),
                ("parts", tuple((name, points) for name, points in n.parameters if points)),
            ),
        ),
    )


def _news2_reasons(n: News2, report: Report) -> tuple[int, list[Reason]]:
    total = 0
    reasons: list[Reason] = []
    for name, points in n.parameters:
        total += points
        if points >= _N_SINGLE:
            value = _PARAM_VALUE[name](report) if name in _PARAM_VALUE else None
            reasons.append(
                Reason(
                    "NEWS2_SINGLE_3", (("parameter", name), ("value", value), ("points", points))
                )
            )
    rank = _N_SINGLE_RANK if reasons else 0
    # An incomplete score is a lower bound (points are never negative), so it may still
    # reach a threshold: a missing value never hides the others. From 7 it is W12 instead.
    for low, tier_rank, code in _N_TIERS:
        if low <= total < _W12_FROM:
            reasons.insert(0, Reason(code, (("score", total), ("complete", n.complete))))
            rank = max(rank, tier_rank)
            break
    return rank, reasons
