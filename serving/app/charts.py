"""Small inline SVG charts for the case page (no JavaScript, no plotting library at request time).

Each function takes plain numbers and returns an `<svg>` string; labels are escaped.
"""

from __future__ import annotations

from html import escape

UP, DOWN, GREY, INK = "#c0392b", "#2e7d32", "#90a4ae", "#263238"


def _svg(width: int, height: int, body: list[str], title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-label="{escape(title)}" class="chart"><title>{escape(title)}</title>'
        + "".join(body)
        + "</svg>"
    )


def _text(x: float, y: float, label: str, anchor: str = "start", size: int = 12, fill: str = INK) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}">{escape(label)}</text>'
    )


def waterfall(
    base: float,
    steps: list[tuple[str, float]],
    output: float,
    title: str,
    base_label: str = "average case",
    output_label: str = "this case",
) -> str:
    """SHAP waterfall, one row per step: from the base value, each contribution moves the running
    total right (towards risk, red) or left (green), ending at the model's output (log-odds)."""
    label_w, bar_w, row_h, top = 400, 400, 22, 28
    totals, run = [base], base
    for _, value in steps:
        run += value
        totals.append(run)
    lo, hi = min(totals + [output]), max(totals + [output])
    span = (hi - lo) or 1.0
    lo, hi = lo - 0.05 * span, hi + 0.05 * span

    def x(v: float) -> float:
        return label_w + (v - lo) / (hi - lo) * bar_w

    height = top + row_h * (len(steps) + 2) + 10
    body = [
        _text(label_w, 16, f"{base_label}: {base:+.2f} (log-odds)", size=11, fill=GREY),
        f'<line x1="{x(base):.1f}" y1="{top - 4}" x2="{x(base):.1f}" y2="{height - 8}" stroke="{GREY}" '
        f'stroke-dasharray="3,3"/>',
    ]
    run = base
    for i, (label, value) in enumerate(steps):
        y = top + i * row_h
        start, end = run, run + value
        run = end
        left, width = x(min(start, end)), max(abs(x(end) - x(start)), 1.0)
        color = UP if value > 0 else DOWN
        body.append(_text(label_w - 8, y + 14, _short(label, 58), anchor="end"))
        body.append(
            f'<rect x="{left:.1f}" y="{y + 3}" width="{width:.1f}" height="{row_h - 6}" fill="{color}">'
            f"<title>{escape(label)}: {value:+.3f}</title></rect>"
        )
        body.append(
            _text(
                x(max(start, end)) + 4 if value > 0 else x(min(start, end)) - 4,
                y + 14,
                f"{value:+.2f}",
                anchor="start" if value > 0 else "end",
                size=11,
            )
        )
    y = top + len(steps) * row_h + 4
    body.append(_text(label_w - 8, y + 14, output_label, anchor="end"))
    body.append(f'<circle cx="{x(output):.1f}" cy="{y + 10}" r="6" fill="{INK}"/>')
    body.append(_text(x(output) + 10, y + 14, f"{output:+.2f}", size=11))
    return _svg(label_w + bar_w + 60, height, body, title)


def peer_bars(rows: list[dict], names: dict[str, str], title: str, limit: int = 12) -> str:
    """The entity against its peer group: each measure's percentile among peers (50 = the peer
    median), with the value and the peer median written beside it; the most extreme first."""
    shown = [r for r in rows if r.get("percentile") is not None]
    shown.sort(key=lambda r: (-abs(r["percentile"] - 0.5), r["measure"]))
    shown = shown[:limit]
    label_w, bar_w, row_h, top = 300, 300, 22, 24
    height = top + row_h * max(len(shown), 1) + 10

    def x(p: float) -> float:
        return label_w + p * bar_w

    body = [
        _text(x(0), 14, "0", anchor="middle", size=10, fill=GREY),
        _text(x(0.5), 14, "peer median", anchor="middle", size=10, fill=GREY),
        _text(x(1), 14, "100th pct", anchor="middle", size=10, fill=GREY),
        f'<line x1="{x(0.5):.1f}" y1="{top - 4}" x2="{x(0.5):.1f}" y2="{height - 6}" stroke="{GREY}" '
        f'stroke-dasharray="3,3"/>',
    ]
    for i, r in enumerate(shown):
        y, p = top + i * row_h, float(r["percentile"])
        color = UP if p >= 0.9 else GREY if p >= 0.1 else DOWN
        body.append(_text(label_w - 8, y + 14, _short(names.get(r["measure"], r["measure"]), 44), anchor="end"))
        body.append(f'<rect x="{x(0):.1f}" y="{y + 6}" width="{bar_w}" height="{row_h - 12}" fill="#eceff1"/>')
        body.append(f'<rect x="{x(0):.1f}" y="{y + 6}" width="{p * bar_w:.1f}" height="{row_h - 12}" fill="{color}"/>')
        body.append(_text(x(1) + 8, y + 14, f"{_num(r.get('value'))} vs {_num(r.get('peer_median'))}", size=11))
    if not shown:
        body.append(_text(label_w, top + 14, "no peer comparison in this case file", fill=GREY))
    return _svg(label_w + bar_w + 170, height, body, title)


def timeline(months: list[dict], risk: dict[str, float], title: str) -> str:
    """Monthly fund paid (bars) with the risk score of each scored month (dots on a 0..1 scale)."""
    width, height, left, bottom, top = 760, 220, 70, 40, 20
    inner_w, inner_h = width - left - 50, height - top - bottom
    n = max(len(months), 1)
    step = inner_w / n
    peak = max([float(m.get("fund_paid") or 0) for m in months] + [1.0])
    body = [
        f'<line x1="{left}" y1="{top + inner_h}" x2="{left + inner_w}" y2="{top + inner_h}" stroke="{GREY}"/>',
        _text(left - 6, top + 8, f"{peak:,.0f}", anchor="end", size=10, fill=GREY),
        _text(left - 6, top + inner_h, "0", anchor="end", size=10, fill=GREY),
        _text(left + inner_w + 8, top + 8, "risk 1", size=10, fill=UP),
        _text(left + inner_w + 8, top + inner_h, "0", size=10, fill=UP),
    ]
    points = []
    for i, m in enumerate(months):
        fund = float(m.get("fund_paid") or 0)
        h = fund / peak * inner_h
        x0 = left + i * step
        body.append(
            f'<rect x="{x0 + step * 0.15:.1f}" y="{top + inner_h - h:.1f}" width="{step * 0.7:.1f}" '
            f'height="{h:.1f}" fill="#90caf9"><title>{escape(m["period"])}: fund paid {fund:,.2f}, '
            f"{int(m.get('claims') or 0)} claims</title></rect>"
        )
        if i % max(1, n // 7) == 0 or i == n - 1:
            body.append(_text(x0 + step / 2, top + inner_h + 16, m["period"], anchor="middle", size=10))
        if m["period"] in risk:
            points.append((x0 + step / 2, top + inner_h - float(risk[m["period"]]) * inner_h, m["period"]))
    if len(points) > 1:
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py, _ in points)
        body.append(f'<polyline points="{path}" fill="none" stroke="{UP}" stroke-width="2"/>')
    for px, py, period in points:
        body.append(
            f'<circle cx="{px:.1f}" cy="{py:.1f}" r="4" fill="{UP}"><title>{escape(period)}: risk '
            f"{risk[period]:.3f}</title></circle>"
        )
    return _svg(width, height, body, title)


def _short(label: str, width: int) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


def _num(value) -> str:
    if value is None:
        return "–"
    value = float(value)
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"
