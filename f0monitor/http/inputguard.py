"""One guard in front of every route: input no parser of ours should ever see is refused (400).

It runs as the first ``before_request`` function, before CSRF, the login loaders and any form
or JSON parsing, and reads only the raw request: the path, the raw query string and the raw
body. It refuses

- a NUL character anywhere: in the path, the query string (raw or %00), a url-encoded or
  multipart form (raw or %00), or a JSON body (raw or as the ``\\u0000`` escape).
  PostgreSQL cannot store NUL in text, and no person types one;
- a JSON body nested deeper than ``MAX_JSON_DEPTH`` (50,000 ``[`` would otherwise make
  Python's JSON decoder raise RecursionError deep inside a view).

The refusal is a plain ``abort(400)``: the error handlers (``http.errors``) answer with the
API's JSON error under ``/api/`` and the friendly page elsewhere.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from flask import Flask, abort, current_app, request

MAX_JSON_DEPTH = 32  # our deepest body (assess: object → report → symptoms list) is 3

_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(rb"[\[\]{}]")
_ESCAPED_BACKSLASH = re.compile(rb"\\\\")
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _has_percent_nul(raw: bytes) -> bool:
    """True when url-encoded bytes decode to a NUL (``%00``, or a raw one)."""
    if b"\x00" in raw:
        return True
    return b"%" in raw and b"\x00" in unquote_to_bytes(raw)


def json_depth_and_nul(body: bytes) -> tuple[int, bool]:
    """Return (the deepest nesting of arrays and objects, whether a string holds a NUL).

    Strings are skipped (a bracket inside one does not nest), and ``\\\\u0000`` (an escaped
    backslash followed by text) is not a NUL. Malformed JSON is left to the parser.
    """
    nul = b"\x00" in body
    for match in _JSON_STRING.finditer(body):
        if b"\\u0000" in _ESCAPED_BACKSLASH.sub(b"", match.group()):
            nul = True
            break
    outside = _JSON_STRING.sub(b'""', body)
    depth = deepest = 0
    for bracket in _BRACKETS.findall(outside):
        if bracket in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest, nul


def refuse_bad_input() -> None:
    """Abort with 400 on a NUL anywhere or a JSON body nested too deeply (see module doc)."""
    environ = request.environ
    path = environ.get("PATH_INFO", "")
    raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI") or ""
    if "\x00" in path or "%00" in raw_uri:
        abort(400)
    if _has_percent_nul(environ.get("QUERY_STRING", "").encode("latin-1", "replace")):
        abort(400)
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    mimetype = request.mimetype
    is_json = mimetype == "application/json" or mimetype.endswith("+json")
    if not (is_json or mimetype in _FORM_TYPES):
        return  # nothing of ours parses other bodies
    # Reading the body here is bounded by MAX_CONTENT_LENGTH (413 beyond it); it is cached,
    # so the form and JSON parsers read the same bytes afterwards.
    body = request.get_data(cache=True)
    if is_json:
        depth, nul = json_depth_and_nul(body)
        if nul or depth > current_app.config.get("MAX_JSON_DEPTH", MAX_JSON_DEPTH):
            abort(400)
    elif _has_percent_nul(body):
        abort(400)


def init_app(app: Flask) -> None:
    """Put the guard first, before CSRF, the login loaders and every other request hook."""
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_bad_input)
