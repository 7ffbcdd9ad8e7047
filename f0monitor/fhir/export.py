"""FHIR Bulk Data export of the caller's province: ``GET /fhir/$export`` (NDJSON, async).

The kick-off answers 202 with ``Content-Location`` (the status URL). A background thread of
the worker that took the request writes one NDJSON file per resource type into
``instance/fhir-export/<job>/``, streaming rows from the database (``yield_per``) to disk, and
then the manifest, atomically (written aside, then renamed). The status URL answers 202 with
``X-Progress`` while the manifest is missing, then 200 with it; the file URLs stream the files
from disk. Nothing is built in memory and no state lives in a worker: any worker of the host
answers the polling, since the job is files in the instance folder (deployments on several
hosts share that folder, or pin the export to one host). The job queue of the reminders
(Huey) was not merged when this was written; the thread is the runner.

Audit: the kick-off records one ``fhir.export`` event per patient of the export, in the same
transaction (one INSERT ... SELECT), and the export is limited to those patients (ids up to
the largest audited one), so every record that leaves is in the trail.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, request, send_file, url_for
from flask_login import current_user
from sqlalchemy.orm import Session, selectinload

from ..data.models import (
    AuditEvent,
    Patient,
    RiskAssessment,
    SymptomReport,
    Transfer,
    TransferEvent,
    User,
)
from ..data.session import get_session
from ..data.types import UTCDateTime
from ..domain.clock import utcnow
from ..http.access import access
from ..http.errors import fhir_error
from ..http.i18n import current_lang
from ..services.scope import scope_clause
from . import FHIR_ROLES, bp, resources
from .search import BadSearch, _interval

EXPORT_TYPES = ("Patient", "Observation", "QuestionnaireResponse", "RiskAssessment", "Encounter")
OUTPUT_FORMATS = {"application/fhir+ndjson", "application/ndjson", "ndjson"}
NDJSON = "application/fhir+ndjson"
KEEP = timedelta(hours=24)  # the manifest's files expire after a day
BATCH = 500
_JOB_CHARS = set("0123456789abcdef")


def export_root(app: Flask) -> Path:
    return Path(app.instance_path) / "fhir-export"


def _job_dir(job: str) -> Path | None:
    if len(job) != 32 or not set(job) <= _JOB_CHARS:
        return None
    folder = export_root(current_app) / job
    return folder if folder.is_dir() else None


def _write_json(path: Path, body: dict[str, Any]) -> None:
    part = path.with_suffix(".part")
    part.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    os.replace(part, path)  # readers see the whole file or none


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None


@bp.route("/$export", methods=("GET",))
@access(*FHIR_ROLES)
def export_start():
    """Start a Bulk Data export of the caller's province (202 + Content-Location)."""
    fmt = request.args.get("_outputFormat", NDJSON)
    if fmt not in OUTPUT_FORMATS:
        return fhir_error(400, "_outputFormat: only application/fhir+ndjson is offered")
    types = [t.strip() for t in request.args.get("_type", ",".join(EXPORT_TYPES)).split(",") if t.strip()]
    unknown = [t for t in types if t not in EXPORT_TYPES]
    if unknown or not types:
        return fhir_error(400, "_type: supported types are " + ", ".join(EXPORT_TYPES))
    since = None
    if request.args.get("_since"):
        try:
            _prefix, since, _end = _interval("_since", request.args["_since"])
        except BadSearch as exc:
            return fhir_error(400, str(exc))
    session = get_session()
    now = utcnow()
    job = secrets.token_hex(16)
    max_id = session.scalar(sa.select(sa.func.max(Patient.id)).where(scope_clause(current_user)))
    ip = (request.remote_addr or "")[:45] or None
    # One audit event per exported patient, in this transaction, in one statement.
    audited = sa.select(
        sa.literal(now, UTCDateTime()), sa.literal(current_user.id), Patient.id,
        sa.literal("fhir.export"), sa.literal(f"bulk export {job[:8]}"), sa.literal(ip, sa.String()),
    ).where(scope_clause(current_user))
    session.execute(
        sa.insert(AuditEvent).from_select(
            ["at", "user_id", "patient_id", "action", "detail", "ip"], audited
        )
    )
    folder = export_root(current_app) / job
    folder.mkdir(parents=True)
    spec = {
        "job": job,
        "user_id": current_user.id,
        "request": request.url,
        "transaction_time": resources.instant(now),
        "types": types,
        "since": since.isoformat() if since else None,
        "max_patient_id": max_id or 0,
        "lang": current_lang(),
        "base": request.url_root.rstrip("/") + "/fhir",
    }
    _write_json(folder / "job.json", spec)
    session.commit()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    threading.Thread(target=run_job, args=(app, folder), name=f"fhir-export-{job[:8]}", daemon=True).start()
    response = current_app.response_class(status=202)
    response.headers["Content-Location"] = url_for("fhir.export_status", job=job, _external=True)
    return response


def _since_clause(column: Any, since: datetime | None) -> Any:
    return sa.true() if since is None else column >= since


def _stream(session: Session, stmt: Any) -> Iterator[Any]:
    yield from session.scalars(stmt.execution_options(yield_per=BATCH))


