"""What a company's policy requires for a formal request: found by retrieval, quoted verbatim."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.domain import Company, Evidence
from assistant.retrieval import Retriever

_TYPE_WORDS = {
    "purpose_notification": ("notification of the purpose of use", r"notif|purpose"),
    "disclosure": ("disclosure of personal data", r"disclos"),
    "third_party_records": ("disclosure of records of provision to third parties", r"record"),
    "correction": ("correction or addition of personal data", r"correct|addition|\badd\b"),
    "deletion": ("deletion or erasure of personal data", r"delet|eras"),
    "suspension_of_use": ("suspension of use of personal data", r"suspen|cessation|cease|stop"),
    "stop_third_party_provision": ("stopping provision to third parties", r"third part|provision"),
    "complaint": ("complaints about the handling of personal information", r"complain"),
}
# Clause wording that covers every kind of request ("requests for disclosure, etc.").
_GENERIC_REQUEST = re.compile(r"disclosure,? etc|requests? from individuals|these requests|such requests|retained personal data", re.I)


@dataclass(frozen=True)
class Aspect:
    """One point of procedure a customer needs to know."""

    name: str  # how the reply names it when the policy is silent
    query: str
    must_match: str  # the quoted passage must contain one of these words
    only_for_proxy: bool = False


ASPECTS: tuple[Aspect, ...] = (
    Aspect("how and where to send the request", "how to submit the request: send by mail, e-mail, form, contact address", r"mail|post|send|submit|contact|url|https?://|form|address|telephone|e-mail|email"),
    Aspect("which identity documents are needed", "documents to confirm identity: driver's license, passport, proof of identity", r"identity|identification|licen[cs]e|passport|proof"),
    Aspect("what a proxy must submit", "request by a proxy or representative: letter of attorney, documents proving authority", r"proxy|representative|attorney|representation", only_for_proxy=True),
    Aspect("any fee", "fee charged for the request, yen, costs, how to pay", r"\bfees?\b|charge|yen|cost"),
    Aspect("how quickly it will respond", "respond to the request promptly, without delay, response time", r"prompt|without delay|days|respond|response"),
)


@dataclass(frozen=True)
class ProcedurePoint:
    """One aspect and the passage that states it (None when the policy is silent)."""

    aspect: Aspect
    evidence: Evidence | None
    applies: bool = True


def _applies(evidence: Evidence, request_types: Sequence[str]) -> bool:
    """Whether the clause holding this passage speaks of this kind of request."""
    clause = evidence.chunk.text
    named = [t for t, (_, words) in _TYPE_WORDS.items() if re.search(words, clause, re.I)]
    if not named or _GENERIC_REQUEST.search(clause):
        return True
    return any(re.search(_TYPE_WORDS[t][1], clause, re.I) for t in request_types if t in _TYPE_WORDS)


def find_procedure(
    retriever: Retriever,
    company: Company,
    request_types: Sequence[str],
    proxy: bool,
    floor_dense: float = 0.2,
) -> list[ProcedurePoint]:
    """For each aspect, the best passage of the company's policy that states it."""
    kinds = ", ".join(_TYPE_WORDS.get(t, (t, ""))[0] for t in request_types)
    points: list[ProcedurePoint] = []
    for aspect in ASPECTS:
        if aspect.only_for_proxy and not proxy:
            continue
        query = f"{kinds}: {aspect.query}"
        evidence = retriever.select_evidence(query, company.id, retriever.retrieve(query, company.id, k=8))
        found = next(
            (ev for ev in evidence[:12] if ev.dense >= floor_dense and re.search(aspect.must_match, _span_text(ev), re.I)),
            None,
        )
        if found is None:
            points.append(ProcedurePoint(aspect, None))
        else:
            applies = _applies(found, request_types) if aspect.name == "any fee" else True
            points.append(ProcedurePoint(aspect, found, applies))
    return points


def _span_text(ev: Evidence) -> str:
    offset = ev.chunk.start
    return ev.chunk.text[ev.span.start - offset : ev.span.end - offset]
