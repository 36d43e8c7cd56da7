"""Redaction of personal data in chat logs (`assistant/redact.py`)."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from assistant.redact import contains_personal_data, redact

# (text, the sensitive part that must disappear, the tag that replaces it)
SENSITIVE = [
    ("Mail me at taro.yamada+privacy@example.co.jp please", "taro.yamada+privacy@example.co.jp", "[EMAIL]"),
    ("my address: Hanako_Sato-1@mail.example.com.", "Hanako_Sato-1@mail.example.com", "[EMAIL]"),
    ("My mobile is 090-1234-5678.", "090-1234-5678", "[PHONE]"),
    ("Office: (03) 1234-5678", "(03) 1234-5678", "[PHONE]"),
    ("Tel 03-1234-5678 weekdays", "03-1234-5678", "[PHONE]"),
    ("call 09012345678 after six", "09012345678", "[PHONE]"),
    ("call +81-90-1234-5678", "+81-90-1234-5678", "[PHONE]"),
    # (a space after the number is eaten too: see the xfail below)
    ("It was charged to 4111-1111-1111-1111.", "4111-1111-1111-1111", "[CARD]"),
    ("card number: 4111111111111111", "4111111111111111", "[CARD]"),
    ("I live at 〒100-0005 Tokyo", "〒100-0005", "[POSTCODE]"),
    ("postcode 162-0843, Shinjuku", "162-0843", "[POSTCODE]"),
    ("Passport TK1234567 expired", "TK1234567", "[ID]"),
    ("member number A12345678 please", "A12345678", "[ID]"),
]


@pytest.mark.parametrize(("text", "secret", "tag"), SENSITIVE)
def test_personal_data_is_replaced_by_its_tag(text: str, secret: str, tag: str) -> None:
    out = redact(text)
    assert secret not in out
    assert tag in out
    assert out == text.replace(secret, tag)  # nothing else changes
    assert contains_personal_data(text)


def test_international_tokyo_number_loses_its_digits() -> None:
    out = redact("Call +81 3 1234 5678 today")
    assert "1234" not in out and "5678" not in out
    assert "[PHONE]" in out and out.endswith(" today")


def test_international_tokyo_number_is_one_tag() -> None:
    assert redact("Call +81 3 1234 5678 today") == "Call [PHONE] today"


@pytest.mark.parametrize("number", ["4111 1111 1111 1111", "4111-1111-1111-1111", "4111111111111111"])
def test_card_number_keeps_the_following_space(number: str) -> None:
    assert redact(f"Card {number} expires soon") == "Card [CARD] expires soon"


def test_spaced_card_number_digits_are_gone() -> None:
    out = redact("Card 4111 1111 1111 1111 expires soon")
    assert "[CARD]" in out and "4111" not in out and "1111" not in out


def test_several_kinds_in_one_message() -> None:
    text = "I am Taro (taro@example.jp, 090-1234-5678), 〒162-0843, passport TK1234567."
    out = redact(text)
    assert out == "I am Taro ([EMAIL], [PHONE]), [POSTCODE], passport [ID]."


UNTOUCHED = [
    "What do you use my personal information for?",
    "The policy dated May 1, 2024 says a fee of 1,000 yen applies.",
    "Revised as of April 1, 2015. Enactment Date: March 5, 2020",
    "Fee: 1,000 yen per request, or 10,000 yen in total.",
    "See clause (1), item (4) and sections 2.1, 2.3.1 and 8.",
    "Section 7 (3) above; items 1. and 2. of section 6.",
    "within 3 months of the date of issue, or 14 days",
    "Dates such as 2024-05-01 and 2024/05/01 are fine.",
    "Roppongi Hills North Tower 17F, 6-2-31 Roppongi, Minato-ku",
    "Marunouchi Eiraku Building 26F, 1-4-1 Marunouchi",
    "I was born in 1985 and have 2 kids.",
    "ISO/IEC 27001 and the Act No. 57 of 2003",
    "個人情報の利用目的を教えてください。",
    "Version 1.2.3 is 12.5% faster",
]


@pytest.mark.parametrize("text", UNTOUCHED)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert redact(text) == text
    assert not contains_personal_data(text)


# -- properties -----------------------------------------------------------------------------------

_PIECES = st.sampled_from(
    [
        "0",
        "1",
        "12",
        "123",
        "1234",
        "5678",
        "090",
        "+81",
        " ",
        "  ",
        "-",
        ".",
        "(",
        ")",
        "〒",
        "@",
        "a",
        "Z",
        "TK",
        "example.com",
        "_",
        "\n",
        "yen",
        ",",
        "May 1, 2024",
    ]
)
_NOISY = st.lists(_PIECES, max_size=30).map("".join)
_ANY_TEXT = st.one_of(st.text(max_size=200), _NOISY)


@settings(max_examples=200, deadline=None, database=None)
@given(_ANY_TEXT)
def test_redact_never_raises_and_is_idempotent(text: str) -> None:
    once = redact(text)
    assert isinstance(once, str)
    assert redact(once) == once
    assert contains_personal_data(once) is False


_LOCAL = st.from_regex(r"[A-Za-z0-9](?:[A-Za-z0-9._+\-]{0,20}[A-Za-z0-9])?", fullmatch=True)
# Filler without "@": "x@" right before an address would make a different, longer address.
_FILLER = st.text(alphabet=st.characters(exclude_characters="@", exclude_categories=("Cs",)), max_size=60)


@settings(max_examples=200, deadline=None, database=None)
@given(before=_FILLER, local=_LOCAL, address=st.emails(), after=_FILLER, sep=st.sampled_from(["", " ", "\n", "(", "<"]))
def test_generated_email_never_survives(before: str, local: str, address: str, sep: str, after: str) -> None:
    domain = address.rsplit("@", 1)[1]
    email = f"{local}@{domain}"
    out = redact(before + sep + email + sep[::-1].replace("(", ")").replace("<", ">") + after)
    assert email not in out
    assert "@" + domain not in out
    assert "[EMAIL]" in out


@settings(max_examples=200, deadline=None, database=None)
@given(before=_FILLER, address=st.emails(), after=_FILLER)
@example(before="", address="0%@a.ar", after="")
@example(before="mail ", address="*@a.au", after=" thanks")
def test_any_rfc_email_never_survives(before: str, address: str, after: str) -> None:
    out = redact(before + " " + address + " " + after)
    assert address not in out


def test_tags_do_not_look_like_personal_data() -> None:
    tags = " ".join(f"[{t}]" for t in ("EMAIL", "PHONE", "CARD", "POSTCODE", "ID"))
    assert redact(tags) == tags
