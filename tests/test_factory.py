"""The app factory, configuration and the shape of the checkout."""

from pathlib import Path

import pytest

from f0monitor import PROJECT_ROOT, config, create_app


def test_folders_resolve(app):
    assert Path(app.template_folder).is_dir()
    assert Path(app.static_folder).is_dir()
    assert Path(app.template_folder) == PROJECT_ROOT / "templates"
    assert Path(app.static_folder) == PROJECT_ROOT / "static"


def test_testing_flag(app):
    assert app.testing
    assert not create_app({"SECRET_KEY": "x", "DATABASE_URL": "sqlite://"}).testing


def test_refuses_default_secret_outside_debug(tmp_path, monkeypatch):
    monkeypatch.delenv("F0MONITOR_SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"DATABASE_URL": "sqlite://"}, instance_path=str(tmp_path))


def test_default_database_is_sqlite_in_instance(tmp_path, monkeypatch):
    monkeypatch.delenv("F0MONITOR_DATABASE_URL", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("F0MONITOR_SECRET_KEY", "s3cret")
    app = create_app(instance_path=str(tmp_path))
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'f0monitor.sqlite'}"


def test_environment_overrides_instance_config(tmp_path, monkeypatch):
    (tmp_path / "config.py").write_text("SECRET_KEY = 'from-file'\nDATABASE_URL = 'sqlite:///a.db'\n")
    monkeypatch.setenv("F0MONITOR_DATABASE_URL", "postgresql://u@h/db")
    app = create_app(instance_path=str(tmp_path))
    assert app.config["SECRET_KEY"] == "from-file"
    assert app.config["DATABASE_URL"] == "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u@h/d", "postgresql+psycopg://u@h/d"),
        ("postgresql://u@h/d", "postgresql+psycopg://u@h/d"),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
        ("sqlite:////x/y.db", "sqlite:////x/y.db"),
    ],
)
def test_database_url_normalised(given, expected, tmp_path):
    app = create_app({"TESTING": True, "DATABASE_URL": given}, instance_path=str(tmp_path))
    assert app.config["DATABASE_URL"] == expected
    assert config.database_url(app) == expected


def test_cookies_are_secure_in_production(tmp_path):
    app = create_app({"SECRET_KEY": "prod", "DATABASE_URL": "sqlite://"}, instance_path=str(tmp_path))
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_console_script_has_the_commands(monkeypatch, tmp_path):
    from click.testing import CliRunner

    from f0monitor.cli import cli_group

    monkeypatch.setenv("F0MONITOR_SECRET_KEY", "x")
    monkeypatch.setenv("F0MONITOR_DATABASE_URL", f"sqlite:///{tmp_path / 'c.sqlite'}")
    result = CliRunner().invoke(cli_group(), ["--help"])
    assert result.exit_code == 0, result.output
    for command in ("init-db", "seed-demo", "create-user", "reassess"):
        assert command in result.output
    result = CliRunner().invoke(cli_group(), ["init-db"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "c.sqlite").exists()


def test_nul_bytes_are_refused_not_500(client):
    assert client.post("/api/v1/assess", data=b'{"profile": "\\u0000"}', content_type="application/json").status_code == 400
    assert client.post("/login", data={"phone": "09\x00", "password": "x"}).status_code == 400
    assert client.get("/login?next=%00").status_code == 400


def test_oversized_body_is_413(client):
    response = client.post("/api/v1/assess", data=b"x" * 600_000, content_type="application/json")
    assert response.status_code == 413
