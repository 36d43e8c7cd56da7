"""Generic fact shapes (`assistant/search/facts.py`): what a question asks for, what a passage states."""

from __future__ import annotations

import pytest

from assistant.search.facts import FACT_KINDS, defined_term, defines, fact_kind


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How much does a disclosure request cost?", "amount"),
        ("Is there a fee for a disclosure request?", "money"),
        ("How much data do you collect about me?", None),  # a quantity of data, not of money
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
    [
        "How do I send a disclosure request to you?",
        "How can I submit a deletion request?",
        "Where do I file a complaint?",
        "How do I go about making a request about my data?",
    ],
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


@pytest.mark.parametrize(
    ("question", "term"),
    [
        ("What do you mean by 'technical data'?", "technical data"),
        ("What does it mean by “personal-related information”?", "personal-related information"),
        ("What counts as 'retained personal data' in your policy?", "retained personal data"),
        ("What is meant by personal data?", "personal data"),
        ('What is "pseudonymized information"?', "pseudonymized information"),
        ("Define cookies.", "cookies"),
        ("What is the purpose of use?", None),  # not a definition: no quoted term
        ("What do you collect?", None),
    ],
)
def test_a_definition_question_names_its_term(question: str, term: str | None) -> None:
    assert defined_term(question) == term


@pytest.mark.parametrize(
    ("term", "text", "expected"),
    [
        ("technical data", "| Technical data | This is information about the hardware you use |", True),  # a table row
        ("personal-related information", "Personal-related information refers to information about living individuals", True),
        ("personal data", "“Personal Data” means any information relating to you.", True),
        ("retained personal data", 'we may delete "retained personal data" (personal data we have the authority to delete)', True),
        ("disclosure", "to disclose or correct the data (hereinafter “Disclosure”) that we hold", True),
        ("cookies", "We use cookies to remember your settings.", False),  # uses the term, defines nothing
        ("personal data", "We never sell personal data. It means a lot to us.", False),
    ],
)
def test_a_passage_defines_a_term_by_opening_with_it_or_saying_what_it_means(term: str, text: str, expected: bool) -> None:
    assert defines(term, text) is expected


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("個人情報の保存期間はどのくらいですか？", "retention"),
        ("データはいつまで保管されますか", "retention"),
        ("開示請求の手数料はいくらですか", "amount"),
        ("回答までに何日かかりますか？", "response_time"),
        ("問い合わせ先を教えてください", "contact"),
        ("電話番号は？", "phone"),
        ("このポリシーはいつ改定されましたか", "date"),
        ("個人情報の利用目的は何ですか", "purpose"),
        ("開示の請求は有料ですか？", "money"),
        ("有料プランの支払い方法は何が使えますか", "payment"),  # a paid plan, not a fee
        ("クレジットカードの番号は保存されますか", "payment"),
    ],
)
def test_japanese_questions_ask_for_the_same_kinds_of_fact(question: str, kind: str | None) -> None:
    found = fact_kind(question)
    assert (found.name if found else None) == kind


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("money", "開示等の請求には、1回につき1,000円の手数料をいただきます。"),
        ("amount", "開示等の請求には、1回につき1,000円の手数料をいただきます。"),
        ("response_time", "請求を受け付けた日から14日以内に回答します。"),
        ("retention", "利用目的の達成に必要な期間保存し、不要となった場合は消去します。"),
        ("date", "2024年4月1日 改定"),
        ("payment", "お支払いはサードパーティーの決済業者が処理します。"),
    ],
)
def test_japanese_passages_state_those_facts(kind: str, text: str) -> None:
    assert next(k for k in FACT_KINDS if k.name == kind).states.search(text)


def test_how_long_something_stays_asks_for_a_retention_period() -> None:
    found = fact_kind("how long does a bounced email stay on your server?")
    assert found is not None and found.name == "retention"


def test_an_identity_card_is_no_payment_and_a_half_width_paid_plan_is_no_fee() -> None:
    payment = next(k for k in FACT_KINDS if k.name == "payment")
    assert not payment.states.search("運転免許証またはマイナンバーカードの写しを同封してください。")
    found = fact_kind("有料ｻﾌﾞｽｸﾘﾌﾟｼｮﾝの解約後もデータは残りますか")
    assert found is None or found.name != "money"


