"""Horizontal bars drawn with block characters: readable at 80×24 in 16 colours, over SSH."""
from decimal import Decimal

from rich.text import Text
from textual.widgets import Static

BLOCKS = " ▏▎▍▌▋▊▉█"


def bar(fraction: float, width: int) -> str:
    """A bar of `width` cells filled to `fraction` (eighths of a cell)."""
    fraction = max(0.0, min(1.0, fraction))
    eighths = int(fraction * width * 8 + 0.5)           # cells of a bar, not money
    full, rest = divmod(eighths, 8)
    return ("█" * full + (BLOCKS[rest] if rest else "")).ljust(width)


class Bars(Static):
    """rows: (label, value, text shown after the bar, style). Bars scale to the largest value;
    a gauge (max_value given) scales to it and may overflow in another colour."""

    def show(self, rows, max_value: Decimal | None = None, width: int = 40) -> None:
        top = max_value or max((abs(v) for _, v, _, _ in rows), default=Decimal(0)) or Decimal(1)
        text = Text()
        for label, value, after, style in rows:
            fraction = float(abs(value) / top) if top else 0.0
            text.append(f"{label[:18]:<18} ")
            text.append(bar(fraction, width), style=style or ("red" if value < 0 else "blue"))
            text.append(f" {after[:26]}\n")          # 18 + 1 + bar + 1 + 26 fits 80 columns
        self.update(text)
