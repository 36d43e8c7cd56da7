"""Tenant isolation of retrieval (`assistant/search/retrieval.py`) and of the facade's citations."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.index.builds import LoadedIndex, load_index
from assistant.ingest.corpus import doc_id_for, load_companies
from assistant.search.retrieval import HybridRetriever

CORPUS_DIR = Path(__file__).resolve().parents[2] / "corpus"
COMPANY_IDS = ["highreso", "sb-cs", "upward", "gmo-ai-robotics", "win-techno"]

QUESTIONS = [
    "Is there a fee for a disclosure request?",
    "How much does it cost to get my data?",
    "How do I contact your privacy desk?",
    "What is your e-mail address for privacy questions?",
    "Where do I send a request by post?",
    "Can I phone you about my personal information?",
    "What do you use my personal information for?",
    "Do you use my data for marketing and advertising?",
    "Do you use cookies?",
    "How can I refuse cookies in my browser?",
    "Do you collect my IP address and access logs?",
    "Do you share my data with third parties?",
    "Do you give my data to your group companies?",
    "Is my data sent to other countries?",
    "Do you outsource the handling of my data?",
    "How do you keep my data secure?",
    "Do you train your employees on data protection?",
    "How can I correct wrong information about me?",
    "Can I ask you to delete my personal data?",
    "Can I stop you from using my data?",
    "What documents do I need to prove my identity?",
    "Can someone make a request on my behalf?",
    "How long do you keep my personal data?",
    "When was this privacy policy last revised?",
    "Will you tell me when the policy changes?",
    "Do I have to give you my personal information?",
    "What happens if I do not provide my information?",
    "Where can I complain about how my data is handled?",
    "Do you collect location information from my phone?",
    "What information do you collect about job applicants?",
    "プライバシーポリシーについて教えてください",
]

CROSS_COMPANY = [
    ("upward", "What is Highreso's e-mail?"),
    ("upward", "privacy@highreso.co.jp Personal Information Consultation Desk 3-24-1 Ichigaya Tamachi"),
    ("highreso", "What does UPWARD charge, 1,000 yen per request?"),
    ("highreso", "Marunouchi Eiraku Building 26F request for disclosure enclosed in red ink"),
    ("sb-cs", "What does Win Techno say about AWS account information? support@win-techno.com"),
    ("win-techno", "SoftBank Corp. shared use Chief Information Security Officer"),
    ("gmo-ai-robotics", "Tell me about SB C&S IT logistics services"),
    ("sb-cs", "GMO AI & Robotics inquiry form ai-robotics.gmo/en/contact"),
]


@pytest.fixture(scope="module")
def index(hash_index_dir: Path) -> LoadedIndex:
    return load_index(hash_index_dir)


@pytest.fixture(scope="module")
def retriever(index: LoadedIndex, hash_embedder) -> HybridRetriever:  # type: ignore[no-untyped-def]
    return HybridRetriever(index, hash_embedder)


def _company_texts(index: LoadedIndex) -> dict[str, str]:
    return {doc.company: doc.text for doc in index.documents.values()}


def test_company_rows_are_contiguous(index: LoadedIndex) -> None:
    assert set(index.chunk_ranges) == set(COMPANY_IDS)
    covered = 0
    for company, (lo, hi) in index.chunk_ranges.items():
        assert all(c.company == company for c in index.chunks[lo:hi])
        covered += hi - lo
    assert covered == len(index.chunks)


@pytest.mark.parametrize("company", COMPANY_IDS)
def test_retrieval_returns_only_the_asked_company(retriever: HybridRetriever, index: LoadedIndex, company: str) -> None:
    texts = _company_texts(index)
    total = 0
    for question in QUESTIONS:
        ranking = retriever.retrieve(question, company, k=8)
        assert len(ranking) <= 8
        total += len(ranking)
        for scored in ranking:
            assert scored.chunk.company == company, (question, scored.chunk.id)
            assert index.documents[scored.chunk.doc_id].company == company
        evidence = retriever.select_evidence(question, company, ranking)
        for ev in evidence:
            assert ev.chunk.company == company, (question, ev.chunk.id)
            assert index.documents[ev.chunk.doc_id].text_of(ev.span) == texts[company][ev.span.start : ev.span.end]
    assert total > len(QUESTIONS)  # the questions do find clauses


@pytest.mark.parametrize(("company", "question"), CROSS_COMPANY)
def test_naming_another_company_never_crosses_over(retriever: HybridRetriever, index: LoadedIndex, company: str, question: str) -> None:
    texts = _company_texts(index)
    ranking = retriever.retrieve(question, company, k=30)
    assert ranking, "the asked company's own clauses still rank"
    evidence = retriever.select_evidence(question, company, ranking)
    for item in [s.chunk for s in ranking] + [e.chunk for e in evidence]:
        assert item.company == company
        assert item.text in texts[company]


def test_select_evidence_never_returns_another_tenants_passages(retriever: HybridRetriever) -> None:
    question = "Is there a fee for a disclosure request?"
    upward = retriever.retrieve(question, "upward")
    assert upward
    # Passages are scored over the asked company's policy alone, whatever ranking is passed in.
    foreign = retriever.select_evidence(question, "highreso", upward)
    assert foreign and all(e.chunk.company == "highreso" for e in foreign)
    evidence = retriever.select_evidence(question, "upward", upward)
    assert evidence and all(e.chunk.company == "upward" for e in evidence)


def test_unknown_company_or_blank_query_returns_nothing(retriever: HybridRetriever) -> None:
    assert retriever.retrieve("Do you use cookies?", "acme") == []
    assert retriever.retrieve("   ", "upward") == []
    upward = retriever.retrieve("Do you use cookies?", "upward")
    assert retriever.select_evidence("Do you use cookies?", "acme", upward) == []


# -- through the facade ----------------------------------------------------------------------------

FACADE_QUESTIONS = [
    *QUESTIONS[:12],
    "I want to delete all my personal data.",
    "Please disclose the personal data you hold about me.",
    "I want to complain about how you handled my data.",
]


@pytest.mark.parametrize("company", COMPANY_IDS)
def test_facade_citations_carry_the_asked_company(hash_assistant, company: str) -> None:  # type: ignore[no-untyped-def]
    text = _company_texts(hash_assistant.index)[company]
    cited = 0
    for question in FACADE_QUESTIONS + [q for c, q in CROSS_COMPANY if c == company]:
        reply = hash_assistant.reply(question, company=company)
        assert reply.company == company, (question, reply.route)
        if reply.request_draft is not None:
            assert reply.request_draft.company == company
        for citation in reply.citations:
            cited += 1
            assert citation.company == company, (question, citation)
            assert hash_assistant.index.documents[citation.doc_id].company == company
            assert citation.text == text[citation.start : citation.end]
    assert cited > 0  # the desk route at least cites the procedure


def test_facade_keeps_the_explicit_company_when_another_is_named(hash_assistant) -> None:  # type: ignore[no-untyped-def]
    reply = hash_assistant.reply("What is Highreso's e-mail?", company="upward")
    # Nothing is quoted from either policy: the widget answers for UPWARD only (the hash
    # embedder's intent model may call the message off-topic first; the real model's case, with
    # the other company's desk named, is tests/test_service.py).
    assert reply.company == "upward" and reply.route == "abstain" and reply.reason in ("other_company", "off_topic")
    assert not reply.citations and reply.ticket is None


@pytest.mark.parametrize("company", COMPANY_IDS)
def test_staff_search_stays_in_the_given_companies(hash_assistant, company: str) -> None:  # type: ignore[no-untyped-def]
    results = hash_assistant.search("fee for disclosure contact address", [company], k=10)
    assert results
    for citation, clause in results:
        assert citation.company == company
        assert citation.text in clause


# -- real model: every citation is verbatim from the raw policy file ----------------------------------

REAL_QUESTIONS = [
    *QUESTIONS[:30],
    "What is the privacy contact's address?",
    "Do you charge anything to correct my data?",
    "How will you reply to my disclosure request?",
    "Do you sell my personal data?",
    "Which group companies see my information?",
    "Do you analyse my browsing history for ads?",
    "Is the inquiry form the only way to contact you?",
    "What counts as personal information under this policy?",
    "Do you keep records of giving data to third parties?",
    "What law do you follow when handling my data?",
]


def _raw_texts() -> dict[str, str]:
    """doc id -> the policy file's text, decoded straight from its bytes (not via the index)."""
    out = {}
    for company in load_companies(CORPUS_DIR):
        for name in company.files:
            out[doc_id_for(company.id, name)] = (CORPUS_DIR / name).read_bytes().decode("utf-8")
    return out


