"""SQuAD v1.1 files as eval input: each article is one policy, its paragraphs the policy's segments.

`load_squad` joins an article's paragraphs with a blank line into one policy text and shifts
each answer's `answer_start` by its paragraph's offset (answers whose text is not found at the
shifted offset are counted and skipped); `write_corpus` writes the policies as a corpus folder
(`<slug>.txt` plus `companies.toml`); `run_squad` indexes that folder through the normal corpus
path, asks every question against its own policy in-process and scores where the gold answer
span turns up in the assistant's ranking.
"""

from __future__ import annotations

import json
import logging
import re
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from evals import metrics
from evals.report import latency_text

log = logging.getLogger(__name__)

SEPARATOR = "\n\n"
K = 10


@dataclass(frozen=True)
class SquadAnswer:
    """A gold answer with its offsets in the joined policy text."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class SquadQuestion:
    """One question about one policy."""

    id: str
    question: str
    answers: tuple[SquadAnswer, ...]


@dataclass(frozen=True)
class SquadPolicy:
    """One article: its title, company id (slug) and joined text."""

    slug: str
    title: str
    text: str
    questions: tuple[SquadQuestion, ...]


@dataclass(frozen=True)
class SquadSet:
    """A loaded SQuAD file."""

    path: str
    policies: tuple[SquadPolicy, ...]
    answers: int = 0
    mismatches: int = 0
    skipped_questions: int = 0


def slugify(title: str, taken: set[str] | None = None) -> str:
    """A company id from a title: lower-case ASCII letters, digits and hyphens, unique within `taken`."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:60].strip("-") or "policy"
    if taken is None:
        return slug
    base, n = slug, 2
    while slug in taken:
        slug = f"{base}-{n}"
        n += 1
    taken.add(slug)
    return slug


def join_paragraphs(contexts: Sequence[str]) -> tuple[str, list[int]]:
    """The paragraphs joined by a blank line, and where each paragraph starts in the result."""
    offsets, pos = [], 0
    for i, ctx in enumerate(contexts):
        if i:
            pos += len(SEPARATOR)
        offsets.append(pos)
        pos += len(ctx)
    return SEPARATOR.join(contexts), offsets


