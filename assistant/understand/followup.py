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
# そこ; not あなた or ある, which only start like one), or an opening conjunction or particle
# (じゃあ, では, で).
_DEMONSTRATIVES = frozenset(
    {
        *("これ", "それ", "あれ", "この", "その", "あの", "ここ", "そこ", "あそこ"),
        *("こちら", "そちら", "あちら", "こっち", "そっち", "あっち", "こんな", "そんな", "あんな"),
    }
)
_OPENING_POS = frozenset({"接続詞", "助詞"})
_SKIPPED_POS = frozenset({"補助記号", "空白", "記号"})
# A message that asks something: a question mark, or a Japanese question or request ending.
_ASKS = re.compile(r"[?？]|(ください|下さい|教えて|知りたい|ますか|ですか|でしょうか)[。．.!！\s]*$")


# A message that asks a question, not for something: a question mark, a Japanese question ending
# (か, かな, でしょう, の), or an English sentence opening with a question word or an auxiliary.
_QUESTION_JA = re.compile(r"(か|かな|かしら|でしょう|だろう|の)[。．.!！\s]*$")
# A request put as a question is still a request: 「削除してもらえないでしょうか。」, "Could you delete it?".
_REQUEST_FORM_JA = re.compile(
    r"(て|で)(もらえ|いただけ|頂け|くれ|くださ|下さ)\w{0,6}(か|かな|でしょうか)[。．.!！?？\s]*$|お願い(でき|いたせ)\w{0,4}(か|でしょうか)[。．.!！?？\s]*$"
)
_REQUEST_FORM_EN = re.compile(r"^\s*(please\s+)?(can|could|would|will)\s+you\b(?!\s+(tell|explain|let me know|say)\b)", re.IGNORECASE)
_QUESTION_EN = re.compile(
    r"^\s*(what|wat|how|when|where|why|who|whom|whose|which|can|could|do|does|did|is|are|am|was|were|will|would|should|shall|may|might|have|has)\b",
    re.IGNORECASE,
)


def leans_on_previous(text: str) -> bool:
    """True when `text` reads as a follow-up to the turn before it."""
    if detect_language(text) != "ja":
        return bool(_FOLLOW_UP.search(text))
    words = [(w, pos) for w, pos in japanese_morphemes(text) if pos not in _SKIPPED_POS]
    if not words:
        return False
    return words[0][1] in _OPENING_POS or any(w in _DEMONSTRATIVES for w, _ in words)


def asks(text: str) -> bool:
    """True when `text` asks a question or for something ("Thanks for that" does not)."""
    return bool(_ASKS.search(text.strip()))


def interrogative(text: str) -> bool:
    """True when the last sentence of `text` asks a question ("Delete my data.", 「削除してください。」
    and requests put as questions, 「削除してもらえますか。」 or "Could you delete it?", do not)."""
    sentences = [t for t in re.split(r"(?<=[.!?。！？])\s*", text.strip()) if t.strip()]
    if not sentences:
        return False
    last = sentences[-1]
    japanese = detect_language(last) == "ja"
    if (_REQUEST_FORM_JA if japanese else _REQUEST_FORM_EN).search(last):
        return False
    if "?" in last or "？" in last:
        return True
    return bool(_QUESTION_JA.search(last)) if japanese else bool(_QUESTION_EN.search(last))
