"""The one password module: hashes are salted scrypt, checked in constant time by Werkzeug."""

from werkzeug.security import check_password_hash

from f0monitor.services.passwords import hash_password, password_matches


def test_a_hash_checks_only_its_password():
    stored = hash_password("correct horse 7")
    assert stored.startswith("scrypt:") and "correct horse 7" not in stored
    assert password_matches(stored, "correct horse 7")
    assert check_password_hash(stored, "correct horse 7")
    assert not password_matches(stored, "correct horse 8")
    assert not password_matches(stored, "")
    assert not password_matches(stored, None)


def test_no_hash_never_matches():
    assert not password_matches(None, "anything")
    assert not password_matches("", "")


def test_a_fresh_salt_each_time():
    assert hash_password("pw123456") != hash_password("pw123456")
