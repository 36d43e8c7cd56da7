"""The staff console's string table (api/static/console.js STRINGS): English and Japanese have the same
keys and placeholders, and every text console.html shows comes from the table by a key it has."""

from __future__ import annotations

import ast
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

STATIC = Path(__file__).resolve().parents[2] / "api" / "static"
CONSOLE_JS = STATIC / "console.js"
CONSOLE_HTML = STATIC / "console.html"
# The switch's names: each language written in itself, the same on either console.
LANGUAGE_NAMES = {"English", "日本語"}
I18N_ATTRS = ("placeholder", "aria-label", "title")


def console_strings(source: str) -> dict[str, Any]:
    """STRINGS from console.js's source: {lang: {key: text or {value: text}}}.

    The table is an object literal of strings and nested objects; quoting its bare keys, dropping its
    comments, trailing commas and `+` joins makes it JSON."""
    found = re.search(r"\n  var STRINGS = (\{\n.*?\n  \});\n", source, re.S)
    assert found, "no `var STRINGS = {...};` in console.js"
    body = "\n".join(line for line in found.group(1).splitlines() if not line.strip().startswith("//"))
    body = re.sub(r'"\s*\+\s*"', "", body)  # "a " +\n "b" -> "a b"
    body = re.sub(r"^(\s*)([A-Za-z_]\w*):", r'\1"\2":', body, flags=re.M)
    body = re.sub(r",(\s*\})", r"\1", body)
    table: dict[str, Any] = json.loads(body)
    return table


