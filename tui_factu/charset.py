"""The characters that must never reach a terminal, a printer, a PDF or a file unseen: control
characters (C0 but tab and line feed, DEL, C1), the invisible formatting ones that reorder
or hide text (bidi overrides and isolates, zero-width marks), and lone surrogates (what Python
makes of bytes that are not UTF-8 in a command-line argument). Refused at input (inputs.py),
escaped at output (`printable`, which every error message, the thermal printer's writer and the
PDF layout go through)."""
import re

# C0 (tab and newline aside: allowed in multi-line text), DEL, C1, bidi and zero-width formats
# (and U+061C, U+180E, the line and paragraph separators U+2028-2029), lone surrogates
_FORMATS = "\x7f-\x9f\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ud800-\udfff"
FORBIDDEN = re.compile(f"[\x00-\x08\x0b-\x1f{_FORMATS}]")
FORBIDDEN_LINE = re.compile(f"[\x00-\x1f{_FORMATS}]")


def bad_character(text: str, multiline: bool = False):
    """The first forbidden character of text, or None."""
    m = (FORBIDDEN if multiline else FORBIDDEN_LINE).search(text)
    return m.group(0) if m else None


def _code(m) -> str:
    return m.group(0).encode("unicode_escape", "backslashreplace").decode("ascii")


def printable(text, multiline: bool = True) -> str:
    """Text safe to show: every forbidden character written as its code (\\x1b, \\u202e);
    with multiline=False, tab and line feed too (one line of a printer or a table)."""
    return (FORBIDDEN if multiline else FORBIDDEN_LINE).sub(_code, str(text))
