"""Clause-aware chunking of numbered legal text, keeping exact character offsets.

The policies are numbered in many ways (`1.`, `2.1`, `(1)`, `1)`, `A.`, `a)`, `i.`, `・`,
`•`, `-`; in Japanese also `第1条`, `（１）`, `１．`, `①`, `一、`, `【見出し】`, `■`) and are often
broken (repeated or missing numbers, HTML list numbers in front of the real ones). We read the
text line by line, decide for each line whether it is a heading or a clause, keep a stack of
headings for the section path, then group the clauses under one heading into chunks no longer
than the embedding window. Sentences end at `.!?` before a capital, or at `。！？` outside
quotes and brackets (Japanese sets no space after them).
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from assistant.domain import Chunk, Document, Span

# Leading list glyphs that carry no numbering (the square and diamond ones, and a lone dot
# line, head a section instead: see `_mark_heading`).
_BULLET = re.compile(r"[•・\-–*○●◦▪■□◆◇◎★☆]\s*")
_HEADING_MARKS = "■□◆◇●○◎★☆"
# An indented "N. " in front of a line is an HTML ordered-list number (sb-cs, win-techno).
_ORDINAL = re.compile(r"\d{1,3}\.\s+")
_KANJI_NUMBER = "一二三四五六七八九十百"
_MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # Japanese articles and their chapters: 第1条, 第十二条の2, 第２章 (\d reads fullwidth digits too).
    ("chapter", re.compile(rf"(第[ \t]*(?:\d{{1,3}}|[{_KANJI_NUMBER}]{{1,4}})[ \t]*[章節編])[\s]*")),
    ("article", re.compile(rf"(第[ \t]*(?:\d{{1,3}}|[{_KANJI_NUMBER}]{{1,4}})[ \t]*条(?:の(?:\d{{1,2}}|[{_KANJI_NUMBER}]{{1,3}}))?)[\s]*")),
    ("decimal", re.compile(r"(\d{1,2}(?:[.．]\d{1,2}){0,3})(?:[.．](?=\S)|[.．]?\s+)(?=\S)")),
    ("paren", re.compile(r"[(（](\d{1,2})[)）]\s*")),
    ("kanjiparen", re.compile(rf"[(（]([{_KANJI_NUMBER}]{{1,3}})[)）]\s*")),
    ("halfparen", re.compile(r"(\d{1,2})[)）]\s*")),
    ("circled", re.compile(r"([\u2460-\u2473\u3251-\u325f])\s*")),  # ① to ⑳, ㉑ to ㉟
    ("kanji", re.compile(rf"([{_KANJI_NUMBER}]{{1,3}})[、．.]\s*")),
    ("roman", re.compile(r"((?:i|ii|iii|iv|v|vi|vii|viii|ix|x))\.\s*(?=[A-Z])")),
    ("letter", re.compile(r"([A-Za-z])[.)]\s+")),
    ("angle", re.compile(r"[<＜〈《]([^<>＜＞〈〉《》]{1,60})[>＞〉》]\s*")),
    ("bracket", re.compile(r"\[([^\[\]]{1,60})\]\s*")),
    ("lenticular", re.compile(r"[【［〔]([^【】［］〔〕\n]{1,60})[】］〕]\s*")),
)
# Kinds whose marker alone (`第3条`, `【お問い合わせ】`) can be a whole heading.
_TITLE_MARKERS = ("chapter", "article", "lenticular")
_SENTENCE_END = re.compile(r"(?<=[.!?。])[\"”’)]?\s+(?=[\"“(A-Z0-9<\[])")
# Japanese sentences end at 。！？ with no space after; not inside 「quotes」 or （brackets）.
_JA_STOPS = "。！？"
_OPENERS = {"「": "」", "『": "』", "（": "）", "(": ")", "【": "】", "〔": "〕", "［": "］", "“": "”"}
_ABBREVIATIONS = ("etc.", "e.g.", "i.e.", "Co.", "Ltd.", "Inc.", "No.", "Corp.", "Art.", "cf.", "vs.", "St.")

Measure = Callable[[str], int]
# About what one quote may hold: long enough for a sentence with its lead or a short list,
# short enough that an answer of two or three quotes stays readable (the answers issue's budget).
PASSAGE_CHARS = 400
# A sentence that opens by pointing back ("However, this does not apply…", "In such cases…",
# 「ただし、…」) states nothing alone: the sentence before it is its lead. Grammar, not wording.
_CONTINUES = re.compile(
    r"(?:however|provided|but|otherwise|nevertheless|notwithstanding|in (?:that|this|such|which) cases?|"
    r"(?:this|that|these|those|such)\b(?! (?:privacy|policy|notice|website|site|document)\b)|the (?:foregoing|above))\b|"
    # Japanese has no spaces to bound a word: the pointing word is the sentence's opening.
    r"(?:ただし|但し|なお|前項|当該|(?:この|その|これ|それ|こうした|そうした|かかる)(?!他|ほか|ぞれ)"
    r"(?!(?:プライバシー|ポリシー|通知|方針|ウェブサイト|サイト|文書)))",
    re.IGNORECASE,
)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Line:
    start: int  # offset of the first non-space, non-bullet character
    end: int  # offset after the last non-space character
    text: str
    kind: str  # marker kind, "bullet" or "" for plain text
    label: str
    indented: bool
    glyph: str = ""  # a bullet's glyph


@dataclass
class _Heading:
    kind: str
    depth: int
    title: str


def _parse_line(text: str, line_start: int, line: str) -> _Line | None:
    stripped = line.strip()
    if not stripped or not any(ch.isalnum() for ch in stripped):
        return None
    lead = len(line) - len(line.lstrip())
    pos = lead
    indented = lead >= 2
    kind, label, glyph = "", "", ""
    m = _BULLET.match(line, pos)
    if m:
        kind, pos, glyph = "bullet", m.end(), line[pos]
    m = _ORDINAL.match(line, pos)
    if m and indented and kind == "":
        # HTML list numbering: remember it, then look for a real marker behind it.
        kind, label, pos = "ordinal", m.group(0).strip().rstrip("."), m.end()
        m2 = _BULLET.match(line, pos)
        if m2:
            kind, label, pos = "bullet", label, m2.end()
    for name, pattern in _MARKERS:
        mm = pattern.match(line, pos)
        if mm:
            kind, label = name, mm.group(1).replace("．", ".")
            break
    content_start = pos
    end = len(line.rstrip())
    if end <= content_start:
        return None  # a bare list number with nothing after it
    return _Line(
        start=line_start + content_start,
        end=line_start + end,
        text=line[content_start:end],
        kind=kind,
        label=label,
        indented=indented,
        glyph=glyph,
    )


def _marker_len(line: _Line) -> int:
    for _, pattern in _MARKERS:
        mm = pattern.match(line.text)
        if mm:
            return mm.end()
    return 0


def _looks_like_heading(line: _Line, following: _Line | None, previous: _Line | None = None) -> bool:
    body = line.text[_marker_len(line) :].strip() if line.kind not in ("", "bullet", "ordinal") else line.text
    if line.kind == "bullet":
        return False
    if not body and line.kind in _TITLE_MARKERS:
        body = line.text  # "第3条" or "【お問い合わせ窓口】" alone on its line
    numbered = line.kind in ("decimal", "article", "chapter") and not line.indented
    if body.endswith(("etc.", "etc")):
        body = body[:-1] if body.endswith(".") else body  # "... Request for Disclosure etc."
    if not body or len(body) > (120 if numbered else 90) or body[-1] in _CLAUSE_END:
        return False
    if ":" in body or "：" in body or re.search(r"\d{3,}", body) or "@" in body:
        return False
    if not (body[0].isupper() or not body[0].isascii() or body[0] == "<" or line.kind in ("decimal", "letter", "angle", "bracket")):
        return False
    if following is None:
        return False
    if line.kind == "letter":
        # "A. Customers" over "(1) ..." items is a heading; "A." over "B." is a list.
        return following.kind != line.kind
    if line.kind in ("paren", "halfparen", "roman", "ordinal", "kanjiparen", "circled", "kanji"):
        # A short numbered line heads a section only when plain text follows it, and in Japanese
        # (no capitals to tell a title) not when it is the last of a run of items: "③" after "②".
        if previous is not None and previous.kind == line.kind and _JAPANESE.search(line.text):
            return False
        return following.kind in ("", "bullet")
    return True


_JAPANESE = re.compile(r"[\u3041-\u30ff\u4e00-\u9fff]")


# What a heading never ends with: sentence and clause punctuation.
_CLAUSE_END = ".:;,、。：；，！？"


def _mark_heading(line: _Line, previous: _Line | None, following: _Line | None) -> bool:
    """Whether a short line behind a ■, ◆ or ● glyph heads a section (alone, not in a run of them, not after a lead)."""
    if line.kind != "bullet" or line.glyph not in _HEADING_MARKS or following is None:
        return False
    body = line.text.strip()
    if len(body) > 60 or body[-1] in _CLAUSE_END or ":" in body or "：" in body:
        return False
    if any(other is not None and other.kind == "bullet" and other.glyph == line.glyph for other in (previous, following)):
        return False
    return previous is None or not previous.text.rstrip().endswith((":", "："))


def _decimal_depth(label: str) -> int:
    return label.count(".") + 1  # fullwidth points are read as "." in labels


def _opens_section(line: _Line, following: _Line, outline: _Outline) -> bool:
    """Whether the heading `following` nests under the heading `line`."""
    if following.kind == "chapter" or (following.kind == "article" and line.kind != "chapter"):
        return False  # a chapter holds articles; an article holds neither
    if following.kind == "decimal" and not following.indented:
        if line.kind == "decimal" and not line.indented:
            return _decimal_depth(following.label) > _decimal_depth(line.label)
        # A title above the first numbered section opens the document.
        return not any(h.kind == "decimal" for h in outline.stack)
    return line.kind not in ("", following.kind)


_ARTICLE_RANK = {"chapter": 0, "article": 1}
# Numbered items whose next sibling closes them when they were used as a heading.
_ITEM_KINDS = ("paren", "halfparen", "letter", "roman", "kanjiparen", "circled", "kanji")


class _Outline:
    """The stack of headings above the current line."""

    def __init__(self) -> None:
        self.stack: list[_Heading] = []

    def path(self) -> list[str]:
        return [h.title for h in self.stack]

    def continues_numbering(self, line: _Line) -> bool:
        """A numbered line heads a new section only if its number moves forward."""
        top = next((h for h in self.stack if h.kind == "decimal" and h.depth == 1), None)
        if top is None:
            return True
        try:
            current = int(top.title.split(".")[0])
            new = int(line.label.split(".")[0])
        except ValueError:
            return True
        return new > current if _decimal_depth(line.label) == 1 else new >= current

    def push_heading(self, line: _Line) -> None:
        if line.kind == "decimal" and not line.indented:
            depth = _decimal_depth(line.label)
            # Keep what stands above this level: the stack up to the nearest shallower
            # numbered heading, or the document titles that precede all numbering.
            keep = 0
            for i, h in enumerate(self.stack):
                if h.kind == "decimal":
                    if h.depth < depth:
                        keep = i + 1
                    else:
                        break
                elif keep == i and not any(x.kind == "decimal" for x in self.stack[:i]):
                    keep = i + 1
            self.stack = self.stack[:keep]
            self.stack.append(_Heading("decimal", depth, line.text))
            return
        kind = line.kind or "plain"
        if kind == "decimal":
            kind = "subdecimal"  # an indented number: a subheading inside a list
        self._pop_siblings(kind)
        self.stack.append(_Heading(kind, 0, line.text))

    def enter_item(self, line: _Line) -> None:
        if line.kind == "decimal" and not line.indented:
            # A numbered clause under a numbered heading drops any unnumbered subheading.
            while self.stack and self.stack[-1].kind != "decimal":
                if not any(h.kind == "decimal" for h in self.stack):
                    break
                self.stack.pop()
        elif line.kind in _ITEM_KINDS and self.stack and self.stack[-1].kind == line.kind:
            # "(2)" after the heading "(1) Title" is its sibling; under "B. ..." it is an item of B.
            self.stack.pop()

    def _pop_siblings(self, kind: str) -> None:
        if kind in _ARTICLE_RANK:
            # A chapter closes the chapter and articles before it, an article the article before it.
            keep = len(self.stack)
            for i in range(len(self.stack) - 1, -1, -1):
                rank = _ARTICLE_RANK.get(self.stack[i].kind)
                if rank is not None and rank < _ARTICLE_RANK[kind]:
                    break
                if rank is not None:
                    keep = i
            del self.stack[keep:]
            return
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i].kind == kind:
                del self.stack[i:]
                return
            if self.stack[i].kind in ("decimal", *_ARTICLE_RANK):
                return


@dataclass(frozen=True)
class _Block:
    section: str  # heading path of the enclosing headings
    label: str
    start: int
    end: int


def _sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split text[start:end] into sentence offsets (no trailing spaces)."""
    out: list[tuple[int, int]] = []
    piece_start = start
    # (where the sentence ends, where the next begins); a closing quote stays with its sentence.
    cuts = {m.start(): (m.start() + len(m.group(0).rstrip()), m.end()) for m in _SENTENCE_END.finditer(text, start, end)}
    for at, cut, following in _japanese_stops(text, start, end):
        cuts.setdefault(at, (cut, following))
    for at in sorted(cuts):
        cut, following = cuts[at]
        if at < piece_start:
            continue
        before = text[piece_start:at]
        last_word = before.rsplit(None, 1)[-1] if before.split() else ""
        if last_word in _ABBREVIATIONS or len(before.strip()) < 12:
            continue
        out.append((piece_start, cut))
        piece_start = following
    if piece_start < end:
        out.append((piece_start, end))
    return [(s, e) for s, e in out if text[s:e].strip()]


