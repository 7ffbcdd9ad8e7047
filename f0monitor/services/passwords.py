"""Password hashes, made with the standard library in Werkzeug's format.

``hash_password`` writes ``scrypt:32768:8:1$<salt>$<hex>``, the format and parameters of
``werkzeug.security.generate_password_hash`` (its default method), so the hashes stored by the
services and by the pages are one kind and ``werkzeug.security.check_password_hash`` at the
HTTP edge reads them all. Services stay free of Werkzeug (an HTTP library).
"""

from __future__ import annotations

import hashlib
import secrets
import string

SALT_CHARS = string.ascii_letters + string.digits
SALT_LENGTH = 16
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1


def hash_password(password: str) -> str:
    """Hash a password (scrypt, as Werkzeug does by default)."""
    salt = "".join(secrets.choice(SALT_CHARS) for _ in range(SALT_LENGTH))
    digest = hashlib.scrypt(
        password.encode(), salt=salt.encode(), n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P,
        maxmem=132 * SCRYPT_N * SCRYPT_R * SCRYPT_P,
    ).hex()
    return f"scrypt:{SCRYPT_N}:{SCRYPT_R}:{SCRYPT_P}${salt}${digest}"
