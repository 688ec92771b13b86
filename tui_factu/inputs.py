"""The one rule for characters that come from outside and may reach a terminal, a printer, a
PDF or a file: control characters (C0 but tab and line feed, DEL, C1) and the invisible
formatting ones that reorder or hide text (bidi overrides and isolates, zero-width marks) are
refused at input, and escaped at output as a second line of defence."""
import re

# C0 (tab and newline aside: allowed in multi-line text), DEL, C1, bidi and zero-width formats
FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
FORBIDDEN_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def bad_character(text: str, multiline: bool = False):
    """The first forbidden character of text, or None."""
    m = (FORBIDDEN if multiline else FORBIDDEN_LINE).search(text)
    return m.group(0) if m else None


def printable(text) -> str:
    """Text safe to show: every forbidden character written as its code (\\x1b, \\u202e)."""
    return FORBIDDEN.sub(lambda m: m.group(0).encode("unicode_escape").decode(), str(text))
