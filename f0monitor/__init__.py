"""f0monitor: follow-up of COVID-19 patients treated at home, for provincial health departments."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

__version__ = "0.1.0"

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# An installed package (pip install ., a wheel) carries the templates and static files in
# f0monitor/_site (setup.py's build step); a source checkout has them at its top level.
SITE = Path(__file__).resolve().parent / "_site"
INSTALLED = (SITE / "templates").is_dir()


def _site(name: str) -> str:
    return str((SITE if INSTALLED else PROJECT_ROOT) / name)


def _instance_path() -> str:
    """instance/ of the checkout; for an installed package, F0MONITOR_INSTANCE_PATH or
    ./instance in the directory the commands run in (never inside site-packages)."""
    if os.environ.get("F0MONITOR_INSTANCE_PATH"):
        return os.environ["F0MONITOR_INSTANCE_PATH"]
    return str(Path.cwd() / "instance") if INSTALLED else str(PROJECT_ROOT / "instance")


def create_app(
    test_config: Mapping[str, Any] | None = None, *, instance_path: str | None = None
) -> Flask:
    """Create and configure the f0monitor application."""
    from . import config

    app = Flask(
        __name__,
        instance_path=instance_path or _instance_path(),
        instance_relative_config=True,
        template_folder=_site("templates"),
        static_folder=_site("static"),
    )
    app.config.from_object(config.Defaults)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("F0MONITOR")
        # The conventional variable wins over nothing, but F0MONITOR_DATABASE_URL wins over it.
        if not app.config.get("DATABASE_URL") and os.environ.get("DATABASE_URL"):
            app.config["DATABASE_URL"] = os.environ["DATABASE_URL"]
    else:
        app.config.update(test_config)
    if (app.debug or app.testing) and "SESSION_COOKIE_SECURE" not in (test_config or {}):
        # Plain http on a developer's machine or in the test client.
        app.config["SESSION_COOKIE_SECURE"] = False
        app.config["REMEMBER_COOKIE_SECURE"] = False
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config["DATABASE_URL"] = config.database_url(app)
    app.config["VERSION"] = __version__  # read by the layers, which never import this package
    config.check_secret_key(app)

    from . import api, cli, fhir, jobs
    from .data import session
    from .http import auth, errors, i18n, inputguard, transport
    from .web import auth as auth_pages
    from .web import calculator, department, facility, patients, staff
    from .web.common import plumbing
    from .web.public import claim, verify

    session.init_app(app)
    from .services.queue import CountCache

    app.extensions["f0monitor.queue_counts"] = CountCache(float(app.config["QUEUE_COUNT_TTL"]))
    app.extensions["f0monitor.department_counts"] = CountCache(float(app.config["DEPARTMENT_COUNT_TTL"]))
    from .services.dailyreport import ClosedWaits

    app.extensions["f0monitor.department_waits"] = ClosedWaits()
    i18n.init_app(app)
    auth.init_app(app)
    plumbing.init_app(app)
    errors.init_app(app)
    transport.init_app(app)
    cli.init_app(app)
    jobs.init_app(app)
    staff.init_app(app)
    # One blueprint per audience: patients, staff (and their calculator), the department, the
    # public pages (certificate verification, questions to the hotline), the JSON API and the
    # FHIR R4 feed for national and hospital systems.
    for blueprint in (
        auth_pages.bp,
        patients.bp,
        claim.bp,
        verify.bp,
        staff.bp,
        calculator.bp,
        department.bp,
        facility.bp,
        api.bp,
        fhir.bp,
    ):
        app.register_blueprint(blueprint)
    inputguard.init_app(app)  # last, so that it runs first
    return app
