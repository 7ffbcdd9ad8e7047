"""Installable and light: the manifest, its icons, the service worker, compressed static files."""

from __future__ import annotations

import gzip
import struct

import brotli
import pytest


def test_manifest_is_vietnamese_with_png_icons_and_opens_the_patient_home(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200 and response.mimetype == "application/manifest+json"
    body = response.get_json(force=True)
    assert body["name"] == "f0monitor – Theo dõi F0 tại nhà" and body["short_name"] == "F0 tại nhà"
    assert body["lang"] == "vi" and body["start_url"] == "/home" and body["display"] == "standalone"
    purposes = set()
    for icon in body["icons"]:
        png = client.get(icon["src"])
        assert png.status_code == 200 and png.mimetype == "image/png"
        assert png.data[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", png.data[16:24])
        assert f"{width}x{height}" == icon["sizes"]
        purposes.add(icon["purpose"])
    assert {"any", "maskable"} <= purposes
    assert any(i["sizes"] == "192x192" for i in body["icons"]) and any(i["sizes"] == "512x512" for i in body["icons"])
    page = client.get("/login").get_data(as_text=True)
    assert 'rel="manifest" href="/manifest.webmanifest"' in page and 'rel="apple-touch-icon"' in page


def test_service_worker_is_served_from_the_root_and_never_stale(client):
    response = client.get("/sw.js", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    assert b"importScripts" in gzip.decompress(response.data)


@pytest.mark.parametrize("path", ["/static/css/app.css", "/static/js/offline.js", "/static/js/sw.js"])
def test_static_text_is_compressed_and_versioned_files_cached_for_a_year(client, path):
    raw = client.get(path, headers={"Accept-Encoding": "identity"})
    assert raw.headers.get("Content-Encoding") is None
    br = client.get(path + "?v=1", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert br.headers["Content-Encoding"] == "br" and brotli.decompress(br.data) == raw.data
    assert len(br.data) < len(raw.data) / 2
    assert "immutable" in br.headers["Cache-Control"] and "Accept-Encoding" in br.headers["Vary"]
    gz = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert gz.headers["Content-Encoding"] == "gzip" and gzip.decompress(gz.data) == raw.data
    again = client.get(path, headers={"Accept-Encoding": "gzip", "If-None-Match": gz.headers["ETag"]})
    assert again.status_code == 304


def test_png_is_not_recompressed_and_paths_cannot_escape(client):
    png = client.get("/static/icons/icon-192.png", headers={"Accept-Encoding": "gzip, br"})
    assert png.status_code == 200 and png.headers.get("Content-Encoding") is None
    assert client.get("/static/../setup.cfg").status_code == 404
    assert client.get("/static/js/nothing.js").status_code == 404


def test_pages_and_json_are_compressed(client):
    page = client.get("/login", headers={"Accept-Encoding": "br"})
    assert page.headers["Content-Encoding"] == "br"
    manifest = client.get("/manifest.webmanifest", headers={"Accept-Encoding": "gzip"})
    assert manifest.headers["Content-Encoding"] == "gzip"
