"""The summary verifier: fact normalising, each reason a sentence is dropped, what it keeps, and its
precision and recall on the adversarial suite's test half with the real encoders."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.answering.verify import Verifier, VerifierPolicy, extract_facts, missing_facts, negations, split_markers
from assistant.ingest.corpus import load_companies
from assistant.models.embedders import Embedder
from assistant.testing.fakes import HashEmbedder, MultilingualHashEmbedder
from evals.fit_verifier import build_verifier, load_adversarial, measure_suite, score, source_path
from evals.suite import half_of

ROOT = Path(__file__).resolve().parents[2]
SUITE = ROOT / "evals" / "suites" / "verifier" / "adversarial.jsonl"
COMPANIES = load_companies(ROOT / "corpus")

FEE = "2. A fee of 1,000 yen per request will be charged for notifications or disclosure of the purpose of use of personal information."
NO_FEE = "(4) In principle, we do not charge a fee for the procedures for requesting disclosure, etc."
MAIL = "Email: privacy@highreso.co.jp"
# The hash embedders' similarities are on their own scale: only lexical support weighs here.
LOOSE = VerifierPolicy(en_similarity=0.0, ja_similarity=0.0, cross_similarity=0.0, en_lexical=0.6, ja_lexical=0.5)


@pytest.fixture(scope="module")
def verifier() -> Verifier:
    return Verifier(HashEmbedder(), MultilingualHashEmbedder(), COMPANIES, LOOSE)


def test_amounts_agree_across_notations() -> None:
    amounts = {frozenset(extract_facts(t).amounts) for t in ("1,000 yen", "1,000円", "¥1,000", "１，０００円", "1000 JPY")}
    assert amounts == {frozenset({"1000 JPY"})}
    assert extract_facts("10,000 yen").amounts == {"10000 JPY"}


def test_durations_dates_and_contacts_normalise() -> None:
    assert extract_facts("within 30 days").durations == extract_facts("30 日以内").durations == {"30 day"}
    assert extract_facts("thirty (30) days after").durations == {"30 day"}
    assert extract_facts("三か月以内").durations == extract_facts("3 months").durations == {"3 month"}
    assert extract_facts("May 1, 2024").dates == extract_facts("2024年5月1日").dates == {"2024-5-1"}
    assert extract_facts("2024 年 12 月 17 日").durations == set()  # a date holds no "17 days"
    # A deadline with no year is a date, not two bare numbers that any passage with a 3 and a 31 would hold.
    by_march = extract_facts("Send it by March 31.")
    assert by_march.dates == extract_facts("3月31日までに").dates == extract_facts("by the 31st of March").dates == {"*-3-31"}
    assert by_march.bare == ()
    assert missing_facts(by_march, extract_facts("Requests received by 31 March 2025 are answered.")) == []
    assert missing_facts(by_march, extract_facts("See Article 3, which has 31 items.")) == ["*-3-31"]
    assert extract_facts("You may 2 times a year ask.").dates == set()
    facts = extract_facts("Write to Privacy@Highreso.co.jp, see https://www.example.org/form/ or call +81-3-5555-1234.")
    assert (
        facts.emails == {"privacy@highreso.co.jp"} and facts.urls == {"example.org/form"} and facts.phones == {"55551234"}
    )  # the last eight digits: +81-3 and 03 agree
    # A URL at the end of a sentence is still a URL (the full stop is the sentence's).
    assert extract_facts("Apply online at https://example.com/privacy.").urls == {"example.com/privacy"}
    assert extract_facts("Apply at www.example.org.").urls == {"example.org"}
    assert extract_facts("It lasts 1.5 years.").urls == set()
    # Written right after FAX or 電話, with fullwidth digits: still a phone number, not three bare numbers.
    assert extract_facts("FAX：０３－５５５５－１２３４までお送りください。").phones == {"55551234"}
    assert extract_facts("電話03(5555)1234まで").phones == {"55551234"}
    assert extract_facts("１２月").bare == ("12",)


def test_markers_are_parsed_and_stripped() -> None:
    assert split_markers("The fee is 1,000 yen. [1][2]") == ("The fee is 1,000 yen.", ("1", "2"))
    assert split_markers("手数料は1,000円です。［２］") == ("手数料は1,000円です。", ("2",))
    assert split_markers("No marker here.") == ("No marker here.", ())


def test_negations_count_english_and_japanese() -> None:
    assert negations("We do not sell your data.") == 1
    assert negations("We will not provide it without your consent.") % 2 == 0
    assert negations("We will respond without delay.") == 0
    assert negations("Disclosure is free of charge.") == 1
    assert negations("電話での請求には対応していません。") == 1
    assert negations("同意なく提供しません。") % 2 == 0
    assert negations("情報が少ない場合") == 0


def test_a_supported_paraphrase_is_kept(verifier: Verifier) -> None:
    [verdict] = verifier.verify(
        ["Highreso charges ¥1,000 for each request to disclose the purpose of use. [1]"], {"1": FEE}, "en", "highreso"
    )
    assert verdict.kept, verdict


def test_a_changed_number_is_a_fact_drop(verifier: Verifier) -> None:
    [verdict] = verifier.verify(["A fee of 10,000 yen per request will be charged for disclosure. [1]"], {"1": FEE}, "en", "highreso")
    assert (verdict.kept, verdict.reason) == (False, "fact") and "10000 JPY" in verdict.detail


def test_an_invented_deadline_or_contact_is_a_fact_drop(verifier: Verifier) -> None:
    sentences = [
        "The fee of 1,000 yen must be paid within 14 days. [1]",
        "You can also fax the desk at 03-5555-1234. [2]",
        "Write to privacy@highreso.com. [2]",
    ]
    verdicts = verifier.verify(sentences, {"1": FEE, "2": MAIL}, "en", "highreso")
    assert [(v.kept, v.reason) for v in verdicts] == [(False, "fact")] * 3


def test_another_companys_name_is_a_fact_drop_and_aliases_agree(verifier: Verifier) -> None:
    [other] = verifier.verify(["UPWARD does not charge a fee for requesting disclosure. [1]"], {"1": NO_FEE}, "en", "highreso")
    assert (other.kept, other.reason, other.detail) == (False, "fact", "UPWARD")
    # The answering company's own names need not be in the passage ("we", "the Company").
    [own] = verifier.verify(["UPWARD does not charge a fee for requesting disclosure, in principle. [1]"], {"1": NO_FEE}, "en", "upward")
    assert own.kept, own
    # A company named in the passage may be named by any of its aliases.
    passage = "Inquiries are to be sent to Highreso Co., Ltd. Personal Information Consultation Desk"
    [alias] = verifier.verify(["株式会社ハイレゾの個人情報相談窓口に問い合わせを送ってください。[1]"], {"1": passage}, "ja", "upward")
    assert alias.reason != "fact", alias


def test_an_invented_name_is_a_fact_drop(verifier: Verifier) -> None:
    [verdict] = verifier.verify(["A copy of your My Number Card is required. [1]"], {"1": MAIL}, "en", "highreso")
    assert (verdict.kept, verdict.reason, verdict.detail) == (False, "fact", "Number Card")


def test_a_flipped_polarity_is_a_negation_drop(verifier: Verifier) -> None:
    [affirmed] = verifier.verify(
        ["In principle, UPWARD charges a fee for the procedures for requesting disclosure. [1]"], {"1": NO_FEE}, "en", "upward"
    )
    assert (affirmed.kept, affirmed.reason) == (False, "negation")
    [denied] = verifier.verify(["手数料はかかりません。[1]"], {"1": FEE}, "ja", "highreso")
    assert (denied.kept, denied.reason) == (False, "negation")


def test_a_sentence_in_another_language_than_the_reply_is_dropped(verifier: Verifier) -> None:
    passages = {"1": "A fee of 1,000 yen is charged for each disclosure request."}
    copied, japanese = verifier.verify(
        ["A fee of 1,000 yen is charged for each disclosure request [1].", "手数料は1,000円です[1]。"], passages, "ja"
    )
    assert (copied.kept, copied.reason) == (False, "language") and japanese.kept
    (english,) = verifier.verify(["A fee of 1,000 yen is charged for each disclosure request [1]."], passages, "en")
    assert english.kept


def test_an_unknown_marker_is_a_no_passage_drop(verifier: Verifier) -> None:
    [verdict] = verifier.verify(["The fee is 1,000 yen per request. [3]"], {"1": FEE, "2": MAIL}, "en", "highreso")
    assert (verdict.kept, verdict.reason, verdict.detail) == (False, "no_passage", "[3]")


def test_too_few_words_in_the_passage_is_a_meaning_drop(verifier: Verifier) -> None:
    [verdict] = verifier.verify(["Highreso sells purchase histories to advertising networks. [1]"], {"1": FEE}, "en", "highreso")
    assert (verdict.kept, verdict.reason) == (False, "meaning")


def test_an_unmarked_sentence_is_read_against_every_passage(verifier: Verifier) -> None:
    sentence = "You can e-mail the desk at privacy@highreso.co.jp."
    [unmarked] = verifier.verify([sentence], {"1": FEE, "2": MAIL}, "en", "highreso")
    assert unmarked.kept and unmarked.cited == ("1", "2"), unmarked
    [wrong] = verifier.verify([sentence + " [1]"], {"1": FEE, "2": MAIL}, "en", "highreso")
    assert (wrong.kept, wrong.reason) == (False, "fact")


def test_japanese_over_english_keeps_agreeing_facts(verifier: Verifier) -> None:
    verdicts = verifier.verify(
        ["手数料は1件につき１，０００円です。[1]", "手数料は1件につき5,000円です。[1]"], {"1": FEE}, "ja", "highreso"
    )
    assert [(v.kept, v.reason) for v in verdicts] == [(True, None), (False, "fact")]


def test_suite_passages_are_verbatim_in_their_sources() -> None:
    _, items = load_adversarial(SUITE)
    assert len({i.id for i in items}) == len(items)
    for item in items:
        path = source_path(item.source, ROOT)
        if not path.exists():
            pytest.skip(f"{item.source} is not on this machine")
        text = path.read_text(encoding="utf-8")
        assert all(p in text for p in item.passages.values()), item.id
        assert all(s.supported or s.reason in ("fact", "negation", "meaning", "no_passage") for s in item.sentences), item.id


@pytest.mark.slow
def test_test_half_precision_and_recall_with_the_real_encoders(real_embedder: Embedder, multilingual_embedder: Embedder) -> None:
    _, items = load_adversarial(SUITE)
    if not source_path(items[-1].source, ROOT).exists():
        pytest.skip("the Mozilla dev corpus is not on this machine")
    test = [i for i in items if half_of(i.id) == "test"]
    result = score(measure_suite(build_verifier(test, real_embedder, multilingual_embedder), test), VerifierPolicy())
    # Measured with the fitted defaults: precision 0.907, recall 0.942, supported kept 0.884.
    assert result.precision >= 0.85, result
    assert result.recall >= 0.90, result
    assert result.kept_supported >= 0.84, result


@pytest.mark.parametrize(
    ("numeral", "value"), [("三十", 30), ("十四", 14), ("二十", 20), ("十二", 12), ("三", 3), ("百五", 105), ("二〇", 20)]
)
def test_a_whole_kanji_numeral_is_one_number(numeral: str, value: int) -> None:
    from assistant.answering.verify import kanji_number

    assert kanji_number(numeral) == value
    # 三十日間 is thirty days, not "三" and ten days: an invented 10 days is caught.
    assert missing_facts(extract_facts(f"{numeral}日間です"), extract_facts(f"{value}日間")) == []
    assert missing_facts(extract_facts(f"{numeral}日間です"), extract_facts(f"{value + 1}日間"))
