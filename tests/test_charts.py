"""The department's charts: filled into a cached frame, the same JSON as plotly built with the data.

The reference functions below are the former implementations (a go.Figure built and validated
with its data, per request); the page's figures must stay equal to theirs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, timedelta

import plotly.graph_objects as go
import pytest

from f0monitor.web.common import charts
from f0monitor.web.common.charts import TIER_COLOURS, TIER_ORDER, _day_axis, _layout


class Reference:
    @staticmethod
    def tier_series_figure(
        series: Sequence[Mapping[str, object]], title: str, tier_names: Mapping[str, str]
    ) -> str:
        """Return the JSON of stacked bars: active patients by tier at the end of each day."""
        days = _day_axis([row["date"] for row in series])
        fig = go.Figure()
        for tier in reversed(TIER_ORDER):  # green at the bottom, red on top
            fig.add_trace(
                go.Bar(
                    x=days,
                    y=[row[tier] for row in series],
                    name=tier_names[tier],
                    marker={"color": TIER_COLOURS[tier]},
                    hovertemplate="%{y}<extra>" + tier_names[tier] + "</extra>",
                )
            )
        _layout(fig, title, legend=True)
        fig.update_layout(barmode="stack", bargap=0.15)
        return fig.to_json()


    @staticmethod
    def new_cases_figure(series: Sequence[Mapping[str, object]], title: str, name: str) -> str:
        """Return the JSON of a bar chart of new registrations per day."""
        fig = go.Figure(
            go.Bar(
                x=_day_axis([row["date"] for row in series]),
                y=[row["new"] for row in series],
                name=name,
                marker={"color": "#0b5394"},
                hovertemplate="%{y}<extra>" + name + "</extra>",
            )
        )
        _layout(fig, title, legend=False)
        return fig.to_json()


    @staticmethod
    def epidemic_curve_figure(rows: Sequence[Mapping[str, object]], title: str, *, bars: str,
                              average: str) -> str:
        """Return the JSON of the epidemic curve: new cases per day and the trailing 7-day mean."""
        days = _day_axis([row["date"] for row in rows])
        fig = go.Figure()
        fig.add_trace(go.Bar(x=days, y=[row["new_cases"] for row in rows], name=bars,
                             marker={"color": "#8fb3d9"}, hovertemplate="%{y}<extra>" + bars + "</extra>"))
        fig.add_trace(go.Scatter(x=days, y=[row["average7"] for row in rows], name=average,
                                 mode="lines", line={"color": "#0b5394", "width": 3},
                                 hovertemplate="%{y}<extra>" + average + "</extra>"))
        _layout(fig, title, legend=True)
        return fig.to_json()


    @staticmethod
    def rt_figure(rows: Sequence[Mapping[str, object]], title: str, *, estimate: str, interval: str,
                  threshold: str) -> str:
        """Return the JSON of R_t per day with its credible band and the epidemic threshold R = 1."""
        kept = [row for row in rows if row["rt"] is not None]
        days = _day_axis([row["date"] for row in kept])
        fig = go.Figure()
        fig.add_trace(go.Scatter(x=days + days[::-1],
                                 y=[row["rt_upper"] for row in kept] + [row["rt_lower"] for row in kept][::-1],
                                 fill="toself", fillcolor="rgba(11,83,148,0.18)", line={"width": 0}, mode="lines",
                                 name=interval, hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=days, y=[row["rt"] for row in kept], name=estimate, mode="lines+markers",
                                 line={"color": "#0b5394", "width": 2},
                                 customdata=[[row["rt_lower"], row["rt_upper"]] for row in kept],
                                 hovertemplate="%{y} (%{customdata[0]}–%{customdata[1]})<extra>" + estimate + "</extra>"))
        _layout(fig, title, legend=True)
        fig.add_hline(y=1, line={"color": "#a50e0e", "dash": "dash"}, annotation_text=threshold,
                      annotation_position="top left")
        return fig.to_json()


    @staticmethod
    def rate_figure(rows: Sequence[Mapping[str, object]], key: str, title: str, name: str) -> str:
        """Return the JSON of a per-day percentage line (e.g. the overdue rate)."""
        days = _day_axis([row["date"] for row in rows])
        fig = go.Figure(go.Scatter(x=days, y=[row[key] for row in rows], name=name, mode="lines+markers",
                                   line={"color": "#c25e00", "width": 2},
                                   hovertemplate="%{y} %<extra>" + name + "</extra>"))
        _layout(fig, title, legend=False)
        fig.update_yaxes(ticksuffix=" %")
        return fig.to_json()


    @staticmethod
    def response_time_figure(rows: Sequence[Mapping[str, object]], title: str, *, median: str,
                             p90: str) -> str:
        """Return the JSON of the median and 90th percentile minutes to acknowledge per day."""
        days = _day_axis([row["date"] for row in rows])
        fig = go.Figure()
        fig.add_trace(go.Scatter(x=days, y=[row["median_minutes"] for row in rows], name=median,
                                 mode="lines+markers", line={"color": "#0b5394", "width": 2},
                                 hovertemplate="%{y}<extra>" + median + "</extra>"))
        fig.add_trace(go.Scatter(x=days, y=[row["p90_minutes"] for row in rows], name=p90,
                                 mode="lines+markers", line={"color": "#a50e0e", "width": 2, "dash": "dot"},
                                 hovertemplate="%{y}<extra>" + p90 + "</extra>"))
        _layout(fig, title, legend=True)
        return fig.to_json()


DAYS = [date(2024, 1, 30) + timedelta(days=i) for i in range(5)]
SERIES = [{"date": d, "new": i, "green": 10 + i, "yellow": 3, "orange": i % 2, "red": 0}
          for i, d in enumerate(DAYS)]
ROWS = [{"date": d, "new_cases": 4 * i, "average7": None if i < 2 else 1.5 * i,
         "rt": None if i == 0 else 1.1 - 0.1 * i, "rt_lower": None if i == 0 else 0.8,
         "rt_upper": None if i == 0 else 1.4, "overdue_rate": None if i == 3 else 12.5,
         "median_minutes": 4.2 if i else None, "p90_minutes": 9.0 if i else None}
        for i, d in enumerate(DAYS)]
TIER_NAMES = {"green": "xanh", "yellow": "vàng", "orange": "cam", "red": "đỏ"}

CASES = [
    ("tier_series_figure", (SERIES, "Người bệnh theo mức", TIER_NAMES), {}),
    ("new_cases_figure", (SERIES, "Mới mỗi ngày", "Mới"), {}),
    ("epidemic_curve_figure", (ROWS, "Đường cong dịch"), {"bars": "Ca mới", "average": "TB 7 ngày"}),
    ("rt_figure", (ROWS, "R(t)"), {"estimate": "R(t)", "interval": "95 %", "threshold": "R = 1"}),
    ("rate_figure", (ROWS, "overdue_rate", "Tỷ lệ quá hạn", "Quá hạn"), {}),
    ("response_time_figure", (ROWS, "Phút"), {"median": "Trung vị", "p90": "P90"}),
]


@pytest.mark.parametrize("rows", ["full", "empty"])
@pytest.mark.parametrize(("name", "args", "kwargs"), CASES, ids=[c[0] for c in CASES])
def test_filled_frame_is_the_figure_plotly_builds(name, args, kwargs, rows):
    if rows == "empty":
        args = ([], *args[1:])
    expected = json.loads(getattr(Reference, name)(*args, **kwargs))
    for _ in range(2):  # built once, then from the cache: the same
        assert json.loads(getattr(charts, name)(*args, **kwargs)) == expected


def test_frames_are_kept_per_language():
    a = json.loads(charts.new_cases_figure(SERIES, "New per day", "New"))
    b = json.loads(charts.new_cases_figure(SERIES, "Mới mỗi ngày", "Mới"))
    assert a["data"][0]["name"] == "New" and b["data"][0]["name"] == "Mới"
    assert a["layout"]["title"]["text"] == "New per day"
    assert b["data"][0]["y"] == [row["new"] for row in SERIES]


@pytest.mark.parametrize(("name", "args", "kwargs"), CASES, ids=[c[0] for c in CASES])
def test_figures_carry_plotly_look_without_its_whole_template(name, args, kwargs):
    """Each chart carries the parts of plotly's default template that draw lines and bars, the
    same values as plotly's, and nothing else: the whole template was 7 KB of every chart's
    JSON (12 KB escaped into the page), four times on a staff patient page."""
    import plotly.io as pio
    from plotly.io.json import to_json_plotly

    full = json.loads(to_json_plotly(pio.templates["plotly"].to_plotly_json()))
    figures = [json.loads(getattr(charts, name)(*args, **kwargs)),
               json.loads(charts.vital_figure("spo2", "SpO2", "%", [], [(96.0, "SpO2 thấp")]))]
    for figure in figures:
        template = figure["layout"]["template"]
        assert set(template["data"]) == {"bar", "scatter"}
        assert template["data"]["bar"] == full["data"]["bar"]
        for key in ("xaxis", "yaxis", "font", "colorway", "hoverlabel", "title", "shapedefaults",
                    "annotationdefaults"):
            assert template["layout"][key] == full["layout"][key], key
        for gone in ("scene", "polar", "ternary", "geo", "colorscale", "coloraxis"):
            assert gone not in template["layout"]
        assert len(json.dumps(template)) < 1500
