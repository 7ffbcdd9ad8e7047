"""Catalogs are compiled at build time, into the package: an install speaks Vietnamese.

setup.py's build_py runs ``f0monitor._catalogs.compile_catalogs`` before the package files are
collected (``pip install .``, ``pip install -e .``, ``pip wheel``); nothing compiles at start.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from babel.support import Translations

from f0monitor import PROJECT_ROOT, create_app
from f0monitor._catalogs import compile_catalogs, missing_catalogs

SOURCE = PROJECT_ROOT / "f0monitor" / "translations"


def _po_only(tmp_path: Path) -> Path:
    copy = tmp_path / "translations"
    shutil.copytree(SOURCE, copy, ignore=shutil.ignore_patterns("*.mo"))
    return copy


def test_po_without_mo_is_compiled_beside_it(tmp_path):
    folder = _po_only(tmp_path)
    assert missing_catalogs(folder)
    written = compile_catalogs(folder)
    assert written == [folder / "vi" / "LC_MESSAGES" / "messages.mo"]
    assert missing_catalogs(folder) == []
    assert Translations.load(str(folder), ["vi"]).gettext("Log in") == "Đăng nhập"
    assert compile_catalogs(folder) == []  # current: nothing to do


def test_a_po_newer_than_its_mo_is_compiled_again(tmp_path):
    folder = _po_only(tmp_path)
    compile_catalogs(folder)
    po = folder / "vi" / "LC_MESSAGES" / "messages.po"
    mo = po.with_suffix(".mo")
    po.write_text(po.read_text(encoding="utf-8").replace('msgstr "Đăng nhập"', 'msgstr "Vào hệ thống"', 1), encoding="utf-8")
    os.utime(po, (mo.stat().st_mtime + 10, mo.stat().st_mtime + 10))
    assert missing_catalogs(folder) == [po]
    compile_catalogs(folder)
    assert Translations.load(str(folder), ["vi"]).gettext("Log in") == "Vào hệ thống"


def test_the_app_serves_vietnamese_from_the_package(tmp_path):
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "t", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"},
        instance_path=str(tmp_path / "instance"),
    )
    assert Path(app.config["BABEL_TRANSLATION_DIRECTORIES"]) == SOURCE
    assert not (tmp_path / "instance" / "translations").exists()  # nothing compiled at start
    with app.test_request_context("/login"):
        from flask_babel import gettext

        assert gettext("Log in") == "Đăng nhập"


@pytest.mark.skipif(
    subprocess.run([sys.executable, "-c", "import wheel"], capture_output=True).returncode != 0,
    reason="the wheel package is needed to build a wheel without build isolation",
)
def test_a_wheel_built_from_a_clean_tree_carries_the_compiled_catalog(tmp_path):
    """Build a wheel from a copy of the sources without any .mo; the .mo is inside, and so are
    the templates and static files: installed on its own, it serves the login page in
    Vietnamese, and its instance folder is where the command runs, not in the package."""
    tree = tmp_path / "src"
    tree.mkdir()
    for name in ("setup.py", "setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy(PROJECT_ROOT / name, tree / name)
    ignore = shutil.ignore_patterns("*.mo", "__pycache__", "*.pyc", "vendor")
    for name in ("f0monitor", "templates", "static"):
        shutil.copytree(PROJECT_ROOT / name, tree / name, ignore=ignore)
    assert not list(tree.rglob("*.mo"))
    out = tmp_path / "dist"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet", "-w", str(out), str(tree)],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    (wheel,) = out.glob("f0monitor-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        assert "f0monitor/translations/vi/LC_MESSAGES/messages.mo" in names
        data = archive.read("f0monitor/translations/vi/LC_MESSAGES/messages.mo")
    (tmp_path / "mo" / "vi" / "LC_MESSAGES").mkdir(parents=True)
    (tmp_path / "mo" / "vi" / "LC_MESSAGES" / "messages.mo").write_bytes(data)
    assert Translations.load(str(tmp_path / "mo"), ["vi"]).gettext("Log in") == "Đăng nhập"
    assert "f0monitor/_site/templates/base.html" in names and "f0monitor/_site/static/css/app.css" in names

    # Installed alone (its dependencies from this environment), run from another directory.
    site = tmp_path / "site"
    result = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(site),
                             str(wheel)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    work = tmp_path / "work"
    work.mkdir()
    script = (
        "import f0monitor, sys\n"
        "assert f0monitor.__file__.startswith(sys.argv[1]), f0monitor.__file__\n"
        "app = f0monitor.create_app({'SECRET_KEY': 'x' * 32, 'DATABASE_URL': 'sqlite://'})\n"
        "page = app.test_client().get('/login')\n"
        "print(page.status_code, app.instance_path)\n"
        "print(page.get_data(as_text=True))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("F0MONITOR_")}
    run = subprocess.run([sys.executable, "-c", script, str(site)], cwd=work, capture_output=True, text=True,
                         timeout=120, env={**env, "PYTHONPATH": str(site)})
    assert run.returncode == 0, run.stderr[-3000:]
    status, instance = run.stdout.splitlines()[0].split(" ", 1)
    assert status == "200" and instance == str(work / "instance")
    assert "Đăng nhập" in run.stdout and "no current compiled catalog" not in run.stderr
