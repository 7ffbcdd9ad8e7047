"""Measure assessments per second of f0monitor.risk.assess on one core.

Run from the repository root: ``python bench/bench_assess.py [--n 10000] [--repeat 7]``.
Builds a realistic mix of inputs first (ages, comorbidities, missing vitals, warning signs,
report histories for the 48-hour fever rule), then times only the ``assess`` calls. Prints
figures; asserts nothing about timing.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import platform
import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def load_risk() -> ModuleType:
    """Import f0monitor.risk; fall back to the file alone when the app's deps are missing."""
    sys.path.insert(0, str(ROOT))
    try:
        from f0monitor.domain import covid as risk

        return risk
    except ImportError:
        spec = importlib.util.spec_from_file_location(
            "f0monitor_risk", ROOT / "f0monitor" / "domain" / "covid" / "__init__.py"
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look the module up while building
        spec.loader.exec_module(module)
        return module


def build_inputs(risk: ModuleType, n: int, seed: int = 20221) -> list[tuple]:
    """Return n (profile, report, previous_reports) triples, a mix like a real caseload."""
    rnd = random.Random(seed)
    now = datetime(2026, 11, 22, 8, 0, tzinfo=risk.VN_TZ)
    ordinary = [s for s in risk.SYMPTOMS if s not in risk.WARNING_SYMPTOMS]
    warning = list(risk.WARNING_SYMPTOMS)

    def maybe(p: float, value: object) -> object:
        return value if rnd.random() < p else None

    # normal resting respiratory rate by age (years): (low, high)
    rr_normal = ((1, (30, 45)), (5, (22, 34)), (12, (18, 26)), (200, (14, 19)))

    def vitals(years: int) -> dict[str, object]:
        sick = rnd.random() < 0.08  # a minority of reports is abnormal somewhere
        systolic = rnd.randint(85, 180) if sick else rnd.randint(100, 150)
        spo2 = rnd.randint(88, 97) if sick else rnd.choice([97, 97, 98, 98, 98, 99, 99, 100])
        rr_low, rr_high = next(band for upto, band in rr_normal if years < upto)
        return {
            "temperature_c": maybe(0.95, round(rnd.uniform(36.0, 40.0 if sick else 38.3), 1)),
            "spo2": maybe(0.8, spo2),
            "spo2_recheck": maybe(0.7, min(100, spo2 + rnd.randint(0, 2))) if spo2 <= 96 else None,
            "pulse": maybe(0.9, rnd.randint(45, 140) if sick else rnd.randint(60, 105)),
            "respiratory_rate": maybe(0.85, rnd.randint(rr_low, rr_high + (12 if sick else 0))),
            "systolic_bp": maybe(0.5, systolic),
            "diastolic_bp": maybe(0.5, rnd.randint(50 if sick else 65, min(110, systolic - 10))),
        }

    inputs = []
    for _ in range(n):
        years = rnd.choices(
            [
                rnd.randint(0, 4),
                rnd.randint(5, 15),
                rnd.randint(16, 49),
                rnd.randint(50, 64),
                rnd.randint(65, 95),
            ],
            weights=[6, 10, 50, 20, 14],
        )[0]
        dob = date(2026 - years, rnd.randint(1, 12), rnd.randint(1, 28))
        if dob > now.date():
            dob = now.date() - timedelta(days=rnd.randint(1, 300))
        child = years < 16
        comorbid = frozenset(rnd.sample(risk.COMORBIDITIES, rnd.choice([0, 0, 0, 0, 0, 1, 1, 2])))
        height = maybe(0.7, rnd.randint(150, 180) if not child else rnd.randint(60, 170))
        profile = risk.Profile(
            date_of_birth=dob,
            comorbidities=comorbid,
            comorbidities_stable=rnd.random() < 0.6,
            pregnant=(not child and years < 45 and rnd.random() < 0.04),
            fully_vaccinated=rnd.random() < (0.3 if years < 5 else 0.85),
            height_cm=height,
            weight_kg=None if height is None else round(rnd.gauss(22, 3.5) * (height / 100) ** 2),
            positive_test_date=now.date() - timedelta(days=rnd.randint(0, 14)),
        )
        symptoms = set(rnd.sample(ordinary, rnd.choice([0, 1, 2, 3, 4])))
        if rnd.random() < 0.03:
            symptoms.add(rnd.choice(warning))
        report = risk.Report(
            reported_at=now - timedelta(minutes=rnd.randint(0, 600)),
            symptoms=frozenset(symptoms),
            staff_concern=rnd.random() < 0.01,
            **vitals(years),
        )
        # earlier reports twice a day over up to 7 days (the history C2 needs)
        history = tuple(
            risk.Report(
                reported_at=report.reported_at
                - timedelta(hours=12 * k, minutes=rnd.randint(0, 90)),
                **vitals(years),
            )
            for k in range(1, rnd.choice([1, 3, 5, 9, 15]))
        )
        inputs.append((profile, report, history))
    return inputs


def api_body_rate(assess, inputs: list[tuple]) -> float | None:
    """Return assessments per second with their /api/v1/assess body rendered in Vietnamese."""
    try:
        import tempfile

        from flask_babel import force_locale

        from f0monitor import create_app
        from f0monitor.http.labels import assessment_dict
    except ImportError:
        return None
    with tempfile.TemporaryDirectory() as instance:
        app = create_app(
            {"SECRET_KEY": "bench", "DATABASE_URL": "sqlite://"}, instance_path=instance
        )
        with app.test_request_context("/"), force_locale("vi"):
            start = time.perf_counter()
            for profile, report, history in inputs:
                assessment_dict(assess(profile, report, history))
            return len(inputs) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="number of pre-built inputs")
    parser.add_argument("--repeat", type=int, default=7, help="timed passes over the inputs")
    args = parser.parse_args()

    risk = load_risk()
    inputs = build_inputs(risk, args.n)
    assess = risk.assess
    for profile, report, history in inputs[:1000]:  # warm-up
        assess(profile, report, history)

    rates = []
    gc.disable()  # time the rules, not the collector's pauses
    try:
        for _ in range(args.repeat):
            start = time.perf_counter()
            for profile, report, history in inputs:
                assess(profile, report, history)
            rates.append(len(inputs) / (time.perf_counter() - start))
    finally:
        gc.enable()

    tiers: dict[str, int] = {}
    alerts = 0
    for profile, report, history in inputs:
        a = assess(profile, report, history)
        tiers[a.tier.value] = tiers.get(a.tier.value, 0) + 1
        alerts += a.alert
    with_dict = api_body_rate(assess, inputs)

    print(
        f"f0monitor.risk.assess, rules {risk.RULES_VERSION}, Python {platform.python_version()}"
        f" ({platform.machine()}), one core, single thread"
    )
    print(
        f"inputs: {len(inputs)}  mean history: "
        f"{statistics.mean(len(h) for _, _, h in inputs):.1f} reports  "
        f"tiers: {dict(sorted(tiers.items(), key=lambda kv: risk.Tier(kv[0]).rank))}  "
        f"alerts: {alerts}"
    )
    print(
        f"assess():            best {max(rates):>9,.0f}/s  median {statistics.median(rates):>9,.0f}/s"
        f"  worst {min(rates):>9,.0f}/s  ({args.repeat} passes)"
    )
    if with_dict is None:
        print("assessment_dict():   skipped (needs the app's dependencies: Flask-Babel)")
    else:
        print(f"assessment_dict():   {with_dict:>9,.0f}/s  (assess + API body, one pass, gc on, Vietnamese)")
    print("target: >= 20,000 assess()/s")


if __name__ == "__main__":
    main()
