"""Public pages, reachable without an account: claim, certificate check, ask the hotline.

``claim`` (a patient registered by the hotline claims their account) and ``verify`` (the
target of a certificate's QR code, the patient's own certificate, the ask page).

May import: what ``web`` may (Flask, domain, data, services, http, web.common); never api,
cli or another page package. Nothing here shows personal data beyond what the paper shows.
"""
