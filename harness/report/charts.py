"""The report's plots, drawn with plotly (docs/report.md says why plotly): each function returns an HTML <div>
that draws itself with the one copy of plotly.js the site ships under assets/ (no network, no CDN)."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

FONT = "Noto Sans KR, NanumGothic, Malgun Gothic, Apple SD Gothic Neo, system-ui, sans-serif"
PALETTE = ["#1f5fbf", "#d9480f", "#2b8a3e", "#862e9c", "#c92a2a", "#0b7285", "#5c940d", "#e67700"]
VERDICT_COLOURS = {"improved": "#2b8a3e", "unchanged": "#868e96", "regressed": "#c92a2a"}


def plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def _html(fig: go.Figure, div_id: str, height: int = 360) -> str:
    fig.update_layout(height=height, margin=dict(l=60, r=20, t=40, b=60), font=dict(family=FONT, size=13),
                      plot_bgcolor="white", legend=dict(orientation="h", y=-0.2))
    fig.update_xaxes(showgrid=False, linecolor="#adb5bd")
    fig.update_yaxes(gridcolor="#e9ecef", zeroline=False)
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                       config={"displaylogo": False, "responsive": True})


def _ci_error(means: list[float], cis: list[list[float]]) -> dict[str, Any]:
    def finite(x: Any) -> bool:
        return isinstance(x, (int, float)) and x == x

    return dict(type="data", symmetric=False, array=[hi - m if finite(hi) else 0 for m, (lo, hi) in zip(means, cis)],
                arrayminus=[m - lo if finite(lo) else 0 for m, (lo, hi) in zip(means, cis)], thickness=1.5, width=6)


def scores(packs: list[tuple[str, dict[str, dict[str, Any]]]], div_id: str = "chart-scores") -> str:
    """Mean with its 95% CI per benchmark, one trace per pack; each run's score as a small dot beside it."""
    fig = go.Figure()
    for i, (label, benches) in enumerate(packs):
        names = list(benches)
        means = [benches[b]["mean"] for b in names]
        colour = PALETTE[i % len(PALETTE)]
        fig.add_trace(go.Scatter(x=names, y=means, mode="markers", name=f"{label} mean ± 95% CI", marker=dict(size=11, color=colour),
                                 error_y=_ci_error(means, [benches[b]["ci95"] for b in names]), offsetgroup=str(i)))
        xs, ys = [], []
        for b in names:
            for s in benches[b]["run_scores"]:
                xs.append(b)
                ys.append(s)
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="markers", name=f"{label} runs", marker=dict(size=5, color=colour, opacity=0.45,
                                 symbol="line-ew-open"), offsetgroup=str(i)))
    fig.update_layout(title="Score per benchmark: mean of the runs, 95% CI clustered by item", scattermode="group",
                      yaxis_title="score (points)")
    return _html(fig, div_id)


def variance_split(benches: dict[str, dict[str, Any]], div_id: str = "chart-variance") -> str:
    """Where the uncertainty of each mean comes from: items (between) or re-sampling the same item (within)."""
    names = list(benches)
    within = [100 * float(benches[b].get("within_fraction") or 0) for b in names]
    # a mean with no variance at all (every item scored alike in every run) has no split to show
    none = [not (benches[b].get("var_between_items") or benches[b].get("var_within_items")) for b in names]
    within = [0.0 if z else w for w, z in zip(within, none)]
    fig = go.Figure([go.Bar(x=names, y=[0.0 if z else 100 - w for w, z in zip(within, none)], name="between items", marker_color="#1f5fbf"),
                     go.Bar(x=names, y=within, name="within items (run to run)", marker_color="#f59f00")])
    fig.update_layout(barmode="stack", title="Share of the mean's variance", yaxis_title="% of Var(mean)", yaxis_range=[0, 100])
    return _html(fig, div_id, height=320)


def distribution(item_means: dict[str, list[float]], div_id: str = "chart-distribution") -> str:
    """Per benchmark, how the items' mean scores (over the runs) are spread."""
    fig = go.Figure()
    for i, (b, values) in enumerate(item_means.items()):
        fig.add_trace(go.Histogram(x=values, name=b, xbins=dict(start=0, end=100.0001, size=10), opacity=0.7,
                                   marker_color=PALETTE[i % len(PALETTE)]))
    fig.update_layout(barmode="overlay", title="Items by their mean score over the runs", xaxis_title="item mean score (points)",
                      yaxis_title="items")
    return _html(fig, div_id, height=320)


def differences(rows: list[dict[str, Any]], title: str, div_id: str) -> str:
    """Paired differences (B − A) per benchmark with their 95% CI, coloured by verdict."""
    names = [r["benchmark"] for r in rows]
    diffs = [r["diff"] for r in rows]
    fig = go.Figure(go.Scatter(x=names, y=diffs, mode="markers", marker=dict(size=12, color=[VERDICT_COLOURS.get(r["verdict"], "#343a40") for r in rows]),
                               error_y=_ci_error(diffs, [r["ci95"] for r in rows]), name="difference",
                               text=[r["verdict"] for r in rows], hovertemplate="%{x}: %{y:.2f} (%{text})<extra></extra>"))
    fig.add_hline(y=0, line_color="#495057", line_width=1)
    fig.update_layout(title=title, yaxis_title="difference (points)", showlegend=False)
    return _html(fig, div_id, height=320)


def trend(rows: list[dict[str, Any]], div_id: str = "chart-trend") -> str:
    """Each benchmark's mean over the nights with its 95% CI as a band."""
    fig = go.Figure()
    by_bench: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        if r.get("mean") is not None:
            by_bench.setdefault(r["benchmark"], []).append(r)
    for i, (b, pts) in enumerate(sorted(by_bench.items())):
        colour = PALETTE[i % len(PALETTE)]
        xs = [str(p["added_at"]) for p in pts]
        fig.add_trace(go.Scatter(x=xs + xs[::-1], y=[p["ci_high"] for p in pts] + [p["ci_low"] for p in pts][::-1], fill="toself",
                                 fillcolor=colour, opacity=0.15, line=dict(width=0), hoverinfo="skip", showlegend=False, legendgroup=b))
        fig.add_trace(go.Scatter(x=xs, y=[p["mean"] for p in pts], mode="lines+markers", name=b, line=dict(color=colour), legendgroup=b,
                                 text=[str(p.get("checkpoint") or "") for p in pts], hovertemplate="%{y:.2f} %{text}<extra>" + b + "</extra>"))
    fig.update_layout(title="Mean per night with its 95% CI", yaxis_title="score (points)")
    return _html(fig, div_id, height=380)
