"""Follow-up detection (`assistant/understand/followup.py`), in English and in Japanese."""

from __future__ import annotations

import pytest

from assistant.understand.followup import interrogative, leans_on_previous


@pytest.mark.parametrize(
    "text",
    [
        "And what do I write on the envelope?",
        "What about cookies?",
        "can i just ring them instead?",
        "その場合、費用はかかりますか。",  # a so- demonstrative
        "それって無料？",
        "じゃあ郵送でもいいの？",  # an opening conjunction
        "では、訂正はどうすれば？",  # an opening particle (では)
    ],
)
def test_leans_on_the_previous_turn(text: str) -> None:
    assert leans_on_previous(text)


@pytest.mark.parametrize(
    "text",
    [
        "How do I contact you?",
        "What do you use my personal data for?",
        "個人情報を第三者に提供することはありますか？",
        "ハイレゾの個人情報の窓口の住所を教えてください。",
        "ありがとうございました。",  # no noun at all: thanks, not a question
        "",
    ],
)
def test_stands_on_its_own(text: str) -> None:
    assert not leans_on_previous(text)


@pytest.mark.parametrize(
    ("text", "asks_a_question"),
    [
        ("Can you delete my data?", False),  # a request put as a question
        ("Could you tell me how long you keep it?", True),  # a question put as a request
        ("Can I ask for a copy by e-mail?", True),
        ("how do i get a copy of my data", True),
        ("Delete my data. Why do you still hold it?", True),  # the last sentence decides
        ("Delete my data.", False),
        ("I want a copy of my data, please.", False),
        ("開示を求めた場合はどうなるのでしょう。", True),
        ("手数料はかかりますか", True),
        ("それって無料なの", True),
        ("個人情報を削除してください。", False),
        ("登録したメールアドレスを削除してもらえないでしょうか。", False),
        ("第三者提供記録の開示をお願いできますか。", False),
        ("私の個人データの開示を請求します。", False),
        ("", False),
    ],
)
def test_interrogative(text: str, asks_a_question: bool) -> None:
    assert interrogative(text) is asks_a_question
