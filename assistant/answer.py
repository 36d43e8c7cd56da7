"""Composing short, cited answers (and honest non-answers) from retrieved evidence."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.domain import Citation, Company, Evidence
from assistant.index import LoadedIndex
from assistant.lexical import tokenize

# What a question is about, for the one-line lead. First match wins.
_TOPICS: tuple[tuple[str, str], ...] = (
    (r"\b(fee|fees|charge|charges|cost|costs|price|pay|paid|free|yen)\b", "fees"),
    (r"\b(proxy|behalf|representative|attorney|agent|guardian)\b", "requests made by a proxy"),
    (r"\b(identity|identification|id|passport|licen[cs]e|documents?|proof)\b", "the documents required"),
    (r"\b(envelope|post|mail|postal|send|submit|form|telephone|phone|call)\b", "how requests are made"),
    (r"\b(contact|reach|email|e-mail|address|desk|inquir\w*|enquir\w*|complain\w*)\b", "whom to contact"),
    (r"\b(cookies?|tracking|ip address|logs?|device)\b", "cookies and usage data"),
    (r"\b(abroad|foreign|overseas|international|outside japan|other countries)\b", "handling data outside Japan"),
    (r"\b(outsourc\w*|entrust\w*|contractors?|subcontract\w*|vendors?)\b", "outsourcing"),
    (r"\b(share|shared|sharing|joint\w*|group compan\w*)\b", "shared use"),
    (r"\b(third[- ]part\w*|provid\w*|sell|sold|give|hand over)\b", "provision to third parties"),
    (r"\b(pseudonymi[sz]ed)\b", "pseudonymised information"),
    (r"\b(anonymi[sz]ed|anonymous)\b", "anonymised information"),
    (r"\b(secur\w*|safe\w*|protect\w*|breach|leak\w*|encrypt\w*)\b", "security measures"),
    (r"\b(delet\w*|eras\w*|remov\w*)\b", "deletion"),
    (r"\b(correct\w*|fix|wrong|update|amend)\b", "correction"),
    (r"\b(stop|suspen\w*|cease|opt[- ]?out)\b", "stopping the use of data"),
    (r"\b(disclos\w*|copy|access)\b", "disclosure"),
    (r"\b(purposes?|why|use|using|used)\b", "the purposes of use"),
    (r"\b(collect\w*|acquir\w*|gather\w*|obtain\w*|what (data|information))\b", "the information collected"),
    (r"\b(revis\w*|amend\w*|effective|date|dated|updated|version)\b", "dates and revisions"),
    (r"\b(retain\w*|retention|keep|kept|store|stored|how long)\b", "how long data is kept"),
)
# Questions that ask for a particular kind of fact are answered only by a passage that
# states one: "how much" needs an amount or a fee rule, "when" a date, "how long do you keep"
# a period. Without this, a nearby clause on the same subject would be quoted as an answer.
_ANSWER_TYPES: tuple[tuple[str, str, str], ...] = (
    (
        "retention",
        r"\b(how long|how many (days|months|years)|until when)\b.*\b(keep|kept|retain\w*|store\w*|hold|held|delete\w*)\b|\bretention\b|\bstorage period\b",
        r"\b\d+\s*(days?|weeks?|months?|years?)\b|\b(retention|retain\w*|kept|stored?) (period|for|until)\b|\buntil\b|\bas long as\b|\bno longer (necessary|needed)\b",
    ),
    (
        "response_time",
        r"\b(how (long|fast|quickly|soon)|how many (days|hours|weeks)|when will|within \d+)\b",
        r"\b\d+\s*(days?|hours?|weeks?|business days?)\b|\bwithout delay\b|\bpromptly\b|\bimmediately\b|\bprompt\b",
    ),
    (
        "money",
        r"\b(how much|fee|fees|charge|charges|cost|costs|price|pay|free of charge|for free)\b",
        r"\byen\b|¥|\bfees?\b|\bcharg\w*|\bcosts?\b|\bfree\b|\bexpenses?\b",
    ),
    (
        "date",
        r"\b(when (was|did|is|were)|what date|which date|since when|last (updated|revised|amended|changed)|effective date|come into (effect|force)|took effect|enact\w*)\b",
        r"\b(19|20)\d{2}\b",
    ),
    (
        "email",
        r"\b(e-?mail( address)?)\b.*\?|\bwhat(\'s| is) (the|your|their) e-?mail\b",
        r"[\w.+-]+@[\w-]+\.[\w.]+|https?://",
    ),
    (
        "address",
        r"\b(postal address|mailing address|office address|where (is|are) (your|the|their) office|street address|what(\'s| is) (the|your|their) address)\b",
        r"\b\d+-\d+(-\d+)?\b.*\b(tokyo|japan|ku|city)\b|〒|\b\d{3}-\d{4}\b",
    ),
    (
        "phone",
        r"\b(phone|telephone) number\b",
        r"\b\d{2,4}-\d{2,4}-\d{3,4}\b|\+81",
    ),
)


def answer_type(query: str) -> tuple[str, re.Pattern[str]] | None:
    """The kind of fact a question asks for (and how to recognise one), if it is specific."""
    low = query.lower()
    for name, asks, states in _ANSWER_TYPES:
        if re.search(asks, low):
            return name, re.compile(states, re.IGNORECASE)
    return None


_NEGATION = re.compile(r"\b(not|no|never|without|free of charge)\b", re.IGNORECASE)


def describe_topic(query: str) -> str | None:
    """A short noun phrase for what the question is about, if one is recognised."""
    low = query.lower()
    for pattern, phrase in _TOPICS:
        if re.search(pattern, low):
            return phrase
    return None


@dataclass(frozen=True)
class AnswerPolicy:
    """How much evidence an answer needs and how many passages it quotes."""

    max_citations: int = 3
    margin: float = 0.1  # passages within this score of the best one are quoted too
    # Calibrated on the gold suite (evals/suites/gold.jsonl, answer vs not-covered items):
    min_dense: float = 0.4  # below both minima the policy is taken not to answer
    min_lexical: float = 0.4
    floor_dense: float = 0.2  # no passage below this is ever quoted
    typed_min_dense: float = 0.2  # a passage stating the asked-for kind of fact needs less similarity


def possessive(name: str) -> str:
    """UPWARD's, Win Techno's, GMO AI & Robotics'."""
    return f"{name}'" if name.endswith("s") else f"{name}'s"


