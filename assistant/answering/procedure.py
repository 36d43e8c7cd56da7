"""What a company's policy requires for a formal request: found by retrieval, quoted verbatim."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.domain import Company, Evidence, Span
from assistant.ingest.chunking import PASSAGE_CHARS
from assistant.search.retrieval import Retriever, is_lead_in

_TYPE_WORDS = {
    # English words, then the Act's own Japanese terms (a policy may be written in Japanese).
    "purpose_notification": ("notification of the purpose of use", r"notif|purpose|利用目的の通知"),
    "disclosure": ("disclosure of personal data", r"disclos|開示"),
    "third_party_records": ("disclosure of records of provision to third parties", r"record|記録"),
    "correction": ("correction or addition of personal data", r"correct|addition|\badd\b|訂正|追加"),
    "deletion": ("deletion or erasure of personal data", r"delet|eras|削除|消去"),
    "suspension_of_use": ("suspension of use of personal data", r"suspen|cessation|cease|stop|利用停止|停止"),
    "stop_third_party_provision": ("stopping provision to third parties", r"third part|provision|第三者提供"),
    "complaint": ("complaints about the handling of personal information", r"complain|苦情"),
}
# Clause wording that covers every kind of request ("requests for disclosure, etc.", 「開示等の請求」).
_GENERIC_REQUEST = re.compile(
    r"disclosure,? etc|requests? from individuals|these requests|such requests|retained personal data|開示等|保有個人データ", re.I
)


@dataclass(frozen=True)
class Aspect:
    """One point of procedure a customer needs to know."""

    key: str  # how replies name it: the catalog's "aspect.<key>", in the reply's language
    name: str  # its English name (the catalog's English text)
    query: str
    must_match: str  # a quoted passage must match this: it states the point, not just the topic
    max_passages: int = 1
    only_for_proxy: bool = False
    per_request_type: bool = False  # a fee or a deadline may be stated for some kinds of request only


# The clause that says what the company does on such a request ("The Company deletes personal
# information and notifies..."): matched by the words of the kinds of request asked for.
WHAT_IT_DOES = "the request types' own words"

ASPECTS: tuple[Aspect, ...] = (
    Aspect(
        "action",
        "what the policy says it will do",
        "the company will respond to the request from the individual and carry it out",
        WHAT_IT_DOES,
    ),
    Aspect(
        "channel",
        "how and where to send the request",
        "how to submit the request: fill out the form and send it by mail or e-mail to the contact address",
        r"\bplease (send|contact|fill|submit|write|mail|present|apply)\b|\b(send|sent|submit\w*)( "
        r"it| them| the \w+)? (by (mail|post|e-?mail)|using|via)\b"
        r"|\bby (mail|post|telephone)\b|\bcontact us\b|\bforms? (designated|specified|prescribed)|\bapplication form\b"
        r"|\bthrough the inquiry\b|[\w.+-]+@[\w-]+\.\w|https?://"
        r"|郵送|送付|ご提出|提出して|お問い合わせ(ください|フォーム)|ご連絡ください|窓口|ポータル|所定の(書式|様式|申請書)|申請書",
        max_passages=4,
    ),
    Aspect(
        "identity",
        "which identity documents are needed",
        "documents to confirm your identity: driver's license, passport, health insurance card",
        r"\bidentity\b|driver|passport|insurance card|personal number card|residen(ce|t) card"
        r"|本人確認|運転免許証|パスポート|健康保険証|マイナンバーカード|個人番号カード|住民票|在留カード",
        max_passages=2,
    ),
    Aspect(
        "proxy",
        "what a proxy must submit",
        "request by a proxy or representative: letter of attorney, documents proving the authority of representation",
        r"\bproxy\b|\battorney\b|\brepresentation\b|\blegal representative\b|代理人|委任状|法定代理",
        max_passages=2,
        only_for_proxy=True,
    ),
    Aspect(
        "fee",
        "any fee",
        "fee charged for the request, yen, costs, how to pay",
        # A fee for the request itself, not the price of a service.
        r"(\bfees?\b|\bcharg\w*|\byen\b|\bcosts?\b).*\b(request\w*|disclos\w*|procedures?|notif\w*)\b"
        r"|\b(request\w*|disclos\w*|procedures?|notif\w*)\b.*(\bfees?\b|\bcharg\w*|\byen\b|\bcosts?\b)"
        r"|手数料|(請求|開示|通知).*(\d[\d,，]*\s*円|実費|費用|有料|無料)",
        max_passages=2,
        per_request_type=True,
    ),
    Aspect(
        "response_time",
        "how quickly it will respond",
        "respond to the request promptly, without delay, within days",
        r"without delay|\bprompt(ly)?\b|\bimmediately\b|\bwithin \d+ (business )?(days|weeks)\b|\b\d+ (business )?days\b"
        r"|遅滞なく|速やかに|直ちに|\d+\s*(日|営業日|週間|か月|ヶ月)以内",
        per_request_type=True,
    ),
)


# A complaint is not one of the Act's requests: their form, identity documents, fee and
# deadline do not apply to it. What the company does with a complaint and where to send it do.
_CHANNEL = next(a for a in ASPECTS if a.key == "channel")
_ACTION = next(a for a in ASPECTS if a.key == "action")
COMPLAINT_ASPECTS: tuple[Aspect, ...] = (
    # In the Act's own words (Art. 40: complaints are to be handled appropriately and promptly),
    # which policies echo.
    Aspect("action", _ACTION.name, "the company handles complaints appropriately and promptly", WHAT_IT_DOES),
    Aspect(
        "channel",
        _CHANNEL.name,
        "where to send complaints and consultations: the contact point or desk, its address, e-mail or telephone",
        _CHANNEL.must_match + r"|\b(desk|contact point)\b",
        max_passages=3,
    ),
)


@dataclass(frozen=True)
class ProcedurePoint:
    """One aspect and the passages that state it (empty when the policy is silent)."""

    aspect: Aspect
    evidence: tuple[Evidence, ...] = ()
    applies: bool = True
    unquoted: bool = False  # the policy states it, but a reply quotes at most MAX_QUOTES passages


def _applies(passages: Sequence[Evidence], request_types: Sequence[str]) -> bool:
    """Whether the main passage speaks of this kind of request (or of requests in general).

    Only the best passage decides: the ones after it (how to pay, who bears postage) follow it."""
    text = passages[0].chunk.text_of(passages[0].span)
    named = [t for t, (_, words) in _TYPE_WORDS.items() if re.search(words, text, re.I)]
    if not named or _GENERIC_REQUEST.search(text):
        return True
    return any(re.search(_TYPE_WORDS[t][1], text, re.I) for t in request_types if t in _TYPE_WORDS)


def _states(aspect: Aspect, text: str, request_types: Sequence[str]) -> bool:
    """Whether the passage states the aspect (not just its topic)."""
    if aspect.must_match != WHAT_IT_DOES:
        return bool(re.search(aspect.must_match, text, re.I))
    # One sentence names both this kind of request and a request by the person ("when such
    # Customers request deletion"): a sentence naming deletion alone may be about anything.
    kinds = [_TYPE_WORDS[t][1] for t in request_types if t in _TYPE_WORDS]
    # A complaint is the matter itself ("Complaints ... will be handled promptly"): no request word is needed.
    complaint = complaint_only(request_types)
    return bool(kinds) and any(
        re.search("|".join(kinds), sentence, re.I) and (complaint or _ASKED.search(sentence)) for sentence in _SENTENCE_END.split(text)
    )


def complaint_only(request_types: Sequence[str]) -> bool:
    """Whether a request is a complaint and nothing else (its procedure is the complaint channel only)."""
    return bool(request_types) and set(request_types) <= {"complaint"}


_ASKED = re.compile(
    r"\b(requests?|requested|asks?|asked|wish(es)?|demands?|appl(y|ies|ication))\b|請求|求め|申し出|依頼|要求|リクエスト", re.I
)
# Japanese runs one sentence into the next with no space after 。
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])")


def _distinct(candidates: Sequence[Evidence], limit: int) -> tuple[Evidence, ...]:
    """The best `limit` passages, none quoting a text twice: passages overlap (each runs on
    from a sentence), so one overlapping a better one widens it when the two still read as one
    quote (the portal sentence just before the e-mail one), and is dropped otherwise. (Not
    refilled from further down: those state the point less surely.)"""
    found: list[Evidence] = []
    for ev in candidates[:limit]:
        twin = next((i for i, f in enumerate(found) if ev.overlaps(f)), None)
        if twin is None:
            found.append(ev)
            continue
        joined = found[twin].joined(ev)
        if joined is not None and joined.length <= PASSAGE_CHARS:
            found[twin] = joined
    return tuple(found)


def _aspects(proxy: bool, request_types: Sequence[str] = ()) -> list[Aspect]:
    if complaint_only(request_types):
        return list(COMPLAINT_ASPECTS)
    return [a for a in ASPECTS if proxy or not a.only_for_proxy]


def procedure_queries(request_types: Sequence[str], proxy: bool) -> list[str]:
    """The retrieval query for each aspect of a request of these kinds (in ASPECTS order).
    The kinds go in a fixed order: one text per combination, however the classifier ranked them."""
    kinds = ", ".join(_TYPE_WORDS.get(t, (t, ""))[0] for t in sorted(set(request_types), key=_kind_order))
    return [f"{kinds}: {a.query}" for a in _aspects(proxy, request_types)]


_KIND_RANK = {kind: rank for rank, kind in enumerate(_TYPE_WORDS)}


def _kind_order(request_type: str) -> tuple[int, str]:
    # The order of _TYPE_WORDS; kinds it does not know go last, by name.
    return (_KIND_RANK.get(request_type, len(_KIND_RANK)), request_type)


def common_procedure_queries() -> list[str]:
    """Every aspect query of a single-kind request, proxy or not: the same for every company,
    so they can be embedded once at start-up instead of on a customer's first request."""
    return list(dict.fromkeys(q for kind in _TYPE_WORDS for q in procedure_queries([kind], proxy=True)))


