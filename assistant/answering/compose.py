"""Composing short, cited answers (and honest non-answers) from retrieved evidence."""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from assistant.answering import consistency, topics
from assistant.answering.messages import has, text
from assistant.answering.procedure import ProcedurePoint, complaint_only
from assistant.domain import Citation, Company, DraftField, Evidence, ProcedureStep, Span, Ticket
from assistant.index.builds import LoadedIndex
from assistant.ingest.chunking import PASSAGE_CHARS
from assistant.ingest.markup import display_text
from assistant.search.facts import fact_kind
from assistant.understand.language import SUPPORTED, Language

# A last line that points ahead to what follows it: grammar of both languages, not one policy's wording.
_POINTS_AHEAD = re.compile(r"\b(?:the following|as follows|listed below|set out below|shown below)\b|以下の|下記の|次の", re.IGNORECASE)


def _reads_as_title(text: str) -> bool:
    """A single short line with no sentence punctuation: a heading or a label, not the list pointed to."""
    line = text.strip()
    return "\n" not in line and len(line.split()) <= 8 and not re.search(r"[.,;:、。，：]", line)


def describe_topic(query: str) -> str | None:
    """A short noun phrase for what the question is about, if one is recognised."""
    return topics.describe_topic(query)


@dataclass(frozen=True)
class AnswerPolicy:
    """How likely a passage must be to answer, and how much an answer quotes."""

    # Chosen on the dev halves of both suites (gold + mozilla-en) with the evidence model of
    # evals/fit_evidence.py: answer/abstain routing and fact accuracy, the median answer <= 700
    # characters. `strong_probability`: on the dev halves, messages the intent classifier reads
    # as off-topic have a best passage of at most 0.027 when they are (GPU prices, recipes,
    # prompt injections) and at least 0.059 when the policy answers them ("What is Glean?");
    # the threshold sits between the two in log-odds.
    min_probability: float = 0.006  # below this for the best passage, the policy is taken not to answer
    strong_probability: float = 0.04  # likely enough to answer a message that reads as off-topic
    relative: float = 0.5  # further passages are quoted when at least this share of the best one's
    max_citations: int = 3
    max_quoted_chars: int = 1000  # all quotes of one answer together
    max_merged_chars: int = PASSAGE_CHARS  # two overlapping passages joined still read as one quote


class Composer(Protocol):
    """Decides what evidence answers and writes every reply text."""

    def select(self, query: str, evidence: Sequence[Evidence], quoted_before: Sequence[tuple[str, int, int]] = ()) -> list[Evidence] | None:
        """The passages to quote, or None when the policy does not answer the question (`quoted_before`: spans the last answer quoted)."""
        ...

    def strongly_answers(self, evidence: Sequence[Evidence]) -> bool:
        """Whether the best passage is likely enough to answer even a message that reads as off-topic."""
        ...

    def worth_quoting_beside(self, candidate: Evidence, best: Evidence) -> bool:
        """Whether `candidate` is nearly as likely to answer as `best` (enough to be quoted beside it)."""
        ...

    def citations(self, company: str, chosen: Sequence[Evidence]) -> list[Citation]:
        """Citations for the chosen passages, numbered in answer order."""
        ...

    def compose(self, company: Company, query: str, chosen: Sequence[Evidence], *, lang: Language = "en") -> tuple[str, list[Citation]]:
        """The answer text (in `lang`; quotes as written) and its citations."""
        ...

    def desk(
        self,
        company: Company,
        request_types: Sequence[str],
        proxy: bool,
        points: Sequence[ProcedurePoint],
        *,
        submitted: str | None = None,
        lang: Language = "en",
    ) -> tuple[str, list[Citation]]:
        """The reply to a formal request or complaint: what it reads as, what the policy requires point by
        point, and how to send it (or, once `submitted`, its reference)."""
        ...

    def request_status(
        self,
        company: Company,
        ticket: Ticket,
        desk_message: tuple[str, str] | None,
        others: Sequence[str],
        *,
        lang: Language = "en",
        withhold_message: bool = False,
    ) -> str:
        """The reply to a status asked in chat: the ticket's reference and status, the desk's last
        message (`(at, text)`) if any, and the references of the session's other tickets
        (`withhold_message`: the message's date only, as the transcript keeps the turn)."""
        ...

    def no_request_to(self, company: Company, others: Sequence[str], *, lang: Language = "en") -> str:
        """The reply to a status asked of a company the session has made no request to (`others`: the references it has)."""
        ...

    def not_covered(self, company: Company, query: str, *, lang: Language = "en") -> str:
        """The reply when the policy does not answer the question."""
        ...

    def off_topic(self, company: Company | None, *, lang: Language = "en") -> str:
        """The reply to messages that are not about handling personal information."""
        ...

    def other_company(self, here: Company, other: Company, *, lang: Language = "en") -> str:
        """The reply when a widget bound to one company is asked about another."""
        ...

    def clarify(self, companies: Sequence[Company], *, lang: Language = "en") -> str:
        """Asks which company the customer means."""
        ...

    def unsupported_language(self) -> str:
        """The reply, in every supported language, to a message in a language the assistant does not support."""
        ...


