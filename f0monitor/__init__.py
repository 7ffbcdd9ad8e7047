"""f0monitor: follow-up of COVID-19 patients treated at home, for provincial health departments."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

__version__ = "0.1.0"

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(
    test_config: Mapping[str, Any] | None = None, *, instance_path: str | None = None
) -> Flask:
    """Create and configure the f0monitor application."""
    from . import config

    app = Flask(
        __name__,
        instance_path=instance_path or str(PROJECT_ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
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
    config.check_secret_key(app)

    from . import api, auth, calculator, cli, db, errors, i18n, patients, web

    db.init_app(app)
    i18n.init_app(app)
    auth.init_app(app)
    web.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(patients.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(calculator.bp)
    _register_optional_blueprints(app)
    return app


def _register_optional_blueprints(app: Flask) -> None:
    """Register the staff and department blueprints."""
    from . import staff

    app.register_blueprint(staff.bp)
    staff.init_app(app)
    from .claim import bp as claim_bp

    app.register_blueprint(claim_bp)
    from .verify import bp as public_bp  # certificate verification, the hotline's ask page

    app.register_blueprint(public_bp)
    from . import department

    app.register_blueprint(department.bp)
