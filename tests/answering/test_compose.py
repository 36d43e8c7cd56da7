"""Choosing what an answer quotes (`assistant/answering/compose.py`): whole passages within the budget."""

from __future__ import annotations

import itertools
import re

from assistant.domain import Evidence


def _passages(assistant, company: str) -> list[Evidence]:  # type: ignore[no-untyped-def]
    index = assistant.retriever.index
    return [Evidence(chunk, span, 0.9) for chunk in index.chunks if chunk.company == company for span in chunk.spans]


def _text(assistant, ev: Evidence) -> str:  # type: ignore[no-untyped-def]
    return assistant.retriever.index.documents[ev.chunk.doc_id].text_of(ev.span)


def test_a_passage_that_introduces_a_list_is_quoted_with_what_follows(hash_assistant) -> None:  # type: ignore[no-untyped-def]
    opener = next(ev for ev in _passages(hash_assistant, "sb-cs") if _text(hash_assistant, ev).endswith("as follows:"))
    quoted = hash_assistant.composer.with_leads([opener])
    assert len(quoted) == 2 and quoted[0] == opener
    follower = quoted[1]
    assert follower.chunk.doc_id == opener.chunk.doc_id and follower.span.start > opener.span.end
    assert _text(hash_assistant, follower).strip()


def test_the_best_passage_is_made_whole_before_a_worse_one_is_quoted(hash_assistant) -> None:  # type: ignore[no-untyped-def]
    composer = hash_assistant.composer
    passages = _passages(hash_assistant, "sb-cs")
    opener = next(ev for ev in passages if _text(hash_assistant, ev).endswith("as follows:"))
    (follower,) = composer.with_leads([opener])[1:]
    budget = composer.policy.max_quoted_chars
    # Runners-up that fill the budget, so the follower does not fit beside them all.
    others = [ev for ev in passages if ev.chunk.doc_id == opener.chunk.doc_id and ev.span.end < opener.span.start]
    fill, used = [], opener.span.end - opener.span.start
    for ev in reversed(others):
        if used + ev.span.end - ev.span.start > budget or any(ev.span.end > f.span.start for f in fill):
            continue
        fill.append(ev)
        used += ev.span.end - ev.span.start
    assert used + follower.span.end - follower.span.start > budget, "the fixture no longer crowds the budget"
    quoted = composer.with_leads([opener, *fill])
    assert quoted[:2] == [opener, follower]  # the best one, whole
    assert fill[-1] not in quoted  # the least likely runner-up gave way
    assert sum(ev.span.end - ev.span.start for ev in quoted) <= budget


def test_a_list_item_is_quoted_after_the_line_that_leads_its_list(hash_assistant) -> None:  # type: ignore[no-untyped-def]
    item = next(ev for ev in _passages(hash_assistant, "highreso") if 0 <= ev.span.lead_start < ev.span.start)
    quoted = hash_assistant.composer.with_leads([item])
    assert quoted[-1] == item
    lead = quoted[0]
    assert (lead.span.start, lead.span.end) == (item.span.lead_start, item.span.lead_end)


def test_leads_and_continuations_stay_within_the_quote_budget(hash_assistant) -> None:  # type: ignore[no-untyped-def]
    composer = hash_assistant.composer
    for company in ("highreso", "sb-cs", "upward", "gmo-ai-robotics", "win-techno"):
        passages = _passages(hash_assistant, company)
        for i in range(0, len(passages) - 2, 3):
            chosen = composer.choose(passages[i : i + 3])
            quoted = composer.with_leads(chosen)
            spans = sorted((ev.chunk.doc_id, ev.span.start, ev.span.end) for ev in quoted)
            total = sum(e - s for _, s, e in spans)
            assert total <= max(composer.policy.max_quoted_chars, sum(ev.span.end - ev.span.start for ev in chosen))
            for (d1, _, e1), (d2, s2, _) in itertools.pairwise(spans):
                assert d1 != d2 or e1 <= s2, "a text quoted twice"


def test_a_passage_with_no_section_is_quoted_without_an_empty_label(hash_assistant) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    ev = next(e for e in _passages(hash_assistant, "upward") if e.span.section)
    bare = Evidence(ev.chunk, replace(ev.span, section=""), ev.score)
    company = hash_assistant.company("upward")
    text, _ = hash_assistant.composer.compose(company, "What do you collect?", [bare])
    assert "()" not in text and text.rstrip().endswith("\u201d")
    labelled, _ = hash_assistant.composer.compose(company, "What do you collect?", [ev])
    assert labelled.rstrip().endswith(")")