class AnswerComposer:
    """Turns evidence into a lead line plus quoted, numbered passages."""

    def __init__(self, index: LoadedIndex, policy: AnswerPolicy | None = None) -> None:
        self._index = index
        self.policy = policy or AnswerPolicy()
        self._following: dict[str, list[tuple[int, int]]] | None = None  # per document: (passage start, where)

    def select(self, query: str, evidence: Sequence[Evidence], quoted_before: Sequence[tuple[str, int, int]] = ()) -> list[Evidence] | None:
        """The passages to quote, or None when the policy does not answer the question: the
        best passage must be likely enough to answer it (the evidence model's probability)."""
        kind = fact_kind(query)
        if kind is not None and kind.gates:
            # "How much", "how long", "when": only a passage stating such a fact answers it; a
            # nearby clause on the same subject would be quoted as if it did.
            evidence = [ev for ev in evidence if kind.states.search(self._text(ev))]
        if not evidence or evidence[0].score < self.policy.min_probability:
            return None
        return self.with_leads(self.choose(evidence), quoted_before)

    def strongly_answers(self, evidence: Sequence[Evidence]) -> bool:
        """Whether the best passage is likely enough to answer even a message that reads as off-topic."""
        return bool(evidence) and evidence[0].score >= self.policy.strong_probability

    def worth_quoting_beside(self, candidate: Evidence, best: Evidence) -> bool:
        """Whether `candidate` is nearly as likely to answer as `best`: the share `choose` quotes further passages at."""
        return candidate.score >= best.score * self.policy.relative

    def _text(self, ev: Evidence) -> str:
        return self._index.documents[ev.chunk.doc_id].text_of(ev.span)

    def choose(self, evidence: Sequence[Evidence]) -> list[Evidence]:
        """The best passage and those nearly as likely to answer (at most `max_citations`,
        `max_quoted_chars` together, none overlapping another)."""
        if not evidence:
            return []
        p = self.policy
        floor = max(p.min_probability, evidence[0].score * p.relative)
        chosen: list[Evidence] = []
        quoted = 0
        for ev in evidence:
            if len(chosen) >= p.max_citations:
                break
            if chosen and ev.score < floor:
                break
            # Passages overlap (each starts at a sentence and runs on): quote each text once. A
            # runner-up overlapping a chosen passage of the same clause widens it instead, when
            # the two together still read as one quote ("Revised as of …" lines split two ways).
            twin = next((i for i, c in enumerate(chosen) if c.overlaps(ev)), None)
            if twin is not None:
                merged = chosen[twin].joined(ev)
                if merged is not None and merged.length <= p.max_merged_chars:
                    extra = merged.length - chosen[twin].length
                    if quoted + extra <= p.max_quoted_chars:
                        chosen[twin] = merged
                        quoted += extra
                continue
            if chosen and quoted + ev.length > p.max_quoted_chars:
                continue
            chosen.append(ev)
            quoted += ev.length
        return chosen

    def with_leads(self, chosen: Sequence[Evidence], quoted_before: Sequence[tuple[str, int, int]] = ()) -> list[Evidence]:
        """The chosen passages made whole: a list item preceded by the line that leads its list
        ("The Company may share data with:" before "SoftBank Corp."), and a passage that ends
        by introducing what follows (":") followed by it, as long as the quotes stay within
        `max_quoted_chars` and quote no text twice. A better passage is made whole before a
        worse one is quoted: the least likely passages give way when the budget runs short."""
        out: list[Evidence] = []
        waiting = list(chosen)  # best first; not yet placed
        quoted = sum(ev.length for ev in waiting)

        def add(extra: Evidence | None) -> None:
            nonlocal quoted
            if extra is None or any(extra.overlaps(other) for other in (*out, *waiting)):
                return
            # A follow-up's answer does not quote again what the last answer quoted (a lead included).
            if extra.overlaps_any(quoted_before):
                return
            while waiting and quoted + extra.length > self.policy.max_quoted_chars:
                quoted -= waiting.pop().length  # the least likely passage not yet placed
            if quoted + extra.length <= self.policy.max_quoted_chars:
                out.append(extra)
                quoted += extra.length

        while waiting:
            ev = waiting.pop(0)
            span = ev.span
            if 0 <= span.lead_start < span.lead_end <= span.start:
                add(Evidence(ev.chunk, Span(span.lead_start, span.lead_end, _parent(span.section)), ev.score, ev.dense, ev.lexical))
            out.append(ev)
            if self._text(ev).rstrip().endswith((":", "：")):
                add(self._next_passage(ev))
            elif _POINTS_AHEAD.search(self._text(ev).rstrip().rsplit("\n", 1)[-1]):
                # "... submit one of the following documents." is followed by the list it points to,
                # when that comes next under the same heading and is more than a title.
                nxt = self._next_passage(ev)
                if nxt is not None and nxt.chunk.section == ev.chunk.section and not _reads_as_title(self._text(nxt)):
                    add(nxt)
        return out

    def _next_passage(self, ev: Evidence) -> Evidence | None:
        """The passage that starts first after `ev` ends, in the same document."""
        if self._following is None:
            by_doc: dict[str, list[tuple[int, int]]] = {}
            for row, chunk in enumerate(self._index.chunks):
                for pos, span in enumerate(chunk.spans):
                    by_doc.setdefault(chunk.doc_id, []).append((span.start, row * 10_000 + pos))
            self._following = {doc: sorted(rows) for doc, rows in by_doc.items()}
        rows = self._following.get(ev.chunk.doc_id, [])
        at = bisect.bisect_left(rows, (ev.span.end, -1))
        if at >= len(rows):
            return None
        row, pos = divmod(rows[at][1], 10_000)
        chunk = self._index.chunks[row]
        return Evidence(chunk, chunk.spans[pos], ev.score, ev.dense, ev.lexical)

    def citations(self, company: str, chosen: Sequence[Evidence]) -> list[Citation]:
        """Citations for the chosen passages, numbered in answer order."""
        out = []
        for i, ev in enumerate(chosen, start=1):
            doc = self._index.documents[ev.chunk.doc_id]
            text = doc.text_of(ev.span)
            out.append(
                Citation(
                    id=i,
                    company=company,
                    doc_id=doc.doc_id,
                    version=doc.version,
                    section=ev.span.section,
                    page=doc.page_at(ev.span.start),
                    text=text,
                    start=ev.span.start,
                    end=ev.span.end,
                    score=round(ev.score, 4),
                    display=display_text(text, doc.format),
                )
            )
        return out

    def compose(self, company: Company, query: str, chosen: Sequence[Evidence], *, lang: Language = "en") -> tuple[str, list[Citation]]:
        """The answer text (in `lang`; quotes as written) and its citations."""
        cites = self.citations(company.id, chosen)
        topic = _topic(query, lang)
        if topic:
            lines = [text("lead_topic", lang, company=company.short_name_in(lang), topic=topic)]
        else:
            lines = [text("lead", lang, company=company.short_name_in(lang))]
        lines += self._quotes_note(cites, lang)
        for c in cites:
            label = _section_label(c.section)
            # A policy with no headings has no section to name: no empty "()".
            lines.append(_quote(c, lang) + (text("quote_section", lang, label=label) if label else ""))
        if _may_conflict(query, cites):
            lines.append(text("conflict", lang, company=company.short_name_in(lang), desk=company.desk_name))
        return "\n".join(lines), cites

    def _quotes_note(self, cites: Sequence[Citation], lang: Language) -> list[str]:
        """A line saying the quotes are in another language than the reply, when they are (quotes stay verbatim)."""
        # A document without a stated language is an English one (corpora before Japanese support).
        other = sorted({getattr(self._index.documents[c.doc_id], "language", "en") for c in cites} - {lang})
        if len(other) != 1 or not has(f"language.{other[0]}"):
            return []
        return [text("quotes_original", lang, language=text(f"language.{other[0]}", lang))]

    def desk(
        self,
        company: Company,
        request_types: Sequence[str],
        proxy: bool,
        points: Sequence[ProcedurePoint],
        *,
        submitted: str | None = None,
        lang: Language = "en",
    ) -> tuple[str, list[Citation]]:
        """The reply to a formal request or complaint: what it reads as, what the policy requires point by
        point, and how to send it (or, once `submitted`, its reference). No due date: `due_days` is the
        desk's own target, not something the policy promises."""
        kinds = text("desk_kinds_separator", lang).join(_request_name(t, lang) for t in request_types)
        who = text("desk_proxy", lang) if proxy else ""
        desk = company.desk_name or text("desk_default_name", lang)
        if submitted:
            lead = text("desk_submitted", lang, company=company.short_name_in(lang), desk=desk, reference=submitted)
        else:
            # A complaint is not a request to change anything: "your complaint request ... nothing has been changed" misreads it.
            key = "desk_draft_complaint" if complaint_only(request_types) else "desk_draft"
            lead = text(key, lang, kinds=kinds, who=who, company=company.short_name_in(lang), desk=desk)
        lines = [lead, text("desk_requires", lang, company=company.short_name_in(lang))]
        chosen: list[Evidence] = []
        for point in points:
            if point.applies:
                for ev in point.evidence:
                    if not any(c.span == ev.span and c.chunk.id == ev.chunk.id for c in chosen):
                        chosen.append(ev)
        cites = self.citations(company.id, chosen)
        lines += self._quotes_note(cites, lang)
        by_span = {(c.doc_id, c.start): c for c in cites}
        shown: set[int] = set()  # a passage two points rest on is quoted once, then named by its marker
        for point in points:
            label = text(f"aspect.{point.aspect.key}", lang)
            name = label[0].upper() + label[1:]
            if point.unquoted:
                lines.append(text("point_unquoted", lang, name=name))
            elif not point.evidence:
                lines.append(text("point_silent", lang, name=name))
            elif not point.applies:
                lines.append(text("point_other_kinds", lang, name=name))
            else:
                quoted = [by_span[(ev.chunk.doc_id, ev.span.start)] for ev in point.evidence]
                # Each point on one line (the widget shows a line per point): a list inside a quote runs on.
                quotes = " ".join(f"[{c.id}]" if c.id in shown else _quote(c, lang, one_line=True) for c in quoted)
                shown.update(c.id for c in quoted)
                lines.append(text("point_quoted", lang, name=name, quotes=quotes))
        if not submitted:
            lines.append(text("desk_confirm", lang))
        lines.append(text("desk_contact", lang, contact=contact_line(company, lang)))
        return "\n".join(lines), cites

    @staticmethod
    def request_status(
        company: Company,
        ticket: Ticket,
        desk_message: tuple[str, str] | None,
        others: Sequence[str],
        *,
        lang: Language = "en",
        withhold_message: bool = False,
    ) -> str:
        """The ticket's reference, status and the desk's last message, from the ticket (no policy quoted;
        `withhold_message`: the message's date only)."""
        kinds = text("desk_kinds_separator", lang).join(_request_name(t, lang) for t in ticket.request_types)
        desk = company.desk_name or text("desk_default_name", lang)
        status = text(f"status.{ticket.status}", lang) if has(f"status.{ticket.status}") else ticket.status
        lines = [
            text("request_status", lang, reference=ticket.id, kinds=kinds, company=company.short_name_in(lang), desk=desk, status=status)
        ]
        if desk_message is None:
            lines.append(text("request_status_no_message", lang))
        else:
            at, said = desk_message
            if withhold_message:
                lines.append(text("request_status_message_kept", lang, at=at[:10]))
            else:
                lines.append(text("request_status_message", lang, at=at[:10], text=said))
        if others:
            lines.append(text("request_status_others", lang, references=text("request_status_separator", lang).join(others)))
        return "\n".join(lines)

    @staticmethod
    def no_request_to(company: Company, others: Sequence[str], *, lang: Language = "en") -> str:
        """No request to this company in the session, and the references of those it has."""
        desk = company.desk_name or text("desk_default_name", lang)
        lines = [text("request_status_none", lang, company=company.short_name_in(lang), desk=desk)]
        if others:
            lines.append(text("request_status_theirs", lang, references=text("request_status_separator", lang).join(others)))
        return "\n".join(lines)

    def not_covered(self, company: Company, query: str, *, lang: Language = "en") -> str:
        """The honest reply when the policy does not answer the question."""
        topic = _topic(query, lang)
        contact = contact_line(company, lang)
        if topic:
            return text("not_covered_topic", lang, company=company.short_name_in(lang), topic=topic, contact=contact)
        return text("not_covered", lang, company=company.short_name_in(lang), contact=contact)

    @staticmethod
    def off_topic(company: Company | None, *, lang: Language = "en") -> str:
        """The reply to messages that are not about handling personal information."""
        if company is None:
            return text("off_topic", lang)
        return text("off_topic_company", lang, company=company.short_name_in(lang))

    @staticmethod
    def other_company(here: Company, other: Company, *, lang: Language = "en") -> str:
        """The reply when a widget bound to one company is asked about another."""
        return text(
            "other_company", lang, here=here.short_name_in(lang), other=other.short_name_in(lang), contact=contact_line(other, lang)
        )

    @staticmethod
    def clarify(companies: Sequence[Company], *, lang: Language = "en") -> str:
        """Asks which company the customer means."""
        names = text("clarify_separator", lang).join(text("clarify_item", lang, name=c.short_name_in(lang), id=c.id) for c in companies)
        return text("clarify", lang, names=names)

    @staticmethod
    def unsupported_language() -> str:
        """The reply, in every supported language, to a message in a language the assistant does not support."""
        return "\n".join(text("unsupported_language", lang) for lang in SUPPORTED)


