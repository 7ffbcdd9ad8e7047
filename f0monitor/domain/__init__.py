"""The domain: what the product knows, as pure functions and frozen values.

Lives here: the vital-sign spec (``vitals``), every state set (``states``), the one clock
(``clock``), untranslated messages (``text``: ``Msg``, ``N_``), Vietnamese text folding
(``textfold``), the alert and transfer lifecycles (``alerts``, ``transfers``), the seam a
disease's rules fill (``ruleset.RuleSet``) and the COVID-19 rule set (``covid``, whose
``RULE_SET`` fills it). A second disease is a second package beside ``covid``.

May import: the standard library and this package only — no Flask, Babel, SQLAlchemy, I/O,
configuration or any other f0monitor layer, and no clock outside ``clock.py`` (the callers
hand every instant in). Codes and parameters go out, never translated text. Enforced by the
``domain`` import-linter contract (setup.cfg) and tests/test_domain_is_pure.py.
"""
