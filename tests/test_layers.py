"""The layers hold: the import-linter contracts of setup.cfg pass, and only the edge commits.

The contracts (domain, services, data, web | api, cli) are run with ``lint-imports``, the
venv's own executable, as ``make lint`` does. A second run with a contract we know to be false
proves that a broken contract fails the run, so the first test cannot pass for nothing (a
missing config, a root package that did not resolve, a tool that checks nothing).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "f0monitor"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
CONTRACTS = ("domain", "services", "data", "jobs", "channels", "web-api", "fhir", "fhir-edge", "cli")

# Only web, api, fhir, cli and the job runners (jobs/: a job is a request of the queue,
# committing once per claim and once per sent batch) end a transaction. The FHIR feed is an edge
# like the API: its views commit their audit events. reassess re-scores every active patient in
# batches (one transaction per batch, so a run over 300,000 patients neither holds locks for
# minutes nor loses its progress): its batch commits are the one exception.
COMMIT_ALLOWED = {"services/reassess.py"}
COMMITTING_LAYERS = ("web", "api", "fhir", "cli", "jobs")
COMMIT = re.compile(r"\.commit\(")


def run_lint_imports(config: Path | None = None) -> subprocess.CompletedProcess[str]:
    if not LINT_IMPORTS.exists():
        pytest.fail(f"{LINT_IMPORTS} is missing: pip install -e '.[test]' (import-linter)")
    args = [str(LINT_IMPORTS), "--no-cache"]
    if config is not None:
        args.append(str(config))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # this tree's f0monitor, not an installed one
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_every_layer_contract_is_kept():
    result = run_lint_imports()
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in output, output


def test_setup_cfg_declares_every_contract():
    config = (ROOT / "setup.cfg").read_text(encoding="utf-8")
    declared = re.findall(r"^\[importlinter:contract:([\w-]+)\]", config, flags=re.MULTILINE)
    assert tuple(declared) == CONTRACTS


def test_a_broken_contract_fails_the_run(tmp_path):
    # Services do use SQLAlchemy and the data layer: forbidding them must break the run.
    config = tmp_path / "broken.ini"
    config.write_text(
        "[importlinter]\n"
        "root_package = f0monitor\n"
        "include_external_packages = True\n"
        "\n"
        "[importlinter:contract:wrong]\n"
        "name = services without sqlalchemy (false on purpose)\n"
        "type = forbidden\n"
        "source_modules =\n    f0monitor.services\n"
        "forbidden_modules =\n    sqlalchemy\n    f0monitor.data.models\n",
        encoding="utf-8",
    )
    result = run_lint_imports(config)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "services without sqlalchemy (false on purpose) BROKEN" in output, output
    assert "f0monitor.services." in output  # it names the offending import


def test_an_independence_breach_fails_the_run(tmp_path):
    # web imports services, so "web and services are independent" is false.
    config = tmp_path / "broken.ini"
    config.write_text(
        "[importlinter]\nroot_package = f0monitor\n\n"
        "[importlinter:contract:wrong]\nname = web apart from services (false on purpose)\n"
        "type = independence\nmodules =\n    f0monitor.web\n    f0monitor.services\n",
        encoding="utf-8",
    )
    result = run_lint_imports(config)
    assert result.returncode != 0, result.stdout + result.stderr
    assert "web apart from services (false on purpose) BROKEN" in result.stdout


def committing_files() -> dict[str, list[int]]:
    """Return the modules of f0monitor that call ``.commit(``, with the line numbers."""
    found: dict[str, list[int]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        hits = [n for n, line in enumerate(lines, 1) if COMMIT.search(line.split("#", 1)[0])]
        if hits:
            found[path.relative_to(PACKAGE).as_posix()] = hits
    return found


def test_only_web_api_and_cli_commit():
    outside = {
        name: lines
        for name, lines in committing_files().items()
        if name.split("/", 1)[0] not in COMMITTING_LAYERS and name not in COMMIT_ALLOWED
    }
    assert not outside, f"commit only in web, api or cli (services flush): {outside}"


def test_the_commit_search_sees_commits():
    found = committing_files()
    # The search works: the edge commits, and the one allowed exception still exists (drop it
    # from COMMIT_ALLOWED when reassess stops committing).
    assert any(name.startswith("web/") for name in found)
    assert any(name.startswith("api/") for name in found)
    assert COMMIT_ALLOWED <= set(found), "COMMIT_ALLOWED names a file that no longer commits"
