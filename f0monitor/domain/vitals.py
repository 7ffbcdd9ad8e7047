"""The vital signs, described once: name, unit, accepted range, precision, LOINC, labels.

Every layer derives from ``VITALS``: the web form's number fields and the API schemas, the
typed ``ReportInput``, the column copy into ``SymptomReport``, the rules' ``Report``, the
re-scoring query, the charts, the demo data and the junk-input test. Adding a vital is a
``VitalSpec`` here, its column (model and migration), a field of the rules' ``Report`` and
the rule that uses it; ``tests/test_vitals_spec.py`` fails until every layer carries it.

The ranges are typo guards (§8 of the decisions), not clinical rules: the thresholds of the
rules live in ``covid/rules.py``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .text import N_


@dataclass(frozen=True, slots=True)
class VitalSpec:
    """One vital sign as typed, stored and scored.

    A value outside ``low..high`` (inclusive) is refused; one below ``confirm_below`` or above
    ``confirm_above`` is accepted only once the person confirms it. ``integer`` vitals are
    whole numbers, the others keep one decimal.
    """

    name: str  # the field, column and ``Report`` attribute name
    unit: str  # as shown ("°C", "%", "/min", "mmHg")
    ucum: str  # the same unit as UCUM code, for FHIR ("Cel", "%", "/min", "mm[Hg]")
    loinc: str
    low: float
    high: float
    integer: bool
    label: str  # message id of the entry field's label
    confirm_below: float | None = None
    confirm_above: float | None = None
    # A second reading of another vital: when given, it replaces that one wherever the value
    # is used (rules, charts). It shares that vital's LOINC code and range.
    recheck_of: str | None = None
    oximeter: bool = False  # measured with a pulse oximeter ("no oximeter" means not measured)
    chart_label: str | None = None  # message id of the chart title; None = not charted

    @property
    def range(self) -> Range:
        """Return the accepted values as a ``Range``."""
        return Range(self.low, self.high, self.confirm_below, self.confirm_above, self.integer)

    def coerce(self, value: float) -> int | float:
        """Return a number as this vital keeps it: whole, or rounded to one decimal."""
        return int(value) if self.integer else round_half_up(value)


@dataclass(frozen=True, slots=True)
class Range:
    """Accepted values of one entry field: low..high inclusive, confirm outside the band."""

    low: float
    high: float
    confirm_below: float | None  # a value below this is accepted only after confirmation
    confirm_above: float | None  # a value above this is accepted only after confirmation
    integer: bool


def round_half_up(value: float, decimals: int = 1) -> float:
    """Return a number rounded half up to ``decimals`` decimals, as typed: 39.05 -> 39.1.

    Python's ``round`` works on the binary float (39.05 is 39.04999…) and rounds half to
    even, so it would give 39.0; the decimals typed are what the rules must see (§1).
    Infinities and NaN come back unchanged (the range checks refuse them).
    """
    try:
        quantum = Decimal(1).scaleb(-decimals)
        return float(Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP))
    except (InvalidOperation, OverflowError, ValueError):
        return value


_SPO2 = VitalSpec(
    name="spo2",
    unit="%",
    ucum="%",
    loinc="59408-5",
    low=50,
    high=100,
    integer=True,
    label=N_("SpO2 (%)"),
    confirm_below=70,
    oximeter=True,
    chart_label=N_("SpO2"),
)

VITALS: tuple[VitalSpec, ...] = (
    VitalSpec(
        name="temperature_c",
        unit="°C",
        ucum="Cel",
        loinc="8310-5",
        low=34.0,
        high=43.0,
        integer=False,
        label=N_("Temperature (°C)"),
        confirm_above=41.5,
        chart_label=N_("Temperature"),
    ),
    _SPO2,
    replace(
        _SPO2,
        name="spo2_recheck",
        label=N_("SpO2, second reading after one minute (%)"),
        recheck_of="spo2",
        chart_label=None,
    ),
    VitalSpec(
        name="pulse",
        unit="/min",
        ucum="/min",
        loinc="8867-4",
        low=25,
        high=250,
        integer=True,
        label=N_("Pulse (beats per minute)"),
        confirm_above=180,
        chart_label=N_("Pulse"),
    ),
    VitalSpec(
        name="respiratory_rate",
        unit="/min",
        ucum="/min",
        loinc="9279-1",
        low=5,
        high=80,
        integer=True,
        label=N_("Breaths per minute"),
        chart_label=N_("Breathing rate"),
    ),
    VitalSpec(
        name="systolic_bp",
        unit="mmHg",
        ucum="mm[Hg]",
        loinc="8480-6",
        low=50,
        high=260,
        integer=True,
        label=N_("Blood pressure, upper number (mmHg)"),
    ),
    VitalSpec(
        name="diastolic_bp",
        unit="mmHg",
        ucum="mm[Hg]",
        loinc="8462-4",
        low=30,
        high=160,
        integer=True,
        label=N_("Blood pressure, lower number (mmHg)"),
    ),
)
VITALS_BY_NAME: dict[str, VitalSpec] = {spec.name: spec for spec in VITALS}
NAMES: tuple[str, ...] = tuple(spec.name for spec in VITALS)
# The vitals the rules read, each once: a recheck only stands in for the vital it repeats.
MEASURED: tuple[VitalSpec, ...] = tuple(spec for spec in VITALS if spec.recheck_of is None)
CHARTED: tuple[VitalSpec, ...] = tuple(spec for spec in VITALS if spec.chart_label is not None)
_RECHECK = {spec.recheck_of: spec.name for spec in VITALS if spec.recheck_of is not None}

# The accepted range of each measured vital (a recheck has the range of the vital it repeats).
INPUT_RANGES: dict[str, Range] = {spec.name: spec.range for spec in MEASURED}


def vital(name: str) -> VitalSpec:
    """Return the spec of a vital by its name (KeyError when there is none)."""
    return VITALS_BY_NAME[name]


def values_of(obj: object) -> dict[str, float | None]:
    """Return every vital of a typed or stored report by name ("no oximeter": no SpO2)."""
    no_oximeter = bool(getattr(obj, "no_oximeter", False))
    return {
        spec.name: None if spec.oximeter and no_oximeter else getattr(obj, spec.name)
        for spec in VITALS
    }


def effective_value(obj: object, name: str) -> float | None:
    """Return a vital of a report as the rules use it: its recheck when given, else itself."""
    recheck = _RECHECK.get(name)
    if recheck is not None:
        value = getattr(obj, recheck)
        if value is not None:
            return value
    return getattr(obj, name)


def check_vitals(
    values: Mapping[str, float | None],
) -> tuple[dict[str, str], dict[str, str]]:
    """Check entered vitals; return (errors, needs_confirmation), each field -> code.

    Error codes: "not_a_number", "out_of_range", "not_integer",
    "diastolic_not_below_systolic" (on "diastolic_bp"). Confirmation code: "implausible".
    None means not measured and is always accepted; keys that are not vitals are ignored;
    "spo2_recheck" has the "spo2" range.
    """
    errors: dict[str, str] = {}
    confirm: dict[str, str] = {}
    for key, value in values.items():
        spec = VITALS_BY_NAME.get(key)
        if spec is None or value is None:
            continue
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
        ):
            errors[key] = "not_a_number"
        elif not spec.low <= value <= spec.high:
            errors[key] = "out_of_range"
        elif spec.integer and value != int(value):
            errors[key] = "not_integer"
        elif (spec.confirm_below is not None and value < spec.confirm_below) or (
            spec.confirm_above is not None and value > spec.confirm_above
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
