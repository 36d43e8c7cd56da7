"""Readable text for a quoted passage: the same words as the document slice, without markup.

Citations keep the exact slice of the document (quote fidelity checks it); this module gives
the `display` form customers read. Only markup is removed, never words, so every word of the
display comes from the slice.
"""

from __future__ import annotations

import html
import re

FORMATS = ("text", "markdown", "pdf")

_ATX = re.compile(r"^[ \t]{0,3}#{1,6}(?:[ \t]+|$)")
_ATX_CLOSING = re.compile(r"[ \t]+#+[ \t]*$")
_SETEXT_UNDERLINE = re.compile(r"^[ \t]{0,3}(?:=+|-+)[ \t]*$")
_TABLE_SEPARATOR = re.compile(r"^[ \t]*\|?[ \t]*:?-{2,}:?[ \t]*(?:\|[ \t]*:?-{2,}:?[ \t]*)*\|?[ \t]*$")
_LIST_MARKER = re.compile(r"^([ \t]*)[*+-][ \t]+")
_ATTRIBUTES = re.compile(r"\{:[^{}\n]*\}")
_IMAGE = re.compile(r"!\[([^\[\]\n]*)\]\([^()\s]*(?:\([^()\s]*\)[^()\s]*)*(?:[ \t]+\"[^\"\n]*\")?\)")
_LINK = re.compile(r"\[([^\[\]\n]*)\]\([^()\s]*(?:\([^()\s]*\)[^()\s]*)*(?:[ \t]+\"[^\"\n]*\")?\)")
# A passage cut inside a link keeps part of it: the target of a link whose text began before
# the cut, or a link whose target runs past the end.
_LINK_TARGET_ONLY = re.compile(r"\]\([^()\s]*(?:\([^()\s]*\)[^()\s]*)*\)")
_LINK_CUT = re.compile(r"\[([^\[\]\n]*)\]\([^)\s]*$")
_REF_LINK = re.compile(r"\[([^\[\]\n]+)\]\[[^\[\]\n]*\]")
_AUTOLINK = re.compile(r"<((?:https?|ftp|mailto):[^<>\s]+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+)>")
_BREAK = re.compile(r"<br[ \t]*/?>[ \t]*(?:\r?\n)?", re.IGNORECASE)
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>|<!--.*?-->", re.DOTALL)
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_EMPHASIS_STAR = re.compile(r"(?<![\w*])\*(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*(?![\w*])")
_EMPHASIS_UNDERSCORE = re.compile(r"(?<![\w_])_(?=[^\s_])([^_\n]+?)(?<=[^\s_])_(?![\w_])")
_LEFTOVER_MARKERS = re.compile(r"\*\*+|__+")
_CODE = re.compile(r"`+([^`\n]+?)`+")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>])")
_SPACES = re.compile(r"[ \t\u00a0]+")


def display_text(raw: str, format: str = "text") -> str:
    """The passage `raw` (a slice of a document in `format`) as plain readable text."""
    if format == "markdown":
        return _markdown_display(raw)
    text = raw.strip()
    if format == "pdf":
        # Some PDFs are printed from markdown and carry its emphasis markers literally.
        text = _STRONG.sub(r"\2", text)
    return text


def _markdown_display(raw: str) -> str:
    lines: list[str] = []
    for line in raw.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if (_TABLE_SEPARATOR.match(line) and "|" in line) or _SETEXT_UNDERLINE.match(line):
            continue
        if line.strip() and not _ATTRIBUTES.sub("", line).strip():
            continue  # a kramdown attribute line
        heading = _ATX.match(line)
        if heading:
            line = _ATX_CLOSING.sub("", line[heading.end() :])
        line = _LIST_MARKER.sub(lambda m: m.group(1) + "\u2022 ", line)
        if "|" in line:
            line = _table_row(line)
        lines.append(line)
    text = "\n".join(lines)
    text = _ATTRIBUTES.sub("", text)
    text = _BREAK.sub("\n", text)
    text = _IMAGE.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = _REF_LINK.sub(r"\1", text)
    text = _LINK_TARGET_ONLY.sub("", text)
    text = _LINK_CUT.sub(r"\1", text)
    text = _AUTOLINK.sub(lambda m: m.group(1).removeprefix("mailto:"), text)
    text = _TAG.sub("", text)
    text = _CODE.sub(r"\1", text)
    for _ in range(3):  # nested emphasis: ***a*** or **_a_**
        text = _STRONG.sub(r"\2", text)
    text = _EMPHASIS_STAR.sub(r"\1", text)
    text = _EMPHASIS_UNDERSCORE.sub(r"\1", text)
    # A passage cut inside bold text keeps one marker of the pair; it is markup all the same.
    text = _LEFTOVER_MARKERS.sub("", text)
    text = _ESCAPE.sub(r"\1", text)
    text = html.unescape(text)
    return _tidy(text)


def _table_row(line: str) -> str:
    """`| a | b |` as `a · b` (escaped pipes `\\|` stay text)."""
    cells = re.split(r"(?<!\\)\|", line.strip())
    if cells and not cells[0].strip():
        cells = cells[1:]
    if cells and not cells[-1].strip():
        cells = cells[:-1]
    return " \u00b7 ".join(c.strip() for c in cells if c.strip())


def _tidy(text: str) -> str:
    # One line per line of the passage (items, table rows, address lines); blank lines and runs
    # of spaces are layout of the file, not of the quote.
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)