def test_a_runner_up_overlapping_the_best_passage_widens_it_within_one_quote(hash_assistant) -> None:  # type: ignore[no-untyped-def]
    composer = hash_assistant.composer
    budget = composer.policy.max_merged_chars
    pairs = [
        (a, b)
        for chunk in hash_assistant.retriever.index.chunks
        for a, b in itertools.pairwise(chunk.spans)
        if a.start < b.start < a.end <= b.end and b.end - a.start <= budget
    ]
    assert pairs, "the corpus no longer has overlapping passages of one clause"
    a, b = pairs[0]
    chunk = next(c for c in hash_assistant.retriever.index.chunks if a in c.spans)
    # The later-starting one is the best: the earlier one, nearly as good, widens it backwards.
    (quoted,) = composer.choose([Evidence(chunk, b, 0.9), Evidence(chunk, a, 0.8)])
    assert (quoted.span.start, quoted.span.end) == (a.start, b.end)
    # Too long together: the runner-up is left out, as before.
    long_pairs = [
        (x, y)
        for c in hash_assistant.retriever.index.chunks
        for x, y in itertools.pairwise(c.spans)
        if x.start < y.start < x.end <= y.end and y.end - x.start > budget
    ]
    if long_pairs:
        x, y = long_pairs[0]
        owner = next(c for c in hash_assistant.retriever.index.chunks if x in c.spans)
        (alone,) = composer.choose([Evidence(owner, y, 0.9), Evidence(owner, x, 0.8)])
        assert (alone.span.start, alone.span.end) == (y.start, y.end)


# -- the reply's language ----------------------------------------------------------------------
def test_a_japanese_answer_leads_in_japanese_and_quotes_the_english_as_written(hash_assistant) -> None:  # type: ignore[no-untyped-def]
    composer = hash_assistant.composer
    company = hash_assistant.company("upward")
    ev = next(e for e in _passages(hash_assistant, "upward") if e.span.section)
    english, cites = composer.compose(company, "What do you collect?", [ev])
    answer, same = composer.compose(company, "何を集めていますか？", [ev], lang="ja")
    assert same == cites  # the same passages, cited the same way
    lead, note, quote = answer.split("\n")
    # The name as companies.toml gives it for Japanese replies (short_name_ja); English keeps short_name.
    assert lead == "アップワードのプライバシーポリシーには、次のとおり記載されています。"
    assert english.startswith("UPWARD")
    assert note == "（引用は英語の原文のままです）"
    assert quote.startswith(f"[1] 「{cites[0].display}」（") and quote.endswith("）")
    assert "引用" not in english and english.split("\n")[1].startswith("[1] \u201c")


def test_a_topic_read_from_a_japanese_question_is_named_in_japanese(hash_assistant) -> None:  # type: ignore[no-untyped-def]
    company = hash_assistant.company("highreso")
    ev = _passages(hash_assistant, "highreso")[0]
    answer, _ = hash_assistant.composer.compose(company, "Cookie を使っていますか？", [ev], lang="ja")
    assert answer.startswith("ハイレゾのプライバシーポリシーには、クッキー（Cookie）について次のとおり記載されています。")


def test_every_non_answer_is_written_in_japanese(hash_assistant) -> None:  # type: ignore[no-untyped-def]
    composer = hash_assistant.composer
    upward, gmo = hash_assistant.company("upward"), hash_assistant.company("gmo-ai-robotics")
    not_covered = composer.not_covered(upward, "飛行船のテレメトリーは？", lang="ja")
    assert not_covered.startswith("アップワードのプライバシーポリシーには") and "お答えできません" in not_covered
    assert upward.desk_address and upward.desk_address in not_covered  # where to ask instead
    assert "アップワード" in composer.off_topic(upward, lang="ja") and "各社" in composer.off_topic(None, lang="ja")
    other = composer.other_company(upward, gmo, lang="ja")
    assert other.startswith("このアシスタントは、アップワード") and gmo.desk_url and gmo.desk_url in other
    clarify = composer.clarify(hash_assistant.companies(), lang="ja")
    assert clarify.startswith("どの会社") and "アップワード（upward）" in clarify