# A desk reply stays short: one quote per point, and no more than this in all (the procedure
# has at most six points; the five companies' policies state at most five of them apart).
MAX_QUOTES = 5


def find_procedure(
    retriever: Retriever,
    company: Company,
    request_types: Sequence[str],
    proxy: bool,
    floor_dense: float = 0.2,
    max_quotes: int = MAX_QUOTES,
) -> list[ProcedurePoint]:
    """For each aspect, the passage of the company's policy that states it (`one_quote_each`)."""
    aspects = _aspects(proxy, request_types)
    queries = procedure_queries(request_types, proxy)
    # One embedding call for every aspect; kept, as every later request of these kinds asks the same.
    vectors = retriever.embed_queries(queries, pin=True)
    points: list[ProcedurePoint] = []
    for aspect, query, vector in zip(aspects, queries, vectors, strict=True):
        ranking = retriever.retrieve(query, company.id, k=10, vector=vector)
        evidence = retriever.select_evidence(query, company.id, ranking, max_chunks=len(ranking), vector=vector)
        stating = [
            ev
            for ev in evidence
            if ev.dense >= floor_dense
            and not is_lead_in(ev.chunk.text_of(ev.span))
            and _states(aspect, ev.chunk.text_of(ev.span), request_types)
        ]
        found = _distinct(stating, aspect.max_passages)
        applies = _applies(found, request_types) if aspect.per_request_type and found else True
        points.append(ProcedurePoint(aspect, found, applies))
    return one_quote_each(points, request_types, max_quotes)