def procedure_steps(points: Sequence[ProcedurePoint], cites: Sequence[Citation], lang: Language = "en") -> tuple[ProcedureStep, ...]:
    """The points of a desk reply as a request draft carries them: each cited by the reply's markers, or not stated."""
    by_span = {(c.doc_id, c.start): c.id for c in cites}
    steps = []
    for point in points:
        label = text(f"aspect.{point.aspect.key}", lang)
        if point.unquoted:
            steps.append(ProcedureStep(point.aspect.key, label, "not_quoted"))
        elif not point.evidence:
            steps.append(ProcedureStep(point.aspect.key, label, "not_stated"))
        elif not point.applies:
            steps.append(ProcedureStep(point.aspect.key, label, "other_kinds"))
        else:
            ids = tuple(dict.fromkeys(by_span[(ev.chunk.doc_id, ev.span.start)] for ev in point.evidence))
            steps.append(ProcedureStep(point.aspect.key, label, "cited", ids))
    return tuple(steps)


def draft_fields(company: Company, lang: Language = "en") -> tuple[DraftField, ...]:
    """What the customer gives to submit a draft: an e-mail or a postal address is enough, and consent is needed.

    Each is named by its place in the POST /v1/requests body (`contact.email`, `consent`), as a 422's `field` names it."""
    desk = company.desk_name or text("desk_default_name", lang)
    optional = ("name", "email", "postal_address", "phone")
    fields = [DraftField(f"contact.{name}", False, text(f"draft_field.{name}", lang)) for name in optional]
    fields.append(DraftField("consent", True, text("draft_field.consent", lang, company=company.short_name_in(lang), desk=desk)))
    return tuple(fields)


