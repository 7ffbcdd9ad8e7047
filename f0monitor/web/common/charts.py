"""plotly figures of a patient's vitals over time. Plain data in, figure JSON out."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import lru_cache

import plotly.graph_objects as go
import plotly.io as pio
from plotly.io.json import to_json_plotly

from ...domain.clock import VN_TZ
from ...domain.vitals import CHARTED, effective_value

# The charted vitals of the spec, in its order, with their units.
SERIES = tuple((spec.name, spec.unit) for spec in CHARTED)


def _flat_template() -> go.layout.Template:
    """plotly's default look, kept to what our flat charts (lines, bars) read.

    A figure carries its template: plotly's whole default one (colour scales, maps, 3-D scenes,
    polar and ternary axes, twenty trace types) was 7 KB of each chart's JSON, 12 KB once
    escaped into the page's ``data-figure`` attribute, four times on a staff patient page and
    six on the department's. Only these parts change how our charts are drawn.
    """
    full = pio.templates["plotly"]
    layout = ("autotypenumbers", "colorway", "font", "hovermode", "hoverlabel", "paper_bgcolor",
              "plot_bgcolor", "xaxis", "yaxis", "shapedefaults", "annotationdefaults", "title")
    return go.layout.Template(
        layout={name: full.layout[name] for name in layout},
        data={"bar": full.data.bar, "scatter": full.data.scatter},
    )


FLAT = _flat_template()


def vital_figure(
    name: str,
    title: str,
    unit: str,
    points: Sequence[tuple[datetime, float | None]],
    thresholds: Sequence[tuple[float, str]],
    separators: str = ".,",
) -> str:
    """Return the JSON of a small line chart of one vital with its warning thresholds drawn.

    ``unit`` is as the reader reads it ("lần/phút"); ``separators`` are plotly's decimal and
    thousands marks of the reader's locale (",." in Vietnamese: 37,5).
    """
    xs = [moment.astimezone(VN_TZ).strftime("%Y-%m-%d %H:%M") for moment, value in points if value is not None]
    ys = [value for _moment, value in points if value is not None]
    figure = json.loads(_empty_figure(name, title, unit, tuple(thresholds), separators))
    figure["data"][0]["x"], figure["data"][0]["y"] = xs, ys
    return json.dumps(figure, ensure_ascii=False, separators=(",", ":"))


@lru_cache(maxsize=512)
def _empty_figure(name: str, title: str, unit: str, thresholds: tuple[tuple[float, str], ...], separators: str) -> str:
    """The chart of one vital without its points, built and validated by plotly once per
    vital, language and threshold set (building a figure costs ~15 ms; a page has four)."""
    fig = go.Figure(
        go.Scatter(
            x=[],
            y=[],
            mode="lines+markers",
            name=title,
            line={"color": "#1f4e79", "width": 2},
            marker={"size": 7},
            hovertemplate="%{x|%d/%m %H:%M}: %{y} " + unit + "<extra></extra>",
        )
    )
    for value, label in thresholds:
        fig.add_hline(
            y=value,
            line={"color": "#b00020", "dash": "dash", "width": 1.5},
            annotation_text=label,
            annotation_position="top left",
            annotation_font={"color": "#b00020", "size": 11},
        )
    fig.update_layout(
        title={"text": f"{title} ({unit})", "font": {"size": 14}},
        height=220,
        margin={"l": 40, "r": 10, "t": 36, "b": 30},
        showlegend=False,
        # Ticks a day or more apart say the date once; closer ones say the time and the date
        # (a day of reports used to read "02/12" four times). Hover: always day and time.
        xaxis={
            "type": "date",
            "tickformatstops": [
                {"dtickrange": [None, 86_400_000], "value": "%H:%M\n%d/%m"},
                {"dtickrange": [86_400_000, None], "value": "%d/%m"},
            ],
            "hoverformat": "%d/%m %H:%M",
            "fixedrange": True,
            "nticks": 6,
        },
        yaxis={"fixedrange": True},
        paper_bgcolor="white",
        plot_bgcolor="#f6f8fa",
        separators=separators,
        meta={"vital": name},
        template=FLAT,
    )
    return fig.to_json()


def vitals_figures(
    rows: Sequence[Mapping[str, object]],
    titles: Mapping[str, str],
    thresholds: Mapping[str, Sequence[tuple[float, str]]],
    units: Mapping[str, str] | None = None,
    separators: str = ".,",
) -> list[dict[str, str]]:
    """Return one figure per vital that has at least one value, oldest point first."""
    ordered = sorted(rows, key=lambda row: row["reported_at"])  # type: ignore[arg-type, return-value]
    figures = []
    for name, unit in SERIES:
        points = [(row["reported_at"], row.get(name)) for row in ordered]
        if not any(value is not None for _m, value in points):
            continue
        figures.append(
            {
                "name": name,
                "title": titles[name],
                "json": vital_figure(
                    name, titles[name], (units or {}).get(unit, unit), points, thresholds.get(name, ()), separators  # type: ignore[arg-type]
                ),
            }
        )
    return figures


def report_figures(reports: Sequence[object], thresholds: Mapping[str, Sequence[tuple[float, str]]]) -> list[dict[str, str]]:
    """Return the vital charts of a patient's stored reports (the recheck replaces SpO2)."""
    from flask_babel import gettext as _

    rows = [
        {"reported_at": r.reported_at, **{s.name: effective_value(r, s.name) for s in CHARTED}}
        for r in reports
    ]
    from babel.numbers import get_decimal_symbol, get_group_symbol
    from flask_babel import get_locale

    from ...http.labels import UNIT_LABELS

    titles = {spec.name: _(spec.chart_label) for spec in CHARTED}
    units = {unit: str(label) for unit, label in UNIT_LABELS.items()}
    locale = get_locale()
    separators = get_decimal_symbol(locale) + get_group_symbol(locale) if locale else ".,"
    return vitals_figures(rows, titles, thresholds, units, separators)

