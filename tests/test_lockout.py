"""Issue 9, item 2: a lockout that cannot be turned against the owner.

Failed logins count per (phone, address) and per address, which refuse; per phone, wherever
they come from and for the page and the API together, which only slows the phone down; and a
browser that logged in to the account before (the signed device cookie) is not slowed by an
attacker elsewhere. Behind a proxy (PROXY_HOPS) each client is counted apart.
"""

from __future__ import annotations

import time

import pytest

from .conftest import PASSWORD, csrf_token, login

ATTACKERS = [f"198.51.100.{i}" for i in range(1, 40)]


@pytest.fixture
def app_config():
    return {"LOGIN_LIMIT_PER_PHONE": "6 per hour", "LOGIN_PHONE_DELAY": 2}


def _client(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _api_login(client, phone, password):
    return client.post("/api/v1/tokens", json={"phone": phone, "password": password})


def test_one_counter_per_phone_for_page_and_api_slows_but_never_locks(app, make_patient):
    make_patient(login=True, phone="+84912000601")
    # Six failures from six addresses, half on the page and half on the API.
    for i, address in enumerate(ATTACKERS[:6]):
        client = _client(app, address)
        if i % 2:
            assert _api_login(client, "0912000601", "wrong").status_code == 401
        else:
            assert login(client, "0912000601", "wrong").status_code == 200
    # The phone is now past its cap: one try per delay, from anywhere, by page or API.
    first = login(_client(app, "203.0.113.7"), "0912000601", "wrong")
    assert first.status_code == 200  # allowed (and wrong)
    held = _api_login(_client(app, "203.0.113.8"), "0912000601", PASSWORD)
    assert held.status_code == 429  # the right password waits too, but only a moment:
    assert 1 <= int(held.headers["Retry-After"]) <= 3
    assert held.get_json()["error"]["code"] == "rate_limited"
    time.sleep(int(held.headers["Retry-After"]))
    assert _api_login(_client(app, "203.0.113.8"), "0912000601", PASSWORD).status_code == 201


def test_the_owners_device_is_not_slowed_by_an_attacker_elsewhere(app, make_patient):
    make_patient(login=True, phone="+84912000602")
    owner = _client(app, "192.0.2.10")
    assert login(owner, "0912000602").status_code == 302  # the device cookie is set here
    assert owner.get_cookie("f0_device") is not None
    owner.post("/logout", data={"csrf_token": csrf_token(owner, "/home")})
    # An attacker guesses from many addresses, far past every per-phone count.
    for address in ATTACKERS[:12]:
        attacker = _client(app, address)
        for _ in range(3):
            response = login(attacker, "0912000602", "guess")
            assert response.status_code in (200, 429)
    # A new device is slowed down (the attack did have an effect)...
    assert login(_client(app, "192.0.2.99"), "0912000602").status_code in (200, 429)
    assert login(_client(app, "192.0.2.98"), "0912000602").status_code == 429
    # ...but the owner's browser logs in at once, even from the attacker's own address.
    owner.environ_base["REMOTE_ADDR"] = ATTACKERS[0]
    assert login(owner, "0912000602").status_code == 302


def test_a_forged_device_cookie_counts_for_nothing(app, make_patient):
    make_patient(login=True, phone="+84912000603")
    for address in ATTACKERS[:6]:
        login(_client(app, address), "0912000603", "guess")
    login(_client(app, "192.0.2.20"), "0912000603", "guess")  # takes the slow lane's one slot
    forger = _client(app, "192.0.2.21")
    forger.set_cookie("f0_device", "eyJkIjoieCIsInAiOltdfQ.forged.signature")
    assert login(forger, "0912000603").status_code == 429


def test_phone_and_address_refuses_before_the_global_cap(app, make_patient):
    make_patient(login=True, phone="+84912000604")
    attacker = _client(app, "198.51.100.200")
    for _ in range(5):
        assert login(attacker, "0912000604", "guess").status_code == 200
    refused = login(attacker, "0912000604")
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert "Hãy chờ" in refused.get_data(as_text=True)  # the wait, said at the field
    # The owner elsewhere is not affected: five failures are under the phone's cap.
    assert login(_client(app, "192.0.2.30"), "0912000604").status_code == 302


def test_a_device_cookie_has_a_cap_of_its_own(app, make_patient):
    """The device counter has a cap of its own: a stolen device cookie is not a free pass."""
    make_patient(login=True, phone="+84912000605")
    owner = _client(app, "192.0.2.40")
    assert login(owner, "0912000605").status_code == 302
    owner.post("/logout", data={"csrf_token": csrf_token(owner, "/home")})
    app.config["LOGIN_LIMIT_PER_DEVICE"] = "3 per 15 minutes"
    for _ in range(3):
        assert login(owner, "0912000605", "typo").status_code == 200
    assert login(owner, "0912000605").status_code == 429


@pytest.mark.parametrize("hops, apart", [(1, True), (0, False)])
def test_two_clients_behind_one_proxy_are_throttled_apart(db_url, tmp_path, make_patient, hops, apart):
    from f0monitor import create_app

    make_patient(login=True, phone="+84912000606")
    proxied = create_app(
        {"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": db_url, "STAFF_MFA": "optional",
         "PROXY_HOPS": hops, "LOGIN_LIMIT_PER_ADDRESS": "4 per 15 minutes"},
        instance_path=str(tmp_path / "proxied"),
    )
    try:
        def behind_proxy(client_address):
            client = proxied.test_client()
            client.environ_base["REMOTE_ADDR"] = "10.0.0.1"  # the proxy
            client.environ_base["HTTP_X_FORWARDED_FOR"] = client_address
            return client

        noisy, quiet = behind_proxy("203.0.113.50"), behind_proxy("203.0.113.51")
        for i in range(4):
            assert login(noisy, f"091200070{i}", "guess").status_code == 200
        assert login(noisy, "0912000709", "guess").status_code == 429
        expected = 302 if apart else 429  # without ProxyFix everyone is "10.0.0.1"
        assert login(quiet, "0912000606").status_code == expected
    finally:
        proxied.extensions["f0monitor.engine"].dispose()
