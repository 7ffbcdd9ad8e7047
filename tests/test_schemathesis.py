"""schemathesis against a live server with the demo data: once per role and once anonymous.

Every operation of /api/v1/openapi.json is fuzzed (examples, coverage, fuzzing and the
stateful phase, which follows the OpenAPI links from answers that give ids) with the checks
not_a_server_error, status_code_conformance, response_schema_conformance and
content_type_conformance; any failure fails the test. The runs share a time budget
(F0MONITOR_FUZZ_SECONDS per run, 25 by default: about four minutes per database for the eight
runs) and a seed, printed and put in the failure message; replay a failure with
``F0MONITOR_FUZZ_SEED=<seed> python -m pytest tests/test_schemathesis.py``.

DELETE /api/v1/tokens/current is fuzzed in the anonymous run only: with a token it would
revoke the token the rest of the run needs (its 204 is tested in test_api_patient.py).
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from f0monitor.cli.demo import (
    DEMO_ACCOUNTS,
    DEMO_FACILITY_ACCOUNT,
    DEMO_PASSWORD,
    DEMO_PATIENT_PHONE,
    seed_demo,
)
from f0monitor.data.session import get_session
from f0monitor.domain.clock import utcnow

from .live import live_server

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
CHECKS = "not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance"
ROLES = ("volunteer", "doctor", "coordinator", "department", "admin", "patient", "integration", "facility")
SECONDS = int(os.environ.get("F0MONITOR_FUZZ_SECONDS", "25"))
SEED = int(os.environ.get("F0MONITOR_FUZZ_SEED") or random.SystemRandom().randrange(1, 2**31))


@pytest.fixture
def app_config():
    return {"API_TOKEN_TTL": timedelta(hours=2)}


def _tokens(app) -> dict[str, str]:
    client = app.test_client()
    phones = {role: phone for role, phone, _name in (*DEMO_ACCOUNTS, DEMO_FACILITY_ACCOUNT)} | {"patient": DEMO_PATIENT_PHONE}
    tokens = {}
    for role in ROLES:
        response = client.post("/api/v1/tokens", json={"phone": phones[role], "password": DEMO_PASSWORD})
        assert response.status_code == 201, (role, response.get_json())
        assert response.get_json()["role"] == role
        tokens[role] = response.get_json()["token"]
    return tokens


def test_schemathesis_finds_nothing_for_any_role(app, tmp_path, capsys):
    if not SCHEMATHESIS.exists():
        pytest.fail(f"{SCHEMATHESIS} is missing: pip install -e '.[test]' (schemathesis)")
    with app.app_context():
        created = seed_demo(get_session(), now=utcnow(), n_patients=30)
        get_session().commit()
    assert created["patients"] == 30 and created["facilities"] == 4
    tokens = _tokens(app)
    with capsys.disabled():
        print(f"\nschemathesis seed {SEED} ({SECONDS} s per run; replay: F0MONITOR_FUZZ_SEED={SEED})")
    failures = []
    with live_server(app) as base:
        for actor in ("anonymous", *ROLES):
            args = [
                str(SCHEMATHESIS), "run", f"{base}/api/v1/openapi.json",
                "--checks", CHECKS,
                "--phases", "examples,coverage,fuzzing,stateful",
                "--seed", str(SEED),
                "--max-examples", "10",
                "--max-time", str(SECONDS),
                "--workers", "1",
                "--request-timeout", "20",
                "--suppress-health-check", "all",
                "--output-truncate", "true",
            ]
            if actor != "anonymous":
                args += ["-H", f"Authorization: Bearer {tokens[actor]}",
                         "--exclude-operation-id", "revoke_token"]
            result = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True,
                                    timeout=SECONDS * 6 + 120, env={**os.environ, "NO_COLOR": "1"})
            summary = [line for line in result.stdout.splitlines() if "generated" in line][-1:]
            with capsys.disabled():
                print(f"  {actor:<12} exit {result.returncode} {' '.join(summary).strip()}")
            if result.returncode != 0:
                failures.append(f"--- {actor} (seed {SEED}) ---\n{result.stdout[-6000:]}{result.stderr[-2000:]}")
            # Cases were generated and the stateful phase ran (it follows the links from the
            # answers that give ids): a run that tested nothing is a failure, not a pass.
            if "No test cases were generated" in result.stdout or "Stateful" not in result.stdout:
                failures.append(f"--- {actor} (seed {SEED}): nothing tested ---\n{result.stdout[-3000:]}")
    assert not failures, "\n".join(failures)
