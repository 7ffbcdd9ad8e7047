"""Languages (Vietnamese first, English second) and Vietnamese date and time display."""

from __future__ import annotations

import os
import tempfile
from datetime import date, datetime
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, current_app, request, session
from flask_babel import format_datetime, format_decimal, get_locale
from flask_login import current_user

from ..domain.clock import VN_TZ
from ..extensions import babel

LANG_COOKIE = "lang"


def select_locale() -> str:
    """Pick the language: the user's saved choice, the session, then the browser, then vi."""
    languages = current_app.config["LANGUAGES"]
    if current_user and getattr(current_user, "is_authenticated", False):
        if current_user.locale in languages:
            return current_user.locale
    chosen = session.get(LANG_COOKIE) or request.cookies.get(LANG_COOKIE)
    if chosen in languages:
        return chosen
    if request.path.startswith("/api/"):
        return request.accept_languages.best_match(languages, default="vi")
    # Pages default to Vietnamese: a browser set to English on a shared phone should not
    # switch an older patient's screen; the switcher is one tap away.
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def current_lang() -> str:
    """Return "vi" or "en"."""
    locale = get_locale()
    return locale.language if locale else "vi"


def fmt_datetime(value: datetime | None) -> str:
    """Format an instant as dd/mm/yyyy HH:MM in Vietnam time (24-hour)."""
    if value is None:
        return ""
    return value.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M")


def fmt_time(value: datetime | None) -> str:
    """Format an instant as HH:MM in Vietnam time."""
    if value is None:
        return ""
    return value.astimezone(VN_TZ).strftime("%H:%M")


def fmt_day_time(value: datetime | None) -> str:
    """Format an instant as dd/mm HH:MM in Vietnam time (for tables within a treatment)."""
    if value is None:
        return ""
    return value.astimezone(VN_TZ).strftime("%d/%m %H:%M")


def fmt_date(value: date | datetime | None) -> str:
    """Format a day as dd/mm/yyyy."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(VN_TZ).date()
    return value.strftime("%d/%m/%Y")


def _current(mo: Path, po: Path) -> bool:
    return mo.is_file() and mo.stat().st_mtime >= po.stat().st_mtime


def compiled_translations(source: Path, target: Path) -> Path:
    """Return a folder of compiled catalogs for Flask-Babel.

    The package's own folder when every ``.mo`` beside its ``.po`` is current (``make``
    compiles them); otherwise the catalogs are compiled with Babel into ``target`` (the
    instance folder), so that a plain ``pip install`` + gunicorn speaks Vietnamese too. Each
    file is written whole and renamed into place: several workers may start at once.
    """
    catalogs = sorted(source.glob("*/LC_MESSAGES/*.po"))
    if all(_current(po.with_suffix(".mo"), po) for po in catalogs):
        return source
    for po in catalogs:
        mo = (target / po.relative_to(source)).with_suffix(".mo")
        if _current(mo, po):
            continue
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=po.parent.parent.name)
        buffer = BytesIO()
        write_mo(buffer, catalog)
        mo.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=mo.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as out:
            out.write(buffer.getvalue())
        os.replace(tmp, mo)
    return target


def fmt_when(value: datetime | None, now: datetime | None = None) -> str:
    """Format an instant as HH:MM when it is today in Vietnam, else with its date.

    Staff read "open since 16:45" as today; an alert from five days ago must say so.
    """
    if value is None:
        return ""
    local = value.astimezone(VN_TZ)
    today = (now or datetime.now(VN_TZ)).astimezone(VN_TZ).date()
    if local.date() == today:
        return local.strftime("%H:%M")
    if local.year == today.year:
        return local.strftime("%d/%m %H:%M")
    return local.strftime("%d/%m/%Y %H:%M")


def fmt_number(value: float | int | None) -> str:
    """Return a number in the page's language: 37,5 in Vietnamese, 37.5 in English."""
    if value is None:
        return ""
    return format_decimal(value, format="#,##0.##")


def init_app(app: Flask) -> None:
    """Bind Flask-Babel and the template filters."""
    if "BABEL_TRANSLATION_DIRECTORIES" not in app.config:
        folder = compiled_translations(
            Path(app.root_path) / "translations", Path(app.instance_path) / "translations"
        )
        app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(folder)
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.filters["dt"] = fmt_datetime
    app.jinja_env.filters["d"] = fmt_date
    app.jinja_env.filters["hm"] = fmt_time
    app.jinja_env.filters["dm_hm"] = fmt_day_time
    app.jinja_env.filters["num"] = fmt_number
    app.jinja_env.filters["when"] = fmt_when
    app.jinja_env.globals["current_lang"] = current_lang
    app.jinja_env.globals["format_datetime"] = format_datetime
