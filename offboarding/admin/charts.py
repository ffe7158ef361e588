"""Geometry of the dashboard's bar charts, rendered by templates as inline SVG.

The charts need no JavaScript and no inline style, so they work under a strict
Content-Security-Policy: colours come from classes in ``offboarding/admin.css`` and from
SVG presentation attributes. Coordinates are pre-formatted strings, because Django would
localise floats in templates (``12,5`` is not an SVG length).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

LABEL_WIDTH = 150
# Maximum width of a horizontal bar chart's label column, which grows to its longest label.
# A longer label is shortened with "…" and shown whole in the bar's tooltip.
MAX_LABEL_WIDTH = 320
# Average advance of a 12 px sans-serif character, an estimate for sizing the label column.
LABEL_CHAR_WIDTH = 7
LABEL_GAP = 6
BAR_AREA_WIDTH = 260
VALUE_WIDTH = 120
ROW_HEIGHT = 22
EMPTY_HEIGHT = 48
BAR_HEIGHT = 14
COLUMN_CHART_WIDTH = 480
COLUMN_CHART_HEIGHT = 160
AXIS_HEIGHT = 20
# Fill colours used where the stylesheet is not loaded (for example in a saved page).
FALLBACK_FILLS = {"bar": "#417690", "good": "#2e7d32", "neutral": "#9e9e9e", "bad": "#c62828"}


def _n(value: float) -> str:
    return f"{value:.1f}"


@dataclass
class Shape:
    """One rectangle with its label and value text positions."""

    label: str
    value_text: str
    css_class: str
    x: str
    y: str
    width: str
    height: str
    fill: str
    label_x: str = "0"
    label_y: str = "0"
    value_x: str = "0"
    value_y: str = "0"
    show_label: bool = True
    # The printed label when ``label`` is too long for the chart; empty prints ``label``.
    short_label: str = ""


@dataclass
class Chart:
    """An SVG chart: its view box size, shapes and the text shown when it has no data."""

    kind: str
    title: str
    width: str
    height: str
    shapes: list[Shape] = field(default_factory=list)
    empty: bool = False
    empty_text: Any = ""
    legend: list[Shape] = field(default_factory=list)

    @property
    def frame_width(self) -> str:
        """Width of the dashed frame of an empty chart, inside the view box."""
        return _n(float(self.width) - 1)

    @property
    def frame_height(self) -> str:
        return _n(float(self.height) - 1)


def horizontal_bars(
    title: str, items: Sequence[tuple[str, float, str]], *, empty_text: Any, css_class: str = "bar"
) -> Chart:
    """Return one horizontal bar per (label, value, value text), scaled to the largest."""
    largest = max((value for _, value, _ in items), default=0)
    height = max(len(items), 1) * ROW_HEIGHT + 4
    label_width = _label_width([str(label) for label, _, _ in items])
    chart = Chart("hbar", title, _n(label_width + BAR_AREA_WIDTH + VALUE_WIDTH), _n(height))
    if largest <= 0:
        chart.empty, chart.empty_text, chart.height = True, empty_text, _n(EMPTY_HEIGHT)
        return chart
    fitting_chars = (label_width - LABEL_GAP) // LABEL_CHAR_WIDTH
    for row, (label, value, value_text) in enumerate(items):
        top = row * ROW_HEIGHT + 2
        width = BAR_AREA_WIDTH * value / largest
        text = str(label)
        chart.shapes.append(
            Shape(
                label=label,
                value_text=value_text,
                css_class=css_class,
                x=_n(label_width),
                y=_n(top + (ROW_HEIGHT - BAR_HEIGHT) / 2),
                width=_n(width),
                height=_n(BAR_HEIGHT),
                fill=FALLBACK_FILLS.get(css_class, FALLBACK_FILLS["bar"]),
                short_label=text[: fitting_chars - 1] + "…" if len(text) > fitting_chars else "",
                label_x=_n(label_width - LABEL_GAP),
                label_y=_n(top + ROW_HEIGHT / 2 + 4),
                value_x=_n(label_width + width + LABEL_GAP),
                value_y=_n(top + ROW_HEIGHT / 2 + 4),
            )
        )
    return chart


def _label_width(labels: Sequence[str]) -> int:
    """Return the width of the label column: the longest label's, within the limits."""
    longest = max((len(label) for label in labels), default=0)
    return min(MAX_LABEL_WIDTH, max(LABEL_WIDTH, longest * LABEL_CHAR_WIDTH + LABEL_GAP))


def columns(title: str, items: Sequence[tuple[str, int]], *, empty_text: Any) -> Chart:
    """Return one column per (label, count); at most about eight labels are printed."""
    chart = Chart("columns", title, _n(COLUMN_CHART_WIDTH), _n(COLUMN_CHART_HEIGHT + AXIS_HEIGHT))
    largest = max((value for _, value in items), default=0)
    if largest <= 0:
        chart.empty, chart.empty_text, chart.height = True, empty_text, _n(EMPTY_HEIGHT)
        return chart
    slot = COLUMN_CHART_WIDTH / len(items)
    label_every = max(1, round(len(items) / 8))
    for index, (label, value) in enumerate(items):
        height = (COLUMN_CHART_HEIGHT - 14) * value / largest
        left = index * slot
        chart.shapes.append(
            Shape(
                label=label,
                value_text=str(value),
                css_class="bar",
                x=_n(left + slot * 0.1),
                y=_n(COLUMN_CHART_HEIGHT - height),
                width=_n(slot * 0.8),
                height=_n(height),
                fill=FALLBACK_FILLS["bar"],
                label_x=_n(left + slot / 2),
                label_y=_n(COLUMN_CHART_HEIGHT + 14),
                value_x=_n(left + slot / 2),
                value_y=_n(COLUMN_CHART_HEIGHT - height - 3),
                show_label=index % label_every == 0,
            )
        )
    return chart


def stacked(title: str, parts: Sequence[tuple[str, int, str]], *, empty_text: Any) -> Chart:
    """Return one 100 % bar split into (label, count, css class) parts, with a legend."""
    total = sum(count for _, count, _ in parts)
    width = LABEL_WIDTH + BAR_AREA_WIDTH + VALUE_WIDTH
    chart = Chart("stacked", title, _n(width), _n(BAR_HEIGHT * 2 + ROW_HEIGHT * len(parts)))
    if total <= 0:
        chart.empty, chart.empty_text, chart.height = True, empty_text, _n(EMPTY_HEIGHT)
        return chart
    left = 0.0
    for row, (label, count, css_class) in enumerate(parts):
        part_width = width * count / total
        fill = FALLBACK_FILLS.get(css_class, FALLBACK_FILLS["bar"])
        chart.shapes.append(
            Shape(
                label=label,
                value_text=str(count),
                css_class=css_class,
                x=_n(left),
                y="0",
                width=_n(part_width),
                height=_n(BAR_HEIGHT * 1.5),
                fill=fill,
            )
        )
        legend_top = BAR_HEIGHT * 2 + row * ROW_HEIGHT
        chart.legend.append(
            Shape(
                label=label,
                value_text=f"{count} ({100 * count / total:.1f} %)",
                css_class=css_class,
                x="0",
                y=_n(legend_top + 4),
                width="12",
                height="12",
                fill=fill,
                label_x="18",
                label_y=_n(legend_top + 14),
            )
        )
        left += part_width
    return chart
