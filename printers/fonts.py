"""The embedded TrueType font (reportlab's standard fonts are never embedded: not PDF/A)."""
import re

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from tui_factu import resources

DATA = resources.data_dir()
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


_undrawable: list[re.Pattern] = []


def _missing() -> re.Pattern:
    """One character the fonts cannot draw (nor tab or line feed), as a compiled class of
    ranges: a C scan instead of a set lookup per character of every text drawn."""
    if not _undrawable:
        ranges = []
        for cp in sorted(glyphs() | {ord("\t"), ord("\n")}):
            if ranges and cp == ranges[-1][1] + 1:
                ranges[-1][1] = cp
            else:
                ranges.append([cp, cp])
        drawn = "".join(re.escape(chr(a)) + ("-" + re.escape(chr(b)) if b > a else "") for a, b in ranges)
        _undrawable.append(re.compile(f"[^{drawn}]"))
    return _undrawable[0]


def drawable(text: str) -> str:
    """Text the embedded font can draw: a character it has no glyph for (stored before the
    input rule refused it, tui_factu.charset.unprintable) is written as its code (\\u682a),
    never drawn as the empty box of .notdef."""
    if text.isascii():
        return text
    return _missing().sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)