def _japanese_stops(text: str, start: int, end: int) -> list[tuple[int, int, int]]:
    """(stop, sentence end, next start) for each 。！？ outside the quotes and brackets that close in the text."""
    if not any(ch in text[start:end] for ch in _JA_STOPS):
        return []
    # Spans of matched brackets; an opening one that never closes guards nothing.
    open_at: list[tuple[str, int]] = []
    depth = [0] * (end - start + 1)
    for i in range(start, end):
        ch = text[i]
        if ch in _OPENERS:
            open_at.append((_OPENERS[ch], i))
        elif open_at and any(close == ch for close, _ in open_at):
            while open_at:
                close, at = open_at.pop()
                if close == ch:
                    depth[at + 1 - start] += 1
                    depth[i - start] -= 1
                    break
    out: list[tuple[int, int, int]] = []
    level = 0
    i = start
    while i < end:
        level += depth[i - start]
        if text[i] in _JA_STOPS and level == 0:
            stop = i
            while i + 1 < end and text[i + 1] in _JA_STOPS + "!?":
                i += 1
                level += depth[i - start]
            if i + 1 < end and text[i + 1] in "*_":
                # A bold label ("__位置情報。__Mozilla は…") stays with what it labels, as in English.
                i += 1
                continue
            following = i + 1
            while following < end and text[following].isspace():
                following += 1
            if following < end:
                out.append((stop, i + 1, following))
        i += 1
    return out


