"""The BM25 index's terms (`assistant/search/lexical.py`): stemming, synonyms and misspellings."""

from __future__ import annotations

from assistant.search.lexical import Bm25Index, tokenize

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
