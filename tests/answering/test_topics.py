"""Lead-line topics: what the question asks, or none; measured on a labelled set."""

from __future__ import annotations

import json

from assistant.answering.compose import describe_topic as answer_topic
from assistant.answering.topics import FEES, PROXY, RESPONSIBLE, RETENTION, RIGHTS, THIRD_PARTIES, describe_topic
from evals.notices import ROOT_SUITES, TOPIC_LABELS, half, load, score_topics


def test_who_is_responsible_is_not_about_a_word_it_contains() -> None:
    for q in (
        "What is the name of the personal information protection manager?",
        "Who is the person responsible for security?",
        "Who is in charge of protecting my data?",
    ):
        assert describe_topic(q) == RESPONSIBLE, q
    assert answer_topic("What's the name of your personal information protection manager?") != "security measures"


def test_the_question_focus_comes_first() -> None:
    assert describe_topic("How much does it cost?") == FEES
    assert answer_topic("How much does it cost?") == FEES
    assert describe_topic("How long do you keep my data?") == RETENTION
    assert describe_topic("Who do you share my data with?") == THIRD_PARTIES
    assert describe_topic("Why do you collect my e-mail address?") == "the purposes of use"


def test_unsure_means_no_topic() -> None:
    for q in ("Hello?", "Is Firefox open source?", "What is a data subject access request portal?", "Who is the CEO?", ""):
        assert describe_topic(q) is None, q


def test_labelled_set_is_large_and_not_from_the_suites() -> None:
    items = load(TOPIC_LABELS)
    assert len(items) >= 150 and len({it["id"] for it in items}) == len(items)
    assert any(it["topic"] is None for it in items)
    suite_questions = set()
    for path in ROOT_SUITES.glob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            suite_questions.update(t.strip().lower() for t in item.get("turns", []))
    assert not [it["question"] for it in items if it["question"].strip().lower() in suite_questions]


def test_coverage_and_accuracy_on_the_test_half() -> None:
    score = score_topics([it for it in load(TOPIC_LABELS) if half(it["id"]) == "test"])
    assert score.coverage >= 0.60
    assert score.accuracy >= 0.95, score.wrong


def test_a_network_proxy_or_an_eu_representative_is_no_one_acting_for_the_customer() -> None:
    assert describe_topic("Can the proxy behind the VPN see which sites I visit?") is None
    assert describe_topic("Do you have a representative in the EU I can write to?") != PROXY
    assert describe_topic("Can my proxy submit a request for me?") == PROXY
    assert describe_topic("My guardian will send the request on my behalf through the website. What is needed?") == PROXY


def test_definitions_rights_and_long_purpose_questions() -> None:
    assert describe_topic("What counts as 'personal data' under this notice?") is None
    assert describe_topic("What rights do I have over my data?") == RIGHTS
    assert describe_topic("What can I ask you to do with my data?") == RIGHTS
    assert describe_topic("What do you use my survey answers and order details for?") == "the purposes of use"


def test_an_address_bar_or_a_masked_address_is_no_postal_address() -> None:
    assert describe_topic("Where do the words I type in the address bar go?") is None
    assert describe_topic("What is your postal address?") == "whom to contact"


def test_everyday_wordings_of_common_topics_get_their_topic() -> None:
    assert describe_topic("Which companies do you share my data with?") == THIRD_PARTIES
    assert describe_topic("What physical protections do you have?") == "security measures"
    assert describe_topic("Do your staff get privacy training?") == "security measures"
    assert describe_topic("Could my data be stored in a different country?") == "transfers of data abroad"
    assert describe_topic("Will you check that it's really me before you act?") == "identity documents"
    assert describe_topic("Can you get my personal data from another company?") == "the information collected"
    assert describe_topic("What requests can I make about my data?") == RIGHTS
