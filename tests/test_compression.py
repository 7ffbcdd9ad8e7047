"""Every text type is sent compressed: pages, JSON, and the static CSS and JS files."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parent.parent / "static"


@pytest.mark.parametrize("path", ["css/app.css", "js/app.js", "js/queue.js"])
def test_static_text_files_are_gzipped_and_intact(client, path):
    response = client.get(f"/static/{path}", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    body = gzip.decompress(response.get_data())
    assert body == (STATIC / path).read_bytes()
    assert int(response.headers["Content-Length"]) == len(response.get_data()) < len(body)
    assert "Accept-Encoding" in response.headers["Vary"]


def test_static_file_is_plain_without_accept_encoding(client):
    response = client.get("/static/css/app.css")
    assert "Content-Encoding" not in response.headers
    assert response.get_data() == (STATIC / "css/app.css").read_bytes()


def test_a_conditional_request_still_gets_304(client):
    first = client.get("/static/css/app.css", headers={"Accept-Encoding": "gzip"})
    etag = first.headers.get("ETag")
    assert etag
    again = client.get("/static/css/app.css", headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert again.status_code == 304


def test_pages_are_compressed(client):
    response = client.get("/login", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert b"<html" in gzip.decompress(response.get_data())
