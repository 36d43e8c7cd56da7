"""Redaction of personal data in chat logs (`assistant/understand/redact.py`)."""

from __future__ import annotations

import logging
import threading

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from assistant.understand.redact import contains_personal_data, redact
from evals.bench_lib import REDACT_CASES, redact_input

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
    "Figures for 2019-2024 and 2020 2021.",
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
        "０",
        "９",
        "ー",
        "－",
        "＠",
        "（",
        "電話",
        "です",
        "\u200b",
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
    tags = " ".join(f"[{t}]" for t in ("EMAIL", "PHONE", "CARD", "POSTCODE", "ID", "NAME", "ADDRESS"))
    assert redact(tags) == tags


# -- Japanese text ---------------------------------------------------------------------------------
# Kana and kanji are word characters, so a `\b` pattern never matches inside a Japanese sentence.

JAPANESE_SENSITIVE = [
    ("電話番号は090-1234-5678です", "090-1234-5678", "[PHONE]"),
    ("携帯09012345678に電話ください", "09012345678", "[PHONE]"),
    ("海外からは+819012345678まで", "+819012345678", "[PHONE]"),
    ("代表03(1234)5678へ", "03(1234)5678", "[PHONE]"),
    ("代表（03）1234-5678へ", "（03）1234-5678", "[PHONE]"),
    ("電話090ー1234ー5678です", "090ー1234ー5678", "[PHONE]"),
    ("電話090－1234－5678です", "090－1234－5678", "[PHONE]"),
    ("電話090−1234−5678です", "090−1234−5678", "[PHONE]"),
    ("電話090–1234–5678です", "090–1234–5678", "[PHONE]"),
    ("電話090‐1234‐5678です", "090‐1234‐5678", "[PHONE]"),
    ("電話０９０－１２３４－５６７８です", "０９０－１２３４－５６７８", "[PHONE]"),
    ("電話０９０ー１２３４ー５６７８です", "０９０ー１２３４ー５６７８", "[PHONE]"),
    ("電話０３（１２３４）５６７８です", "０３（１２３４）５６７８", "[PHONE]"),
    ("TEL090-1234-5678", "090-1234-5678", "[PHONE]"),
    ("TEL:03-1234-5678（平日）", "03-1234-5678", "[PHONE]"),
    ("電話090\u200b1234\u200b5678です", "090\u200b1234\u200b5678", "[PHONE]"),
    ("マイナンバーは123456789012です", "123456789012", "[ID]"),
    ("個人番号1234 5678 9012を送ります", "1234 5678 9012", "[ID]"),
    ("個人番号１２３４－５６７８－９０１２を送ります", "１２３４－５６７８－９０１２", "[ID]"),
    ("カード番号4111111111111111で払いました", "4111111111111111", "[CARD]"),
    ("カード４１１１－１１１１－１１１１－１１１１で", "４１１１－１１１１－１１１１－１１１１", "[CARD]"),
    ("宛先〒1000005東京都千代田区", "〒1000005", "[POSTCODE]"),  # an address not introduced as a home stays (see below)
    ("〒１００－０００５　東京都", "〒１００－０００５", "[POSTCODE]"),
    ("郵便番号150-0041です", "150-0041", "[POSTCODE]"),
    ("郵便番号1500041です", "1500041", "[POSTCODE]"),
    ("メールはtaro@example.jpです", "taro@example.jp", "[EMAIL]"),
    ("メールはtaro＠example.jpです", "taro＠example.jp", "[EMAIL]"),
    ("メールはｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐです", "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ", "[EMAIL]"),
    ("パスポートTK1234567です", "TK1234567", "[ID]"),
    ("旅券番号ＴＫ１２３４５６７です", "ＴＫ１２３４５６７", "[ID]"),
]


