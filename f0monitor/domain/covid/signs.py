"""The warning-sign limits of one patient, as plain data a page can carry offline.

The report form checks a report for warning signs before it reaches the server (a phone with
no network must still say "call 115 now"). It does so with ``warning_sign_limits``: the §2
limits of the ``RULES`` table for the patient's age on a day, and the typo guards of
``vitals.VITALS``, as JSON-ready data. ``static/js/warning.js`` applies them;
``tests/test_offline_rules.py`` runs that script in Chromium against ``assess`` on many reports,
so the page and the server cannot disagree. The server still decides: what the page shows is a
first answer, the stored assessment the real one.

What the page cannot know is left to the server: the 48-hour part of C2 (it needs the earlier
reports) and the staff member's concern of W11.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from ..vitals import INPUT_RANGES
from .age import age_on
from .model import Profile
from .rules import RULES, RULES_VERSION, SPO2_RECHECK_AT, _from, _split
from .vocab import WARNING_SYMPTOMS


def _band_from(table_key: str, months: int) -> Any:
    table = RULES.get(table_key)
    if table is None:
        return None
    return _from(*_split(table), months)


def _upto_table(key: str) -> list[list[float | None]]:
    """A NEWS2 "_UPTO" band table as [[inclusive upper bound or None for infinity, points]]."""
    return [[None if math.isinf(bound) else bound, points] for bound, points in RULES[key]]


def warning_sign_limits(profile: Profile, on: date) -> dict[str, Any]:
    """Return the warning-sign limits that apply to ``profile`` on ``on``, as JSON-ready data.

    Keys: ``rules_version``; ``symptoms`` (form field -> sign code); ``rr_fast_from`` (W2: RR at
    or above); ``rr_slow_upto`` (W2: RR at or below, or None); ``spo2`` ({"op": "<" or "<=",
    "limit"}: W3, the recheck replacing the first reading); ``pulse`` ([below, above] or None:
    W4); ``bp`` ([systolic below, diastolic below] or None: W5); ``high_fever_above`` (C2, or
    None from 16 years); ``news2`` (None where NEWS2 is not a warning sign for this patient,
    else the point tables and the ``from`` total of W12); ``ranges`` (each vital's accepted and
    to-be-confirmed values); ``recheck_at`` (SpO2 at or below which a second reading is asked).
    """
    _years, months = age_on(profile.date_of_birth, on)
    spo2_rows = RULES["W3_SPO2_FROM"]
    op, limit = next(row[1:] for row in reversed(spo2_rows) if row[0] <= months)
    pulse = _band_from("W4_PULSE_FROM", months)
    bp = _band_from("W5_BP_FROM", months)
    news2 = None
    w12 = RULES.get("W12_NEWS2_FROM")
    if w12 is not None and months >= RULES["NEWS2_FROM_AGE_MONTHS"] and not profile.pregnant:
        scale = getattr(profile, "news2_scale", 1)
        news2 = {
            "from": w12,
            "respiratory_rate": _upto_table("NEWS2_RR_UPTO"),
            "spo2": _upto_table(f"NEWS2_SPO2_SCALE{scale}_UPTO"),
            "air": RULES["NEWS2_AIR_POINTS"],
            "systolic_bp": _upto_table("NEWS2_SYSTOLIC_UPTO"),
            "pulse": _upto_table("NEWS2_PULSE_UPTO"),
            "confused": RULES["NEWS2_CONSCIOUSNESS"]["new_confusion"],
            "alert": RULES["NEWS2_CONSCIOUSNESS"]["alert"],
            "temperature_c": _upto_table("NEWS2_TEMPERATURE_UPTO"),
        }
    return {
        "rules_version": RULES_VERSION,
        "symptoms": dict(WARNING_SYMPTOMS),
        "rr_fast_from": _band_from("W2_RR_FROM", months),
        "rr_slow_upto": _band_from("W2_RR_SLOW_FROM", months),
        "spo2": {"op": op, "limit": limit},
        "pulse": list(pulse) if pulse else None,
        "bp": list(bp) if bp else None,
        "high_fever_above": RULES["C2_HIGH_FEVER_ABOVE_C"] if months < RULES["C2_UNDER_AGE_MONTHS"] else None,
        "news2": news2,
        "recheck_at": SPO2_RECHECK_AT,
        # §1: a report kept on the phone longer than this is refused by the server
        "report_past_hours": RULES.get("REPORT_PAST_HOURS", 72),
        "ranges": {
            name: {
                "low": r.low,
                "high": r.high,
                "confirm_below": r.confirm_below,
                "confirm_above": r.confirm_above,
                "integer": r.integer,
            }
            for name, r in INPUT_RANGES.items()
        },
    }
