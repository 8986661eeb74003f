"""Small server-rendered SVG charts for the dashboard (no script, so they work under a strict CSP)."""

from __future__ import annotations

from html import escape

PALETTE = ("#2f6fb0", "#e0892b", "#3c9a5f", "#b04a5a", "#7a5cb0", "#6b6b6b")


def stacked_bars(days: list[str], series: dict[str, dict[str, int]], keys: list[str], title: str,
                 width: int = 720, height: int = 220) -> str:
    """One bar per day, stacked by ``keys`` (e.g. routes); a legend and the day's total above each bar."""
    top = max([sum(series.get(d, {}).get(k, 0) for k in keys) for d in days] + [1])
    pad_l, pad_b, pad_t = 36, 36, 26
    plot_w, plot_h = width - pad_l - 8, height - pad_b - pad_t
    bar_w = plot_w / max(len(days), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
             f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" class="chart">',
             f'<title>{escape(title)}</title>',
             f'<line x1="{pad_l}" y1="{pad_t + plot_h}" x2="{width - 8}" y2="{pad_t + plot_h}" stroke="#999"/>',
             f'<text x="{pad_l - 4}" y="{pad_t + 4}" text-anchor="end" font-size="11">{top}</text>',
             f'<text x="{pad_l - 4}" y="{pad_t + plot_h}" text-anchor="end" font-size="11">0</text>']
    for i, d in enumerate(days):
        x, y = pad_l + i * bar_w + 2, pad_t + plot_h
        total = 0
        for j, k in enumerate(keys):
            n = series.get(d, {}).get(k, 0)
            if n:
                h = plot_h * n / top
                y -= h
                total += n
                parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w - 4:.1f}" height="{h:.1f}" '
                             f'fill="{PALETTE[j % len(PALETTE)]}"><title>{escape(d)} {escape(k)}: {n}</title></rect>')
        if total:
            parts.append(f'<text x="{x + (bar_w - 4) / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle" '
                         f'font-size="10">{total}</text>')
        if len(days) <= 16 or i % 2 == 0:
            parts.append(f'<text x="{x + (bar_w - 4) / 2:.1f}" y="{pad_t + plot_h + 14}" text-anchor="middle" '
                         f'font-size="10">{escape(d[5:])}</text>')
    for j, k in enumerate(keys):
        parts.append(f'<rect x="{pad_l + j * 110}" y="4" width="10" height="10" fill="{PALETTE[j % len(PALETTE)]}"/>'
                     f'<text x="{pad_l + j * 110 + 14}" y="13" font-size="11">{escape(k)}</text>')
    parts.append("</svg>")
    return "".join(parts)