# Tier colours of the app's badges; each series is also named in the legend and the hover
# text, and the same figures are in a table on the page: colour is never the only cue.
TIER_COLOURS = {"green": "#1e6b2e", "yellow": "#b38f00", "orange": "#c25e00", "red": "#a50e0e"}
TIER_ORDER = ("red", "orange", "yellow", "green")


def _day_axis(days: Sequence[object]) -> list[str]:
    return [day.isoformat() for day in days]  # type: ignore[attr-defined]


def _layout(fig: go.Figure, title: str, *, legend: bool) -> None:
    fig.update_layout(
        title={"text": title, "font": {"size": 15}},
        height=300,
        margin={"l": 45, "r": 10, "t": 40, "b": 40},
        showlegend=legend,
        legend={"orientation": "h", "y": -0.18, "traceorder": "normal"},
        xaxis={"tickformat": "%d/%m", "fixedrange": True, "type": "date"},
        yaxis={"fixedrange": True, "rangemode": "tozero"},
        paper_bgcolor="white",
        plot_bgcolor="#f6f8fa",
        hovermode="x unified",
        template=FLAT,
    )


# The department's figures are built by plotly (and validated) once per language and title
# set, without their data (``_frame``); a request fills the data into that frame and dumps it
# with plotly's own encoder: the same JSON as building the figure with its data, without the
# ~20 ms of validation each figure costs per request (tests/test_charts.py compares both).


@lru_cache(maxsize=256)
def _frame(kind: str, labels: tuple[str, ...]) -> str:
    return _BUILDERS[kind](*labels).to_json()


def _filled(kind: str, labels: tuple[str, ...], traces: Sequence[Mapping[str, object]]) -> str:
    """Return the JSON of a cached frame with each trace's data put in."""
    figure = json.loads(_frame(kind, labels))
    for trace, values in zip(figure["data"], traces, strict=True):
        trace.update(values)
    return to_json_plotly(figure)


def _tier_frame(title: str, *names: str) -> go.Figure:
    tier_names = dict(zip(TIER_ORDER, names, strict=True))
    fig = go.Figure()
    for tier in reversed(TIER_ORDER):  # green at the bottom, red on top
        fig.add_trace(
            go.Bar(
                x=[],
                y=[],
                name=tier_names[tier],
                marker={"color": TIER_COLOURS[tier]},
                hovertemplate="%{y}<extra>" + tier_names[tier] + "</extra>",
            )
        )
    _layout(fig, title, legend=True)
    fig.update_layout(barmode="stack", bargap=0.15)
    return fig


def tier_series_figure(
    series: Sequence[Mapping[str, object]], title: str, tier_names: Mapping[str, str]
) -> str:
    """Return the JSON of stacked bars: active patients by tier at the end of each day."""
    days = _day_axis([row["date"] for row in series])
    labels = (title, *(tier_names[tier] for tier in TIER_ORDER))
    return _filled("tiers", labels, [{"x": days, "y": [row[tier] for row in series]}
                                     for tier in reversed(TIER_ORDER)])


def _new_cases_frame(title: str, name: str) -> go.Figure:
    fig = go.Figure(
        go.Bar(
            x=[],
            y=[],
            name=name,
            marker={"color": "#0b5394"},
            hovertemplate="%{y}<extra>" + name + "</extra>",
        )
    )
    _layout(fig, title, legend=False)
    return fig


