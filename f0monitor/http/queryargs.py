"""Query strings read the same way by the pages and the API: queue filters, caseload ranges."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _
from marshmallow import ValidationError

from ..data.models import PATIENT_STATUSES, TIERS
from ..data.types import as_id
from ..services import areas
from ..services.caseload import MAX_DAYS, Area, BadArea, area_for
from ..services.exports import MAX_REPORT_DAYS, LineListFilters, ReportFilters
from ..services.inputs import page_number
from ..services.queue import FLAGS, QueueFilters

DEFAULT_DAYS = 14  # the caseload's range when none is asked for


def filters_from(args: Any, search: str | None = None) -> QueueFilters:
    """Read the queue's filters from a query string; values that make no sense are ignored.

    The name-or-phone search is not in the query string: it is personal data, which must not
    land in URLs, browser history or access logs (Decree 13/2023); the page keeps it in the
    signed session instead.
    """

    def as_int(name: str, default: int | None = None) -> int | None:
        try:
            return int(args.get(name, ""))
        except ValueError:
            return default

    tier = args.get("tier") or None
    flag = args.get("flag") or None
    return QueueFilters(
        tier=tier if tier in TIERS else None,
        ward=as_id(args.get("ward")),
        flag=flag if flag in FLAGS else None,
        assigned_to_me=args.get("assigned") == "me",
        q=(search or "").strip()[:100] or None,
        page=page_number(args.get("page")),
        per_page=min(200, max(1, as_int("per_page", 50) or 50)),
    )


def _date_arg(args: Any, name: str, errors: dict[str, list[str]]) -> date | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = [_("Not a valid date (YYYY-MM-DD).")]
        return None


def _code_arg(args: Any, name: str, errors: dict[str, list[str]]) -> int | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        errors[name] = [_("Not a valid code.")]
        return None
    return int(raw)


def caseload_args(args: Any, user: Any, today: date) -> tuple[Area, date, date]:
    """Read and check from / to / province / ward; default to the last 14 days.

    :raise ValidationError: naming the field (a 422); OutOfScope for an area outside the
        user's own (a 404).
    """
    errors: dict[str, list[str]] = {}
    first = _date_arg(args, "from", errors)
    last = _date_arg(args, "to", errors)
    province = _code_arg(args, "province", errors)
    ward = _code_arg(args, "ward", errors)
    if errors:
        raise ValidationError(errors)
    last = last or today
    first = first or (last - timedelta(days=DEFAULT_DAYS - 1))
    if first > last:
        raise ValidationError({"from": [_("The first day must not be after the last day.")]})
    if (last - first).days + 1 > MAX_DAYS:
        raise ValidationError({"to": [_("The range may not be longer than %(n)s days.", n=MAX_DAYS)]})
    try:
        area = area_for(user, province, ward)
    except BadArea as exc:
        message = _("Unknown province.") if exc.field == "province" else (
            _("Unknown ward.") if str(exc) == "unknown ward" else _("This ward is not in the province.")
        )
        raise ValidationError({exc.field: [message]}) from None
    return area, first, last


def _ward_of_user(ward: int | None, user: Any) -> bool:
    """Tell whether a ward code lies in the user's area (a known ward, for a province-less admin)."""
    if ward is None:
        return True
    own = list(getattr(user, "ward_codes", None) or [])
    if own:
        return ward in own
    province = getattr(user, "province_code", None)
    if province is not None:
        return any(code == ward for code, _name in areas.wards(province))
    return bool(areas.ward_name(ward))


def line_list_args(args: Any, user: Any) -> LineListFilters:
    """Read and check the line list's filters: status, ward (of the user's area), tier.

    :raise ValidationError: naming the field, with a message (the page answers 400).
    """
    errors: dict[str, list[str]] = {}
    status = (args.get("status") or "").strip() or None
    tier = (args.get("tier") or "").strip() or None
    ward = _code_arg(args, "ward", errors)
    if status is not None and status not in PATIENT_STATUSES:
        errors["status"] = [_("Not a valid choice.")]
    if tier is not None and tier not in TIERS:
        errors["tier"] = [_("Not a valid choice.")]
    if "ward" not in errors and not _ward_of_user(ward, user):
        errors["ward"] = [_("This ward is outside your area.")]
    if errors:
        raise ValidationError(errors)
    return LineListFilters(status=status, ward=ward, tier=tier)


def report_list_args(args: Any, user: Any, today: date) -> ReportFilters:
    """Read and check the reports line list's days (from / to, the last 7 by default) and ward.

    :raise ValidationError: naming the field, with a message (the page answers 400).
    """
    errors: dict[str, list[str]] = {}
    first = _date_arg(args, "from", errors)
    last = _date_arg(args, "to", errors)
    ward = _code_arg(args, "ward", errors)
    if "ward" not in errors and not _ward_of_user(ward, user):
        errors["ward"] = [_("This ward is outside your area.")]
    if errors:
        raise ValidationError(errors)
    last = last or today
    first = first or (last - timedelta(days=6))
    if first > last:
        raise ValidationError({"from": [_("The first day must not be after the last day.")]})
    if (last - first).days + 1 > MAX_REPORT_DAYS:
        raise ValidationError({"to": [_("The range may not be longer than %(n)s days.", n=MAX_REPORT_DAYS)]})
    return ReportFilters(first=first, last=last, ward=ward)
