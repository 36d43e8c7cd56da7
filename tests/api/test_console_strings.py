"""The staff console's string table (api/static/console.js STRINGS): English and Japanese have the same
keys and placeholders, and every text console.html shows comes from the table by a key it has."""

from __future__ import annotations

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
    # Statuses and request types come named from GET /v1/meta (the library's own catalog); routes and
    # the fixed audit notes from the console's tables. A value added to the library without its
    # name would show in English (or as its id) on a Japanese console.
    from assistant.vocabulary import REQUEST_TYPES, ROUTES, STATUSES, meta

    served = meta()
    for kind, ids in (("statuses", STATUSES), ("request_types", REQUEST_TYPES)):
        labels = {x["id"]: x["labels"] for x in served[kind]}
        assert set(labels) == set(ids), kind
        for value, names in labels.items():
            assert set(names) == {"en", "ja"} and names["ja"] and names["ja"] != names["en"], (kind, value, names)
    from assistant.desk.tickets import library_note
    from assistant.vocabulary import AUDIT_NOTES

    notes = {library_note(code) for code in AUDIT_NOTES}  # type: ignore[arg-type]
    assert "request received" in notes and "message from the customer" in notes
    ja = console_strings(CONSOLE_JS.read_text(encoding="utf-8"))["ja"]
    for table, values in (("routes", ROUTES), ("eventNotes", notes)):
        missing = sorted(set(values) - set(ja[table]))
        assert not missing, f"STRINGS.ja.{table} lacks {missing}"
