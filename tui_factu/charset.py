"""The characters that must never reach a terminal, a printer, a PDF or a file unseen: control
characters (C0 but tab and line feed, DEL, C1) and the invisible formatting ones that reorder
or hide text (bidi overrides and isolates, zero-width marks). Refused at input (inputs.py),
escaped at output (`printable`, which every error message goes through)."""
import re

# C0 (tab and newline aside: allowed in multi-line text), DEL, C1, bidi and zero-width formats
# (and U+061C, U+180E, the line and paragraph separators U+2028-2029)
FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064"
                       "\u2066-\u2069\ufeff]")
FORBIDDEN_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064"
                            "\u2066-\u2069\ufeff]")


def bad_character(text: str, multiline: bool = False):
    """The first forbidden character of text, or None."""
    m = (FORBIDDEN if multiline else FORBIDDEN_LINE).search(text)
    return m.group(0) if m else None


def printable(text) -> str:
    """Text safe to show: every forbidden character written as its code (\\x1b, \\u202e)."""
    return FORBIDDEN.sub(lambda m: m.group(0).encode("unicode_escape").decode(), str(text))
