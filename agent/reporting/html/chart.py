"""The dimension chart of the HTML reports: a radar of the six dimensions (0-5), current against
target and, for an organization, the previous round; as an SVG string to place inside the page.

Drawn by matplotlib on a `Figure` of its own (no pyplot figure manager, so nothing is left open and
nothing is shown); labels stay text (`svg.fonttype: none`), the output is the same for the same
values (fixed hash salt, no date), and it references nothing outside itself.
"""

from __future__ import annotations

import io
import math
import re
import sys
import threading
from html import escape
from typing import Any, cast

# matplotlib's rcParams are global: one chart at a time (the web page may render reports in threads).
_LOCK = threading.Lock()
NOT_ANSWERED = "not answered"
_RC: dict[Any, Any] = {
    "svg.fonttype": "none",  # text as <text>, readable and searchable, no glyph outlines
    "svg.hashsalt": "aiops-assess",  # element ids derived from this, not from a random number
    "svg.image_inline": True,
    "font.family": "sans-serif",
    "font.size": 12,
}
# What matplotlib writes before the <svg> element, and the RDF metadata block inside it.
_PROLOG = re.compile(r"\A.*?(?=<svg\b)", re.DOTALL)
_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.DOTALL)
_SVG_OPEN = re.compile(r"<svg\b[^>]*>")
_SIZE = re.compile(r'\s(?:width|height)="[^"]*"')
_XMLNS = re.compile(r'\sxmlns(?::\w+)?="[^"]*"')

CURRENT_COLOUR = "#1f5fa8"
TARGET_COLOUR = "#444444"
PREVIOUS_COLOUR = "#c26a00"


def _num(value: float | None) -> str:
    return NOT_ANSWERED if value is None else f"{value:.1f}"


def describe(names: list[str], current: list[float | None], target: list[float],
             previous: list[float | None] | None = None) -> str:
    """The chart in words (its accessible name): each dimension's current, target and previous value."""
    parts = []
    for i, name in enumerate(names):
        text = f"{name}: current {_num(current[i])}, target {_num(target[i])}"
        if previous is not None:
            text += f", previous round {_num(previous[i])}"
        parts.append(text)
    return "Radar chart of the six dimensions, 0 to 5. " + "; ".join(parts) + "."


def _ensure_agg() -> None:
    """Select the Agg backend unless pyplot is already in use (switching would close its figures)."""
    import matplotlib

    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")


def dimension_chart(names: list[str], current: list[float | None], target: list[float],
                    previous: list[float | None] | None = None, title: str = "") -> str:
    """An inline SVG radar of the dimensions `names` (0-5): `current` (None: not answered, drawn at 0
    and labelled so), `target`, and `previous` (dashed) when given. The <svg> carries role="img", an
    aria-label and a <title> with the values in words; no XML prolog, no size of its own (CSS sets
    it, the viewBox keeps its proportions), no namespace URLs (the HTML parser supplies them)."""
    if not (len(names) == len(current) == len(target)) or (previous is not None and len(previous) != len(names)):
        raise ValueError("dimension_chart: names, current, target (and previous) must have the same length")
    _ensure_agg()
    from matplotlib import rc_context
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.projections.polar import PolarAxes

    n = len(names)
    angles = [2 * math.pi * i / n for i in range(n)]
    closed = [*angles, angles[0]]

    def ring(values: list[float | None]) -> list[float]:
        vals = [0.0 if v is None else float(v) for v in values]
        return [*vals, vals[0]]

    missing = [name for name, v in zip(names, current, strict=True) if v is None]
    labels = [f"{name}\n({NOT_ANSWERED})" if v is None else name for name, v in zip(names, current, strict=True)]
    with _LOCK, rc_context(_RC):
        fig = Figure(figsize=(5.2, 5.2))
        ax = cast(PolarAxes, fig.add_subplot(projection="polar"))
        ax.set_theta_offset(math.pi / 2)  # the first dimension at the top, then clockwise
        ax.set_theta_direction(-1)
        ax.set_ylim(0, 5)
        ax.set_yticks([1, 2, 3, 4, 5], ["1", "2", "3", "4", "5"], color="#555555", fontsize=9)
        ax.set_rlabel_position(90 / n)
        ax.set_xticks(angles, labels)
        ax.tick_params(axis="x", pad=10)
        ax.grid(color="#bbbbbb", linewidth=0.6)
        ax.plot(closed, ring(list(target)), color=TARGET_COLOUR, linestyle=":", linewidth=1.6, label="Target")
        handles = [Line2D([], [], color=TARGET_COLOUR, linestyle=":", linewidth=1.6, label="Target")]
        if previous is not None:
            gone = [name for name, v in zip(names, previous, strict=True) if v is None]
            label = "Previous round" + (f" ({NOT_ANSWERED}: {', '.join(gone)})" if gone else "")
            ax.plot(closed, ring(previous), color=PREVIOUS_COLOUR, linestyle="--", linewidth=1.6,
                    marker="s", markersize=4)
            handles.append(Line2D([], [], color=PREVIOUS_COLOUR, linestyle="--", linewidth=1.6, marker="s",
                                  markersize=4, label=label))
        label = "Current" + (f" ({NOT_ANSWERED}: {', '.join(missing)})" if missing else "")
        ax.plot(closed, ring(current), color=CURRENT_COLOUR, linewidth=2.2, marker="o", markersize=5)
        ax.fill(closed, ring(current), color=CURRENT_COLOUR, alpha=0.15)
        handles.insert(0, Line2D([], [], color=CURRENT_COLOUR, linewidth=2.2, marker="o", markersize=5, label=label))
        # One row when the labels fit across the figure, else one per line.
        wide = sum(len(str(h.get_label())) for h in handles) > 36
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=1 if wide else len(handles),
                  frameon=False, fontsize=11)
        if title:
            ax.set_title(title, pad=24, fontsize=13)
        fig.subplots_adjust(left=0.12, right=0.88, top=0.8 if title else 0.9, bottom=0.2)
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    return _inline(buf.getvalue(), describe(names, current, target, previous), title)


def _inline(svg: str, description: str, title: str) -> str:
    """matplotlib's SVG document as an element to place in HTML, with its accessible name."""
    svg = _METADATA.sub("", _PROLOG.sub("", svg, count=1), count=1)
    opening = _SVG_OPEN.search(svg)
    if opening is None:  # pragma: no cover - matplotlib always writes one
        raise ValueError("matplotlib wrote no <svg> element")
    tag = _XMLNS.sub("", _SIZE.sub("", opening.group(0)))
    label = f"{title}. {description}" if title else description
    tag = tag[:-1] + f' role="img" aria-label="{escape(label)}" class="chart">'
    return svg[: opening.start()] + tag + f"\n <title>{escape(label, quote=False)}</title>" + svg[opening.end():]