def contact_line(company: Company, lang: Language = "en") -> str:
    """One line naming the company's desk and every channel the policy gives for it (in English, `Company.desk_contact`)."""
    channels = [p for p in (company.desk_email, company.desk_url, company.desk_address) if p]
    line = company.desk_name or text("contact_default_name", lang)
    if channels:
        line = text("contact_channels", lang, name=line, channels=text("contact_channel_separator", lang).join(channels))
    note = company.desk_channels_note_in(lang)
    if note:
        line += text("contact_note", lang, note=note)
    return line


def _topic(query: str, lang: Language) -> str | None:
    """The question's topic named in `lang`: the topic rules read English words, so another
    language names a topic only when the catalog has its name."""
    topic = describe_topic(query)
    if topic is None or lang == "en":
        return topic
    key = f"topic.{topic}"
    return text(key, lang) if has(key) else None


def _quote(c: Citation, lang: Language, *, one_line: bool = False) -> str:
    return text("quote", lang, id=c.id, text=" ".join(c.display.split()) if one_line else c.display)


def _request_name(request_type: str, lang: Language) -> str:
    key = f"request.{request_type}"
    return text(key, lang) if has(key) else request_type.replace("_", " ")


def _parent(section: str) -> str:
    """The section path one level up: a list's lead stands above its items' labels."""
    return section.rsplit(" > ", 1)[0] if " > " in section else section


def _section_label(section: str) -> str:
    parts = section.split(" > ")
    return " > ".join(parts[-2:]) if len(parts) > 2 else section


def _may_conflict(query: str, cites: Sequence[Citation]) -> bool:
    """Two quoted passages give incompatible values for the same point (a fee and no fee)."""
    return consistency.conflicts(query, [c.text for c in cites])
