"""Languages (Vietnamese first, English second) and Vietnamese date and time display."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from flask import Flask, current_app, request, session
from flask_babel import format_datetime, format_decimal, get_locale
from flask_login import current_user

from .._catalogs import missing_catalogs
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


def fmt_number(value: float | int | None, decimals: int = 1) -> str:
    """Format a measurement with Babel for the reader's locale: 37,5 in Vietnamese, 37.5 in English.

    Whole numbers stay whole; others show ``decimals`` decimals.
    """
    if value is None:
        return ""
    if isinstance(value, int) or float(value).is_integer() and decimals == 0:
        return format_decimal(value, format="#,##0")
    return format_decimal(value, format="#,##0." + "0" * decimals)


def fmt_date(value: date | datetime | None) -> str:
    """Format a day as dd/mm/yyyy."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(VN_TZ).date()
    return value.strftime("%d/%m/%Y")


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


def init_app(app: Flask) -> None:
    """Bind Flask-Babel and the template filters."""
    if "BABEL_TRANSLATION_DIRECTORIES" not in app.config:
        # Compiled at build time (setup.py's build_py: pip install, pip wheel; or make).
        folder = Path(app.root_path) / "translations"
        installed = (Path(app.root_path) / "_site").is_dir()  # built by setup.py, not a checkout
        stale = missing_catalogs(folder, check_age=not installed)
        if stale:
            app.logger.warning(
                "no current compiled catalog for %s: pages fall back to English; reinstall "
                "(pip install .) or run make translations",
                ", ".join(str(p.relative_to(folder)) for p in stale),
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