@pytest.mark.slow
def test_real_model_citations_are_verbatim_and_isolated(tmp_path: Path, real_settings, real_embedder) -> None:  # type: ignore[no-untyped-def]
    from assistant.factory import build_assistant
    from assistant.storage.db import make_engine, upgrade_database

    # A private database: desk tickets opened here must not touch the shared real_assistant's.
    url = f"sqlite:///{tmp_path / 'isolation.db'}"
    upgrade_database(make_engine(url))
    assistant = build_assistant(real_settings.model_copy(update={"database_url": url}), real_embedder)
    raw = _raw_texts()
    doc_company = {doc_id: doc_id.split("/")[0] for doc_id in raw}
    assert len(REAL_QUESTIONS) == 40
    answered = {c: 0 for c in COMPANY_IDS}
    for company in COMPANY_IDS:
        for question in REAL_QUESTIONS:
            reply = assistant.reply(question, company=company)
            assert reply.company == company, (company, question, reply.route)
            for citation in reply.citations:
                assert citation.company == company, (company, question, citation)
                assert doc_company[citation.doc_id] == company
                assert citation.text == raw[citation.doc_id][citation.start : citation.end], (company, question)
            answered[company] += reply.route == "answer"
    assert all(n > 0 for n in answered.values()), answered


class CountingEmbedder:
    """Wraps an embedder and counts the texts it is asked to embed."""

    def __init__(self, inner) -> None:  # type: ignore[no-untyped-def]
        self._inner = inner
        self.name, self.dimensions = inner.name, inner.dimensions
        self.texts: list[str] = []
        self.calls = 0

    def embed(self, texts):  # type: ignore[no-untyped-def]
        self.texts.extend(texts)
        self.calls += 1
        return self._inner.embed(texts)


