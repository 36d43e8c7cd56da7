"""SQuAD import: offsets shifted into the joined policy text, the generated corpus, a full run."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from assistant.ingest.corpus import load_companies, load_corpus
from assistant.models.embedders import Embedder
from assistant.settings import Settings
from evals import squad

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "squad_tiny.json"

# The fixture's paragraphs are 99, 89 and 150 characters (Acme) and 101 and 98 (Blue Harbor);
# joined by "\n\n" they start at 0, 101, 192 and at 0, 103.
ACME_OFFSETS = [0, 101, 192]
BLUE_OFFSETS = [0, 103]


def test_join_paragraphs_offsets() -> None:
    text, offsets = squad.join_paragraphs(["abc", "de", "f"])
    assert text == "abc\n\nde\n\nf"
    assert offsets == [0, 5, 9]
    assert squad.join_paragraphs(["only"]) == ("only", [0])


def test_slugify() -> None:
    taken: set[str] = set()
    assert squad.slugify('Acme "Cloud" K.K.', taken) == "acme-cloud-k-k"
    assert squad.slugify("Acme Cloud, K.K.", taken) == "acme-cloud-k-k-2"
    assert squad.slugify("Café Privacy", taken) == "cafe-privacy"
    assert squad.slugify("個人情報保護方針", taken) == "policy"
    assert squad.slugify("株式会社", taken) == "policy-2"


def test_load_shifts_offsets_and_skips_mismatches() -> None:
    raw = json.loads(FIXTURE.read_text(encoding="utf-8"))
    loaded = squad.load_squad(FIXTURE)
    acme, blue = loaded.policies
    assert (acme.slug, acme.title) == ("acme-cloud-k-k", 'Acme "Cloud" K.K.')
    assert (blue.slug, blue.title) == ("blue-harbor-shop", "Blue Harbor Shop")
    contexts = [p["context"] for p in raw["data"][0]["paragraphs"]]
    assert acme.text == contexts[0] + "\n\n" + contexts[1] + "\n\n" + contexts[2]
    assert len(acme.text) == 99 + 2 + 89 + 2 + 150
    assert [acme.text.index(c) for c in contexts] == ACME_OFFSETS

    by_id = {q.id: q for p in loaded.policies for q in p.questions}
    # 8 answers in the file; acme-q4's only answer has a wrong answer_start, so that question is skipped.
    assert (loaded.answers, loaded.mismatches, loaded.skipped_questions) == (8, 1, 1)
    assert sorted(by_id) == ["acme-q1", "acme-q2", "acme-q3", "blue-q1", "blue-q2"]
    # answer_start + the paragraph's offset in the joined text:
    assert by_id["acme-q1"].answers == (squad.SquadAnswer("name, e-mail address and payment details", 25, 65),)
    assert by_id["acme-q2"].answers == (squad.SquadAnswer("five years", 101 + 28, 101 + 28 + 10),)
    # the duplicate "500 yen" answer is kept once
    assert by_id["acme-q3"].answers == (
        squad.SquadAnswer("500 yen", 192 + 107, 192 + 114),
        squad.SquadAnswer("A fee of 500 yen", 192 + 98, 192 + 114),
    )
    assert by_id["blue-q2"].answers == (squad.SquadAnswer("Seagull Logistics", 103 + 51, 103 + 68),)
    for policy in loaded.policies:
        for q in policy.questions:
            for a in q.answers:
                assert policy.text[a.start : a.end] == a.text


def test_load_warns_about_mismatches(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING"):
        squad.load_squad(FIXTURE)
    assert "1 of 8 answers did not match" in caplog.text


def test_not_a_squad_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"questions": []}', encoding="utf-8")
    with pytest.raises(ValueError, match="not a SQuAD file"):
        squad.load_squad(bad)


def test_write_corpus_round_trips_through_the_corpus_loader(tmp_path: Path) -> None:
    loaded = squad.load_squad(FIXTURE)
    squad.write_corpus(loaded.policies, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acme-cloud-k-k.txt", "blue-harbor-shop.txt", "companies.toml"]
    companies = load_companies(tmp_path)
    assert [(c.id, c.name, c.files) for c in companies] == [
        ("acme-cloud-k-k", 'Acme "Cloud" K.K.', ("acme-cloud-k-k.txt",)),
        ("blue-harbor-shop", "Blue Harbor Shop", ("blue-harbor-shop.txt",)),
    ]
    corpus = load_corpus(tmp_path, strict=True)
    docs = {d.doc_id: d for d in corpus.documents}
    for policy in loaded.policies:
        assert docs[policy.slug].text == policy.text  # byte for byte, so the offsets hold
        assert docs[policy.slug].company == policy.slug


def test_span_hits_and_quoting() -> None:
    ans = [squad.SquadAnswer("five years", 129, 139)]
    assert squad.contains((100, 190), ans[0])
    assert squad.contains((129, 139), ans[0])
    assert not squad.contains((130, 190), ans[0])  # must contain the whole answer
    ranking = [("other", 100, 190), ("acme", 0, 100), ("acme", 120, 140)]
    assert squad.answer_relevance(ranking, "acme", ans) == [-1, -1, 0]
    assert squad.quoted("We keep them for  Five\nYears.", ans)
    assert not squad.quoted("We keep them for 5 years.", ans)


def test_full_run_with_hash_embedder(tmp_path: Path, hash_embedder: Embedder) -> None:
    loaded = squad.load_squad(FIXTURE)
    base = Settings(corpus_dir=Path("corpus"), index_dir=tmp_path / "unused-index", database_url="sqlite://")  # type: ignore[arg-type]
    outcomes, summary = squad.run_squad(loaded, base, hash_embedder, tmp_path / "work")
    assert (tmp_path / "work" / "corpus" / "companies.toml").is_file()
    assert (tmp_path / "work" / "index" / "CURRENT").is_file()
    assert not (tmp_path / "unused-index").exists()
    assert [o.id for o in outcomes] == ["acme-q1", "acme-q2", "acme-q3", "blue-q1", "blue-q2"]
    assert summary["questions"] == 5 and summary["policies"] == 2 and summary["errors"] == 0
    assert (summary["answers"], summary["answer_mismatches"], summary["skipped_questions"]) == (8, 1, 1)
    for key in ("hit@1", "hit@3", "hit@5", "mrr@10", "answer_quoted"):
        assert 0.0 <= summary[key] <= 1.0
    assert summary["hit@1"] <= summary["hit@3"] <= summary["hit@5"]
    assert sum(summary["routes"].values()) == 5
    for o in outcomes:
        assert o.route in ("answer", "desk", "abstain", "clarify")
        if o.rank is not None:
            assert o.relevance[o.rank - 1] == 0 and all(r < 0 for r in o.relevance[: o.rank - 1])
        else:
            assert all(r < 0 for r in o.relevance)
    # With the hash embedder the tiny policies are still found for most questions.
    assert summary["hit@5"] >= 0.6


def test_eval_command_with_squad_writes_report(tmp_path: Path, hash_embedder: Embedder, monkeypatch: pytest.MonkeyPatch) -> None:
    import assistant.factory
    from evals import cli

    monkeypatch.setattr(assistant.factory, "build_embedder", lambda settings: hash_embedder)
    monkeypatch.setenv("PA_DATABASE_URL", f"sqlite:///{tmp_path / 'never-used.db'}")
    out = tmp_path / "report"
    args = argparse.Namespace(suite=None, api=None, report=out, corpus=None, squad=[FIXTURE])
    assert cli.run(args) == 0
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["suites"] == [] and len(results["squad"]) == 1
    assert results["squad"][0]["summary"]["questions"] == 5
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in page and "SQuAD squad_tiny" in page
    assert not (tmp_path / "never-used.db").exists()


def test_squad_over_http_is_refused(tmp_path: Path) -> None:
    from evals import cli

    args = argparse.Namespace(suite=None, api="http://127.0.0.1:9", report=tmp_path, corpus=None, squad=[FIXTURE])
    assert cli.run(args) == 2