def new_cases_figure(series: Sequence[Mapping[str, object]], title: str, name: str) -> str:
    """Return the JSON of a bar chart of new registrations per day."""
    return _filled("new", (title, name), [{"x": _day_axis([row["date"] for row in series]),
                                           "y": [row["new"] for row in series]}])


def _epidemic_frame(title: str, bars: str, average: str) -> go.Figure:
    fig = go.Figure()
    fig.add_trace(go.Bar(x=[], y=[], name=bars,
                         marker={"color": "#8fb3d9"}, hovertemplate="%{y}<extra>" + bars + "</extra>"))
    fig.add_trace(go.Scatter(x=[], y=[], name=average,
                             mode="lines", line={"color": "#0b5394", "width": 3},
                             hovertemplate="%{y}<extra>" + average + "</extra>"))
    _layout(fig, title, legend=True)
    return fig


def epidemic_curve_figure(rows: Sequence[Mapping[str, object]], title: str, *, bars: str,
                          average: str) -> str:
    """Return the JSON of the epidemic curve: new cases per day and the trailing 7-day mean."""
    days = _day_axis([row["date"] for row in rows])
    return _filled("epicurve", (title, bars, average),
                   [{"x": days, "y": [row["new_cases"] for row in rows]},
                    {"x": days, "y": [row["average7"] for row in rows]}])


def _rt_frame(title: str, estimate: str, interval: str, threshold: str) -> go.Figure:
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[], y=[],
                             fill="toself", fillcolor="rgba(11,83,148,0.18)", line={"width": 0}, mode="lines",
                             name=interval, hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=[], y=[], name=estimate, mode="lines+markers",
                             line={"color": "#0b5394", "width": 2},
                             customdata=[],
                             hovertemplate="%{y} (%{customdata[0]}–%{customdata[1]})<extra>" + estimate + "</extra>"))
    _layout(fig, title, legend=True)
    fig.add_hline(y=1, line={"color": "#a50e0e", "dash": "dash"}, annotation_text=threshold,
                  annotation_position="top left")
    return fig


def rt_figure(rows: Sequence[Mapping[str, object]], title: str, *, estimate: str, interval: str,
              threshold: str) -> str:
    """Return the JSON of R_t per day with its credible band and the epidemic threshold R = 1."""
    kept = [row for row in rows if row["rt"] is not None]
    days = _day_axis([row["date"] for row in kept])
    band = [row["rt_upper"] for row in kept] + [row["rt_lower"] for row in kept][::-1]
    return _filled("rt", (title, estimate, interval, threshold),
                   [{"x": days + days[::-1], "y": band},
                    {"x": days, "y": [row["rt"] for row in kept],
                     "customdata": [[row["rt_lower"], row["rt_upper"]] for row in kept]}])


def _rate_frame(title: str, name: str) -> go.Figure:
    fig = go.Figure(go.Scatter(x=[], y=[], name=name, mode="lines+markers",
                               line={"color": "#c25e00", "width": 2},
                               hovertemplate="%{y} %<extra>" + name + "</extra>"))
    _layout(fig, title, legend=False)
    fig.update_yaxes(ticksuffix=" %")
    return fig


def rate_figure(rows: Sequence[Mapping[str, object]], key: str, title: str, name: str) -> str:
    """Return the JSON of a per-day percentage line (e.g. the overdue rate)."""
    return _filled("rate", (title, name), [{"x": _day_axis([row["date"] for row in rows]),
                                            "y": [row[key] for row in rows]}])


def _response_time_frame(title: str, median: str, p90: str) -> go.Figure:
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[], y=[], name=median,
                             mode="lines+markers", line={"color": "#0b5394", "width": 2},
                             hovertemplate="%{y}<extra>" + median + "</extra>"))
    fig.add_trace(go.Scatter(x=[], y=[], name=p90,
                             mode="lines+markers", line={"color": "#a50e0e", "width": 2, "dash": "dot"},
                             hovertemplate="%{y}<extra>" + p90 + "</extra>"))
    _layout(fig, title, legend=True)
    return fig


def response_time_figure(rows: Sequence[Mapping[str, object]], title: str, *, median: str,
                         p90: str) -> str:
    """Return the JSON of the median and 90th percentile minutes to acknowledge per day."""
    days = _day_axis([row["date"] for row in rows])
    return _filled("ack", (title, median, p90),
                   [{"x": days, "y": [row["median_minutes"] for row in rows]},
                    {"x": days, "y": [row["p90_minutes"] for row in rows]}])


_BUILDERS = {
    "tiers": _tier_frame,
    "new": _new_cases_frame,
    "epicurve": _epidemic_frame,
    "rt": _rt_frame,
    "rate": _rate_frame,
    "ack": _response_time_frame,
}