@pytest.mark.parametrize(
    ("kind", "text", "states"),
    [
        ("retention", "Your DNS request logs are deleted within 24 hours.", True),
        ("retention", "DNS リクエストのシステムログは、24 時間以内に削除されます。", True),
        ("date", "Amended terms take effect automatically 30 days after they are first posted.", True),
        ("date", "修正された条件は、投稿されてから 30 日後に自動的に有効になります。", True),
        ("date", "発効日 2024 年 4 月 3 日", True),
        ("date", "We answer requests within 30 days.", False),  # a period, not a date
    ],
)
def test_durations_in_hours_and_dates_counted_from_an_event(kind: str, text: str, states: bool) -> None:
    assert bool(next(k for k in FACT_KINDS if k.name == kind).states.search(text)) is states


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("セミナーの案内メールって、同意していなくても送られてくるんですか？", None),  # mail sent to me: no address asked
        ("問い合わせのメールはどこに送ればいいですか", "email"),
        ("電話番号マスクで話した内容は録音されますか？", None),  # a compound: the feature, not a number
        ("窓口の電話番号を教えてください", "phone"),
    ],
)
def test_japanese_mail_received_and_compounds_ask_for_no_address_or_number(question: str, kind: str | None) -> None:
    found = fact_kind(question)
    assert (found.name if found else None) == kind


@pytest.mark.parametrize(
    ("text", "states"),
    [
        ("発効日 2025 年 12 月 17 日", False),  # a calendar date is no period of "2025 years" or "17 days"
        ("2024年4月1日 改定", False),
        ("取引終了後5年間保存します。", True),
        ("リクエストから 30 日以内に削除されます。", True),
    ],
)
def test_a_japanese_date_is_no_retention_period(text: str, states: bool) -> None:
    assert bool(next(k for k in FACT_KINDS if k.name == "retention").states.search(text)) is states


@pytest.mark.parametrize(
    ("text", "states"),
    [
        ("A fee of 1,000 yen per request will be charged.", True),
        ("Requests are handled free of charge.", True),
        ("We may charge a reasonable fee taking the actual cost into account.", True),
        ("開示請求の手数料は無料です。", True),
        # A fee named in passing states no amount: "how much" is not answered by it.
        ("For identification, calculation of service fees, payment and settlement within the Services.", False),
        ("手数料の決済に利用します。", False),
    ],
)
def test_how_much_is_answered_by_an_amount_or_how_it_is_set_not_by_a_fee_named_in_passing(text: str, states: bool) -> None:
    amount = next(k for k in FACT_KINDS if k.name == "amount")
    assert amount.gates
    assert bool(amount.states.search(text)) is states


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("What personal information do you collect?", "data_items"),
        ("What kind of my data gets shared with your partners?", "data_items"),
        ("Which details do you keep about me?", "data_items"),
        ("どういう項目の個人情報を取られますか？", "data_items"),
        ("What do you use my data for?", None),
        ("どのような目的で利用しますか？", "purpose"),
    ],
)
def test_asking_what_information_is_held_asks_for_kinds_of_data(question: str, kind: str | None) -> None:
    found = fact_kind(question)
    assert (found.name if found else None) == kind


@pytest.mark.parametrize(
    ("text", "states"),
    [
        ("Name, e-mail address and telephone number of the person in charge", True),
        ("IP address and device identifiers", True),
        ("氏名、住所、電話番号", True),
        ("We collect your name.", False),  # one kind named is no list of kinds
        ("The name on the form and the name on the card must match.", False),  # one kind twice
        ("We use cookies to improve the Services.", False),
    ],
)
def test_a_passage_naming_two_kinds_of_data_states_what_is_held(text: str, states: bool) -> None:
    kind = next(k for k in FACT_KINDS if k.name == "data_items")
    assert kind.gates is False  # weighs in the ranking; a passage naming none may still answer
    assert bool(kind.states.search(text)) is states


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Why do you need my phone number?", "purpose"),
        ("What is my address used for?", "purpose"),
        ("For what purpose do you keep my details?", "purpose"),
        ("何のために私の情報を使うのですか？", "purpose"),
        ("How long do you keep my data, and why?", "retention"),  # the period is asked first
    ],
)
def test_why_asks_for_a_purpose(question: str, kind: str) -> None:
    found = fact_kind(question)
    assert found is not None and found.name == kind


