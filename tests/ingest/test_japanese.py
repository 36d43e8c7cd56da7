"""Japanese policies (`assistant/ingest/chunking.py`, `corpus.py`): sentences, numbering and headings,
PDF reflow without spaces, and the passage rules English has."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.domain import Chunk, Document
from assistant.ingest.chunking import PASSAGE_CHARS, _sentences, split_into_blocks, split_into_clauses
from assistant.ingest.corpus import PdfLine, detect_document_language, load_document, reflow_pages
from tests.ingest.fonts import japanese_font

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
STRUCTURED = (FIXTURES / "ja" / "structured.txt").read_text(encoding="utf-8")


def _doc(text: str, fmt: str = "text") -> Document:
    return Document("ja", "ja", "t", "p", text, "v", format=fmt, language="ja")


def _split(text: str) -> list[str]:
    return [text[s:e] for s, e in _sentences(text, 0, len(text))]


# -- sentences --------------------------------------------------------------------------------------


def test_sentences_end_at_japanese_stops_with_no_space_after() -> None:
    text = "当社は、個人情報を適切に管理します。安全管理措置を講じていますか？はい、講じています！"
    assert _split(text) == ["当社は、個人情報を適切に管理します。", "安全管理措置を講じていますか？", "はい、講じています！"]


def test_a_stop_inside_quotes_or_brackets_does_not_end_the_sentence() -> None:
    text = "担当者は「必要な範囲でのみ閲覧する。」という規則を守ります。当社（以下「当社」といいます。）は方針を定めます。"
    assert _split(text) == [
        "担当者は「必要な範囲でのみ閲覧する。」という規則を守ります。",
        "当社（以下「当社」といいます。）は方針を定めます。",
    ]


def test_an_unclosed_bracket_guards_nothing() -> None:
    text = "顔文字（笑 を含むお問い合わせにも回答します。記録は三十日間保存します。"
    assert _split(text) == ["顔文字（笑 を含むお問い合わせにも回答します。", "記録は三十日間保存します。"]


def test_a_label_stays_with_the_sentence_it_labels() -> None:
    assert _split("位置情報。当社は IP アドレスから国を推定します。") == ["位置情報。当社は IP アドレスから国を推定します。"]
    text = "__位置情報の利用（およびその目的）。__当社は IP アドレスから国を推定します。記録は削除されます。"
    assert _split(text) == ["__位置情報の利用（およびその目的）。__当社は IP アドレスから国を推定します。", "記録は削除されます。"]


def test_english_sentences_are_split_as_before_inside_mixed_text() -> None:
    assert _split("We keep logs for 30 days. Then we delete them.") == ["We keep logs for 30 days.", "Then we delete them."]


# -- numbering and headings -------------------------------------------------------------------------


def _block(text: str, starts_with: str):  # type: ignore[no-untyped-def]
    return next(b for b in split_into_blocks(text) if text[b.start : b.end].startswith(starts_with))


def test_articles_nest_under_chapters_and_items_keep_their_lead() -> None:
    item = _block(STRUCTURED, "（２）メールアドレス")
    assert item.section == "個人情報保護方針 > 第1章 総則 > 第2条（取得する情報）"
    assert item.label == "２"
    assert item.lead is not None and STRUCTURED[item.lead[0] : item.lead[1]] == "当社は、次の情報を取得します。"
    article = _block(STRUCTURED, "当社は、取得した個人情報を次の目的で利用します。")
    assert article.section == "個人情報保護方針 > 第2章 利用と提供 > 第3条（利用目的）"  # the new chapter closed the old one


@pytest.mark.parametrize(("first", "label"), [("① 商品の発送のため", "①"), ("一、法令に基づく場合", "一")])
def test_circled_and_kanji_numerals_are_items_under_their_lead(first: str, label: str) -> None:
    item = _block(STRUCTURED, first)
    assert item.label == label
    assert item.lead is not None and STRUCTURED[item.lead[0] : item.lead[1]].startswith("当社は")


def test_the_last_item_of_a_list_is_not_taken_for_a_heading() -> None:
    # "③ …" is followed by plain text, as a heading would be; the "②" before it makes it an item.
    last = _block(STRUCTURED, "③ 新商品のご案内のため")
    after = _block(STRUCTURED, "ただし、③については")
    assert last.label == "③" and "③" not in after.section
    assert not any("三、公衆衛生" in b.section for b in split_into_blocks(STRUCTURED))


def test_square_glyph_and_lenticular_bracket_lines_are_headings() -> None:
    body = _block(STRUCTURED, "当社は、個人情報の漏えいを防ぐため")
    assert body.section.endswith("安全管理について")
    contact = _block(STRUCTURED, "個人情報に関するお問い合わせは")
    assert contact.section.endswith("【お問い合わせ窓口】")
    item = _block(STRUCTURED, "受付時間")
    assert item.lead is not None and STRUCTURED[item.lead[0] : item.lead[1]].startswith("個人情報に関するお問い合わせは")


def test_a_run_of_dot_lines_is_a_list_not_headings() -> None:
    text = "取得する情報\n当社は次の情報を取得します：\n●氏名\n●住所\n●電話番号\n取得した情報は適切に管理します。\n"
    blocks = split_into_blocks(text)
    items = [b for b in blocks if text[b.start : b.end] in ("氏名", "住所", "電話番号")]
    assert len(items) == 3 and all(b.section == "取得する情報" for b in items)
    lone = "利用規約\n●お問い合わせ\n窓口までメールでご連絡ください。\n"
    assert _block(lone, "窓口まで").section == "利用規約 > お問い合わせ"


def test_fullwidth_decimal_numbers_head_sections() -> None:
    text = (
        "個人情報保護方針\n１．利用目的\n当社は商品の発送に個人情報を利用します。\n２．第三者提供\n当社は同意なく第三者に提供しません。\n"
    )
    assert _block(text, "当社は同意なく").section == "個人情報保護方針 > ２．第三者提供"


def test_markdown_japanese_items_and_bracket_headings() -> None:
    text = (
        "# 方針\n\n【取得する情報】\n\n当社は、次の情報を取得します。\n・氏名\n・メールアドレス\n（１）ご注文の内容\n\n"
        "■保存期間\n\n記録は一年間保存します。\n"
    )
    blocks = split_into_blocks(text, "markdown")
    by_text = {text[b.start : b.end]: b for b in blocks}
    assert by_text["氏名"].section == "方針 > 【取得する情報】"
    assert by_text["氏名"].lead is not None and text[by_text["氏名"].lead[0] : by_text["氏名"].lead[1]] == "当社は、次の情報を取得します。"
    assert by_text["ご注文の内容"].label == "１"
    assert by_text["記録は一年間保存します。"].section == "方針 > 【取得する情報】 > ■保存期間"


# -- passages ---------------------------------------------------------------------------------------


def _passages(chunks: list[Chunk]) -> list[tuple[Chunk, str]]:
    return [(c, c.text_of(s)) for c in chunks for s in c.spans]


def test_passages_are_exact_slices_within_the_budget_and_never_a_heading_alone() -> None:
    doc = _doc(STRUCTURED)
    chunks = split_into_clauses(doc)
    headings = {ln for ln in STRUCTURED.splitlines() if ln.startswith(("第", "■", "【"))}
    for chunk in chunks:
        assert doc.text[chunk.start : chunk.end] == chunk.text
        for span in chunk.spans:
            text = doc.text[span.start : span.end]
            assert text == chunk.text_of(span) and text.strip() == text
            assert text not in headings
            assert span.end - span.start <= PASSAGE_CHARS * 3 // 2
    lead = next(t for _, t in _passages(chunks) if t.startswith("当社は、次の情報を取得します。"))
    assert "（１）氏名" in lead and "（３）お問い合わせの内容" in lead  # a list's lead with its items


def test_a_sentence_that_leans_back_comes_with_the_one_before() -> None:
    sentence = "当社は、ご本人から開示の請求があった場合、遅滞なく開示します。"
    proviso = "ただし、法令に定めがある場合は開示しないことがあります。"
    text = "第9条（開示）\n" + sentence * 13 + proviso + "\n"
    at = text.index(proviso)
    spans = [s for c in split_into_clauses(_doc(text)) for s in c.spans]
    assert all(s.end != at for s in spans)  # no passage stops just before the proviso
    assert any(s.end == at + len(proviso) and at - s.start >= PASSAGE_CHARS - len(proviso) for s in spans)


def test_long_japanese_sentences_are_cut_after_a_comma() -> None:
    sentence = "、".join(["当社はお客様から取得した個人情報を利用目的の範囲内で取り扱います"] * 20) + "。"
    chunks = split_into_clauses(_doc(sentence), max_len=200)
    pieces = [c.text_of(s) for c in chunks for s in c.spans]
    assert all(len(p) <= 200 for p in pieces)
    assert all(p.endswith(("、", "。")) for p in pieces)


def test_japanese_mozilla_notices_chunk_into_sentence_passages() -> None:
    folder = next((p for p in (FIXTURES.parents[1].parent / "shared" / "dev-corpus" / "mozilla" / "ja",) if p.is_dir()), None)
    if folder is None:
        pytest.skip("../shared/dev-corpus/mozilla/ja not present")
    doc = load_document(folder / "pocket_privacy_policy.md", "pocket", "pocket")
    assert doc.language == "ja"
    chunks = split_into_clauses(doc)
    lengths = sorted(s.end - s.start for c in chunks for s in c.spans)
    assert lengths[len(lengths) // 2] < PASSAGE_CHARS and lengths[-1] <= PASSAGE_CHARS * 3 // 2


# -- PDF reflow -------------------------------------------------------------------------------------


def _lines(*texts: str) -> list[PdfLine]:
    return [PdfLine(t) for t in texts]


def test_reflow_joins_japanese_lines_broken_inside_words_without_a_space() -> None:
    text, _ = reflow_pages(
        [_lines("当社は、お客様からお預かりした個人情報を、商", "品の発送及びお問い合わせへの回答のために利用", "します。")]
    )
    assert text == "当社は、お客様からお預かりした個人情報を、商品の発送及びお問い合わせへの回答のために利用します。"


def test_reflow_follows_the_documents_own_spacing_between_latin_and_japanese() -> None:
    spaced = [_lines("Mozilla は Mullvad と提携し、インターネットトラフィックを暗号化します。当社の VPN", "は通信を保護します。")]
    assert "当社の VPN は通信を保護します。" in reflow_pages(spaced)[0]
    tight = [_lines("当社はIPアドレスを三十日間保存し、その後はサーバーから削除します。当社のVPN", "は通信を保護します。")]
    assert "当社のVPNは通信を保護します。" in reflow_pages(tight)[0]


def test_reflow_starts_japanese_items_on_their_own_line() -> None:
    text, _ = reflow_pages([_lines("当社は、次の情報を取得します。", "・氏名", "・住所", "第2条（利用目的）", "（１）商品の発送")])
    assert text.split("\n") == ["当社は、次の情報を取得します。", "・氏名", "・住所", "第2条（利用目的）", "（１）商品の発送"]


def test_reflow_joins_a_full_line_broken_at_a_middle_dot() -> None:
    full = "ユーザーの操作に関するデータを受け取ります。たとえば、ログイン"
    text, _ = reflow_pages([_lines(full, "・ログアウトの状況などがこれに含まれます。", "短い行。")])
    assert "ログイン・ログアウトの状況" in text


def test_a_sentence_running_on_to_the_next_page_is_joined_without_a_space() -> None:
    text, pages = reflow_pages([_lines("当社は個人情報を適切に管理し、漏えいの防止に努め"), _lines("ます。")])
    assert "努めます。" in text
    assert [p.page for p in pages] == [1, 2]


def test_a_japanese_pdf_reflows_into_whole_sentences(tmp_path: Path) -> None:
    font = japanese_font()
    if font is None:
        pytest.skip("no font with Japanese glyphs on this machine")
    from fpdf import FPDF

    sentence = (
        "当社は、お客様からお預かりした個人情報を、商品の発送、お問い合わせへの回答及びサービスの改善のために利用し、"
        "それ以外の目的には利用しません。"
    )
    pdf = FPDF()
    pdf.add_font("ja", fname=str(font))
    pdf.set_font("ja", size=11)
    pdf.add_page()
    for line in ("第1条（利用目的）", sentence, "・氏名", "・メールアドレス"):
        pdf.multi_cell(90, 7, line, new_x="LMARGIN", new_y="NEXT")  # wrapped by the writer, inside words
    pdf.output(str(tmp_path / "policy.pdf"))
    doc = load_document(tmp_path / "policy.pdf", "acme", "acme")
    assert doc.language == "ja" and doc.format == "pdf"
    assert sentence in doc.text
    assert "\n・氏名\n・メールアドレス" in doc.text
    chunks = split_into_clauses(doc)
    assert any(c.section == "第1条（利用目的）" and sentence in c.text for c in chunks)


# -- language ---------------------------------------------------------------------------------------


def test_the_documents_language_is_read_from_its_kana() -> None:
    assert detect_document_language(STRUCTURED) == "ja"
    assert detect_document_language("・To respond to inquiries\n対象情報 利用目的\nWe keep your data safe.") == "en"
    assert detect_document_language("Mozilla は、Firefox の Cookie と IP アドレスを使用します。") == "ja"