def test_the_reply_to_another_language_names_both_languages_in_both() -> None:
    from assistant.answering.compose import AnswerComposer

    reply = AnswerComposer.unsupported_language()
    assert "English or Japanese" in reply and "英語または日本語" in reply


def test_the_off_topic_reply_without_a_company_speaks_of_companies_in_the_plural(hash_assistant) -> None:  # type: ignore[no-untyped-def]
    reply = hash_assistant.composer.off_topic(None)
    assert "the companies I serve handle personal information" in reply and "their privacy policies" in reply
    assert "handles" not in reply and " its " not in reply


def test_a_japanese_desk_reply_names_every_point_in_japanese(hash_assistant) -> None:  # type: ignore[no-untyped-def]
    from assistant.answering.procedure import find_procedure

    company = hash_assistant.company("upward")
    points = find_procedure(hash_assistant.retriever, company, ["deletion"], proxy=True)
    english, cites = hash_assistant.composer.desk(company, ["deletion"], True, points)
    answer, same = hash_assistant.composer.desk(company, ["deletion"], True, points, lang="ja")
    assert same == cites
    lines = answer.split("\n")
    assert lines[0].startswith("アップワードの") and "への削除のご依頼（代理人によるもの）として承りました。" in lines[0]
    assert "まだ何も送信していません" in lines[0]
    assert lines[1] == "アップワードのプライバシーポリシーに記載されている、このご依頼の手続き："
    labels = [
        "ポリシーに記載された会社の対応",
        "ご依頼の方法と送付先",
        "必要な本人確認書類",
        "代理人が提出するもの",
        "手数料",
        "回答までの期間",
    ]
    body = [line for line in lines if line.startswith("- ")]
    assert [line[2:].split("：")[0] for line in body] == labels
    # Each point stated, quoted, marked for other kinds, or named by the marker of a quote another point rests on.
    assert all(
        line.endswith("ポリシーには記載がありません。") or "「" in line or "他の種類" in line or re.fullmatch(r"- [^：]+：\[\d+\]", line)
        for line in body
    ), body
    assert lines[-1].startswith("連絡先：") and "受付方法" in lines[-1] and lines[-2].startswith("窓口へ送信するには")
    assert english.split("\n")[-1] == f"Contact: {company.desk_contact()}."
    submitted, _ = hash_assistant.composer.desk(company, ["deletion"], False, points, submitted="PRQ-000001", lang="ja")
    assert submitted.startswith("このご依頼は、すでにPRQ-000001としてアップワードの") and "窓口へ送信するには" not in submitted


def _pointing_ahead(assistant, company: str) -> list[tuple[Evidence, Evidence | None]]:  # type: ignore[no-untyped-def]
    """Passages of `company` that end with a sentence pointing ahead ("the following …."), with the passage after each."""
    composer = assistant.composer
    out = []
    for ev in _passages(assistant, company):
        text = _text(assistant, ev).rstrip()
        if text.endswith(".") and "the following" in text.rsplit("\n", 1)[-1]:
            out.append((ev, composer._next_passage(ev)))
    return out


def test_a_sentence_pointing_to_the_following_list_is_quoted_with_it(hash_assistant) -> None:  # type: ignore[no-untyped-def]
    pairs = [
        (ev, nxt) for ev, nxt in _pointing_ahead(hash_assistant, "upward") if nxt is not None and nxt.chunk.section == ev.chunk.section
    ]
    assert pairs, "the fixture policy no longer has a sentence pointing to the list after it"
    for ev, nxt in pairs:
        if "\n" in _text(hash_assistant, nxt).strip() or len(_text(hash_assistant, nxt).split()) > 8:
            assert hash_assistant.composer.with_leads([ev]) == [ev, nxt]


def test_what_a_sentence_points_to_is_not_a_bare_title(hash_assistant) -> None:  # type: ignore[no-untyped-def]
    pairs = [
        (ev, nxt)
        for company in ("highreso", "sb-cs", "upward", "gmo-ai-robotics", "win-techno")
        for ev, nxt in _pointing_ahead(hash_assistant, company)
        if nxt is not None and len(_text(hash_assistant, nxt).split()) <= 4 and "\n" not in _text(hash_assistant, nxt).strip()
    ]
    assert pairs, "the fixture policies no longer point ahead to a title"
    for ev, _ in pairs:
        assert hash_assistant.composer.with_leads([ev]) == [ev]
