"""Input ranges (§8 of the decisions): typo guards, not clinical rules."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

# --------------------------------------------------------------------------------------------
# Input ranges (§8 of the decisions): typo guards, not clinical rules
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Range:
    """Accepted values of one entry field: low..high inclusive, confirm outside the band."""

    low: float
    high: float
    confirm_below: float | None  # a value below this is accepted only after confirmation
    confirm_above: float | None  # a value above this is accepted only after confirmation
    integer: bool


INPUT_RANGES: dict[str, Range] = {
    "temperature_c": Range(34.0, 43.0, None, 41.5, False),
    "spo2": Range(50, 100, 70, None, True),
    "pulse": Range(25, 250, None, 180, True),
    "respiratory_rate": Range(5, 80, None, None, True),
    "systolic_bp": Range(50, 260, None, None, True),
    "diastolic_bp": Range(30, 160, None, None, True),
}
# Fields checked against another field's range.
_RANGE_ALIASES = {"spo2_recheck": "spo2"}


def check_vitals(
    values: Mapping[str, float | None],
) -> tuple[dict[str, str], dict[str, str]]:
    """Check entered vitals; return (errors, needs_confirmation), each field -> code.

    Error codes: "not_a_number", "out_of_range", "not_integer",
    "diastolic_not_below_systolic" (on "diastolic_bp"). Confirmation code: "implausible".
    None means not measured and is always accepted; keys without a range are ignored;
    "spo2_recheck" uses the "spo2" range.
    """
    errors: dict[str, str] = {}
    confirm: dict[str, str] = {}
    for key, value in values.items():
        rng = INPUT_RANGES.get(_RANGE_ALIASES.get(key, key))
        if rng is None or value is None:
            continue
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
        ):
            errors[key] = "not_a_number"
        elif not rng.low <= value <= rng.high:
            errors[key] = "out_of_range"
        elif rng.integer and value != int(value):
            errors[key] = "not_integer"
        elif (rng.confirm_below is not None and value < rng.confirm_below) or (
            rng.confirm_above is not None and value > rng.confirm_above
        ):
            confirm[key] = "implausible"
    systolic, diastolic = values.get("systolic_bp"), values.get("diastolic_bp")
    if (
        systolic is not None
        and diastolic is not None
        and "systolic_bp" not in errors
        and "diastolic_bp" not in errors
        and diastolic >= systolic
    ):
        errors["diastolic_bp"] = "diastolic_not_below_systolic"
    return errors, confirm
