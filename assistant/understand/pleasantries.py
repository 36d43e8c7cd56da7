"""Greetings and sign-offs around a message: what the customer asks is what is left.

"Hi! Do you sell my data? Thanks, Ken" asks the same as "Do you sell my data?", but a
greeting or a "Please advise." moved the intent classifier: 12% of gold questions changed
intent with a greeting in front and 24% with a sign-off after. Both are removed before a
message is classified or searched (the ticket keeps the message as typed).

Every pattern is anchored at one end of the message and looks at a bounded stretch of it, so
the cost does not grow with what a customer pastes in between.
"""

from __future__ import annotations

import re

# A greeting that can only be a greeting ("Hi-reso" is a name, not "Hi"), then spaces or
# punctuation; several in a row ("Hi all, hello again.") come off together.
_GREETING = (
    r"(?:(?:hi|hello|hey)\s++(?:there|all|team|everyone|folks|guys|support)|hello\s++again"  # longest first
    r"|hi|hello|hey|hiya|howdy|greetings|good\s++(?:morning|afternoon|evening|day)"
    r"|to\s++whom\s++it\s++may\s++concern)\b(?!-\w)[\s,.!:;\-\u2013\u2014]*+"
)
# Openers that are words in their own right count only when punctuation closes them
# ("Question: ...", "Dear team, ..."; a dash only after a space: "Well-being" keeps its word).
_OPENER = (
    r"(?:dear(?:\s++[\w'\-]++\.?){1,3}|morning|afternoon|evening|sorry\s++to\s++bother(?:\s++you)?|excuse\s++me"
    r"|(?:a\s++|one\s++)?(?:quick\s++|short\s++|simple\s++)?question|one\s++more\s++thing|ok(?:ay)?|so|well)"
    r"(?:\s*+[,.!:;]++|\s++[\-\u2013\u2014]++)\s*+"
)
_LEADING = re.compile(rf"^\s*+(?:{_GREETING}|{_OPENER})++", re.IGNORECASE)

_SIGN_OFF = (
    r"(?:(?:many\s++|a\s++lot\s++of\s++)?thanks(?:\s++(?:a\s++lot|so\s++much|very\s++much|again|in\s++advance))*+"
    r"|thank\s++you(?:\s++(?:very\s++much|so\s++much|again|in\s++advance))*+|thx|ty|tia"
    r"|cheers|(?:(?:best|kind|warm|warmest|many)\s++)?regards|best(?:\s++wishes)?|all\s++the\s++best|sincerely"
    r"|yours\s++(?:sincerely|faithfully|truly)|please\s++advise|please\s++let\s++me\s++know|let\s++me\s++know"
    r"|(?:i\s++)?appreciate\s++(?:it|(?:any|your)\s++help)|much\s++appreciated"
    r"|any\s++help\s++(?:is|would\s++be)\s++(?:much\s++|greatly\s++)?appreciated"
    r"|(?:i\s++am\s++|i'm\s++)?looking\s++forward\s++to\s++(?:your\s++(?:reply|answer|response)|hearing\s++from\s++you)"
    r"|have\s++a\s++(?:nice|good|great)\s++day|sent\s++from\s++my\s++\w++)"
)
# A sign-off follows the end of a sentence (or a line break) and may carry a signature of up
# to three capitalised words ("Regards, Ken Sato"). Without punctuation before it, only a
# capitalised sign-off that cannot be part of the question counts ("... with softbank Please
# advise." but not "... with Best Buy"; a company called "Cheers Ltd" would still lose its name).
_NAME = r"(?:[\s,\-\u2013\u2014]++(?-i:[A-Z][\w.'\-]*+)(?:\s++(?-i:[A-Z][\w.'\-]*+)){0,2})?"
_UNPUNCTUATED = r"(?<=\w\s)(?=(?-i:Please advise|Thank you|Thanks|Many thanks|Regards|Kind regards|Best regards|Cheers|Sincerely)\b)"
# A reference in brackets at the very end ("(ref 12)", "[order 4411]") is filing detail; other
# brackets ("(e.g. 5 years)", "Article 21(1)") are part of the question.
_REFERENCE = (
    r"[(\[]\s*+(?:(?:ref|reference|order|ticket|case|id|no|number|account|customer|member|inquiry|enquiry)\b|\#)"
    r"(?=[^()\[\]\n]{0,40}\d)[^()\[\]\n]{0,40}[)\]]"
)
_TRAILING = re.compile(
    rf"(?:(?<=[.!?\u2026)\n])|^|{_UNPUNCTUATED})[ \t\n]*+(?:{_SIGN_OFF}){_NAME}[ \t]*+[.!,:;)\u2026]*+\s*+$"
    rf"|\s*+{_REFERENCE}[ \t]*+[.!]?\s*+$",
    re.IGNORECASE,
)
_TAIL = 160  # characters a sign-off (with its signature) can take up at the end

# Japanese set phrases of business mail, as whole sentences only: a greeting ends with its own
# 。！ or 、, a sign-off stands after the end of a sentence ("削除をお願いします。" is the request
# itself; "…削除してください。よろしくお願いします。" ends with a sign-off). Kana and kanji spellings
# of one phrase both occur (お疲れさま / お疲れ様, 致します / いたします).
_JA_GREETING = (
    r"(?:こんにちは|こんにちわ|こんばんは|おはようございます|はじめまして|初めまして"
    r"|いつも(?:大変)?お世話になっております|(?:大変)?お世話になっております|お世話になります"
    r"|お疲れ(?:さま|様)です|(?:夜分|突然|夜分遅く)(?:に)?(?:失礼(?:いた|致)?します|すみません)|失礼(?:いた|致)します"
    r"|(?:お忙しい|ご多忙の)ところ(?:恐れ入りますが|すみません|申し訳ありません|失礼します))[。！!、,\s]++"
)
_JA_LEADING = re.compile(rf"^\s*+(?:{_JA_GREETING})++")
_JA_SIGN_OFF = (
    r"(?:以上(?:です)?[、,]?\s*+)?(?:どうぞ|何卒|なにとぞ)?\s*+よろしく(?:お願い|おねがい)(?:します|(?:いた|致)します|申し上げます|いたしたく)"
    r"|(?:ご|お)?(?:返信|返事|回答|ご連絡|連絡)(?:を)?(?:お待ちして(?:い)?(?:ます|おります)|いただけますと幸いです)"
    r"|(?:どうも|本当に)?ありがとう(?:ございます|ございました)?|お願い(?:します|いたします|致します)"
    r"|以上(?:です|になります)?"
)
_JA_TRAILING = re.compile(rf"(?<=[。！？!?\n])\s*+(?:{_JA_SIGN_OFF})[。！!．.…]*+\s*+$")


def strip_pleasantries(text: str) -> str:
    """`text` without leading greetings and trailing sign-offs or bracketed references; the
    text itself if nothing else would be left ("Thanks!" stays "Thanks!")."""
    core = _LEADING.sub("", text.strip(), count=1).strip() or text.strip()
    core = _JA_LEADING.sub("", core, count=1).strip() or core
    for _ in range(8):  # sign-offs stacked deeper than this are not a sign-off any more
        # Only the tail is searched: a sign-off is at the end, and a long message full of line
        # breaks would otherwise give the pattern that many places to start from.
        head, tail = core[:-_TAIL], core[-_TAIL:]
        tail = _JA_TRAILING.sub("", tail, count=1)
        shorter = (head + _TRAILING.sub("", tail, count=1)).strip()
        if shorter == core or not shorter:
            break
        core = shorter
    return core
