"""Who may use each route. Every view declares it; an undeclared view is refused.

``@access("public")`` lets anyone in; ``@access("patient")`` or ``@access(*STAFF_ROLES)``
requires a login with one of the roles. Pages send anonymous people to the login page; the API
answers 401 / 403 in its error shape.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user

from ..data.models import STAFF_ROLES

F = TypeVar("F", bound=Callable[..., Any])
PUBLIC = "public"
ACCESS_ATTR = "f0monitor_access"
# Blueprints authenticated by bearer tokens: anonymous callers get 401, not the login page.
TOKEN_BLUEPRINTS = ("api", "fhir")

STAFF = STAFF_ROLES


def access(*roles: str) -> Callable[[F], F]:
    """Declare who may call a view: "public", or one or more roles."""
    if not roles:
        raise ValueError("declare at least one role, or 'public'")

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if PUBLIC not in roles:
                if not current_user.is_authenticated:
                    if request.blueprint in TOKEN_BLUEPRINTS:
                        abort(401)
                    return redirect(url_for("auth.login", next=request.path))
                if current_user.role not in roles:
                    abort(403)
            return view(*args, **kwargs)

        setattr(wrapper, ACCESS_ATTR, frozenset(roles))
        return wrapper  # type: ignore[return-value]

    return decorate


def declared_access(endpoint: str) -> frozenset[str] | None:
    """Return the roles a view declared, or None when it declared nothing."""
    view = current_app.view_functions.get(endpoint)
    return getattr(view, ACCESS_ATTR, None)


def check_declared() -> None:
    """Refuse any request to a view that declared no access rule (safe by default)."""
    endpoint = request.endpoint
    if endpoint is None or endpoint == "static":
        return
    if declared_access(endpoint) is None:
        abort(403)