@pytest.mark.parametrize("cache_size", [0, 512])
def test_one_embedding_per_reply_and_the_query_cache(
    hash_index_dir: Path,
    sqlite_url: str,
    hash_embedder,
    cache_size: int,  # type: ignore[no-untyped-def]
) -> None:
    from assistant.factory import build_assistant
    from tests.conftest import _settings

    counting = CountingEmbedder(hash_embedder)
    assistant = build_assistant(_settings(hash_index_dir, sqlite_url, query_cache_size=cache_size), counting)
    counting.texts.clear()  # what start-up embedded (the fixed procedure queries)
    # One question three ways: as typed, with a greeting and a sign-off, naming the company.
    for message in ("Do you use cookies?", "Hi! Do you use cookies? Thanks.", "Does Highreso use cookies?"):
        assistant.reply(message, "highreso")
    if cache_size == 0:  # each reply embeds what is asked, once
        assert counting.texts == ["Do you use cookies?", "Do you use cookies?", "Does it use cookies?"]
    else:  # the greeting's version is the first one again
        assert counting.texts == ["Do you use cookies?", "Does it use cookies?"]


def test_a_formal_request_embeds_in_two_calls_with_no_cache(hash_index_dir: Path, sqlite_url: str, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    """The message, then every aspect of its procedure at once (not one call per look-up)."""
    from assistant.factory import build_assistant
    from tests.conftest import _settings

    counting = CountingEmbedder(hash_embedder)
    assistant = build_assistant(_settings(hash_index_dir, sqlite_url, query_cache_size=0), counting)
    message = "Please delete my data and stop sharing it with third parties."
    counting.calls = 0
    reply = assistant.reply(message, "upward")
    assert reply.route == "desk" and reply.request_draft is not None and len(reply.request_draft.request_types) >= 1
    assert counting.calls <= 2, counting.texts
    # Another company, the same kinds: the look-ups are fixed texts, kept from the first time.
    counting.calls = 0
    assert assistant.reply(message, "highreso").route == "desk"
    assert counting.calls == 1, counting.texts


def test_a_heading_on_its_own_is_never_evidence(retriever: HybridRetriever, index: LoadedIndex) -> None:
    # Highreso's file opens with its title twice ("PRIVACY POLICY"), each a passage of its own;
    # the title matches "privacy" in any question, but it answers none.
    lo, hi = index.span_ranges["highreso"]
    titles = []
    for row in range(lo, hi):
        chunk_row, pos = index.span_rows[row]
        chunk = index.chunks[chunk_row]
        if index.documents[chunk.doc_id].text_of(chunk.spans[pos]).strip() == "PRIVACY POLICY":
            titles.append((chunk.doc_id, chunk.spans[pos].start))
    assert titles, "the fixture policy still has its title passages"
    for question in [*QUESTIONS, "privacy policy", "PRIVACY POLICY"]:
        evidence = retriever.select_evidence(question, "highreso", [], max_chunks=hi - lo)
        assert evidence, question
        assert not any((ev.chunk.doc_id, ev.span.start) in titles for ev in evidence), question


def test_an_item_under_its_lead_is_evidence_even_when_it_reads_as_a_title(retriever: HybridRetriever, index: LoadedIndex) -> None:
    # SB C&S lists the parties it shares data with ("SoftBank Corp.") under a lead line.
    evidence = retriever.select_evidence("SoftBank Corp.", "sb-cs", [], max_chunks=10_000)
    texts = [index.documents[ev.chunk.doc_id].text_of(ev.span).strip() for ev in evidence]
    assert any(t.startswith("SoftBank Corp.") for t in texts)


TOC_NOTICE = """# Example Privacy Notice

Our notice includes the following sections:

* [Collection of Information](#collection)
* [Sharing of Information](#sharing)
* [Contact](#contact)

## Collection of Information {: #collection }

We collect your e-mail address when you create an account.

## Sharing of Information {: #sharing }

We share information with service providers that host our servers.

## Contact {: #contact }

Write to privacy@example.com with any question about this notice.
"""


def test_a_table_of_contents_is_never_evidence(tmp_path: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    from assistant.index.builds import build_index
    from assistant.ingest.corpus import load_corpus

    corpus_dir = tmp_path / "corpus"
    corpus_dir.mkdir()
    (corpus_dir / "notice.md").write_text(TOC_NOTICE, encoding="utf-8")
    (corpus_dir / "companies.toml").write_text(
        '[[company]]\nid = "example"\nname = "Example Inc."\nfiles = ["notice.md"]\n', encoding="utf-8"
    )
    build_index(load_corpus(corpus_dir), corpus_dir, tmp_path / "index", hash_embedder, progress=False)
    index = load_index(tmp_path / "index")
    retriever = HybridRetriever(index, hash_embedder)
    text = next(d.text for d in index.documents.values() if d.company == "example")
    toc_start, toc_end = text.index("* [Collection"), text.index("## Collection")
    for question in ["How do I contact you?", "Sharing of information", "What information do you collect?"]:
        evidence = retriever.select_evidence(question, "example", [], max_chunks=1000)
        assert evidence, question
        assert all(not (toc_start <= ev.span.start < toc_end) for ev in evidence), question
    # The sections themselves are still there to quote.
    quoted = " ".join(
        index.documents[ev.chunk.doc_id].text_of(ev.span) for ev in retriever.select_evidence("contact", "example", [], max_chunks=1000)
    )
    assert "privacy@example.com" in quoted


def test_each_passage_is_scored_on_exactly_its_own_terms(retriever: HybridRetriever, index: LoadedIndex) -> None:
    # The terms are cut out of each clause's tokens once, not tokenized passage by passage: the
    # same terms either way (markers between items, like "2.", belong to neither side).
    from assistant.search.lexical import tokenize

    for company, (lo, hi) in index.span_ranges.items():
        passages = retriever._company_passages(company)
        assert passages is not None
        for i, row in enumerate(range(lo, hi)):
            chunk_row, pos = index.span_rows[row]
            chunk = index.chunks[chunk_row]
            span = chunk.spans[pos]
            own = frozenset(tokenize(index.documents[chunk.doc_id].text_of(span)))
            # A passage that is its clause's whole body reads with its heading (a value under its label).
            whole = chunk.section and span.start <= chunk.start and span.end >= chunk.end
            heading = frozenset(tokenize(chunk.section.rsplit(" > ", 1)[-1])) if whole else frozenset()
            assert passages.terms[i] == own | heading, (company, row)


def test_a_value_under_its_label_is_found_by_the_label_s_words(tmp_path: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    from assistant.index.builds import build_index
    from assistant.ingest.corpus import load_corpus

    corpus_dir = tmp_path / "corpus"
    corpus_dir.mkdir()
    notice = (
        "Privacy Policy\n1. Personal Information\n(1) Items of Personal Information Acquired\n"
        "- Corporate name, name, address, email address, phone number\n"
        "(2) Sharing\nWe may share personal information with affiliated companies for joint marketing.\n"
    )
    (corpus_dir / "notice.txt").write_text(notice, encoding="utf-8")
    (corpus_dir / "companies.toml").write_text(
        '[[company]]\nid = "example"\nname = "Example Inc."\nfiles = ["notice.txt"]\n', encoding="utf-8"
    )
    build_index(load_corpus(corpus_dir), corpus_dir, tmp_path / "index", hash_embedder, progress=False)
    retriever = HybridRetriever(load_index(tmp_path / "index"), hash_embedder)
    passages = retriever._company_passages("example")
    assert passages is not None
    value = next(i for i, t in enumerate(passages.texts) if t.startswith("Corporate name"))
    assert {"personal", "information"} <= passages.terms[value]  # from its label, not its own words


# -- Japanese questions: the multilingual space ---------------------------------------------------------------
@pytest.fixture(scope="module")
def bilingual_retriever(index: LoadedIndex, hash_embedder, multilingual_embedder) -> HybridRetriever:  # type: ignore[no-untyped-def]
    return HybridRetriever(index, hash_embedder, multilingual=multilingual_embedder)


def test_a_japanese_question_embeds_in_the_multilingual_space(bilingual_retriever: HybridRetriever, retriever: HybridRetriever) -> None:
    assert bilingual_retriever.space_of("個人情報の利用目的を教えてください") == "ml"
    assert bilingual_retriever.space_of("What are the purposes of use?") == "en"
    assert bilingual_retriever.embed_queries(["個人情報の利用目的を教えてください"]).shape == (1, 512)
    assert retriever.space_of("個人情報の利用目的を教えてください") == "en"  # no second encoder: English alone
    with pytest.raises(ValueError, match="different languages"):
        bilingual_retriever.embed_queries(["個人情報", "personal data"])


@pytest.mark.parametrize("company", ["highreso", "upward", "sb-cs"])
def test_a_japanese_question_finds_the_english_clause_of_its_company_only(bilingual_retriever: HybridRetriever, company: str) -> None:
    query = "個人情報の利用目的は何ですか？"
    ranking = bilingual_retriever.retrieve(query, company, k=5)
    assert ranking and all(r.chunk.company == company for r in ranking)
    evidence = bilingual_retriever.select_evidence(query, company, ranking)
    assert evidence and all(ev.chunk.company == company for ev in evidence)
    assert bilingual_retriever.evidence_space(query, company) == "ml"
    # The question's own vector (as embed_queries gives it) serves as well as none.
    vector = bilingual_retriever.embed_queries([query])[0]
    assert [r.chunk.id for r in bilingual_retriever.retrieve(query, company, k=5, vector=vector)] == [r.chunk.id for r in ranking]
    assert "purpose" in " ".join(r.chunk.text.lower() for r in ranking[:3])


def test_across_languages_bm25_reads_the_questions_latin_words_and_translations_only(bilingual_retriever: HybridRetriever) -> None:
    # Highreso's English policy keeps a Japanese table heading (対象情報 利用目的 保有個人情報): a
    # Japanese question's own words would match only that.
    query = bilingual_retriever._lexical_query("Cookieの利用目的は何ですか？", "highreso", "ml")
    assert "cookie" in query.lower() and "利用目的" not in query
    assert bilingual_retriever._lexical_query("What is the purpose of use?", "highreso", "en") == "What is the purpose of use?"


def test_a_pinned_query_compared_across_languages_is_pinned_in_that_space_too(bilingual_retriever: HybridRetriever) -> None:
    query = "How do I send a disclosure request by post?"
    vector = bilingual_retriever.embed_queries([query], pin=True)[0]
    bilingual_retriever._languages["japanese-only"] = {"ja"}  # a company with no English version
    bilingual_retriever._plan(query, "japanese-only", vector)
    assert ("ml", query) in bilingual_retriever._pinned
    bilingual_retriever._plan("a customer's own words", "japanese-only", None)
    assert ("ml", "a customer's own words") not in bilingual_retriever._pinned
