"""API usage as a chart drawn on the server: an SVG of stacked bars, one
per day, one colour per method. No script: the numbers are in the page's
table too, and the chart names itself (``title``/``desc``) for screen readers.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from civicauth.usage.reports import DailyUsage

# Dark enough on white for WCAG's 3:1 for graphics (1.4.11); told apart by
# the legend's words too, not by colour alone.
COLOURS = {"basic": "#a34700", "oauth": "#1f5fa8", "personal": "#2e7d32"}
LABELS = {"basic": "Basic (password)", "oauth": "OAuth apps", "personal": "Personal tokens"}
WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 60, 10, 30, 40


def _axis_top(value: int) -> int:
    """A round top for the axis at or above ``value``: 1, 2, 5, 10, 20, 50, ..."""
    top = 1
    factors = (2, 2.5, 2)  # 1, 2, 5, 10, 20, 50, ...
    n = 0
    while top < value:
        top = round(top * factors[n % 3])
        n += 1
    return top


def _summary(usage: DailyUsage, methods: Sequence[str]) -> str:
    first, last = usage.days[0], usage.days[-1]
    parts = ", ".join(f"{LABELS[m]} {usage.total(m):,}" for m in methods)
    return (
        f"Requests per day from {first:%d %B %Y} to {last:%d %B %Y}: "
        f"{sum(usage.total(m) for m in methods):,} in all ({parts}). "
        "The table that follows gives each day's numbers."
    )


def usage_chart(
    usage: DailyUsage, chart_id: str, title: str, methods: Sequence[str] = tuple(COLOURS)
) -> Markup:
    """The chart of ``usage`` as inline SVG; ``chart_id`` must be unique on the page."""
    totals = [sum(usage.of(day, m) for m in methods) for day in usage.days]
    top = _axis_top(max(totals, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / len(usage.days)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(_summary(usage, methods))}</desc>',
    ]
    for tick in sorted({0, top // 2, top}):
        y = TOP + plot_h - plot_h * tick / top
        out.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#c8c8c8"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{tick:,}</text>'
        )
    for n, day in enumerate(usage.days):
        x, base = LEFT + n * slot + slot * 0.15, float(TOP + plot_h)
        for method in methods:
            count = usage.of(day, method)
            if count:
                h = plot_h * count / top
                base -= h
                out.append(
                    f'<rect x="{x:.1f}" y="{base:.1f}" width="{slot * 0.7:.1f}" '
                    f'height="{h:.1f}" fill="{COLOURS[method]}"/>'
                )
        last = n == len(usage.days) - 1
        if n % 5 == 0 or last:
            # The last day's label ends at its bar, inside the picture.
            anchor, at = ("end", x + slot * 0.7) if last else ("middle", x + slot * 0.35)
            out.append(
                f'<text x="{at:.1f}" y="{HEIGHT - BOTTOM + 16}" '
                f'text-anchor="{anchor}">{day:%d %b}</text>'
            )
    for n, method in enumerate(methods):
        x = LEFT + n * 180
        out.append(
            f'<rect x="{x}" y="6" width="12" height="12" fill="{COLOURS[method]}"/>'
            f'<text x="{x + 18}" y="17">{escape(LABELS[method])}</text>'
        )
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 (every text above is escaped or a number)