def _split_long(text: str, start: int, end: int, limit: int, measure: Measure) -> list[tuple[int, int]]:
    """Cut an over-long sentence at word boundaries so each piece fits the window."""
    pieces: list[tuple[int, int]] = []
    s = start
    while s < end:
        if measure(text[s:end]) <= limit:
            pieces.append((s, end))
            break
        lo, hi = s + 1, end
        while lo < hi:  # the longest prefix that fits
            mid = (lo + hi + 1) // 2
            if measure(text[s:mid]) <= limit:
                lo = mid
            else:
                hi = mid - 1
        # At the last space, or after the last Japanese comma (Japanese sets no spaces).
        cut = max(text.rfind(" ", s, lo + 1), *(text.rfind(mark, s, lo) + 1 for mark in "、，"))
        if cut <= s:
            cut = lo
        piece_end = cut
        while piece_end > s and text[piece_end - 1].isspace():  # runs of spaces or tabs
            piece_end -= 1
        pieces.append((s, piece_end if piece_end > s else cut))
        s = cut
        while s < end and text[s].isspace():
            s += 1
    return pieces


def chunk_id(doc_id: str, start: int, end: int, text: str) -> str:
    """A stable id: the same text at the same place always gets the same id."""
    digest = hashlib.sha1(f"{doc_id}\x00{start}\x00{end}\x00{text}".encode()).hexdigest()
    return f"{doc_id}:{start}-{end}:{digest[:10]}"