def flatten(table: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """{"key": text, "nested.value": text}."""
    out: dict[str, str] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            assert isinstance(value, str), f"{prefix}{key}"
            out[prefix + key] = value
    return out


class _Page(HTMLParser):
    """console.html's data-i18n* keys, and any text or labelling attribute written in the page itself."""

    def __init__(self) -> None:
        super().__init__()
        self.keys: list[str] = []
        self.literal: list[str] = []
        self._open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        for name, value in named.items():
            if name.startswith("data-i18n"):
                self.keys.append(value or "")
        for name in I18N_ATTRS:
            if named.get(name):
                self.literal.append(f"<{tag} {name}={named[name]!r}>")
        if tag not in ("input", "meta", "link", "br"):
            self._open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        while self._open and self._open.pop() != tag:
            pass

    def handle_data(self, data: str) -> None:
        text = data.strip()
        if text and not (self._open and self._open[-1] in ("script", "style")) and text not in LANGUAGE_NAMES:
            self.literal.append(text)


def page() -> _Page:
    parsed = _Page()
    parsed.feed(CONSOLE_HTML.read_text(encoding="utf-8"))
    return parsed


def test_english_and_japanese_have_the_same_keys_and_placeholders() -> None:
    table = console_strings(CONSOLE_JS.read_text(encoding="utf-8"))
    assert set(table) == {"en", "ja"}
    english, japanese = flatten(table["en"]), flatten(table["ja"])
    assert len(english) > 100
    assert sorted(set(english) - set(japanese)) == [], "English texts with no Japanese"
    assert sorted(set(japanese) - set(english)) == [], "Japanese texts with no English"
    for key, text in english.items():
        assert sorted(re.findall(r"\{\w+\}", text)) == sorted(re.findall(r"\{\w+\}", japanese[key])), key
        # data-i18n-rich marks: the same number of bold and code spans.
        assert (text.count("*"), text.count("`")) == (japanese[key].count("*"), japanese[key].count("`")), key
        assert japanese[key].strip() or key == "sentenceGap", f"empty Japanese for {key}"


def test_the_japanese_texts_are_japanese() -> None:
    """A Japanese entry copied from English would pass the key check: each one that has letters has kana or kanji,
    or is a value written the same in both (an id, an acronym)."""
    table = console_strings(CONSOLE_JS.read_text(encoding="utf-8"))
    english, japanese = flatten(table["en"]), flatten(table["ja"])
    same = {"channels.api"}  # "api" / "API"
    untranslated = [
        key
        for key, text in japanese.items()
        if re.search(r"[A-Za-z]{2}", text) and not re.search(r"[\u3040-\u30ff\u3400-\u9fff]", text) and key not in same
    ]
    assert untranslated == []
    assert all(japanese[k] != english[k] for k in japanese if re.search(r"[A-Za-z]{2}", english[k]) and k not in same)


def test_every_key_console_html_uses_is_in_the_table() -> None:
    table = console_strings(CONSOLE_JS.read_text(encoding="utf-8"))
    parsed = page()
    assert len(parsed.keys) > 50
    for lang in ("en", "ja"):
        missing = sorted({k for k in parsed.keys if not isinstance(table[lang].get(k), str)})
        assert missing == [], f"{lang}: console.html names keys STRINGS lacks: {missing}"


def test_console_html_writes_no_text_of_its_own() -> None:
    """Its texts and aria-label/placeholder/title attributes come from the table (data-i18n*), so none stays
    English on a Japanese console; only the language switch's names are written in the page."""
    assert page().literal == []


def test_the_checks_catch_an_english_text_without_its_japanese() -> None:
    source = CONSOLE_JS.read_text(encoding="utf-8")
    planted = source.replace(
        '      pageTitle: "Privacy desk console",\n', '      pageTitle: "Privacy desk console",\n      newThing: "New",\n', 1
    )
    english, japanese = (flatten(t) for t in console_strings(planted).values())
    assert set(english) - set(japanese) == {"newThing"}
    parsed = _Page()
    parsed.feed('<p data-i18n="pageTitle"></p><button>Send</button><input placeholder="Ask">')
    assert parsed.keys == ["pageTitle"] and parsed.literal == ["Send", "<input placeholder='Ask'>"]


def test_every_value_the_api_gives_the_console_has_a_japanese_name() -> None:
    # Statuses, request types and the audit trail's library notes come named from GET /v1/meta (the library's
    # own catalog); routes from the console's table. A value added to the library without its name would
    # show in English (or as its id) on a Japanese console.
    from assistant.vocabulary import AUDIT_NOTES, REQUEST_TYPES, ROUTES, STATUSES, meta

    served = meta()
    for kind, ids in (("statuses", STATUSES), ("request_types", REQUEST_TYPES), ("audit_notes", AUDIT_NOTES)):
        labels = {x["id"]: x["labels"] for x in served[kind]}
        assert set(labels) == set(ids), kind
        for value, names in labels.items():
            assert set(names) == {"en", "ja"} and names["ja"] and names["ja"] != names["en"], (kind, value, names)
            assert _JAPANESE.search(names["ja"]), (kind, value, names)
    ja = console_strings(CONSOLE_JS.read_text(encoding="utf-8"))["ja"]
    missing = sorted(set(ROUTES) - set(ja["routes"]))
    assert not missing, f"STRINGS.ja.routes lacks {missing}"


_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
# The audit entries the library builds: the table row, and the view the API serves.
_EVENT_TYPES = {"TicketEvent", "TicketEventView"}
# TicketEventView's positional fields up to note_code (from_status, to_status, actor, note, created_at, note_code).
_CODE_POSITION = 5


def uncoded_notes(source: str, where: str) -> list[str]:
    """Each audit entry built in `source` with no note code, but a status change's (staff's own words, handed in
    as the `note` of `set_status`): a note the library wrote without its code would show in English only."""
    found: list[str] = []

    def visit(node: ast.AST, function: str) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            function = node.name
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else node.func.attr if isinstance(node.func, ast.Attribute) else ""
            keywords = {k.arg: k.value for k in node.keywords}
            if name in _EVENT_TYPES and "note_code" not in keywords and len(node.args) <= _CODE_POSITION:
                note = keywords.get("note", node.args[3] if len(node.args) > 3 else None)
                if not (function == "set_status" and isinstance(note, ast.Name) and note.id == "note"):
                    found.append(f"{where}:{node.lineno}: {ast.unparse(node)}")
        for child in ast.iter_child_nodes(node):
            visit(child, function)

    visit(ast.parse(source), "")
    return found


def test_every_note_the_library_writes_carries_a_code() -> None:
    """Read from the source: every audit entry the library builds names its note by code (the staff API serves it
    as `note_code`, GET /v1/meta words it), except a status change, whose note is staff's own words."""
    root = Path(__file__).resolve().parents[2]
    built, found = 0, []
    for path in sorted((root / "assistant").rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        built += sum(source.count(f"{name}(") for name in _EVENT_TYPES)
        found += uncoded_notes(source, path.relative_to(root).as_posix())
    assert built >= 8, "the scan no longer sees the audit entries the desk builds"
    assert found == [], "audit notes without a code (give them one in vocabulary.AUDIT_NOTES and the catalog):\n" + "\n".join(found)


def test_the_code_check_catches_a_note_without_its_code() -> None:
    planted = """
def assign(db, row, actor, now, name):
    db.add(TicketEvent(ticket_number=row.number, actor=actor, note=f"assigned to {name}", created_at=now))
    TicketEventView(row.status, row.status, actor, "assigned", now)
def set_status(db, row, actor, note, now):
    db.add(TicketEvent(ticket_number=row.number, actor=actor, note=note, created_at=now))
    db.add(TicketEvent(ticket_number=row.number, actor=actor, note="status changed", created_at=now))
    TicketEventView(row.status, row.status, actor, note, now)
"""
    assert [line.split(":")[1] for line in uncoded_notes(planted, "x.py")] == ["3", "4", "7"]


def test_the_console_words_library_notes_by_code_not_by_their_english() -> None:
    """No table keyed by the English the desk stores: that breaks silently when the wording changes. The console
    words a note from its code (GET /v1/meta's audit_notes) and shows any other as stored."""
    from assistant.desk.tickets import library_note
    from assistant.vocabulary import AUDIT_NOTES, meta

    source = CONSOLE_JS.read_text(encoding="utf-8")
    table = console_strings(source)
    assert not any("eventNotes" in table[lang] for lang in table)
    english = sorted(note for code in AUDIT_NOTES if f'"{(note := library_note(code))}"' in source)  # type: ignore[arg-type]
    assert english == [], f"console.js spells out the library's English notes: {english}"
    assert "note_code" in source and "audit_notes" in source
    # The console fills in plain {name} fields itself: no format spec or conversion in a note's wording.
    for note in meta()["audit_notes"]:
        for text in note["labels"].values():
            assert all(re.fullmatch(r"\w+", f) for f in re.findall(r"\{([^}]*)\}", text)), text