class AnswerComposer:
    """Turns evidence into a lead line plus quoted, numbered passages."""

    def __init__(self, index: LoadedIndex, policy: AnswerPolicy | None = None) -> None:
        self._index = index
        self.policy = policy or AnswerPolicy()

    def select(self, query: str, evidence: Sequence[Evidence]) -> list[Evidence] | None:
        """The passages to quote, or None when the policy does not answer the question.

        The best passage must be close enough in meaning (or share enough of the question's
        words); a question asking for a kind of fact (an amount, a date, a period...) is
        answered only from passages that state one, best first."""
        if not evidence:
            return None
        p = self.policy
        wanted = answer_type(query)
        if wanted is not None:
            _, states = wanted
            typed = [ev for ev in evidence if ev.dense >= p.typed_min_dense and states.search(self._text(ev))]
            return self.choose(typed) or None
        best = evidence[0]
        if not (best.dense >= p.min_dense or (best.lexical >= p.min_lexical and best.dense >= p.floor_dense)):
            return None
        return self.choose(evidence)

    def _text(self, ev: Evidence) -> str:
        return self._index.documents[ev.chunk.doc_id].text[ev.span.start : ev.span.end]

    def choose(self, evidence: Sequence[Evidence]) -> list[Evidence]:
        """The best passage and those close to it (at most `max_citations`)."""
        if not evidence:
            return []
        p = self.policy
        best = evidence[0].score
        chosen: list[Evidence] = []
        for ev in evidence:
            if len(chosen) >= p.max_citations:
                break
            if ev.score < best - p.margin or ev.dense < p.floor_dense:
                continue
            if any(c.chunk.id == ev.chunk.id and c.span == ev.span for c in chosen):
                continue
            chosen.append(ev)
        return chosen

    def citations(self, company: str, chosen: Sequence[Evidence]) -> list[Citation]:
        """Citations for the chosen passages, numbered in answer order."""
        out = []
        for i, ev in enumerate(chosen, start=1):
            doc = self._index.documents[ev.chunk.doc_id]
            out.append(
                Citation(
                    id=i,
                    company=company,
                    doc_id=doc.doc_id,
                    version=doc.version,
                    section=ev.span.section,
                    page=doc.page_at(ev.span.start),
                    text=doc.text[ev.span.start : ev.span.end],
                    start=ev.span.start,
                    end=ev.span.end,
                    score=round(ev.score, 4),
                )
            )
        return out

    def compose(self, company: Company, query: str, chosen: Sequence[Evidence]) -> tuple[str, list[Citation]]:
        """The answer text and its citations."""
        cites = self.citations(company.id, chosen)
        topic = describe_topic(query)
        about = f" about {topic}" if topic else ""
        lines = [f"{possessive(company.short_name)} privacy policy says this{about}:"]
        for c in cites:
            lines.append(f"[{c.id}] \u201c{c.text.strip()}\u201d ({_section_label(c.section)})")
        if _may_conflict(query, cites):
            lines.append(
                "These passages do not say the same thing; both are quoted as written. "
                f"{possessive(company.short_name)} privacy desk ({company.desk_name}) can confirm which applies."
            )
        return "\n".join(lines), cites

    def not_covered(self, company: Company, query: str) -> str:
        """The honest reply when the policy does not answer the question."""
        topic = describe_topic(query)
        what = f"anything about {topic} that answers this" if topic else "anything that answers this question"
        return (
            f"{possessive(company.short_name)} privacy policy does not say {what}, so I can't tell you. "
            f"You can ask the {company.desk_contact()}."
        )

    @staticmethod
    def off_topic(company: Company | None) -> str:
        """The reply to messages that are not about handling personal information."""
        who = company.short_name if company else "the companies I serve"
        text = (
            f"I can only answer questions about how {who} handles personal information, "
            "based on its privacy policy, and pass formal requests about your data to its privacy desk."
        )
        if company:
            text += f" For anything else, please contact {company.short_name} directly."
        return text

    @staticmethod
    def clarify(companies: Sequence[Company]) -> str:
        """Asks which company the customer means."""
        names = "; ".join(f"{c.short_name} ({c.id})" for c in companies)
        return f"Which company is your question about? I can answer for: {names}."


def _section_label(section: str) -> str:
    parts = section.split(" > ")
    return " > ".join(parts[-2:]) if len(parts) > 2 else section


def _may_conflict(query: str, cites: Sequence[Citation]) -> bool:
    """Two quoted passages share a question term and only one of them negates it."""
    if len(cites) < 2:
        return False
    q_terms = set(tokenize(query))
    for i, a in enumerate(cites):
        for b in cites[i + 1 :]:
            shared = q_terms & set(tokenize(a.text)) & set(tokenize(b.text))
            if shared and bool(_NEGATION.search(a.text)) != bool(_NEGATION.search(b.text)):
                return True
    return False
