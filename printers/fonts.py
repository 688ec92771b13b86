"""The embedded TrueType font (reportlab's standard fonts are never embedded: not PDF/A)."""
import os
from pathlib import Path

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

DATA = Path(os.environ.get("TUI_FACTU_DATA", Path(__file__).resolve().parent.parent / "data"))
REGULAR, BOLD = "DejaVu", "DejaVu-Bold"
_done = []


def register() -> str:
    if not _done:
        from reportlab import rl_config
        rl_config.useA85 = 0          # binary streams: smaller files, no ASCII85 encoding cost
        fonts = DATA / "fonts"
        pdfmetrics.registerFont(TTFont(REGULAR, str(fonts / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont(BOLD, str(fonts / "DejaVuSans-Bold.ttf")))
        addMapping(REGULAR, 0, 0, REGULAR)
        addMapping(REGULAR, 1, 0, BOLD)
        addMapping(REGULAR, 0, 1, REGULAR)
        addMapping(REGULAR, 1, 1, BOLD)
        _done.append(True)
    return REGULAR


_glyphs: list[frozenset] = []


def glyphs() -> frozenset:
    """The code points both embedded fonts can draw."""
    if not _glyphs:
        register()
        regular, bold = (set(pdfmetrics.getFont(name).face.charToGlyph) for name in (REGULAR, BOLD))
        _glyphs.append(frozenset(regular & bold))
    return _glyphs[0]


def drawable(text: str) -> str:
    """Text the embedded font can draw: a character it has no glyph for (stored before the
    input rule refused it, tui_factu.charset.unprintable) is written as its code (\\u682a),
    never drawn as the empty box of .notdef."""
    if text.isascii():
        return text
    have = glyphs()
    return "".join(ch if ord(ch) in have or ch in "\t\n" else ch.encode("unicode_escape").decode("ascii")
                   for ch in text)