@dataclass(frozen=True)
class Block:
    """One clause line: its section path, item label, offsets and the line leading its list."""

    section: str
    label: str
    start: int
    end: int
    lead: tuple[int, int] | None = None


def split_into_blocks(text: str, format: str = "text") -> list[Block]:
    """Every clause line of the text with its heading path (headings themselves excluded).

    `format` is the document's markup: markdown takes its structure from headings, lists and
    tables; anything else (plain text, reflowed PDF) from numbering and line shapes."""
    if format == "markdown":
        try:
            blocks = _markdown_blocks(text)
        except Exception:  # a file this parser cannot follow is still indexed, as paragraphs
            log.warning("markdown structure not readable; indexing as plain paragraphs", exc_info=True)
            return _paragraph_blocks(text)
        if blocks is not None:
            return blocks or _paragraph_blocks(text)  # only headings: they are the content
    return _text_blocks(text)


def _text_blocks(text: str) -> list[Block]:
    lines: list[_Line] = []
    offset = 0
    for raw in text.splitlines(keepends=True):
        parsed = _parse_line(text, offset, raw.rstrip("\r\n"))
        if parsed is not None:
            lines.append(parsed)
        offset += len(raw)
    outline = _Outline()
    blocks: list[Block] = []
    # The latest line of each marker kind in the current section, to find an item's lead.
    recent: list[tuple[str, str, int, int]] = []
    for i, line in enumerate(lines):
        following = lines[i + 1] if i + 1 < len(lines) else None
        previous = lines[i - 1] if i else None
        if _mark_heading(line, previous, following):
            outline.push_heading(replace(line, kind=f"mark{line.glyph}"))  # ■ over ◆ over ●: by glyph
            recent = []
            continue
        if _looks_like_heading(line, following, previous) and (
            line.kind != "decimal" or line.indented or outline.continues_numbering(line)
        ):
            next_is_heading = following is not None and _looks_like_heading(following, lines[i + 2] if i + 2 < len(lines) else None, line)
            deeper = following is not None and _opens_section(line, following, outline)
            if next_is_heading and not deeper:
                # A heading with no body of its own (a contact point's name, say) is content.
                blocks.append(Block(" > ".join(outline.path()), "", line.start, line.end))
            outline.push_heading(line)
            recent = []
            continue
        outline.enter_item(line)
        section = " > ".join(outline.path())
        lead = None
        if line.kind:
            # An item's lead: the nearest earlier line of this section with another marker kind.
            lead = next(((s, e) for sec, kind, s, e in reversed(recent) if sec == section and kind != line.kind), None)
        blocks.append(Block(section, line.label, line.start, line.end, lead))
        recent.append((section, line.kind, line.start, line.end))
    return blocks