@pytest.mark.parametrize(
    ("text", "states"),
    [
        ("・To offer estimations and manage orders.", True),
        ("We use your IP address in order to approximate your location.", True),
        ("1. For the purposes of providing the Services", True),
        ("お問い合わせに回答するため", True),
        ("The Company appoints a manager for personal information.", False),
    ],
)
def test_a_purpose_clause_states_a_purpose(text: str, states: bool) -> None:
    kind = next(k for k in FACT_KINDS if k.name == "purpose")
    assert kind.gates is False
    assert bool(kind.states.search(text)) is states


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How do I opt out of personalised ads?", "instructions"),
        ("Where can I change my privacy settings?", "instructions"),
        ("広告メールを停止する方法は？", "instructions"),
        ("How do I make a request?", "contact"),  # a channel, not steps in a setting
    ],
)
def test_how_do_i_turn_it_off_asks_for_steps(question: str, kind: str) -> None:
    found = fact_kind(question)
    assert found is not None and found.name == kind


@pytest.mark.parametrize(
    ("text", "states"),
    [
        ("You can opt out by navigating to your Cookie Preference tool.", True),
        ("To opt out, please visit the third party's website.", True),
        ("ブラウザの設定により、Cookieを無効にできます。", True),
        ("We share data with advertisers.", False),
    ],
)
def test_a_passage_telling_what_to_do_states_steps(text: str, states: bool) -> None:
    kind = next(k for k in FACT_KINDS if k.name == "instructions")
    assert kind.gates is False
    assert bool(kind.states.search(text)) is states


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Which foreign countries do you transfer my data to?", "abroad"),
        ("Can my data go to companies outside Japan?", "abroad"),
        ("個人情報を海外に移転しますか？", "abroad"),
        ("How do I pay by bank transfer?", "payment"),
    ],
)
def test_asking_about_other_countries_asks_for_a_transfer_abroad(question: str, kind: str) -> None:
    found = fact_kind(question)
    assert found is not None and found.name == kind


@pytest.mark.parametrize(
    ("text", "states"),
    [
        ("We may transfer your data to servers in the United States.", True),
        ("When providing personal data to a third party in a foreign country, we obtain consent.", True),
        ("外国にある第三者に提供する場合", True),
        ("Bank transfer fees shall be borne by the customer.", False),
    ],
)
def test_only_a_passage_naming_another_country_answers_where_data_goes_abroad(text: str, states: bool) -> None:
    kind = next(k for k in FACT_KINDS if k.name == "abroad")
    assert kind.gates is True  # a passage on the same subject that names no country would be quoted as if it did
    assert bool(kind.states.search(text)) is states


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Do you knowingly collect data from children under 13?", "children"),
        ("Is there a minimum age for the app?", "children"),
        ("このサービスは何歳から使えますか？", "children"),
        ("I'm the parent of a minor. What do I need to send to make a request?", None),  # documents are asked, not children's data
    ],
)
def test_asking_about_childrens_data_or_an_age_limit(question: str, kind: str | None) -> None:
    found = fact_kind(question)
    assert (found.name if found else None) == kind


@pytest.mark.parametrize(
    ("text", "states"),
    [
        ("We do not knowingly collect personal information from children under 13.", True),
        ("If you are under the age of 16, ask a parent.", True),
        ("未成年者の場合は、保護者の同意を得てください。", True),
        ("We keep your data for as long as your account is open.", False),
    ],
)
def test_only_a_passage_about_children_or_an_age_answers_it(text: str, states: bool) -> None:
    kind = next(k for k in FACT_KINDS if k.name == "children")
    assert kind.gates is True
    assert bool(kind.states.search(text)) is states


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("What ID documents do you need with a request?", "identity"),
        ("Will you check who I am before acting on my request?", "identity"),
        ("本人確認書類として、マイナンバーカードは使えますか？", "identity"),
        ("Do you use my data to train AI models?", "ai_training"),
        ("私のデータは機械学習に使われますか？", "ai_training"),
    ],
)
def test_identity_checks_and_ai_training_are_asked_for(question: str, kind: str) -> None:
    found = fact_kind(question)
    assert found is not None and found.name == kind


@pytest.mark.parametrize(
    ("kind", "text", "states"),
    [
        ("identity", "We will respond after confirming the identity of the customer.", True),
        ("identity", "A copy of your passport or driver's license.", True),
        ("identity", "リクエストへの対応の前に、あなたの身元を確認する場合があります。", True),
        ("identity", "We will respond in writing by mail.", False),
        ("ai_training", "We do not use your content to train machine learning models.", True),
        ("ai_training", "We keep your saved articles until you delete them.", False),
    ],
)
def test_only_a_passage_on_the_subject_answers_identity_or_ai_training(kind: str, text: str, states: bool) -> None:
    found = next(k for k in FACT_KINDS if k.name == kind)
    assert found.gates is True
    assert bool(found.states.search(text)) is states
