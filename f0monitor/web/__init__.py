"""The HTML pages: one subpackage, and one blueprint, per audience.

``auth`` (log in and out, password, language), ``patients`` (registration, the report,
the home page), ``public`` (claiming an account, certificate check, questions to the
hotline), ``staff`` (the triage workspace), ``department`` (aggregates and export),
``calculator`` (the hotline's risk calculator) and ``common`` (what these pages share).

May import: Flask and its extensions, the domain, data, services and http. Never api: the
pages and the JSON API are independent siblings, and what both need lives in http or
services (the ``web-api`` import-linter contract). Never cli. Views translate a service's
outcome into a page and are the only place here that commits.
"""
