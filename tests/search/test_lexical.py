"""The BM25 index's terms (`assistant/search/lexical.py`): stemming, synonyms, misspellings, and
Japanese read by its morphological analyser."""

from __future__ import annotations

from pathlib import Path

from assistant.search.lexical import Bm25Index, term_spans, tokenize

TEXTS = [
    "Regular training is provided to employees on information security.",
    "We share personal data with contractors.",
    "A fee is charged for each request.",
]


def test_a_misspelt_word_is_read_as_the_indexed_word_one_edit_away() -> None:
    bm25 = Bm25Index.build(TEXTS)
    assert "train" in bm25.terms("Do staff get privacy trainig?")  # a letter left out
    assert "employee" in bm25.terms("employes")  # a letter left out, then stemmed
    assert bm25.terms("contarctors") == frozenset(tokenize("contractors"))  # two letters swapped
    scores = bm25.scores("any trainig for staff?", range(len(TEXTS)))
    assert set(scores) == {0}


def test_known_short_and_far_words_are_left_as_typed() -> None:
    bm25 = Bm25Index.build(TEXTS)
    assert bm25.terms("training") == frozenset(tokenize("training"))
    assert bm25.terms("feed") == frozenset(tokenize("feed"))  # five letters: "fee" is one edit away
    assert bm25.terms("xyzzyplugh") == frozenset(tokenize("xyzzyplugh"))
    assert bm25.terms("trnng") == frozenset(tokenize("trnng"))


def test_the_same_query_gives_the_same_terms_and_stays_serialisable() -> None:
    bm25 = Bm25Index.build(TEXTS)
    assert bm25.terms("trainig") == bm25.terms("trainig")
    again = Bm25Index.from_json(bm25.to_json())
    assert "_spelled" not in bm25.to_json()
    assert again.terms("trainig") == bm25.terms("trainig")


def test_everyday_words_meet_the_policy_words_for_the_same_act() -> None:
    # "give you my data" / "the provision of personal information"; "collect" / "acquire".
    assert tokenize("give")[0] == tokenize("provision")[0] == tokenize("provided")[0]
    assert tokenize("collected")[0] == tokenize("acquire")[0] == tokenize("obtains")[0]


# -- Japanese ---------------------------------------------------------------------------------------

ENGLISH = (
    "We share your personal data with contractors, and we charged a fee of 1,000 yen; it's the company's policy "
    "(e-mail: privacy@acme.example)."
)


def test_english_text_gives_the_terms_it_always_gave() -> None:
    # The terms of the tokenizer before Japanese support, written out: English retrieval is unchanged.
    assert tokenize(ENGLISH) == [
        "share", "personal", "data", "outsource", "fee", "fee", "1", "000", "fee",
        "it'", "policy", "e", "mail", "privacy", "acme", "example",
    ]  # fmt: skip
    spans = term_spans(ENGLISH)
    assert spans is not None and [t for _, _, t in spans] == tokenize(ENGLISH)
    assert spans[3] == (33, 44, "outsource") and ENGLISH[33:44] == "contractors"


def test_japanese_gives_base_forms_of_content_words_without_particles_or_punctuation() -> None:
    terms = tokenize("お客様の個人情報を第三者に提供しません。")
    assert {"個人", "情報", "第三者", "提供"} <= set(terms)
    assert not {"の", "を", "に", "ませ", "ん", "。", "し", "する"} & set(terms)
    assert "送る" in tokenize("サーバーに送られてるんですか？")  # inflected, read as its dictionary form
    assert tokenize("削除します") == tokenize("削除しました") == tokenize("削除できますか")


def test_the_kanji_of_a_compound_meet_other_words_that_share_them() -> None:
    assert "送" in set(tokenize("データを送信します")) & set(tokenize("データは送られますか"))
    assert "保" in set(tokenize("記録を保管します")) & set(tokenize("保存期間"))


def test_mixed_japanese_and_english_text() -> None:
    text = "Mozilla は Firefox の Cookie と IPアドレスを 90 日間保存します。"
    terms = tokenize(text)
    assert [t for t in terms if t.isascii() and not t.isdigit()] == ["mozilla", "firefox", "cookie", "ip"]
    assert {"アドレス", "90", "日間", "保存"} <= set(terms)
    assert tokenize("ＣＯＯＫＩＥ") == tokenize("Cookie") == tokenize("cookies")  # fullwidth letters read as Latin


def test_japanese_term_spans_are_the_words_offsets_in_order() -> None:
    text = "当社はIPアドレスを30日間保存し、第三者に提供しません。We delete logs."
    spans = term_spans(text)
    assert spans is not None
    assert [t for _, _, t in spans] == tokenize(text)
    assert [s for s, _, _ in spans] == sorted(s for s, _, _ in spans)
    words = {text[s:e]: t for s, e, t in spans}
    assert words["アドレス"] == "アドレス" and words["IP"] == "ip" and words["第三者"] == "第三者" and words["delete"] == "delete"


def test_a_japanese_query_finds_the_japanese_passage() -> None:
    texts = ["当社は、お客様の氏名と住所を取得します。", "サーバーログは 30 日間保存し、その後削除します。", "We keep logs for 30 days."]
    bm25 = Bm25Index.build(texts)
    scores = bm25.scores("ログはいつ消されますか？どのくらい保存されますか", range(len(texts)))
    assert max(scores, key=lambda r: scores[r]) == 1
    assert bm25.terms("ログの保存期間") == frozenset(tokenize("ログの保存期間"))  # no English spelling fixes for Japanese


def test_long_japanese_text_is_read_in_pieces_the_analyser_accepts() -> None:
    text = "当社は個人情報を適切に管理します。" * 5000  # 85,000 characters: over the analyser's limit at once
    assert tokenize(text).count("管理") == 5000


def test_the_analyser_loads_only_for_japanese_text_once_per_process() -> None:
    import subprocess
    import sys

    script = (
        "import assistant.search.lexical as lx\n"
        "lx.tokenize('We share data.'); assert lx._dictionary is None\n"
        "lx.tokenize('個人情報'); first = lx._dictionary; assert first is not None\n"
        "lx.tokenize('氏名'); assert lx._dictionary is first\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, cwd=Path(__file__).resolve().parents[2])


def test_japanese_is_tokenized_the_same_from_many_threads() -> None:
    from concurrent.futures import ThreadPoolExecutor

    texts = [f"当社は{n}日間ログを保存し、その後削除します。" for n in range(40)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(tokenize, texts)) == [tokenize(t) for t in texts]


def test_latin_only_blanks_japanese_runs() -> None:
    from assistant.search.lexical import latin_only

    assert latin_only("Cookieの利用目的").split() == ["Cookie"]
    assert latin_only("no Japanese here") == "no Japanese here"
