"""Password hashes: the one place that makes and checks them, with Werkzeug's `security`.

``werkzeug.security`` is plain hashing (scrypt by default, constant-time comparison) with no
request machinery; it is the one Werkzeug module services may use (the services contract in
setup.cfg names this file as its only exception).
"""

from __future__ import annotations

from werkzeug.security import check_password_hash, generate_password_hash


def hash_password(password: str) -> str:
    """Return a salted scrypt hash of a password."""
    return generate_password_hash(password)


def password_matches(stored_hash: str | None, password: str | None) -> bool:
    """Tell whether a password matches a stored hash (False when there is no hash)."""
    return bool(stored_hash) and check_password_hash(stored_hash, password or "")
