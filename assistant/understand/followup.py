"""Whether a message leans on the previous turn ("And what do I write on the envelope?", 「その場合は？」)."""

from __future__ import annotations

import re

from assistant.search.lexical import japanese_morphemes
from assistant.understand.language import detect_language

_FOLLOW_UP = re.compile(
    r"^\s*(and|also|what about|how about|then|so|but|ok(ay)?|and what|what if|is that|does that|do they|is it|are they|"
    r"can they|what else|anything else|same for|in that case)\b|\b(it|that|this|they|them|those|there|instead|too|as well|either)\b\??\s*$",
    re.IGNORECASE,
)
# Japanese marks the same by grammar: a demonstrative of the ko-/so-/a- series (それ, その場合,
# そこ), an opening conjunction or particle (じゃあ, では, で), or a topic left unsaid (「住所は？」
# 「URLを教えてください」: a single noun, compound or not; none at all is a thank-you more often than a question).
_DEMONSTRATIVE_POS = frozenset({"代名詞", "連体詞"})
_OPENING_POS = frozenset({"接続詞", "助詞"})
_SKIPPED_POS = frozenset({"補助記号", "空白", "記号"})


def leans_on_previous(text: str) -> bool:
    """True when `text` reads as a follow-up to the turn before it."""
    if detect_language(text) != "ja":
        return bool(_FOLLOW_UP.search(text))
    words = [(w, pos) for w, pos in japanese_morphemes(text) if pos not in _SKIPPED_POS]
    if not words:
        return False
    if words[0][1] in _OPENING_POS:
        return True
    if any(pos in _DEMONSTRATIVE_POS and w[0] in "こそあ" for w, pos in words):
        return True
    # Nouns in a row are one compound (電話 番号, メール アドレス): count the runs.
    runs = sum(pos == "名詞" and (i == 0 or words[i - 1][1] != "名詞") for i, (_, pos) in enumerate(words))
    return runs == 1
