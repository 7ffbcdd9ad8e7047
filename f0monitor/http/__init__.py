"""What the pages and the API share at the HTTP edge; neither web nor api owns it.

Lives here: ``access`` (the ``@access(...)`` roles decorator every route declares),
``auth`` (Flask-Login loaders for sessions and bearer tokens, throttling), ``errors``
(error pages and the one JSON error shape), ``i18n`` (locale choice, date filters),
``labels`` (every label and reason text, rendered through Flask-Babel from the domain's
codes), ``audit`` (the audit trail of a request), ``queryargs`` (query strings read alike
by pages and API) and ``certificates`` (the printed certificate and its QR code).

May import: Flask and its extensions, the domain, data and services. Never web, api or
cli: they build on this package, not the other way round.
"""
