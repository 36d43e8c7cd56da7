"""The status recogniser: a customer asking how their own request stands, in English and Japanese,
told apart from questions about the procedure (which the facade answers from the policy)."""

from __future__ import annotations

import pytest

from assistant.understand.status import asks_for_status, references


@pytest.mark.parametrize(
    "message",
    [
        "what is the status of my request?",
        "Any update on my deletion request?",
        "Has my request been processed yet?",
        "What happened to the request I sent yesterday?",
        "Hi, how is my complaint going?",
        "any news about my disclosure request",
        "What's the status of PRQ-000002?",
        "申請の状況は？",
        "依頼した件はどうなっていますか",
        "削除請求の進捗を教えてください。",
        "PRQ-000001の状況を教えてください",
    ],
)
def test_a_customer_asking_how_their_request_stands_is_recognised(message: str) -> None:
    assert asks_for_status(message)


@pytest.mark.parametrize(
    "message",
    [
        "How long does a deletion request take?",
        "Where is the request form?",
        "What does the policy say about the status of shared data?",
        "Please update my request with my new address.",
        "Do you charge a fee for my disclosure request?",
        "What happens to my data after I ask for deletion?",
        "削除を依頼した場合、どうなりますか？",
        "開示請求はどのような状況で拒否されますか？",
        "個人情報の利用目的は何ですか？",
    ],
)
def test_questions_about_the_procedure_are_not(message: str) -> None:
    assert not asks_for_status(message)


def test_references_are_read_as_the_desk_writes_them() -> None:
    assert references("status of prq-000002 and PRQ-000010?") == ["PRQ-000002", "PRQ-000010"]
    assert references("PRQ-12") == []
