"""Generic fact shapes (`assistant/facts.py`): what a question asks for, what a passage states."""

from __future__ import annotations

import pytest

from assistant.facts import fact_kind


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How much does a disclosure request cost?", "money"),
        ("How long do you keep my data?", "retention"),
        ("When was this policy last revised?", "date"),
        ("What is your phone number?", "phone"),
        ("What's the postal address of your data protection officer?", "address"),
        ("How do I get in touch about privacy?", "contact"),
        ("Where do I send privacy questions?", "contact"),
        ("Who should I contact about my account?", "contact"),
        ("Do you use cookies?", None),
    ],
)
def test_the_kind_of_fact_a_question_asks_for(question: str, kind: str | None) -> None:
    found = fact_kind(question)
    assert (found.name if found else None) == kind


@pytest.mark.parametrize(
    "address",
    ["Avenue Louise 235 b 1, 1050 Brussels", "Rue de la Loi 16", "3-24-1 Ichigaya Tamachi, Shinjuku-ku", "〒100-0005", "1 Main Street"],
)
def test_postal_addresses_written_either_way_round_are_recognised(address: str) -> None:
    kind = fact_kind("What is your postal address?")
    assert kind is not None and kind.states.search(address)


def test_a_street_name_without_a_number_is_no_address() -> None:
    kind = fact_kind("What is your postal address?")
    assert kind is not None and not kind.states.search("We are on the main road of the avenue of progress.")


def test_a_contact_question_prefers_contact_details_but_does_not_require_them() -> None:
    kind = fact_kind("How can I contact you?")
    assert kind is not None and not kind.gates
    assert kind.states.search("write to privacy@example.com") and kind.states.search("see https://example.com/contact")
    assert not kind.states.search("We value your privacy.")
    money = fact_kind("How much is the fee?")
    assert money is not None and money.gates


@pytest.mark.parametrize(
    "question",
    ["How do I send a disclosure request to you?", "How can I submit a deletion request?", "Where do I file a complaint?"],
)
def test_asking_how_to_send_a_request_asks_for_a_channel(question: str) -> None:
    kind = fact_kind(question)
    assert kind is not None and kind.name == "contact"


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("What is your e-mail address?", "email"),
        ("Which email do I write to?", "email"),
        ("Can I email you about this?", "email"),
        ("Do you read the emails I forward through my alias?", None),  # about e-mail, not asking for an address
        ("Will you send me newsletters by email?", None),
    ],
)
def test_only_a_question_asking_for_an_address_to_write_to_asks_for_an_email(question: str, kind: str | None) -> None:
    found = fact_kind(question)
    assert (found.name if found else None) == kind
