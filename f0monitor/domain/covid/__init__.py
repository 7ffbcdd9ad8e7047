"""Classify home-treated COVID-19 patients by risk (rule set VN-2022.2). Pure module.

Standard library only: no Flask, SQLAlchemy, I/O, configuration or clock. Frozen dataclasses
in, frozen dataclasses out; the caller passes every date and time in. The rules are the
product decisions of ``shared/clinical-rules-decisions.md`` (rule set VN-2022.2); the
evidence for every number is in ``shared/clinical-rules.md`` (§ numbers below point there):
261/QĐ-BYT (31/01/2022) warning signs and home-care eligibility, 528 and 604/QĐ-BYT
(03/2022) for children, 5525/QĐ-BYT (01/12/2021) risk colours, 4689 and 250/QĐ-BYT adult
severity, 250/QĐ-BYT end of home treatment, RCP NEWS2 (2017).

Every clinical threshold lives once, in the ``RULES`` table below (the typo guards of the
entry forms live in ``INPUT_RANGES``). Change a number there and bump ``RULES_VERSION``.

Reason codes (``Reason.code`` and ``Reason.params``; no words here: ``http/labels.py`` renders
every code in Vietnamese or English, and a test checks that it renders exactly this table)

==========================  =======  ==========================================================
code                        tier     meaning
==========================  =======  ==========================================================
Warning signs (§2 of the decisions) -> alert, clinical tier red
W1                          red      reported shortness of breath / abnormal breathing
W2                          red      respiratory rate at or above the limit for age, or
                                     (from 12 years) at or below 8 (params op="<=")
W3                          red      SpO2 <= 96 % from 16 years, < 96 % under 16 (recheck wins)
W4                          red      pulse > 120 or < 50, from 12 years
W5                          red      systolic < 90 or diastolic < 60 mmHg, from 12 years
W6                          red      reported chest pain or tightness
W7                          red      reported altered consciousness
W8                          red      reported cyanosis
W9                          red      reported cannot drink or feed / vomits everything
W10                         red      reported another acute illness (dengue, HFMD...)
W11                         red      "I feel worse, call me" button, or a staff member's concern
C2                          red      under 16: temperature > 39.0 °C, or fever >= 38.0 °C for 48 h
W12                         red      NEWS2 >= 7, or incomplete with the measured parts >= 7
                                     (params score, complete, limit, parts: (name, points))
NEWS2 (§5; adults >= 16, not pregnant) -> clinical tier
NEWS2_MEDIUM                orange   NEWS2 5-6 (same rule for an incomplete lower bound)
NEWS2_HIGH                  red      VN-2022.1 only (now W12): still rendered for assessments
                                     stored under that version (params score, complete)
NEWS2_SINGLE_3              orange   one parameter scores 3 (one reason per parameter)
Baseline tier (§3, 5525/QĐ-BYT colours); several may apply, the highest wins
AGE_65_COMORBID             red      age >= 65 with a comorbidity (BMI >= 30 counts)
AGE_65_UNVACCINATED         red      age >= 65 not fully vaccinated
AGE_65_VACCINATED           orange   age >= 65 fully vaccinated, no comorbidity
COMORBIDITY                 orange   a listed comorbidity, under 65
BMI_30                      orange   BMI >= 30 (counts as a comorbidity)
AGE_50_64_UNVACCINATED      orange   age 50-64 not fully vaccinated
PREGNANT                    orange   pregnant
POSTPARTUM                  orange   gave birth in the last 42 days
INFANT_UNDER_3_MONTHS       orange   under 3 completed months
AGE_50_64_VACCINATED        yellow   age 50-64 fully vaccinated, no comorbidity
UNVACCINATED                yellow   age 3 months-49 years not fully vaccinated
BMI_25                      yellow   BMI 25-29.9
LOW_RISK                    green    none of the above (3 months-49 y, vaccinated, ...)
Home-care eligibility (§6, 261/QĐ-BYT) -> Assessment.eligibility_reasons
ELIG_WARNING_SIGNS          -        a warning sign (covers RR >= 20 and SpO2 <= 96 in adults)
ELIG_SEVERITY               -        adult severity class moderate or severe
ELIG_COMORBIDITY            -        a comorbidity (or BMI >= 30) not under stable treatment
End of home treatment (§7, 250/QĐ-BYT) -> recovery_check()
RECOVERY_BEFORE_DAY_7       -        treatment day < 7
RECOVERY_NEEDS_NEGATIVE_TEST  -      day 7-9 (13 unvaccinated) without a negative supervised test
==========================  =======  ==========================================================

Interpretations made here where the decisions leave a gap (clinician review welcome):

- Age: completed years and months on the report's local date (``VN_TZ``). A birthday that
  does not exist in a month (29 February, the 31st) is reached on the 1st of the next month.
- C2 applies under 16 only (both the > 39.0 °C and the 48-hour parts: "high fever in a
  child"). For the 48-hour part, reports without a temperature are "not measured": they
  neither break nor make the chain, so E is the latest earlier report *with a temperature*
  made at least 48 h before this one. Reports at or after this one are ignored.
- ``prematurity`` counts as a comorbidity under 16 only (it is on the child list, not on the
  adult Annex 01 list); every other listed condition, and ``other``, counts at any age.
  The BMI cut-offs apply at every age.
- Adult severity (age >= 16, §4 of VN-2022.2): severe = RR > 25, SpO2 < 94, W7, W8,
  systolic < 90 or RR <= 8; moderate = RR 20-25, SpO2 94-96, W1 or W6; otherwise mild (any
  symptom or temperature >= 38.0) or asymptomatic on what was measured; with neither RR nor
  SpO2 measured and none of these signs, "unknown". Under 16: ``None`` (not classed).
- Temperatures are rounded half up to one decimal when a ``Report`` is made (39.05 -> 39.1).
- Report times (§1): ``report_time_problem`` is the one rule; ``assess`` itself refuses a
  time before birth with ValueError, which callers never reach.
- Eligibility "RR < 20 and SpO2 > 96 where measured" is the adult form of W2/W3; children
  use the W2/W3 limits for their age, so any warning sign makes a patient ineligible.
- A NEWS2 with a missing parameter has no score, but the parameters present still raise the
  clinical tier (a single 3, or a partial sum already >= 5 or >= 7): a missing value never
  hides another.
"""