def one_quote_each(points: Sequence[ProcedurePoint], request_types: Sequence[str], max_quotes: int = MAX_QUOTES) -> list[ProcedurePoint]:
    """Each applicable point down to one quote, no text quoted twice across points, at most
    `max_quotes` passages in all.

    Points are taken in order, each by the first of its passages that shares no text with the
    quotes before it; else by what is left of one once their text is cut, if that still states
    the point (one point's clause often runs on into the next point's sentence); else by the
    quotes its best passage shares text with (named again by their markers, with what is left
    of it). Past the budget a point rests on quotes already given, or is marked unquoted."""
    quoted: list[Evidence] = []
    out: list[ProcedurePoint] = []
    for at, point in enumerate(points):
        if not point.applies or not point.evidence:
            out.append(point)
            continue
        rests_on = _quoted_as(point, quoted, request_types, fresh=len(quoted) < max_quotes)
        if rests_on is None:
            out.append(ProcedurePoint(point.aspect, (), point.applies, unquoted=True))
            continue
        # A point that gathers several passages (the channels: a portal, an e-mail address) may
        # keep its second best too, when that leaves a quote for every point still to come.
        waiting = sum(1 for p in points[at + 1 :] if p.applies and p.evidence)
        if len(rests_on) == 1 and point.aspect.max_passages > 2 and len(quoted) + 2 + waiting <= max_quotes:
            taken = (*quoted, *rests_on)
            second = next((ev for ev in point.evidence if not any(ev.overlaps(q) for q in taken)), None)
            if second is not None:
                rests_on = tuple(sorted((*rests_on, second), key=lambda ev: ev.span.start))
        quoted += [ev for ev in rests_on if ev not in quoted]
        out.append(ProcedurePoint(point.aspect, rests_on, point.applies))
    return out


