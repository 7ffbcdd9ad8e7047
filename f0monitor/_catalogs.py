"""Compile the message catalogs (``.po`` -> ``.mo``) with Babel: the build step of the package.

Standard library and Babel only (no Flask, nothing of f0monitor), so that ``setup.py``'s
``build_py`` can load this file at build time, before anything is installed. The same
function serves ``make`` users and the test suite's start.
"""

from __future__ import annotations

import os
import tempfile
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).parent / "translations"


def is_current(po: Path) -> bool:
    """Whether the ``.mo`` beside a ``.po`` exists and is not older than it."""
    mo = po.with_suffix(".mo")
    return mo.is_file() and mo.stat().st_mtime >= po.stat().st_mtime


def compile_catalogs(folder: Path = TRANSLATIONS, *, force: bool = False) -> list[Path]:
    """Compile every ``*/LC_MESSAGES/*.po`` of a folder beside itself; return the ``.mo`` written.

    Stale or missing ones only, unless ``force``. Fuzzy entries are left out, as ``pybabel
    compile`` does. Each file is written whole and renamed into place.
    """
    written = []
    for po in sorted(Path(folder).glob("*/LC_MESSAGES/*.po")):
        if not force and is_current(po):
            continue
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=po.parent.parent.name)
        buffer = BytesIO()
        write_mo(buffer, catalog)
        mo = po.with_suffix(".mo")
        fd, tmp = tempfile.mkstemp(dir=mo.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as out:
            out.write(buffer.getvalue())
        os.replace(tmp, mo)
        written.append(mo)
    return written


def missing_catalogs(folder: Path = TRANSLATIONS, *, check_age: bool = True) -> list[Path]:
    """Return the ``.po`` files of a folder without a current ``.mo``.

    ``check_age=False`` for an installed package: its files were compiled at build time and
    copied in any order (a ``.po`` may be copied a moment after its ``.mo``), so only a missing
    ``.mo`` counts there.
    """
    pos = sorted(Path(folder).glob("*/LC_MESSAGES/*.po"))
    if not check_age:
        return [po for po in pos if not po.with_suffix(".mo").is_file()]
    return [po for po in pos if not is_current(po)]