from __future__ import annotations

from types import MappingProxyType

from ..ruleset import RuleSet
from ..states import Tier, max_tier
from ..vitals import INPUT_RANGES, Range, check_vitals
from .age import age_on
from .assess import (
    HISTORY_SPAN,
    assess,
    baseline_tier,
    day_of_treatment,
    history_needed,
    recovery_check,
    reporting_flag,
)
from .charts import CHART_LINE_CODES, chart_thresholds
from .model import Assessment, News2, Profile, Reason, Report
from .news2 import news2
from .reporttime import counts_as_newest, report_time_problem
from .rules import (
    MISSING_AFTER,
    OVERDUE_AFTER,
    REPORT_FUTURE,
    REPORT_PAST,
    RULES,
    RULES_VERSION,
    SPO2_RECHECK_AT,
    VN_TZ,
)
from .signs import warning_sign_limits
from .vocab import COMORBIDITIES, SYMPTOMS, WARNING_SYMPTOMS

__all__ = [
    "warning_sign_limits",
    "Assessment",
    "CHART_LINE_CODES",
    "HISTORY_SPAN",
    "COMORBIDITIES",
    "INPUT_RANGES",
    "MISSING_AFTER",
    "News2",
    "OVERDUE_AFTER",
    "Profile",
    "REPORT_FUTURE",
    "REPORT_PAST",
    "RULES",
    "RULES_VERSION",
    "RULE_SET",
    "Range",
    "Reason",
    "Report",
    "SPO2_RECHECK_AT",
    "SYMPTOMS",
    "Tier",
    "VN_TZ",
    "WARNING_SYMPTOMS",
    "age_on",
    "assess",
    "baseline_tier",
    "chart_thresholds",
    "check_vitals",
    "counts_as_newest",
    "day_of_treatment",
    "history_needed",
    "max_tier",
    "news2",
    "recovery_check",
    "report_time_problem",
    "reporting_flag",
]

# The seam the services use (``domain/ruleset.py``): this package's rules under one name, so a
# second disease is a second package exposing its own RULE_SET.
RULE_SET: RuleSet[Profile, Report, Assessment, Reason] = RuleSet(
    version=RULES_VERSION,
    assess=assess,
    baseline_tier=baseline_tier,
    chart_thresholds=chart_thresholds,
    recovery_check=recovery_check,
    reporting_flag=reporting_flag,
    day_of_treatment=day_of_treatment,
    symptoms=SYMPTOMS,
    warning_symptoms=MappingProxyType(WARNING_SYMPTOMS),
    comorbidities=COMORBIDITIES,
)
