"""Whether a message asks how the customer's own submitted request stands ("what is the status of
my request?", 「申請の状況は？」).

A rule, not an intent class: the facade applies it only in a session that has a submitted request,
so a policy question ("How long does a deletion request take?") never meets it without one. It
asks for both a word about progress and a reference to the customer's own request (or a ticket
reference), which a question about the procedure does not give: "status" alone, or "my request"
alone, is not enough.
"""

from __future__ import annotations

import re

# A ticket reference as the desk issues them (tickets.REFERENCE_PREFIX and six digits).
REFERENCE = re.compile(r"(?<![A-Za-z0-9])PRQ-\d{6}(?!\d)", re.IGNORECASE)  # no \b: 「PRQ-000001の」 has none

# English: a word about progress ...
_PROGRESS_EN = re.compile(
    r"\b(status|progress|news)\b"
    r"|\b(any|an|no|the latest)\s+updates?\b|\bupdates?\s+(on|about|regarding|for|to)\b"
    r"|\bwhat('s| is| has)?\s+happen(ed|ing)\s+(to|with)\b"
    r"|\bwhere('s|\s+(is|are))\s+(my|our)\b|\bhow('s| is| are)\b.{0,40}\bgoing\b"
    r"|\b(been|got|get|gotten)\s+(processed|handled|received|answered|reviewed|looked at|dealt with|completed|done|actioned)\b"
    r"|\bheard\s+(back|anything)\b|\b(any|a|no)\s+(reply|response|answer)\s+(on|about|to|from|yet)\b",
    re.IGNORECASE,
)
# ... and the customer's own request ("my deletion request", "the request I sent", "my complaint"; not
# "the request form").
_OWN_REQUEST_EN = re.compile(
    r"\b(my|our|this|that)\s+(\w+\s+){0,3}?(request|application|ticket|complaint|submission|case|inquiry|enquiry)s?\b"
    r"|\b(request|application|complaint|submission)s?\s+(i|we)\s+(made|sent|submitted|filed|lodged)\b",
    re.IGNORECASE,
)
# Japanese: what was asked for (申請, 依頼した件, 請求, 苦情) and how it stands (状況, 進捗, どうなっていますか);
# "what would happen if I asked" (依頼した場合どうなりますか) and "in what circumstances" (どのような状況) ask about the policy.
_OWN_REQUEST_JA = re.compile(r"申請|依頼|請求|リクエスト|問い合わせ|問合せ|苦情|件")
_PROGRESS_JA = re.compile(r"状況|進捗|進み具合|ステータス|状態|経過|その後|どうなって|どうなりました|どうなった|返事|回答は(?:まだ|来|届)")
_NOT_OWN_JA = re.compile(r"場合|たら|なら|れば|どのような状況|どんな状況|どういう状況")


def asks_for_status(text: str) -> bool:
    """True when `text` asks how the customer's submitted request stands (English or Japanese)."""
    if REFERENCE.search(text) and (_PROGRESS_EN.search(text) or _PROGRESS_JA.search(text)):
        return True
    if _PROGRESS_EN.search(text) and _OWN_REQUEST_EN.search(text):
        return True
    return bool(_OWN_REQUEST_JA.search(text) and _PROGRESS_JA.search(text) and not _NOT_OWN_JA.search(text))


def references(text: str) -> list[str]:
    """The ticket references named in `text`, upper-cased, in order."""
    return [m.group(0).upper() for m in REFERENCE.finditer(text)]