def passages(text: str, units: Sequence[Span], limit: int = PASSAGE_CHARS) -> tuple[Span, ...]:
    """The citable passages of one chunk: from each sentence or item, as many of the ones after
    it as fit in `limit` characters (at least the one).

    A passage therefore reads as a complete statement: a list's lead comes with the items that
    follow it, a short line (a title, "as follows:") with what it introduces, and one sentence is
    never cut. Passages overlap; the answer step keeps the best and drops the ones it overlaps.
    An item whose lead lies before the passage keeps the lead's offsets, so the lead can be
    embedded with it and cited beside it."""
    out: list[Span] = []
    for i, first in enumerate(units):
        last = i
        while last + 1 < len(units) and units[last + 1].end - first.start <= limit:
            last += 1
        lead = (first.lead_start, first.lead_end) if 0 <= first.lead_start < first.start else (-1, -1)
        # Never stop just before a sentence that leans on this one, within half a budget more.
        while (
            last + 1 < len(units)
            and units[last + 1].section == units[last].section
            and _CONTINUES.match(text, units[last + 1].start)
            and units[last + 1].end - first.start <= limit * 3 // 2
        ):
            last += 1
        out.append(Span(first.start, units[last].end, first.section, *lead))
    return tuple(out)


# -- markdown -------------------------------------------------------------------------------------
# Structure comes from the markup itself: ATX and setext headings, a bold line standing alone,
# list items nested by indentation, pipe tables, HTML tables. Offsets stay those of the raw
# file; `assistant.ingest.markup.display_text` gives the readable form of any slice.