def _quoted_as(point: ProcedurePoint, quoted: Sequence[Evidence], request_types: Sequence[str], fresh: bool) -> tuple[Evidence, ...] | None:
    """The passages `point` is quoted by, in document order, given those quoted before it
    (`one_quote_each`); `fresh`: whether one more passage may be quoted. None: none can."""
    if fresh:
        # The best passage, with any text quoted already cut, before a worse one that shares none:
        # "a fee of 1,000 yen per request" runs on into the sentence another point quotes, and the
        # next passage on fees ("in principle, no fee") would tell the customer the opposite.
        first = point.evidence[0]
        shared = [q for q in quoted if q.overlaps(first)]
        if shared:
            rest = _outside(first, shared)
            if rest is not None and _states(point.aspect, rest.chunk.text_of(rest.span), request_types):
                return (rest,)
        own = next((ev for ev in point.evidence if not any(ev.overlaps(q) for q in quoted)), None)
        if own is not None:
            return (_continued(own, point.evidence, quoted),)
        for ev in point.evidence:
            rest = _outside(ev, [q for q in quoted if q.overlaps(ev)])
            if rest is not None and _states(point.aspect, rest.chunk.text_of(rest.span), request_types):
                return (rest,)
    best = point.evidence[0]
    under = [q for q in quoted if q.overlaps(best)]
    same = next((q for q in under if q.span == best.span), None)
    if same is not None:
        return (same,)
    rest = _outside(best, under)
    if not under or (rest is not None and not fresh):
        return None  # what states the point would be a passage past the budget
    return tuple(sorted((*under, *([rest] if rest else [])), key=lambda ev: ev.span.start))


def _continued(own: Evidence, evidence: Sequence[Evidence], quoted: Sequence[Evidence]) -> Evidence:
    """`own` run on into the passage of its clause that follows it straight on, when that passage
    states the same point too (the form to send, then what to write on its envelope): one quote
    of at most two passages' length, instead of the point losing its second sentence."""
    for ev in evidence:
        gap = ev.chunk.text_of(Span(own.span.end, ev.span.start, own.span.section)) if ev.span.start >= own.span.end else None
        if ev.chunk.id != own.chunk.id or gap is None or gap.strip() or any(ev.overlaps(q) for q in quoted):
            continue
        joined = own.joined(ev)
        if joined is not None and joined.length <= 2 * PASSAGE_CHARS:
            return joined
    return own


def _outside(ev: Evidence, quoted: Sequence[Evidence]) -> Evidence | None:
    """The longest stretch of `ev` no quoted passage covers, without its surrounding blanks (None when too short to quote)."""
    pieces = [(ev.span.start, ev.span.end)]
    for q in quoted:
        if q.chunk.doc_id != ev.chunk.doc_id:
            continue
        pieces = [
            part for start, end in pieces for part in ((start, min(end, q.span.start)), (max(start, q.span.end), end)) if part[0] < part[1]
        ]
    if not pieces:
        return None
    start, end = max(pieces, key=lambda p: p[1] - p[0])
    text = ev.chunk.text_of(Span(start, end, ev.span.section))
    start += len(text) - len(text.lstrip())
    end -= len(text) - len(text.rstrip())
    if end - start < _MIN_QUOTE_CHARS:
        return None
    span = Span(start, end, ev.span.section, ev.span.lead_start, ev.span.lead_end)
    return Evidence(ev.chunk, span, ev.score, ev.dense, ev.lexical)


_MIN_QUOTE_CHARS = 20  # shorter than a sentence: what is left of a passage once the text quoted already is cut
