"""An installed package speaks Vietnamese without `make`: catalogs compile at start when stale."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from babel.support import Translations

from f0monitor import PROJECT_ROOT, create_app
from f0monitor.http.i18n import compiled_translations

SOURCE = PROJECT_ROOT / "f0monitor" / "translations"


def _po_only(tmp_path: Path) -> Path:
    copy = tmp_path / "translations"
    shutil.copytree(SOURCE, copy, ignore=shutil.ignore_patterns("*.mo"))
    return copy


def test_po_without_mo_is_compiled_into_the_target(tmp_path):
    source = _po_only(tmp_path)
    target = tmp_path / "instance" / "translations"
    folder = compiled_translations(source, target)
    assert folder == target
    assert (target / "vi" / "LC_MESSAGES" / "messages.mo").is_file()
    vi = Translations.load(str(folder), ["vi"])
    assert vi.gettext("Log in") == "Đăng nhập"
    assert not list(source.rglob("*.mo"))  # the package folder is never written


def test_a_po_newer_than_its_mo_is_compiled_again(tmp_path):
    source = _po_only(tmp_path)
    target = tmp_path / "out"
    compiled_translations(source, target)
    mo = target / "vi" / "LC_MESSAGES" / "messages.mo"
    po = source / "vi" / "LC_MESSAGES" / "messages.po"
    text = po.read_text(encoding="utf-8").replace('msgstr "Đăng nhập"', 'msgstr "Vào hệ thống"', 1)
    po.write_text(text, encoding="utf-8")
    os.utime(po, (mo.stat().st_mtime + 10, mo.stat().st_mtime + 10))
    compiled_translations(source, target)
    assert Translations.load(str(target), ["vi"]).gettext("Log in") == "Vào hệ thống"


def test_current_package_catalogs_are_used_as_they_are(tmp_path):
    source = tmp_path / "translations"
    shutil.copytree(SOURCE, source)
    for po in source.rglob("*.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists():
            compiled_translations(source, tmp_path / "scratch")
            shutil.copy(tmp_path / "scratch" / po.relative_to(source).with_suffix(".mo"), mo)
        os.utime(mo, (po.stat().st_mtime + 1, po.stat().st_mtime + 1))
    assert compiled_translations(source, tmp_path / "unused") == source
    assert not (tmp_path / "unused").exists()


def test_the_app_serves_vietnamese_from_the_folder_it_chose(tmp_path):
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "t", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"},
        instance_path=str(tmp_path / "instance"),
    )
    folder = Path(app.config["BABEL_TRANSLATION_DIRECTORIES"])
    assert (folder / "vi" / "LC_MESSAGES" / "messages.mo").is_file()
    with app.test_request_context("/login"):
        from flask_babel import gettext

        assert gettext("Log in") == "Đăng nhập"
