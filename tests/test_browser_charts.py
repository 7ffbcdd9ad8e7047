"""The charts look as plotly's default template drew them, with a fraction of its bytes.

Each figure carries `charts.FLAT`, the parts of plotly's default template that draw lines and
bars, instead of the whole template (7 KB a chart). Debian Chromium draws a vital chart and a
department chart both ways with the plotly.js the app serves; the screenshots must be the same
pixel for pixel.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import plotly.io as pio
import pytest
from plotly.io.json import to_json_plotly

from f0monitor.web.common import charts
from f0monitor.web.common.plumbing import _plotly_bundle

from .live import browser

pytestmark = pytest.mark.browser

STATIC = Path(__file__).resolve().parent.parent / "static"


def _figures() -> list[dict]:
    start = datetime(2026, 12, 1, 1, tzinfo=UTC)
    temperatures = [37.7, 37.8, 38.3, 37.9, 38.0, 38.2, 38.3, 38.4, 39.2, 38.7]
    points = [(start + timedelta(hours=12 * i), t) for i, t in enumerate(temperatures)]
    days = [{"date": (start + timedelta(days=i)).date(), "new": i, "green": 10 + i, "yellow": 3,
             "orange": i % 2, "red": 1} for i in range(10)]
    return [
        json.loads(charts.vital_figure("temperature_c", "Nhiệt độ", "°C", points, [(38.0, "sốt")], ",.")),
        json.loads(charts.tier_series_figure(days, "Người bệnh theo mức",
                                             {"green": "xanh", "yellow": "vàng", "orange": "cam", "red": "đỏ"})),
    ]


def _drawn(page, figures: list[dict]) -> bytes:
    page.set_content("".join(f"<div id='c{i}' style='width:600px'></div>" for i in range(len(figures))))
    # the plotly.js the app serves at /assets/plotly.min.js (the basic bundle once `make` has
    # fetched it, else the plotly package's own)
    page.add_script_tag(content=_plotly_bundle(str(STATIC))[0].decode("utf-8"))
    page.evaluate("""figures => Promise.all(figures.map((f, i) =>
        Plotly.newPlot('c' + i, f.data, f.layout, {staticPlot: true})))""", figures)
    return page.screenshot(full_page=True)


def test_charts_with_the_flat_template_draw_as_with_plotlys_whole_one():
    ours = _figures()
    whole = json.loads(to_json_plotly(pio.templates["plotly"].to_plotly_json()))
    theirs = [{**f, "layout": {**f["layout"], "template": whole}} for f in ours]
    assert all(len(json.dumps(f["layout"]["template"])) < 1500 for f in ours)
    assert len(json.dumps(whole)) > 5000  # what each chart carried before
    with browser() as b:
        page = b.new_page(viewport={"width": 700, "height": 900})
        drawn = _drawn(page, ours)
        assert drawn == _drawn(page, theirs)
        # and the comparison can fail: plotly's dark template draws another chart
        dark = json.loads(to_json_plotly(pio.templates["plotly_dark"].to_plotly_json()))
        assert drawn != _drawn(page, [{**f, "layout": {**f["layout"], "template": dark}} for f in ours])
