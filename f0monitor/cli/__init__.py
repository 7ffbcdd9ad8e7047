"""Commands: flask --app f0monitor <command>, or the f0monitor console script.

``seed-demo``, ``demo-logins``, ``create-user``, ``reset-password``, ``reset-mfa``,
``reassess``, ``retention``, ``rebuild-rollup`` and ``close-days`` (``init-db`` is in
``data.session``); ``demo`` builds the demo caseload through the real services.

May import: any layer (commands are an edge, like the pages, and commit). Nothing imports
this package except the application factory in ``f0monitor/__init__.py`` (the ``cli``
import-linter contract).
"""

from __future__ import annotations

import os

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from ..data.models import ROLES
from ..data.session import get_session, upgrade_db
from ..domain.clock import utcnow
from ..services import areas
from ..services.phones import InvalidPhone, normalize_phone


@click.command("seed-demo")
@click.option("--patients", "n_patients", default=300, show_default=True, help="How many patients.")
@with_appcontext
def seed_demo_command(n_patients: int) -> None:
    """Load the An Giang demo caseload and one account per role (safe to run twice)."""
    from .demo import seed_demo

    upgrade_db()
    session = get_session()
    with click.progressbar(length=n_patients, label="Demo patients") as bar:
        created = seed_demo(session, now=utcnow(), n_patients=n_patients, progress=bar.update)
    session.commit()
    click.echo(
        f"Created {created['patients']} patients, {created['reports']} reports, "
        f"{created['accounts']} staff accounts, {created['facilities']} facilities."
    )
    _print_demo_logins()


