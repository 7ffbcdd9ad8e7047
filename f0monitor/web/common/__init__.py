"""What several page packages share, and the API does not: forms, charts, page plumbing.

Lives here: ``forms`` (Flask-WTF forms, CSRF on each; fields derived from the vital-sign
spec and the shared input checks), ``charts`` (plotly figures of a patient's vitals with
the rule set's warning lines) and ``plumbing`` (security headers, compression, plotly.js,
area lookups for the templates).

May import: what ``web`` may (Flask, domain, data, services, http); never api, cli or a
page package (they import this one). Labels come from ``http.labels``, not from here.
"""
