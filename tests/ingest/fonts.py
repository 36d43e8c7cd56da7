"""A font with Japanese glyphs for the tests that write Japanese PDFs (fpdf2 reads .ttf, .otf and .ttc)."""

from __future__ import annotations

from pathlib import Path

_GLYPHS = "個人情報の利用目的について取扱いアドレス"


def japanese_font() -> Path | None:
    """A font with Japanese glyphs (.ttf, .otf or a .ttc collection), if the machine has one."""
    fonts = Path("/usr/share/fonts")
    if not fonts.is_dir():
        return None
    try:
        from fontTools.ttLib import TTCollection, TTFont
    except ImportError:  # pragma: no cover
        return None
    for path in sorted(p for p in fonts.rglob("*") if p.suffix.lower() in (".ttf", ".otf", ".ttc")):
        try:
            font = TTCollection(str(path)).fonts[0] if path.suffix.lower() == ".ttc" else TTFont(str(path), lazy=True)
            cmap = font.getBestCmap() or {}
        except Exception:  # an unreadable font is just skipped
            continue
        if all(ord(ch) in cmap for ch in _GLYPHS):
            return path
    return None