def _print_demo_logins() -> None:
    from .demo import DEMO_ACCOUNTS, DEMO_FACILITY_ACCOUNT, DEMO_PASSWORD, DEMO_PATIENTS

    click.echo(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
    for role, phone, name in (*DEMO_ACCOUNTS, DEMO_FACILITY_ACCOUNT):
        click.echo(f"  {role:<12} {phone}  {name}")
    for phone, name, _sex, age, comorbid, _days, _course in DEMO_PATIENTS:
        about = f"{age} years" + (f", {', '.join(comorbid)}" if comorbid else "")
        click.echo(f"  {'patient':<12} {phone}  {name} ({about})")


@click.command("demo-logins")
def demo_logins_command() -> None:
    """Print the demo accounts and their password."""
    _print_demo_logins()


@click.command("create-user")
@click.option("--role", type=click.Choice([r for r in ROLES if r != "patient"]), required=True)
@click.option("--phone", required=True, help="Phone number, e.g. 0912345678.")
@click.option("--name", required=True, help="Full name.")
@click.option("--province", "province_code", type=int, required=True, help="Province code.")
@click.option("--ward", "ward_codes", type=int, multiple=True, help="Ward code (repeatable).")
@click.option("--password", default=None, help="Prompted for when not given.")
@click.option("--facility", "facility_id", type=int, default=None,
              help="Role facility: the id of the hospital whose incoming transfers they answer.")
@with_appcontext
def create_user_command(role, phone, name, province_code, ward_codes, password, facility_id) -> None:
    """Create a staff, department or admin account (this is how the first admin is made)."""
    from ..http.labels import render_all
    from ..services import PhoneTaken
    from ..services.staff_users import BadStaff, StaffInput, create_staff

    try:
        e164 = normalize_phone(phone)
    except InvalidPhone:
        raise click.BadParameter("not a valid phone number", param_hint="--phone") from None
    if not areas.is_province(province_code):
        raise click.BadParameter("unknown province code", param_hint="--province")
    for ward in ward_codes:
        if not areas.ward_in_province(ward, province_code):
            raise click.BadParameter(f"ward {ward} is not in province {province_code}", param_hint="--ward")
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    session = get_session()
    data = StaffInput(
        role=role, phone=e164, full_name=name, province_code=province_code,
        ward_codes=tuple(ward_codes), password=password, facility_id=facility_id,
    )
    try:
        user = create_staff(session, data, now=utcnow())
    except BadStaff as exc:
        fields = exc.params.get("fields") or {}
        name_, messages = next(iter(fields.items()), ("", ["not valid"]))
        option = {"full_name": "name", "province_code": "province", "ward_codes": "ward",
                  "facility_id": "facility"}.get(name_, name_)
        with current_app.test_request_context():
            text = "; ".join(render_all(messages))
        raise click.BadParameter(text, param_hint=f"--{option}") from None
    except PhoneTaken:
        raise click.ClickException("an account with this phone number already exists") from None
    session.commit()
    click.echo(f"Created {role} #{user.id} for {areas.province_name(province_code)}.")


def _account(phone: str):
    from ..data.models import User

    try:
        e164 = normalize_phone(phone)
    except InvalidPhone:
        raise click.BadParameter("not a valid phone number", param_hint="--phone") from None
    session = get_session()
    user = session.scalar(sa.select(User).where(User.phone == e164))
    if user is None:
        raise click.ClickException("no account has this phone number")
    return session, user


def _audit_account(session, user, action: str, detail: str) -> None:
    from ..services import audit

    audit.record(session, user_id=None, patient_id=None, action=action, now=utcnow(),
                 detail=f"account={user.id} {detail} by=command"[:255])


@click.command("reset-password")
@click.option("--phone", required=True, help="Phone number of the account.")
@click.option("--password", default=None, help="Prompted for when not given.")
@with_appcontext
def reset_password_command(phone, password) -> None:
    """Give an account a new password; every session and API token of it ends."""
    from ..http.labels import render_all
    from ..services import credentials
    from ..services.inputs import check_password

    session, user = _account(phone)
    if password is None:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    problems = check_password(password, staff=user.role != "patient", user_inputs=(user.phone, user.full_name))
    if problems:
        with current_app.test_request_context():
            raise click.BadParameter("; ".join(render_all(problems)), param_hint="--password")
    ended = credentials.set_password(session, user, password, now=utcnow())
    _audit_account(session, user, "password_reset", f"revoked={ended}")
    session.commit()
    click.echo(f"New password set for account #{user.id}; {ended} sessions and tokens ended.")


@click.command("reset-mfa")
@click.option("--phone", required=True, help="Phone number of the account.")
@with_appcontext
def reset_mfa_command(phone) -> None:
    """Remove an account's lost second factor (the owner enrols again at the next login)."""
    from ..services import mfa

    session, user = _account(phone)
    mfa.reset(session, user, now=utcnow())
    _audit_account(session, user, "mfa_reset", "")
    session.commit()
    click.echo(f"Second factor of account #{user.id} removed; its sessions and tokens ended.")


@click.command("reassess")
@click.option("--batch-size", default=2000, show_default=True)
@click.option(
    "--workers",
    default=lambda: min(4, os.cpu_count() or 1),
    show_default="number of cores, at most 4",
    type=click.IntRange(1, 32),
    help="Processes that run the rules while this one reads and writes.",
)
@with_appcontext
def reassess_command(batch_size: int, workers: int) -> None:
    """Re-score every active patient's latest report with the current rules."""
    from ..services.reassess import active_count, reassess_all

    session = get_session()
    total = active_count(session)
    with click.progressbar(length=total, label="Re-scoring patients") as bar:
        summary = reassess_all(
            session, now=utcnow(), batch_size=batch_size, progress=bar.update, workers=workers
        )
    click.echo(f"Re-scored {summary.patients} patients with rules {summary.rules_version}.")
    if not summary.changes:
        click.echo("No tier changed.")
    for (old, new), count in sorted(summary.changes.items()):
        click.echo(f"  {old or 'none':>6} -> {new:<6} {count}")


@click.command("retention")
@click.option("--days", type=click.IntRange(1, None), default=None,
              help="Override the RETENTION_DAYS setting (default 180).")
@click.option("--dry-run", is_flag=True, help="Count the cases that are due; change nothing.")
@with_appcontext
def retention_command(days: int | None, dry_run: bool) -> None:
    """Anonymise the cases whose treatment ended more than RETENTION_DAYS ago (run it daily).

    Decree 13/2023: name to initials; phone, address, national id and free text removed; date
    of birth to the year. The department's figures are unchanged. Each case is audited.
    """
    from ..services.retention import due, run_retention

    days = days or int(current_app.config.get("RETENTION_DAYS") or 180)
    session = get_session()
    now = utcnow()
    if dry_run:
        click.echo(f"{len(due(session, now=now, days=days))} cases are past {days} days (dry run).")
        return
    result = run_retention(session, now=now, days=days)
    session.commit()
    click.echo(f"Anonymised {result.anonymised} cases whose treatment ended before "
               f"{result.cutoff.date().isoformat()} ({days} days).")


@click.command("rebuild-rollup")
@with_appcontext
def rebuild_rollup_command() -> None:
    """Recompute the department's caseload rollup from patients, assessments, alerts, reports.

    Safe to run at any time and twice: the rollup is replaced in one transaction.
    """
    import time

    from ..services.rollup import rebuild

    session = get_session()
    started = time.perf_counter()
    counts = rebuild(session, now=utcnow())
    session.commit()
    click.echo(f"Rollup rebuilt in {time.perf_counter() - started:.1f} s: {counts['rows']} rows from "
               f"{counts['patients']} patients and {counts['alerts']} alerts; "
               f"{counts['days_closed']} past days closed.")


@click.command("close-days")
@with_appcontext
def close_days_command() -> None:
    """Count the reporters of the caseload's past days not yet closed (the hourly job does it)."""
    from ..services.rollup import close_days

    session = get_session()
    days = close_days(session, now=utcnow())
    session.commit()
    click.echo(f"Closed {len(days)} days.")


def init_app(app: Flask) -> None:
    """Register the commands on the app."""
    for command in (
        seed_demo_command, demo_logins_command, create_user_command, reset_password_command,
        reset_mfa_command, reassess_command, retention_command, rebuild_rollup_command,
        close_days_command,
    ):
        app.cli.add_command(command)


def cli_group() -> FlaskGroup:
    """Return the command group of the f0monitor console script."""
    from .. import create_app

    return FlaskGroup(create_app=lambda: create_app(), help="f0monitor commands.")


def main() -> None:
    """The f0monitor console script: the same commands as flask --app f0monitor."""
    cli_group()(prog_name="f0monitor")
