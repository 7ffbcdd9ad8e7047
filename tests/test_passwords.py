"""Services hash passwords with the standard library, readable by Werkzeug at the HTTP edge."""

from werkzeug.security import check_password_hash, generate_password_hash

from f0monitor.services.passwords import hash_password


def test_werkzeug_checks_a_service_hash():
    stored = hash_password("correct horse 7")
    assert check_password_hash(stored, "correct horse 7")
    assert not check_password_hash(stored, "correct horse 8")
    assert not check_password_hash(stored, "")


def test_same_method_and_parameters_as_werkzeug():
    ours = hash_password("pw123456")
    theirs = generate_password_hash("pw123456")
    method, salt, digest = ours.split("$")
    assert method == theirs.split("$")[0] == "scrypt:32768:8:1"
    assert len(salt) == len(theirs.split("$")[1]) == 16 and salt.isalnum()
    assert len(digest) == len(theirs.split("$")[2]) == 128
    assert hash_password("pw123456") != ours  # a fresh salt each time
