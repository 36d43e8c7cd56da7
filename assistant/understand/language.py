"""Which language a message or a passage is written in: English, Japanese, or another one.

Only two languages are supported, so a script count decides most messages (kana means
Japanese; Hangul, Cyrillic, Arabic... mean another language) and a short list of the commonest
function words tells English from other Latin-script languages."""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

Language = Literal["en", "ja"]
Detected = Literal["en", "ja", "other"]
SUPPORTED: tuple[Language, ...] = ("en", "ja")

_KANA = re.compile(r"[\u3040-\u30ff\uff66-\uff9f]")  # hiragana, katakana, half-width katakana
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
# Letters of scripts that are neither Latin nor Japanese: Greek, Cyrillic, Hebrew, Arabic,
# Devanagari, Thai, Hangul and the rest.
_OTHER_SCRIPT = re.compile(r"[\u0370-\u03ff\u0400-\u052f\u0590-\u06ff\u0900-\u0dff\u0e00-\u0eff\u1100-\u11ff\uac00-\ud7af]")
# Characters of Chinese (simplified or traditional) that Japanese does not write: text in Han
# characters alone is Japanese ("個人情報開示請求") unless it holds some of these.
_CHINESE_ONLY = frozenset("这们么吗您请删说没还让给发对从为题问关们們嗎刪說這沒還讓給發對從")
_WORD = re.compile(r"[a-z\u00c0-\u024f']+")
# The commonest English function words, and some of the commonest of the Latin-script
# languages most often confused with it; a few words suffice to tell them apart.
_ENGLISH = frozenset(
    re.findall(
        r"\S+",
        "the a an and or of to in on for with is are was be do does did can could would will my me i you your we our "
        "it this that what how why when where who which data information personal privacy policy please not no "
        "have has about from by if any delete stop share",
    )
)
_NOT_ENGLISH = frozenset(
    re.findall(
        r"\S+",
        "le la les des une est et je vous nous pas que qui pour avec sur dans mes mon "  # French
        "der die das und ist ich sie nicht mit für ein eine meine wie was "  # German
        "el los las y es yo usted que por para con una mis cómo qué "  # Spanish
        "il di che non per una sono mio "  # Italian
        "o os e é eu você não com uma meus "  # Portuguese
        "het een en ik niet van voor mijn "  # Dutch
        "och är jag inte att med "  # Swedish
        "się nie jest ja moje",  # Polish
    )
)


def detect_language(text: str) -> Detected:
    """'ja' for Japanese, 'en' for English, 'other' for anything else.

    Undecidable text (an e-mail address, "GMO?", digits, emoji) counts as English: it is
    answered, and the English reply suits a name or a number as well as any."""
    norm = unicodedata.normalize("NFKC", text)
    kana = len(_KANA.findall(text))
    han = len(_HAN.findall(norm))
    other = len(_OTHER_SCRIPT.findall(norm))
    latin = len(_LATIN.findall(norm))
    if kana:
        # Kana is Japanese only; a quoted Japanese name inside a Korean sentence is rare.
        return "ja" if kana + han >= other else "other"
    if other > max(latin, han):
        return "other"
    if han > latin:
        return "other" if any(ch in _CHINESE_ONLY for ch in norm) else "ja"
    words = _WORD.findall(norm.lower())
    english = sum(1 for w in words if w in _ENGLISH)
    foreign = sum(1 for w in words if w in _NOT_ENGLISH and w not in _ENGLISH)
    if foreign >= 2 and foreign > english:
        return "other"
    return "en"


def supported(language: str | None) -> Language:
    """`language` when it is supported, else English (the default for replies)."""
    return "ja" if language == "ja" else "en"


def from_accept_language(header: str | None) -> Language:
    """The supported language an HTTP `Accept-Language` header prefers most; English by default."""
    best: tuple[float, Language] | None = None
    for part in (header or "").split(","):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in SUPPORTED:
            continue
        q = 1.0
        for p in params.split(";"):
            name, _, value = p.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > 0 and (best is None or q > best[0]):
            best = (q, supported(primary))
    return best[1] if best else "en"