@pytest.mark.parametrize(("text", "secret", "tag"), JAPANESE_SENSITIVE)
def test_personal_data_in_japanese_text_is_replaced(text: str, secret: str, tag: str) -> None:
    out = redact(text)
    assert out == text.replace(secret, tag)  # exactly the number goes, the sentence stays
    assert contains_personal_data(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("IPアドレスは192.168.10.100です", "IPアドレスは[IP]です"),
        ("from 10.0.0.1 at night", "from [IP] at night"),
        ("server 203.0.113.255, port 80", "server [IP], port 80"),
    ],
)
def test_ipv4_address_gets_its_own_tag(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize("text", ["999.1.1.1 is no address", "Version 1.2.3 and 10.0.19041.1"])
def test_dotted_numbers_that_are_not_addresses_are_not_tagged_ip(text: str) -> None:
    assert "[IP]" not in redact(text)


JAPANESE_UNTOUCHED = [
    "2024年4月1日に改定されました。",
    "令和6年4月1日施行、平成15年法律第57号",
    "手数料は1,000円です。合計10,000円。",
    "手数料は１，０００円です。",
    "第3条第2項および第12条をご覧ください。",
    "第３条（利用目的）",
    "電話でのお問い合わせは平日9時から17時まで。",
    "メールアドレスの変更方法を教えてください。",
    "2024-04-01付けの改定、2024/04/01",
    "3ヶ月以内に、14日以内に回答します。",
    "東京都港区六本木6-2-31 17階",
    "個人情報保護法第27条第1項第1号",
    "2019-2024年の統計、2020 2024の比較",
]


@pytest.mark.parametrize("text", JAPANESE_UNTOUCHED)
def test_ordinary_japanese_text_is_left_alone(text: str) -> None:
    assert redact(text) == text


# Sentence context without digits, ASCII letters or the marks that belong to a number (〒 ＋ ＠).
_JA_CONTEXT = st.text(
    alphabet=st.sampled_from(
        list("電話番号携帯住所氏名連絡先東京都渋谷区様私のはでしたよねをにへとがもアイウエオカードメールマイナンバー、。「」：・ 　")
    ),
    max_size=12,
)
_FULLWIDTH = {c: chr(ord(c) + 0xFEE0) for c in map(chr, range(0x21, 0x7F))} | {" ": "\u3000"}


def _width(text: str, full: bool) -> str:
    return "".join(_FULLWIDTH.get(c, c) for c in text) if full else text


def _digits(n: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=n, max_size=n)


_PHONE_SEP = st.sampled_from(["-", " ", "ー", "－", "−", "–", ""])


@st.composite
def _phones(draw: st.DrawFn) -> str:
    shape = draw(st.sampled_from([(3, 4, 4), (2, 4, 4), (3, 3, 4), (4, 2, 4), (4, 3, 3)]))
    groups = [draw(_digits(n)) for n in shape]
    groups[0] = "0" + groups[0][1:]
    style = draw(st.sampled_from(["sep", "brackets", "international"]))
    if style == "brackets":
        return f"{groups[0]}({groups[1]}){groups[2]}" if draw(st.booleans()) else f"({groups[0]}) {groups[1]}-{groups[2]}"
    sep = draw(_PHONE_SEP)
    if style == "international":
        return "+81" + draw(st.sampled_from(["", " ", "-"])) + sep.join([groups[0][1:], *groups[1:]])
    return sep.join(groups)


@st.composite
def _postcodes(draw: st.DrawFn) -> tuple[str, str]:
    """(text, the part the tag replaces)."""
    code = draw(_digits(3)) + draw(st.sampled_from(["-", "－", "ー", ""])) + draw(_digits(4))
    form = draw(st.sampled_from(["〒", "〒 ", "郵便番号", "bare"]))
    if form.startswith("〒"):
        return form + code, form + code
    if form == "郵便番号":
        return "郵便番号" + code, code
    code = code if code[3] in "-－ー" else code[:3] + "-" + code[3:]  # a bare 7-digit number is no postcode
    return code, code


@st.composite
def _my_numbers(draw: st.DrawFn) -> str:
    sep = draw(st.sampled_from(["", " ", "-", "－"]))
    return sep.join(draw(_digits(4)) for _ in range(3))


@st.composite
def _cards(draw: st.DrawFn) -> str:
    digits = draw(st.sampled_from("345")) + draw(_digits(draw(st.integers(13, 15))))
    sep = draw(st.sampled_from(["", " ", "-", "－"]))
    return sep.join(digits[i : i + 4] for i in range(0, len(digits), 4))


@st.composite
def _emails(draw: st.DrawFn) -> str:
    return draw(_LOCAL) + "@" + draw(st.emails()).rsplit("@", 1)[1]


@st.composite
def _japanese_sentences(draw: st.DrawFn) -> tuple[str, str]:
    """(a sentence with one piece of personal data, the sentence as redacted)."""
    kind = draw(st.sampled_from(["PHONE", "POSTCODE", "ID", "CARD", "EMAIL"]))
    full = draw(st.booleans())
    if kind == "POSTCODE":
        text, secret = draw(_postcodes())
    else:
        strategy = {"PHONE": _phones(), "ID": _my_numbers(), "CARD": _cards(), "EMAIL": _emails()}[kind]
        text = secret = draw(strategy)
    text, secret = _width(text, full), _width(secret, full)
    before, after = draw(_JA_CONTEXT), draw(_JA_CONTEXT)
    return before + text + after, before + text.replace(secret, f"[{kind}]") + after


@settings(max_examples=200, deadline=None, database=None)
@given(_japanese_sentences())
def test_personal_data_in_japanese_sentences_never_survives(case: tuple[str, str]) -> None:
    text, expected = case
    out = redact(text)
    assert not any(c.isdigit() for c in out)
    assert out == expected


# Names and home addresses have no shape of their own in Japanese: they go where the message introduces them.
JAPANESE_INTRODUCED = [
    ("私は山田太郎です。開示を請求します。", "私は[NAME]です。開示を請求します。"),
    ("私、田中です。データを削除してください", "私、[NAME]です。データを削除してください"),
    ("わたくし、佐々木と申します。", "わたくし、[NAME]と申します。"),
    ("はじめまして、タナカ ハナコといいます。", "はじめまして、[NAME]といいます。"),
    ("氏名：佐藤 花子、電話 ０９０−１２３４−５６７８", "氏名：[NAME]、電話 [PHONE]"),
    ("氏名は鈴木一郎です。", "氏名は[NAME]です。"),
    ("私の名前は髙橋健一と申します", "私の名前は[NAME]と申します"),
    ("お名前：鈴木 さくら", "お名前：[NAME]"),
    ("氏名　高橋　健一", "氏名　[NAME]"),
    ("住所は東京都新宿区西新宿2-8-1です", "住所は[ADDRESS]です"),
    ("住所：〒123-4567 東京都新宿区西新宿2丁目8番1号 都庁ビル301号室", "住所：[POSTCODE] [ADDRESS]"),
    ("住所は〒1000005東京都千代田区", "住所は[POSTCODE][ADDRESS]"),
    ("自宅は千代田区霞が関1-1-1です", "自宅は[ADDRESS]です"),
    ("〒１２３−４５６７　大阪府大阪市北区梅田１−２−３に住んでいます", "[POSTCODE]　[ADDRESS]に住んでいます"),
    ("横浜市中区在住の者です", "[ADDRESS]在住の者です"),
    ("送付先：北海道札幌市中央区北1条西2丁目", "送付先：[ADDRESS]"),
    ("現住所：埼玉県さいたま市浦和区高砂1-2-3", "現住所：[ADDRESS]"),
]


@pytest.mark.parametrize(("text", "expected"), JAPANESE_INTRODUCED)
def test_introduced_japanese_names_and_home_addresses_are_replaced(text: str, expected: str) -> None:
    assert redact(text) == expected


# What a name or an address label is followed by when it introduces none; a company's office address stays
# (the transcripts keep what the policy says, and nothing tells it from a home address but its introduction).
@pytest.mark.parametrize(
    "text",
    [
        "名前が間違っています",
        "名前は必須ですか？",
        "氏名は変更できますか",
        "氏名、住所、電話番号を教えてください",
        "氏名及び住所を記載してください",
        "私は代理人です。本人の開示を請求します。",
        "私は会社員です",
        "住所変更の方法を教えて",
        "住所はどこに書けばいいですか",
        "本社所在地の東京都港区六本木6-2-31に送ってください",
        "父の代わりに請求します",
    ],
)
def test_japanese_text_that_introduces_no_name_or_address_is_left_alone(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize("case", REDACT_CASES)
def test_japanese_names_and_addresses_are_read_without_backtracking(case: tuple[str, str]) -> None:
    # A pattern free to split a run of kanji took minutes over 2,000 区; these take about a
    # millisecond. `make bench` measures how the time grows with the text ("redact: 10x the text");
    # here a watchdog far above any machine's noise only keeps a regression from hanging the run.
    done = threading.Event()
    text = redact_input(case, 2000)
    worker = threading.Thread(target=lambda: (redact(text), done.set()), daemon=True)
    worker.start()
    worker.join(timeout=120)
    assert done.is_set(), "redact did not finish: a pattern backtracks over this input"


def test_japanese_personal_data_stays_out_of_transcripts_and_logs(hash_settings, hash_assistant, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    from assistant.storage.db import make_engine

    caplog.set_level(logging.DEBUG)
    secrets = ["090-1234-5678", "０３（１２３４）５６７８", "taro＠example.jp", "123456789012", "1500041", "山田太郎", "渋谷区神南1-2-3"]
    messages = [
        "私は山田太郎です。個人情報の開示を請求します。電話番号は090-1234-5678、住所は東京都渋谷区神南1-2-3です。",
        "利用目的を教えてください。連絡先は０３（１２３４）５６７８、メールはtaro＠example.jpです。",
        "マイナンバーは123456789012、郵便番号1500041です。何に使いますか？",
    ]
    session = None
    for message in messages:
        session = hash_assistant.reply(message, company="upward", session_id=session).session_id
    with make_engine(hash_settings.database_url).connect() as conn:
        stored = " ".join(r[0] + r[1] for r in conn.exec_driver_sql("SELECT user_text, reply_text FROM chat_turns"))
        stored += " ".join(
            r[0] for r in conn.exec_driver_sql("SELECT coalesce(last_query, '') || coalesce(pending_message, '') FROM chat_sessions")
        )
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "[PHONE]" in stored and "[EMAIL]" in stored and "[ID]" in stored
    assert [s for s in secrets if s in stored or s in logged] == []