_MD_ATX = re.compile(r"[ \t]{0,3}(#{1,6})(?:[ \t]+|$)")
_MD_UNDERLINE = re.compile(r"[ \t]{0,3}(=+|-+)[ \t]*$")
_MD_RULE = re.compile(r"[ \t]{0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_MD_BOLD_LINE = re.compile(r"[ \t]*(\*\*|__)(?=\S)([^*_\n]+?)(?<=\S)\1[ \t]*:?[ \t]*$")
_MD_ITEM = re.compile(r"([ \t]*)([-*+]|\d{1,3}[.)])[ \t]+(?=\S)")
# Japanese list lines are not markdown lists but read as items all the same (no space after the marker).
_MD_JA_ITEM = re.compile(
    rf"([ \t]*)([・●○◦▪]|[（(](?:\d{{1,2}}|[{_KANJI_NUMBER}]{{1,3}})[)）]|[\u2460-\u2473]|\d{{1,2}}．|\d{{1,2}}\.(?=[^\x00-\x7f])|"
    rf"[{_KANJI_NUMBER}]{{1,3}}、)[ \t\u3000]*(?=\S)"
)
_MD_ATTRIBUTES = re.compile(r"[ \t]*\{:[^{}\n]*\}[ \t]*")
_MD_TAG = re.compile(r"[ \t]*(?:<!--.*?-->|</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>)[ \t]*")
_MD_TABLE_SEPARATOR = re.compile(r"[ \t]*\|?[ \t]*:?-{2,}:?[ \t]*(?:\|[ \t]*:?-{2,}:?[ \t]*)*\|?[ \t]*$")
_MD_FENCE = re.compile(r"[ \t]{0,3}(```|~~~)")
_MD_BOLD_DEPTH = 7  # a bold line heads a part of the section above it


@dataclass
class _MdLine:
    start: int  # offset of the line in the text
    raw: str  # without its line ending

    def trimmed(self) -> tuple[int, int]:
        """Offsets of the line's content without surrounding space, attribute lists or tags."""
        s, e = 0, len(self.raw)
        while True:  # leading tags and spaces
            m = _MD_TAG.match(self.raw, s)
            if m and m.end() > s and m.group(0).strip():
                s = m.end()
                continue
            while s < e and self.raw[s] in " \t":
                s += 1
            break
        changed = True
        while changed and e > s:
            changed = False
            body = self.raw[s:e]
            for pattern in (_MD_ATTRIBUTES, _MD_TAG):
                for m in pattern.finditer(body):
                    if m.end() == len(body) and m.group(0).strip() and not m.group(0).strip().lower().startswith("<br"):
                        e = s + m.start()
                        changed = True
                        break
                if changed:
                    break
            while e > s and self.raw[e - 1] in " \t":
                e -= 1
                changed = True
        return self.start + s, self.start + e


def _has_text(s: str) -> bool:
    return any(ch.isalnum() for ch in s)


def _markup_only(raw: str) -> bool:
    """Lines that carry no words: attribute lists, HTML tags alone, horizontal rules."""
    rest = _MD_ATTRIBUTES.sub("", _MD_TAG.sub("", raw))
    return not _has_text(rest)


class _MdOutline:
    def __init__(self) -> None:
        self.stack: list[tuple[int, str]] = []

    def push(self, depth: int, title: str) -> None:
        while self.stack and self.stack[-1][0] >= depth:
            self.stack.pop()
        if title:
            self.stack.append((depth, title))

    def path(self) -> str:
        return " > ".join(t for _, t in self.stack)


def _markdown_blocks(text: str) -> list[Block] | None:
    """Blocks of a markdown text, or None when it has no markdown headings to structure it by."""
    from assistant.ingest.markup import display_text

    lines: list[_MdLine] = []
    offset = 0
    for raw in text.splitlines(keepends=True):
        lines.append(_MdLine(offset, raw.rstrip("\r\n")))
        offset += len(raw)
    first = 0
    if lines and lines[0].raw.strip() == "---":  # YAML front matter
        end = next((i for i, ln in enumerate(lines[1:200], start=1) if ln.raw.strip() in ("---", "...")), None)
        if end is not None:
            first = end + 1

    outline = _MdOutline()
    blocks: list[Block] = []
    headings = 0
    # The paragraph being read: [start, end, label, lead, first-line offsets, is an item]
    para: list | None = None  # type: ignore[type-arg]
    items: list[tuple[int, tuple[int, int]]] = []  # open list items: indent, first line offsets
    list_lead: tuple[int, int] | None = None
    previous: tuple[int, int] | None = None  # the last plain paragraph of this section, if nothing followed it
    html_table = False
    row_lead: tuple[int, int] | None = None
    in_code = False

    def flush() -> None:
        nonlocal para, previous
        if para is not None:
            start, end, label, lead, _, is_item = para
            blocks.append(Block(outline.path(), label, start, end, lead))
            previous = None if is_item else (start, end)
        para = None

    def heading(depth: int, title: str) -> None:
        nonlocal items, list_lead, previous, headings
        flush()
        outline.push(depth, title)
        items, list_lead, previous = [], None, None
        headings += 1

    i = first
    while i < len(lines):
        line = lines[i]
        raw = line.raw
        i += 1
        if _MD_FENCE.match(raw):
            flush()
            in_code = not in_code
            continue
        if not raw.strip():
            flush()
            continue
        if in_code:
            s, e = line.trimmed()
            if s < e:
                blocks.append(Block(outline.path(), "", s, e, None))
            continue
        m = _MD_ATX.match(raw)
        if m:
            heading(len(m.group(1)), display_text(raw, "markdown"))
            continue
        if _MD_UNDERLINE.match(raw) and para is not None and not para[5] and not html_table:
            # Setext: the paragraph just read was a heading.
            start, end = para[0], para[1]
            para = None
            heading(1 if raw.strip().startswith("=") else 2, display_text(text[start:end], "markdown"))
            continue
        if "|" in raw and i < len(lines) and _MD_TABLE_SEPARATOR.match(lines[i].raw) and "|" in lines[i].raw:
            flush()
            header = _table_cells(line)
            lead = header if header and _has_text(text[header[0] : header[1]]) else (list_lead or previous)
            i += 1
            while i < len(lines) and "|" in lines[i].raw and lines[i].raw.strip():
                row = _table_cells(lines[i])
                if row and _has_text(text[row[0] : row[1]]):
                    blocks.append(Block(outline.path(), "", row[0], row[1], lead))
                i += 1
            previous = None
            continue
        low = raw.lower()
        if "<table" in low:
            html_table, row_lead = True, None
        if "<tr" in low:
            row_lead = None
        if _MD_RULE.match(raw) or _markup_only(raw):
            flush()
            if "</table" in low:
                html_table, row_lead = False, None
            continue
        if _MD_BOLD_LINE.match(raw) and not _MD_ITEM.match(raw):
            heading(_MD_BOLD_DEPTH, display_text(raw, "markdown"))
            continue
        depth = _md_japanese_heading(raw, _nearby(lines, i - 2, -1), _nearby(lines, i, 1))
        if depth:
            heading(depth, display_text(raw, "markdown"))
            continue
        s, e = line.trimmed()
        if s >= e:
            continue
        if html_table:
            # An HTML table row: the first cell names the row; the other cells are read under it.
            flush()
            if "<th" in low:
                continue  # a column header
            blocks.append(Block(outline.path(), "", s, e, row_lead))
            if row_lead is None:
                row_lead = (s, e)
            continue
        m = _MD_ITEM.match(raw) or _MD_JA_ITEM.match(raw)
        if m:
            flush()
            indent = len(m.group(1).expandtabs(4))
            while items and items[-1][0] >= indent:
                items.pop()
            if not items and list_lead is None:
                list_lead = previous
            lead = items[-1][1] if items else list_lead
            start = line.start + m.end()
            _, e = line.trimmed()
            marker = m.group(2)
            label = "" if marker in "-*+・●○◦▪" else marker.strip("()（）.．、")
            para = [start, e, label, lead, (start, e), True]
            items.append((indent, (start, e)))
            continue
        if raw.lstrip().lower().startswith("<li"):
            flush()
            blocks.append(Block(outline.path(), "", s, e, list_lead or previous))
            continue
        if para is not None:
            para[1] = e  # a soft-wrapped line of the same paragraph or item
            continue
        flush()
        indented = len(raw) - len(raw.lstrip()) >= 2
        if items and indented:
            para = [s, e, "", items[-1][1], (s, e), True]  # a paragraph inside a list item
            continue
        items, list_lead = [], None
        para = [s, e, "", None, (s, e), False]
    flush()
    return blocks if headings else None


def _nearby(lines: list[_MdLine], i: int, step: int) -> str | None:
    """The nearest non-blank line from index i on, going `step` (-1 back, 1 on)."""
    while 0 <= i < len(lines):
        if lines[i].raw.strip():
            return lines[i].raw
        i += step
    return None


def _md_japanese_heading(raw: str, previous: str | None, following: str | None) -> int:
    """The outline depth of a Japanese heading line in markdown (第1章, 第3条, 【…】, ■…), or 0."""
    line = _parse_line(raw, 0, raw)
    if line is None or not ((line.kind == "bullet" and line.glyph in _HEADING_MARKS) or (line.kind in _TITLE_MARKERS and not line.glyph)):
        return 0
    before = _parse_line(previous, 0, previous) if previous else None
    after = _parse_line(following, 0, following) if following else None
    if line.kind == "bullet":
        return _MD_BOLD_DEPTH + 2 + _HEADING_MARKS.index(line.glyph) if _mark_heading(line, before, after) else 0
    if not _looks_like_heading(line, after):
        return 0
    return _MD_BOLD_DEPTH + (0 if line.kind == "chapter" else 1)


def _table_cells(line: _MdLine) -> tuple[int, int] | None:
    """Offsets of a table row between its outer pipes."""
    raw = line.raw
    s, e = 0, len(raw.rstrip())
    while s < e and raw[s] in " \t":
        s += 1
    if s < e and raw[s] == "|":
        s += 1
    if e > s and raw[e - 1] == "|" and (e < 2 or raw[e - 2] != "\\"):
        e -= 1
    while s < e and raw[s] in " \t":
        s += 1
    while e > s and raw[e - 1] in " \t":
        e -= 1
    return (line.start + s, line.start + e) if s < e else None


def _paragraph_blocks(text: str) -> list[Block]:
    """Each non-empty line as a clause with no section: the fallback that always indexes."""
    blocks: list[Block] = []
    offset = 0
    for raw in text.splitlines(keepends=True):
        line = raw.rstrip("\r\n")
        if _has_text(line):
            s = offset + len(line) - len(line.lstrip())
            blocks.append(Block("", "", s, offset + len(line.rstrip())))
        offset += len(raw)
    return blocks


def split_into_clauses(
    document: Document,
    max_len: int = 600,
    measure: Measure = len,
    passage_chars: int = PASSAGE_CHARS,
) -> list[Chunk]:
    """Split a document into clause chunks, each fitting `max_len` as counted by `measure`,
    with their citable passages (see `passages`)."""
    text = document.text
    chunks: list[Chunk] = []
    group: list[Span] = []
    group_section: str | None = None

    def flush() -> None:
        nonlocal group
        if group:
            start, end = group[0].start, group[-1].end
            body = text[start:end]
            chunks.append(
                Chunk(
                    id=chunk_id(document.doc_id, start, end, body),
                    company=document.company,
                    doc_id=document.doc_id,
                    section=group_section or "",
                    start=start,
                    end=end,
                    text=body,
                    spans=passages(text, group, passage_chars),
                )
            )
        group = []

    for block in split_into_blocks(text, document.format):
        section, label, start, end = block.section, block.label, block.start, block.end
        lead_start, lead_end = block.lead or (-1, -1)
        span_section = f"{section} > {label}" if section and label else (section or label)
        budget = max(40, max_len - measure(section))
        spans = [
            Span(s, e, span_section, lead_start, lead_end)
            for ss, se in _sentences(text, start, end)
            for s, e in _split_long(text, ss, se, budget, measure)
        ]
        for span in spans:
            candidate_len = measure(text[group[0].start : span.end]) if group else 0
            if group and (section != group_section or candidate_len > budget):
                flush()
            if not group:
                group_section = section
            group.append(span)
    flush()
    return chunks
