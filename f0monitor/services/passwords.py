"""Passwords: the one place that hashes and checks them, and judges how easy a new one is to guess.

``werkzeug.security`` is plain hashing (scrypt by default, constant-time comparison) with no
request machinery; it is the one Werkzeug module services may use (the services contract in
setup.cfg names this file as its only exception). Strength is estimated by ``zxcvbn`` (Dropbox's
estimator, with its lists of the most common passwords, names and keyboard patterns), fed the
account's own phone number and name so that neither makes a password.
"""

from __future__ import annotations

from collections.abc import Iterable

from werkzeug.security import check_password_hash, generate_password_hash

from ..domain.text import Msg
from ..domain.textfold import fold

MIN_PASSWORD = 8
MIN_STAFF_PASSWORD = 10
MAX_PASSWORD = 128
# zxcvbn scores 0-4 (4: more than 10^10 guesses). A patient needs 2 (≥ 10^6 guesses: out of
# reach of online guessing, which the login throttle bounds); staff, who read a whole
# province's records, 3 (≥ 10^8).
MIN_SCORE = 2
MIN_STAFF_SCORE = 3
# zxcvbn takes time that grows fast with length (a 64-character run of one letter: ~0.2 s);
# only the first 40 characters are judged, which keeps a check under ~0.1 s.
_ESTIMATE_CHARS = 40


def hash_password(password: str) -> str:
    """Return a salted scrypt hash of a password."""
    return generate_password_hash(password)


def password_matches(stored_hash: str | None, password: str | None) -> bool:
    """Tell whether a password matches a stored hash (False when there is no hash)."""
    return bool(stored_hash) and check_password_hash(stored_hash, password or "")


def _weakness(result: dict) -> Msg:
    """Say, in one sentence a patient understands, why zxcvbn finds a password easy."""
    patterns = {m.get("pattern") for m in result.get("sequence", ())}
    dictionaries = {m.get("dictionary_name") for m in result.get("sequence", ())}
    if "passwords" in dictionaries and len(result.get("sequence", ())) == 1:
        return Msg("this is one of the most common passwords: choose another")
    if patterns & {"sequence", "repeat", "spatial"}:
        return Msg("runs like 1234, repeated characters and keyboard rows are easy to guess")
    if "date" in patterns or "regex" in patterns:
        return Msg("dates and years are easy to guess")
    if "user_inputs" in dictionaries:
        return Msg("do not use your phone number or your name")
    return Msg("too easy to guess: add a few words only you would think of")


def password_problems(
    password: str | None, *, staff: bool = False, user_inputs: Iterable[str] = ()
) -> list[Msg]:
    """Return the problems with a new password (empty when it will do), untranslated.

    ``staff`` raises the length and strength asked for; ``user_inputs`` (phone, name) are words
    the estimator treats as known to an attacker.
    """
    least = MIN_STAFF_PASSWORD if staff else MIN_PASSWORD
    if not password or len(password) < least:
        return [Msg("at least %(n)s characters", n=least)]
    if len(password) > MAX_PASSWORD:
        return [Msg("at most %(n)s characters", n=MAX_PASSWORD)]
    words: list[str] = []
    for text in filter(None, user_inputs):
        for form in {str(text), fold(str(text))}:
            words += [form, *form.split(), form.replace(" ", "")]
    # Imported on the first password judged: its lists are 11 MB a worker, which a worker that
    # only serves reports and pages never needs (worker RSS, bench/load.py).
    from zxcvbn import zxcvbn

    result = zxcvbn(password[:_ESTIMATE_CHARS], user_inputs=words)
    if result["score"] < (MIN_STAFF_SCORE if staff else MIN_SCORE):
        return [_weakness(result)]
    return []