def load_squad(path: Path) -> SquadSet:
    """Read a SQuAD v1.1 JSON file into policies with shifted, verified answer offsets."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise ValueError(f"{path}: not a SQuAD file (no top-level `data` list)")
    taken: set[str] = set()
    policies: list[SquadPolicy] = []
    n_answers = mismatches = skipped = 0
    for number, article in enumerate(data["data"]):
        title = str(article.get("title") or f"policy {number + 1}")
        paragraphs = article.get("paragraphs") or []
        text, offsets = join_paragraphs([str(p.get("context", "")) for p in paragraphs])
        if not text.strip():
            log.warning("%s: article %r has no text; skipped", path, title)
            continue
        questions: list[SquadQuestion] = []
        for para, offset in zip(paragraphs, offsets, strict=True):
            for qa in para.get("qas") or []:
                answers: list[SquadAnswer] = []
                for ans in qa.get("answers") or []:
                    n_answers += 1
                    answer, start = str(ans.get("text", "")), int(ans.get("answer_start", -1)) + offset
                    if not answer or start < offset or text[start : start + len(answer)] != answer:
                        mismatches += 1
                        log.warning(
                            "%s: answer %r of question %s is not at offset %s; skipped", path, answer, qa.get("id"), ans.get("answer_start")
                        )
                        continue
                    span = SquadAnswer(answer, start, start + len(answer))
                    if span not in answers:
                        answers.append(span)
                if answers:
                    questions.append(SquadQuestion(str(qa.get("id") or f"{number}-{len(questions)}"), str(qa["question"]), tuple(answers)))
                else:
                    skipped += 1
        policies.append(SquadPolicy(slugify(title, taken), title, text, tuple(questions)))
    if mismatches:
        log.warning("%s: %d of %d answers did not match their offsets and were skipped", path, mismatches, n_answers)
    return SquadSet(str(path), tuple(policies), n_answers, mismatches, skipped)


def _toml_string(value: str) -> str:
    out = ['"']
    for ch in value:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def write_corpus(policies: Sequence[SquadPolicy], corpus_dir: Path) -> None:
    """Write `<slug>.txt` per policy (byte for byte, so offsets hold) and a generated companies.toml."""
    corpus_dir.mkdir(parents=True, exist_ok=True)
    lines = ["# Generated from a SQuAD file by evals/squad.py: one company per article.", ""]
    for p in policies:
        with (corpus_dir / f"{p.slug}.txt").open("w", encoding="utf-8", newline="") as fh:
            fh.write(p.text)
        lines += ["[[company]]", f"id = {_toml_string(p.slug)}", f"name = {_toml_string(p.title)}", f'files = ["{p.slug}.txt"]', ""]
    (corpus_dir / "companies.toml").write_text("\n".join(lines), encoding="utf-8")


def contains(span: tuple[int, int], answer: SquadAnswer) -> bool:
    """A retrieved span hits when it contains the whole answer span."""
    return span[0] <= answer.start and answer.end <= span[1]


def answer_relevance(ranking: Sequence[tuple[str, int, int]], doc_id: str, answers: Sequence[SquadAnswer]) -> list[int]:
    """Per ranked (doc_id, start, end): 0 when it lies in `doc_id` and contains any gold answer span,
    else -1 (the convention of evals.metrics, so hit_at/mrr_at apply)."""
    return [0 if d == doc_id and any(contains((s, e), a) for a in answers) else -1 for d, s, e in ranking]


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def quoted(reply: str, answers: Sequence[SquadAnswer]) -> bool:
    """Whether any gold answer text appears in the reply (whitespace and case normalised)."""
    low = _normal(reply)
    return any(_normal(a.text) in low for a in answers)


@dataclass
class SquadOutcome:
    """What happened to one question."""

    id: str
    company: str
    question: str
    answers: list[dict[str, Any]]
    route: str
    answer: str
    rank: int | None  # 1-based rank of the first span containing the answer, None if none does
    relevance: list[int] = field(default_factory=list)
    quoted: bool = False
    top_texts: list[str] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None


def ask_all(
    squad: SquadSet,
    respond: Callable[[str, str | None, str | None], tuple[dict[str, Any], list[tuple[str, int, int]] | None]],
    on_item: Callable[[SquadOutcome], None] | None = None,
) -> list[SquadOutcome]:
    """Ask each question against its own policy (fresh session) and score the ranking."""
    outcomes = []
    for policy in squad.policies:
        for q in policy.questions:
            data: dict[str, Any] = {}
            ranking: list[tuple[str, int, int]] | None = None
            error = None
            started = time.perf_counter()
            try:
                data, ranking = respond(q.question, policy.slug, None)
            except Exception as exc:  # recorded, not raised: one bad question must not stop a run
                error = f"{type(exc).__name__}: {exc}"
            seconds = time.perf_counter() - started
            if ranking is None:
                ranking = [(c["doc_id"], c["start"], c["end"]) for c in data.get("citations", [])]
            own = [(s, e) for d, s, e in ranking if d == policy.slug]
            rels = answer_relevance(ranking, policy.slug, q.answers)
            rank = next((i + 1 for i, r in enumerate(rels) if r >= 0), None)
            outcomes.append(
                SquadOutcome(
                    id=q.id,
                    company=policy.slug,
                    question=q.question,
                    answers=[asdict(a) for a in q.answers],
                    route=data.get("route", "error"),
                    answer=data.get("answer", ""),
                    rank=rank,
                    relevance=rels,
                    quoted=quoted(data.get("answer", ""), q.answers),
                    top_texts=[policy.text[s:e] for s, e in own[:5]],
                    seconds=seconds,
                    error=error,
                )
            )
            if on_item is not None:
                on_item(outcomes[-1])
    return outcomes


def summarize_squad(squad: SquadSet, outcomes: Sequence[SquadOutcome]) -> dict[str, Any]:
    """Answer-span hit@1/3/5, MRR@10, the share quoted in the reply, routes and latency."""
    n = len(outcomes)

    routes: dict[str, int] = {}
    for o in outcomes:
        routes[o.route] = routes.get(o.route, 0) + 1
    secs = [o.seconds for o in outcomes]
    return {
        "policies": len(squad.policies),
        "questions": n,
        "answers": squad.answers,
        "answer_mismatches": squad.mismatches,
        "skipped_questions": squad.skipped_questions,
        "errors": sum(1 for o in outcomes if o.error),
        "hit@1": metrics.mean([metrics.hit_at(o.relevance, 1) for o in outcomes]),
        "hit@3": metrics.mean([metrics.hit_at(o.relevance, 3) for o in outcomes]),
        "hit@5": metrics.mean([metrics.hit_at(o.relevance, 5) for o in outcomes]),
        "mrr@10": metrics.mean([metrics.mrr_at(o.relevance, K) for o in outcomes]),
        "answer_quoted": metrics.mean([1.0 if o.quoted else 0.0 for o in outcomes]),
        "routes": dict(sorted(routes.items())),
        "latency_ms": metrics.latency_ms(secs),
    }


def console_squad(name: str, path: str, summary: dict[str, Any]) -> str:
    """The console table of one SQuAD run."""
    s = summary
    return "\n".join(
        [
            f"== squad {name} ({path}): {s['policies']} policies, {s['questions']} questions, {s['errors']} errors "
            f"({s['answer_mismatches']}/{s['answers']} answers with bad offsets "
            f"skipped, {s['skipped_questions']} questions left without an answer)",
            f"  answer span  Hit@1 {s['hit@1']:.3f}  Hit@3 {s['hit@3']:.3f}  Hit@5 {s['hit@5']:.3f}  MRR@10 {s['mrr@10']:.3f}  "
            f"quoted in reply {s['answer_quoted']:.3f}",
            "  routes       " + "  ".join(f"{k} {v}" for k, v in s["routes"].items()),
            f"  latency ms   p50 {latency_text(s['latency_ms']['p50'], '.0f')}  p95 {latency_text(s['latency_ms']['p95'], '.0f')}",
        ]
    )


def run_squad(
    squad: SquadSet,
    settings: Any,
    embedder: Any,
    workdir: Path,
    progress: bool = False,
    on_item: Callable[[SquadOutcome], None] | None = None,
) -> tuple[list[SquadOutcome], dict[str, Any]]:
    """Write the policies into `workdir/corpus`, index them into `workdir/index`, ask every question
    in-process with a SQLite database in `workdir`, and return the outcomes and their summary."""
    from assistant.factory import build_assistant, build_resources
    from evals.runner import in_process

    if not squad.policies:
        raise ValueError(f"{squad.path}: no policies with text")
    corpus_dir, index_dir = workdir / "corpus", workdir / "index"
    write_corpus(squad.policies, corpus_dir)
    local = settings.model_copy(
        update={
            "corpus_dir": corpus_dir,
            "index_dir": index_dir,
            "database_url": f"sqlite:///{workdir / 'eval.db'}",
            "database_schema": None,
            "desk_webhooks": "",
            "auto_build_index": True,
        }
    )
    resources = build_resources(local, migrate=True)
    resources.index.prepare(embedder, progress=progress)
    assistant = build_assistant(local, embedder, resources)
    outcomes = ask_all(squad, in_process(assistant), on_item)
    return outcomes, summarize_squad(squad, outcomes)
