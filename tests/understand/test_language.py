"""Language detection: English, Japanese, or another language."""

import pytest

from assistant.understand.language import detect_language, from_accept_language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("How do you use my personal information?", "en"),
        ("個人情報を削除してください。", "ja"),
        ("保有個人データの開示請求", "ja"),  # kanji only is Japanese, not Chinese
        ("ＧＭＯの個人情報の利用目的は？", "ja"),  # fullwidth Latin beside kana
        ("ｺｼﾞﾝｼﾞｮｳﾎｳ ｻｸｼﾞｮ", "ja"),  # half-width katakana
        ("UPWARDのcookieについて教えて🙏", "ja"),  # mixed with English and an emoji
        ("请删除我的个人数据", "other"),  # simplified Chinese
        ("개인정보를 삭제해 주세요", "other"),
        ("Удалите мои данные", "other"),
        ("Je voudrais que vous supprimiez mes données personnelles", "other"),
        ("Wie werden meine Daten verwendet und ist das sicher?", "other"),
        ("GMO?", "en"),
        ("privacy@example.com", "en"),
        ("🙂", "en"),
    ],
)
def test_detect_language(text: str, expected: str) -> None:
    assert detect_language(text) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "en"),
        ("", "en"),
        ("ja", "ja"),
        ("ja-JP,ja;q=0.9,en;q=0.8", "ja"),
        ("en-US,ja;q=0.5", "en"),
        ("fr-FR,ja;q=0.3", "ja"),
        ("fr", "en"),
    ],
)
def test_accept_language(header: str | None, expected: str) -> None:
    assert from_accept_language(header) == expected