def _resources_of(session: Session, kind: str, user: User, max_id: int, since: datetime | None,
                  lang: str) -> Iterator[dict[str, Any]]:
    scoped = sa.and_(scope_clause(user), Patient.id <= max_id)
    if kind == "Patient":
        updated = sa.func.coalesce(Patient.status_changed_at, Patient.registered_at)
        for p in _stream(session, sa.select(Patient).where(scoped, _since_clause(updated, since)).order_by(Patient.id)):
            yield resources.patient_resource(p)
    elif kind in ("Observation", "QuestionnaireResponse"):
        stmt = (sa.select(SymptomReport).join(Patient, Patient.id == SymptomReport.patient_id)
                .where(scoped, _since_clause(SymptomReport.created_at, since)).order_by(SymptomReport.id))
        for r in _stream(session, stmt):
            if kind == "Observation":
                yield from resources.observations(r)
            else:
                yield resources.questionnaire_response(r)
    elif kind == "RiskAssessment":
        stmt = (sa.select(RiskAssessment).join(Patient, Patient.id == RiskAssessment.patient_id)
                .where(scoped, _since_clause(RiskAssessment.assessed_at, since)).order_by(RiskAssessment.id))
        for a in _stream(session, stmt):
            yield resources.risk_assessment(a, lang)
    else:
        stmt = (sa.select(Transfer).join(Patient, Patient.id == Transfer.patient_id)
                .where(scoped, _since_clause(Transfer.updated_at, since)).order_by(Transfer.id)
                .options(selectinload(Transfer.events).selectinload(TransferEvent.by),
                         selectinload(Transfer.facility)))
        # selectinload does not combine with yield_per on every backend: batches by id instead.
        last = 0
        while True:
            batch = list(session.scalars(stmt.where(Transfer.id > last).limit(BATCH)))
            if not batch:
                break
            for t in batch:
                yield resources.encounter(t)
            last = batch[-1].id
            session.expunge_all()


def run_job(app: Flask, folder: Path) -> None:
    """Write the NDJSON files of a job, then its manifest (or error.json on failure)."""
    from flask_babel import force_locale

    spec = _read_json(folder / "job.json") or {}
    # A request context of its own: the labels render through Babel in the job's language.
    with app.test_request_context(base_url=spec.get("base", "http://localhost")):
        session: Session = app.extensions["f0monitor.sessionmaker"]()
        try:
            user = session.get(User, spec["user_id"])
            since = datetime.fromisoformat(spec["since"]) if spec.get("since") else None
            output = []
            with force_locale(spec.get("lang") or "vi"):
                for kind in spec["types"]:
                    _write_json(folder / "progress.json", {"type": kind})
                    path = folder / f"{kind}.ndjson"
                    part = folder / f"{kind}.ndjson.part"
                    count = 0
                    with part.open("w", encoding="utf-8") as out:
                        for resource in _resources_of(session, kind, user, spec["max_patient_id"], since,
                                                      spec.get("lang") or "vi"):
                            out.write(json.dumps(resource, ensure_ascii=False, separators=(",", ":")))
                            out.write("\n")
                            count += 1
                    os.replace(part, path)
                    if count:
                        output.append({"type": kind, "count": count,
                                       "url": f"{spec['base']}/$export-file/{spec['job']}/{kind}.ndjson"})
                    else:
                        path.unlink()
            _write_json(folder / "manifest.json", {
                "transactionTime": spec["transaction_time"],
                "request": spec["request"],
                "requiresAccessToken": True,
                "output": output,
                "error": [],
            })
        except Exception as exc:  # the job's failure is reported to the poller, not lost
            app.logger.exception("fhir export %s failed", spec.get("job"))
            _write_json(folder / "error.json", {"message": type(exc).__name__})
        finally:
            session.close()


def _own_job(job: str) -> tuple[Path, dict[str, Any]] | None:
    folder = _job_dir(job)
    spec = _read_json(folder / "job.json") if folder else None
    if folder is None or spec is None or spec.get("user_id") != current_user.id:
        return None
    return folder, spec


@bp.route("/$export-status/<job>", methods=("GET",))
@access(*FHIR_ROLES)
def export_status(job: str):
    """Poll an export: 202 while it runs, then 200 with the manifest (the file list)."""
    found = _own_job(job)
    if found is None:
        return fhir_error(404, "no such export")
    folder, spec = found
    if (folder / "error.json").exists():
        return fhir_error(500, "the export failed; start a new one")
    manifest = _read_json(folder / "manifest.json")
    if manifest is None:
        progress = _read_json(folder / "progress.json") or {}
        response = current_app.response_class(status=202)
        response.headers["X-Progress"] = f"writing {progress.get('type', 'the first file')}"
        response.headers["Retry-After"] = "2"
        return response
    response = current_app.response_class(json.dumps(manifest, ensure_ascii=False), mimetype="application/json")
    expires = datetime.fromisoformat(spec["transaction_time"].replace("Z", "+00:00")) + KEEP
    response.headers["Expires"] = expires.strftime("%a, %d %b %Y %H:%M:%S GMT")
    return response


@bp.route("/$export-status/<job>", methods=("DELETE",))
@access(*FHIR_ROLES)
def export_delete(job: str):
    """Cancel an export or delete its files (202)."""
    found = _own_job(job)
    if found is None:
        return fhir_error(404, "no such export")
    shutil.rmtree(found[0], ignore_errors=True)
    return current_app.response_class(status=202)


@bp.route("/$export-file/<job>/<name>", methods=("GET",))
@access(*FHIR_ROLES)
def export_file(job: str, name: str):
    """Stream one NDJSON file of a finished export from disk."""
    found = _own_job(job)
    kind = name.removesuffix(".ndjson")
    if found is None or kind not in EXPORT_TYPES or not name.endswith(".ndjson"):
        return fhir_error(404, "no such file")
    path = found[0] / name
    if not path.is_file():
        return fhir_error(404, "no such file")
    return send_file(path, mimetype=NDJSON, conditional=True, max_age=0)
