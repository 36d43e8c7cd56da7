"""Redacting personal data that customers paste into chat (logs, transcripts)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

# Patterns run on a folded copy (NFKC, so fullwidth digits, letters, ＠ and （） become ASCII; dashes
# become "-"), and the span they match is replaced in the original text. Digits are [0-9], never
# \d or \b: kana and kanji are word characters, so \b never falls between 電話 and 090.
_DASHES = dict.fromkeys("‐‑‒–—―−﹣－⁃", "-")
_INVISIBLE = dict.fromkeys("\u00ad\u200b\u200c\u200d\u2060\ufeff", "")  # would split a number in two
_LONG_VOWEL = "ー"  # katakana (メール): a dash only between digits, as in 090ー1234ー5678
_NEEDS_FOLDING = re.compile("[" + "".join(_DASHES) + "".join(_INVISIBLE) + "]|[0-9]ー[0-9]")
# Kana, kanji and fullwidth forms: not part of an e-mail address written right after 連絡先は.
_JA = "\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
# Starts only where a run of address characters starts: trying every position of a long run is quadratic.
_LOCAL = rf"(?<![^\W{_JA}])(?<![.+\-%*!'#$&=?^`{{|}}~/])(?:[^\W{_JA}]|[.+\-%*!'#$&=?^`{{|}}~/])+"
_LABEL = rf"(?:[^\W{_JA}]|-)+"
_NO_DIGIT_BEFORE = r"(?<![0-9])"
_NO_NUMBER_AFTER = r"(?![0-9]|[\-.][0-9])"
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"

# A run of digit groups joined by single separators, e.g. 090-1234-5678, +81 3 1234 5678, 03(1234)5678;
# `_phone_spans` decides which consecutive groups of the run form a phone number.
_NUMBER_RUN = re.compile(r"\+?\(?[0-9]++(?:(?:\)?[ \-.]\(?|\)|\()[0-9]++)*+\)?")
_GROUP = re.compile(r"[0-9]+")


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    return _DASHES.get(ch) or _INVISIBLE.get(ch, unicodedata.normalize("NFKC", ch))


def _folded(text: str) -> tuple[str, list[int] | None]:
    """The text as the patterns see it, and for each of its characters the index it came from."""
    if text.isascii() or (unicodedata.is_normalized("NFKC", text) and not _NEEDS_FOLDING.search(text)):
        return text, None
    pieces: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        folded = _fold_char(ch)
        if folded == _LONG_VOWEL and 0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit():
            folded = "-"
        pieces.append(folded)
        origin.extend([i] * len(folded))
    return "".join(pieces), origin


def _phone_spans(run: str) -> list[tuple[int, int]]:
    """Spans (within `run`) of the phone numbers in a run of digit groups, leftmost-longest."""
    groups = [(m.start(), m.end()) for m in _GROUP.finditer(run)]
    plus = run.startswith("+")
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(groups):
        for j in range(min(len(groups), i + 5) - 1, i - 1, -1):
            if _is_phone([e - s for s, e in groups[i : j + 1]], plus and i == 0, run[groups[i][0] : groups[j][1]]):
                start, end = groups[i][0], groups[j][1]
                if plus and i == 0:
                    start = 0
                elif run[start - 1 : start] == "(" and run[groups[i][1] : groups[i][1] + 1] == ")":
                    start -= 1  # "(03) 1234-5678": the area code's brackets go too
                if run[end : end + 1] == ")" and run[groups[j][0] - 1 : groups[j][0]] == "(":
                    end += 1
                spans.append((start, end))
                i = j
                break
        i += 1
    return spans


def _is_phone(sizes: list[int], international: bool, digits: str) -> bool:
    total = sum(sizes)
    if international:  # +819012345678, +81 9012345678, +8190-1234-5678, +81 3 1234 5678
        return 8 <= total <= 15 and (len(sizes) <= 2 or (sizes[0] <= 7 and all(s <= 4 for s in sizes[1:]) and sizes[-1] >= 3))
    if len(sizes) == 1:  # no separators: 09012345678, never a year or a clause number
        return total in (10, 11) and digits[0] == "0"
    # At least 9 digits: a year range (2019-2024) or a time is no phone number; with the area code,
    # Japanese numbers have 10 or 11.
    return all(s <= 4 for s in sizes) and sizes[-1] >= 3 and 9 <= total <= 15


def _replace(text: str, folded: str, origin: list[int] | None, spans: list[tuple[int, int]], tag: str) -> str:
    """`text` with the characters behind each span of `folded` replaced by the tag."""
    out: list[str] = []
    last = 0
    for start, end in spans:
        if origin is not None:
            start, end = origin[start], origin[end - 1] + 1
        out.append(text[last:start])
        out.append(f"[{tag}]")
        last = end
    out.append(text[last:])
    return "".join(out)


def _find_phones(folded: str) -> list[tuple[int, int]]:
    return [(m.start() + s, m.start() + e) for m in _NUMBER_RUN.finditer(folded) for s, e in _phone_spans(m.group())]


def _matches(pattern: str) -> Callable[[str], list[tuple[int, int]]]:
    compiled = re.compile(pattern)
    return lambda folded: [m.span() for m in compiled.finditer(folded)]


# Japanese names and home addresses have no shape of their own (東京都港区 is as likely a company's
# office), so they are taken where the message introduces them: after a label (氏名は, 住所：) or
# in a self-introduction (私は…と申します), or an address before 在住 / に住んでいます.
_KANJI = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々〆ヵヶ"
_KATAKANA = "\u30a1-\u30fa\u30fc"
_HIRAGANA = "\u3041-\u3096"
# A given name in hiragana only after a space: unspaced, it could not be told from the です that follows.
_NAME = (
    rf"(?:[{_KANJI}]{{1,4}}(?: [{_KANJI}{_HIRAGANA}{_KATAKANA}]{{1,5}}| ?[{_KANJI}{_KATAKANA}]{{1,5}})?"
    rf"|[{_KATAKANA}]{{2,8}}(?:[ ・][{_KATAKANA}]{{2,8}})?)"
)
_NAME_END = r"(?=です(?!か)|でございます|と申します|といいます|と言います|と申す|[、。,.!?)\s]|$)"
_NAME_LABEL = r"(?:氏名|お名前|名前|姓名|フルネーム|名義人?|契約者名|申請者名|請求者名)"
# Who "私は…です" says the writer is, when it is not a name.
_ROLE = (
    r"(?:本人|(?:法定)?代理人|(?:成年)?後見人|保護者|親権者|親|父親?|母親?|家族|妻|夫|息子|娘|長男|長女|弁護士|会員|利用者|ユーザー"
    r"|顧客|客|株主|取引先|契約者|応募者|退会者|学生|大学生|高校生|中学生|会社員|社員|従業員|担当者?|主婦|未成年|日本人|外国人)"
)
_SELF = r"(?:私|わたし|わたくし|僕|ぼく|俺|当方)"
_INTRODUCED_NAME = (
    rf"{_NAME_LABEL}(?:は|:| )\s*({_NAME}){_NAME_END}"
    rf"|{_SELF}(?:は|、)\s*(?!{_ROLE}(?:です|でございます))({_NAME})(?=\s*(?:です(?!か)|でございます|と申します|といいます|と言います))"
    rf"|(?:^|(?<=[、。,.!?\s]))({_NAME})(?=\s*(?:と申します|といいます|と言います))"
)
_PREFECTURE = rf"(?:東京都|北海道|(?:大阪|京都)府|[{_KANJI}]{{2,3}}県)"
_MUNICIPALITY = rf"(?:[{_KANJI}]{{1,6}}?|[{_HIRAGANA}]{{2,5}}+)[市区町村郡]"  # 横浜市, さいたま市
# Possessive throughout: each address is tried from few places (after a label, or in a short stretch
# before 在住), and a pattern that could split a run of kanji or digits in many ways would backtrack
# for minutes over "区区区…".
_ADDRESS_REST = (
    rf"(?:[{_KANJI}{_KATAKANA}]++|[{_HIRAGANA}]{{2,5}}+[市区町村郡]|[がの](?=[{_KANJI}{_KATAKANA}])"  # 霞が関
    r"|[0-9]++(?:丁目|番地|番|号室|号|階|F)?+|-)*+"
)
_BUILDING = rf"(?: ?[{_KATAKANA}{_KANJI}A-Za-z]{{1,20}}+[0-9]++(?:号室|階|F))"  # 都庁ビル301号室, メゾン青山2F
_ADDRESS = re.compile(rf"(?:{_PREFECTURE}|{_MUNICIPALITY}){_ADDRESS_REST}{_BUILDING}?+")
_ADDRESS_LABEL = re.compile(
    r"(?:住所|居所|自宅|住まい|居住地|お届け先|送付先|送り先|転居先|引っ越し先|引越し先|引越先)(?:は|:| |が)?\s*(?:\[POSTCODE\]\s*)?"
)
_RESIDES = re.compile(r"\s*(?:に住んで|在住|に引っ越|へ引っ越|に転居|へ転居)")
_ADDRESS_BEFORE = 40  # characters an address before 在住 may take


def _find_addresses(folded: str) -> list[tuple[int, int]]:
    """Addresses after a label (住所は…), and before a word of residing (…在住), leftmost first."""
    spans = []
    for label in _ADDRESS_LABEL.finditer(folded):
        if m := _ADDRESS.match(folded, label.end()):
            spans.append(m.span())
    for resides in _RESIDES.finditer(folded):
        end = resides.start()
        # The longest address that ends where the word of residing starts.
        for start in range(max(0, end - _ADDRESS_BEFORE), end):
            if _ADDRESS.fullmatch(folded, start, end):
                spans.append((start, end))
                break
    merged: list[tuple[int, int]] = []
    for span in sorted(set(spans)):
        if not merged or span[0] >= merged[-1][1]:
            merged.append(span)
    return merged


def _groups(pattern: str) -> Callable[[str], list[tuple[int, int]]]:
    """Spans of whichever group of `pattern` matched (the label around it stays)."""
    compiled = re.compile(pattern)
    return lambda folded: [m.span(m.lastindex or 0) for m in compiled.finditer(folded)]


# In this order: an e-mail address or card number may contain what looks like a phone number.
_STEPS: tuple[tuple[str, Callable[[str], list[tuple[int, int]]]], ...] = (
    ("EMAIL", _matches(rf"{_LOCAL}@{_LABEL}(?:\.{_LABEL})+")),
    ("CARD", _matches(rf"{_NO_DIGIT_BEFORE}[0-9](?:[ \-]?[0-9]){{12,18}}(?![0-9])")),
    # My Number (個人番号): 12 digits, plain or in fours.
    ("ID", _matches(rf"(?<![0-9+])[0-9]{{4}}([ \-]?)[0-9]{{4}}\1[0-9]{{4}}{_NO_NUMBER_AFTER}")),
    ("IP", _matches(rf"(?<![0-9.]){_OCTET}(?:\.{_OCTET}){{3}}{_NO_NUMBER_AFTER}")),
    (
        "POSTCODE",
        _matches(
            r"〒\s?[0-9]{3}-?[0-9]{4}(?![0-9])"
            r"|(?:(?<=郵便番号)|(?<=郵便番号:)|(?<=郵便番号は))\s?[0-9]{7}(?![0-9])"
            rf"|(?<![0-9+)])(?<![0-9)][ .\-])[0-9]{{3}}-[0-9]{{4}}{_NO_NUMBER_AFTER}"
        ),
    ),
    ("PHONE", _find_phones),
    ("ID", _matches(r"(?<![A-Za-z0-9])[A-Z]{1,2}[0-9]{6,9}(?![A-Za-z0-9])")),
    ("ADDRESS", _find_addresses),
    ("NAME", _groups(_INTRODUCED_NAME)),
)


def redact(text: str) -> str:
    """Replace e-mail addresses, phone, card, ID and My Number numbers, IPv4 addresses, postcodes, and the
    names and home addresses a Japanese message introduces, with tags."""
    folded, origin = _folded(text)
    for tag, find in _STEPS:
        spans = find(folded)
        if spans:  # fold again only after a change (folding a long Japanese text costs more than matching)
            text = _replace(text, folded, origin, spans, tag)
            folded, origin = _folded(text)
    return text


def phone_spans(text: str) -> list[tuple[int, int]]:
    """Where `text` writes a phone number (03-1234-5678, +81 3 1234 5678, ０３（１２３４）５６７８, 電話090-…)."""
    folded, origin = _folded(text)
    spans = _find_phones(folded)
    return spans if origin is None else [(origin[s], origin[e - 1] + 1) for s, e in spans]


def contains_personal_data(text: str) -> bool:
    """Whether `redact` would change the text."""
    return redact(text) != text
