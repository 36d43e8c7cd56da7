"""Generic fact shapes: what kind of fact a question asks for, and whether a passage states one.

Only shapes that hold in any policy (amounts, durations, dates, e-mail addresses, URLs, phone
numbers, postal addresses, a purpose clause, a list of kinds of personal data, and the definition
of a term the question names), never the wording of a particular policy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MONTHS = r"(jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(tember)?|oct(ober)?|nov(ember)?|dec(ember)?)"


@dataclass(frozen=True)
class FactKind:
    """One kind of fact: how a question asks for it and how a passage states it."""

    name: str
    asks: re.Pattern[str]
    states: re.Pattern[str]
    # Only a passage stating the fact may answer ("how much" needs an amount). When False the
    # kind only weighs in the ranking: a contact question may be answered by "use the form below".
    gates: bool = True


def _kind(name: str, asks: str, states: str, gates: bool = True) -> FactKind:
    return FactKind(name, re.compile(asks, re.IGNORECASE), re.compile(states, re.IGNORECASE), gates)


# An amount of money: 1,000 yen, ¥1,000, $5, 1,000円.
_FIGURE = r"\d[\d,.]*\s*(yen|円|dollars?|usd|euros?|eur|pounds?)\b|[$€£¥]\s?\d|\d[\d,，.]*\s*円"

# Kinds of personal data any policy lists (what a "what information do you collect?" answer names):
# generic categories of personal data, as the APPI and the GDPR use them, not one policy's words.
_DATA_ITEMS_EN = (
    r"(?:full |first |last |user ?)?names?|e-?mail(?: address(?:es)?)?|(?:tele|mobile )?phone(?: numbers?)?|fax(?: numbers?)?"
    r"|(?:postal |mailing |home |street )?address(?:es)?|dates? of birth|birth ?dates?|ages?|gender|sex|nationality"
    r"|ip address(?:es)?|device (?:ids?|identifiers?|information)|location(?: data| information)?|credit card(?: numbers?)?"
    r"|payment (?:information|details|data)|bank account(?: details)?|occupations?|job titles?|(?:company|corporate) names?"
    r"|departments?|usernames?|passwords?|(?:purchase|browsing|search|transaction) histor(?:y|ies)|cookies?|photographs?|signatures?"
)
_DATA_ITEMS_JA = (
    r"氏名|名前|住所|電話番号|メールアドレス|生年月日|性別|年齢|国籍|IPアドレス|位置情報|クレジットカード|口座|勤務先|会社名|企業名"
    r"|所属|部署|役職|職業|購入履歴|閲覧履歴|利用履歴|端末情報|Cookie|クッキー|写真|署名"
)
_DATA_ITEM = rf"(?:\b(?:{_DATA_ITEMS_EN})\b|{_DATA_ITEMS_JA})"

# First match wins: "how long do you keep" is a retention period before it is a response time, and
# "why do you need my phone number?" asks for a purpose, not for a number.
FACT_KINDS: tuple[FactKind, ...] = (
    _kind(
        "retention",
        r"\b(how long|how many (days|months|years)|until when)\b.*\b(keep|kept|retain\w*|store\w*|hold|held|delete\w*|stay\w*|remain\w*)\b"
        r"|\bretention\b|\bstorage period\b"
        r"|保存期間|保管期間|保有期間|保持期間|(いつまで|何年|何か月|何ヶ月|どのくらい|どれくらい).*(保存|保管|保持|保有|残)",
        r"\b\d+\s*(hours?|days?|weeks?|months?|years?)\b|\b(retention|retain\w*|kept|stored?) (period|for|until)\b|\buntil\b"
        r"|\bas long as\b|\bno longer (necessary|needed|required)\b"
        # A period, not a calendar date: "2025 年 12 月 17 日" holds no "2025 years" and no "17 days".
        r"|(?<![\d月])(?<!月 )\d+\s*(時間|日|週間|か月|ヶ月|カ月|箇月)|(?<!\d)\d{1,3}\s*年(?!\s*\d{1,2}\s*月)"
        r"|(保存|保管|保有|保持)期間|不要となった|必要な(期間|範囲)",
    ),
    _kind(
        "response_time",
        r"\b(how (long|fast|quickly|soon)|how many (days|hours|weeks)|when will|within \d+)\b"
        r"|(何日|何週間|どのくらい|どれくらい|いつまでに|いつ頃|いつごろ).*(回答|返事|返信|対応|連絡|かか)",
        r"\b\d+\s*(days?|hours?|weeks?|months?|business days?)\b|\bwithout delay\b|\bpromptly\b|\bimmediately\b|\bprompt\b"
        r"|\d+\s*(日|営業日|週間|か月|ヶ月|カ月)以内|遅滞なく|速やかに|直ちに",
    ),
    _kind(
        "amount",
        # "How much …" asks for a figure: a passage naming some fee ("calculation of service
        # fees") does not answer it, one stating an amount, that there is none, or how it is set does.
        r"\bhow much\b(?!\s+(?:of\s+)?(?:my|your|the|our|their)?\s*(?:personal\s+)?(?:data|information|info|time|detail)s?\b)"
        r"|いくら|金額|何円",
        _FIGURE + r"|\bfree of charge\b|\bfor free\b|\bwithout (any )?(fee|charge|cost)\b|\bat no (extra )?(cost|charge)\b"
        r"|\bno (fee|charge|cost)s?\b|\b(actual|reasonable|nominal|administrative|applicable) (fee|charge|cost|expense)s?\b"
        r"|\bfees? (of|is|are|will be)\b|\bcharge (a|an)\b"
        r"|手数料は|手数料として|無料|無償|実費",
    ),
    _kind(
        "money",
        # 有料 as a predicate ("有料ですか"), not in a compound ("有料サブスクリプション" is a paid plan).
        r"\b(fee|fees|charge|charges|cost|costs|price|free of charge|for free)\b|手数料|費用|料金|無料|お金"
        r"|有料(?![\u30a0-\u30ff\uff66-\uff9f\u3400-\u9fff])",
        # A fee, a charge or its absence; not the "person in charge".
        _FIGURE + r"|\bfees?\b|(?<!in )\bcharg(e|es|ed|ing)\b"
        r"|\bcosts?\b|\bfree of charge\b|\bfor free\b|\bexpenses?\b|手数料|無料|実費|費用",
    ),
    _kind(
        "payment",
        r"\b(pay|paid|paying|payments?|billing|billed)\b|支払|支払い|決済|課金|カード情報|クレジットカード",
        # Not a bare カード: マイナンバーカード is an identity document.
        r"\b(pay|paid|paying|payments?|billing|billed|invoices?|(credit|debit) cards?)\b"
        r"|支払|決済|課金|請求書|クレジットカード|カード(番号|情報)",
    ),
    _kind(
        "date",
        r"\b(when (was|did|is|were)|what date|which date|since when|last (updated|revised|amended|changed)|effective date"
        r"|come into (effect|force)|took effect|enact\w*)\b"
        r"|いつから|施行日|改定日|制定日|最終更新|更新日|いつ(改定|更新|制定|施行)",
        # A calendar date, or one counted from an event ("30 days after it is posted", 「30 日後」).
        rf"\b(19|20)\d{{2}}\b|\b{_MONTHS}\s+\d{{1,2}}\b|(19|20)\d{{2}}年|(令和|平成)\s*\d+年"
        r"|\b\d+\s*(days?|weeks?|months?)\s+(after|from|following)\b|\d+\s*(日|週間|か月|ヶ月|カ月)(後|経過)",
    ),
    _kind(
        "purpose",
        # "Why ...?", "What is it used for?" asks for a purpose: a passage stating one ("To perform
        # personal authentication…", "in order to", "for the purpose of", 「…のため」「目的」) answers it.
        r"(?:^|[.?!]\s+)why\b|\bfor what (?:purpose|reason)s?\b|\bwhat (?:are|is) (?:the )?purposes?\b"
        r"|\bwhat\b[^?.!]{0,60}\b(?:used?|using) (?:it |them )?for\b|なぜ|何のため|何に(?:使|利用)|目的",
        r"(?:^|\n)\s*(?:[•・*-]\s*|\(?\d+[.)]\s*)?to [a-z]+|\bin order to\b|\bfor the purposes? of\b|\bso (?:that|as to)\b"
        r"|\bused (?:to|for)\b|\bwe use\b[^.]{0,80}\bto\b|目的|ため",
        gates=False,
    ),
    _kind(
        "email",
        # Asks for an address to write to, not about e-mail in general ("my email masks?").
        r"\be-?mail address(es)?\b.*\?|\bwhat(\'s| is) (the|your|their) e-?mail\b|\b(which|what) e-?mail\b"
        r"|\b(send|write) (you |them )?an? e-?mail\b|\be-?mail (you|them)\b"
        r"|メールアドレス|(メール|Ｅメール|e-?mail).*(宛先|どこ|送(?!られ))",  # not mail sent to me (送られて)
        r"[\w.+-]+@[\w-]+\.[\w.]+|https?://",
    ),
    _kind(
        "address",
        r"\b(postal address|mailing address|office address|where (is|are) (your|the|their) (office|headquarters)"
        r"|street address|what(\'s| is) (the|your|their) address)\b|住所|所在地|郵送先|送付先",
        r"〒|\b\d{3}-\d{4}\b|\b\d{5}(-\d{4})?\b|\b\d+-\d+(-\d+)?\b|\b\d+\w*\s+([\w'’.-]+\s+){0,3}(street|st\.|avenue|ave\.|road|rd\.|boulevard"
        r"|blvd\.?|floor|suite|building)\b|\bP\.?O\.? Box\b"
        # The number after the street name, as across Europe ("Avenue Louise 235", "Rue de la Loi 16").
        r"|\b(avenue|street|road|rue|boulevard|strasse|straße|platz|lane)\s+([\w'’.-]+\s+){1,3}\d+\b",
    ),
    _kind(
        "phone",
        # 電話番号 on its own, not in a compound (電話番号マスク is a product feature).
        r"\b(phone|telephone|fax) number\b|\bcall (you|them)\b.*\?|電話番号(?![\u30a0-\u30ff\uff66-\uff9f])"
        r"|(電話|ＦＡＸ|FAX).*(番号(?![\u30a0-\u30ff\uff66-\uff9f])|どこ|できます)",
        r"\+\d{1,3}[\s-]?\d|\b\d{2,4}[-\s.]\d{2,4}[-\s.]\d{3,4}\b|\(\d{3}\)\s?\d{3}-\d{4}",
    ),
    _kind(
        "identity",
        # How identity is checked, or which documents prove it: only a passage on identity checks answers it.
        r"\b(?:id|identity|identification) (?:documents?|cards?|papers|checks?|verification)\b|\bproof of (?:identity|who)\b"
        r"|\bverify (?:my|your|their) identity\b|\bcheck (?:that )?(?:it's|it is) (?:really )?me\b|\bcheck who i am\b"
        r"|\bwhich (?:ids?|documents)\b|本人確認|身元(?:の)?確認|身分証",
        r"\b(?:identity|identification|verif\w*|authenticat\w*|passports?|licen[cs]es?|id cards?|proof of"
        r"|(?:insurance|residence|resident|personal number|my number) cards?)\b|\bconfirm\w* (?:the |your )?(?:identity|that)\b"
        r"|本人確認|本人であること|本人の確認|身元|身分証|運転免許|パスポート|保険証|マイナンバー|住民票|在留カード",
    ),
    _kind(
        "ai_training",
        # Whether data trains AI models: only a passage about AI, models or machine learning answers it.
        r"\btrain\w* (?:an? |the |your |their )?(?:ai|artificial intelligence|models?|machine learning|algorithms?|llms?)\b"
        r"|\b(?:ai|machine learning|llm) (?:training|models?)\b|\bmachine learning\b|機械学習|AIの学習|学習(?:に|データ)|生成AI",
        r"\b(?:ai|artificial intelligence|machine learning|models?|train(?:ing|ed|s)?|algorithms?|llms?|neural)\b"
        r"|機械学習|学習|AI|人工知能|モデル",
    ),
    _kind(
        "children",
        # Children's data and age limits: only a passage about children, minors, parents or an age answers it.
        # Asked about, not named in passing ("I'm the parent of a minor: what do I send?" asks for documents).
        r"\b(?:data|information|info|details) (?:from|of|about|on) (?:children|kids|minors|teens)\b"
        r"|\bchildren's (?:data|information|privacy)\b"
        r"|\b(?:collect|use|process|track|store|keep)\w* [\w\s']{0,30}\b(?:from|of|about|on) (?:children|kids|minors|teens)\b"
        r"|\b(?:children|kids|minors|teens) (?:under|below) (?:the age of )?\d{1,2}\b"
        r"|\bminimum age\b|\bhow old\b|\bage (?:limit|requirement)s?\b"
        r"|(?:子ども|子供|未成年|児童)の(?:個人)?(?:情報|データ)|何歳|年齢制限|歳未満|歳以下",
        r"\b(?:child(?:ren)?(?:'s)?|kids?|minors?|teen(?:ager)?s?|parent(?:s|al)?|guardians?|under (?:the age of )?\d{1,2}"
        r"|(?:age|ages) of \d{1,2}|\d{1,2} years (?:of age|old)|coppa)\b"
        r"|子ども|子供|未成年|児童|年齢|\d+\s*歳|保護者|親権者|法定代理人",
    ),
    _kind(
        "abroad",
        # Transfers abroad: only a passage naming another country, a region or a transfer across
        # borders answers "which countries…?" (a "bank transfer" does not).
        r"\b(?:which|what) countr(?:y|ies)\b|\babroad\b|\boverseas\b|\bforeign\b|\bcross[- ]border\b"
        r"|\boutside (?:of )?(?:japan|the (?:eu|eea|uk|us|united states|european union)|my country|europe)\b"
        r"|\b(?:another|other|a different) countr(?:y|ies)\b|\binternational(?:ly)? transfer"
        r"|海外|外国|国外|越境",
        r"\b(?:abroad|overseas|foreign|cross[- ]border|international(?:ly)?|outside (?:of )?(?:japan|the eu|the eea|the uk|the european"
        r"|the united states|europe|your country)|(?:another|other) countr(?:y|ies)|countr(?:y|ies) other than)\b"
        r"|\b(?:united states|u\.s\.|usa|united kingdom|european union|eea|european economic area|china|singapore|india|ireland"
        r"|germany|france|canada|australia|korea|taiwan|hong kong|philippines|vietnam|thailand|netherlands|switzerland)\b"
        r"|\bstandard contractual clauses\b|\badequacy\b|海外|外国|国外|米国|アメリカ|欧州|中国|シンガポール|インド",
    ),
    _kind(
        "instructions",
        # "How do I opt out / turn it off / change it?" asks for steps: a passage telling the reader
        # what they can do and where ("you can opt out by …", "in your settings", a link).
        r"\bhow (?:do|can|could|should) (?:i|we) (?:opt[- ]out|turn (?:it |them |this )?off|disable|stop|change|adjust|manage"
        r"|control|unsubscribe|get rid of|block|withdraw|switch off|update)\b"
        r"|\bwhere (?:do|can) (?:i|we) (?:change|adjust|manage|control|turn off|opt[- ]out|update)\b"
        r"|(?:どう|どのように|どうやって|どうすれば).*(?:停止|解除|変更|オフ|無効|拒否|オプトアウト|配信停止)"
        r"|(?:停止|解除|変更|オフ|無効|拒否|オプトアウト|配信停止)(?:する|の)?(?:方法|には|手順)",
        r"\byou (?:can|may|could) (?:also )?(?:opt[- ]out|turn|disable|change|adjust|manage|update|unsubscribe|withdraw|control"
        r"|choose|select|toggle|block|switch|set|visit|go to|use)\b|\bby (?:navigating|visiting|clicking|going|selecting|changing"
        r"|adjusting|toggling|following)\b|\bplease (?:visit|go to|use|refer to|see|change|select|click)\b"
        r"|\bsettings\b|\bpreferences\b|\bunsubscribe\b|https?://|\]\("
        r"|設定|オプトアウト|(?:停止|変更|解除|拒否)(?:する|することが)?(?:でき|可能)",
        gates=False,
    ),
    _kind(
        "data_items",
        # "What (kind of) information do you collect/share?" asks which kinds of data: a passage
        # naming two or more of them answers it (weighed in the ranking, not required).
        r"\bwhat\s+(?:kinds?|types?|sorts?|categories|pieces?|items?)\s+of\s+(?:(?:my|your|our|personal|customer|user)\s+)*(?:data|information|info|details)\b"
        r"|\bwhat\s+(?:(?:my|personal|customer|user)\s+)*(?:data|information|info|details)\s+(?:do|does|did|will|would|is|are|can|could|might|may)\b"
        r"|\bwhich\s+(?:(?:my|personal|customer|user)\s+)*(?:data|information|info|details)\b"
        r"|(?:どのような|どんな|どういう|どの|何の)(?:種類の|項目の)?(?:個人)?(?:情報|データ)|(?:個人)?(?:情報|データ)の(?:項目|種類)",
        rf"(?P<item>{_DATA_ITEM})[\s\S]{{0,200}}?(?!(?P=item)){_DATA_ITEM}",
        gates=False,
    ),
    _kind(
        "contact",
        # Asks how to reach someone: any contact detail answers it (checked softly, see `gates`).
        r"\b(how (do|can|should|would) (i|we|you) (contact|reach|write to|get in touch)|get in touch|contact (details|information|point)"
        r"|who (do|should|can) (i|we) (contact|ask|write to)|where (do|can|should) (i|we) (send|write|direct)"
        r"|how to (contact|reach)"
        # How to send a request is asked for a channel: an address, an e-mail, a form.
        r"|how (do|can|should|would) (i|we) (go about )?(send|submit|make|file|lodge|sending|submitting|making|filing|lodging)"
        r" (a|an|my|the|this)\b.*\b(request|complaint|inquiry)"
        r"|where (do|can|should) (i|we) (make|file|lodge|submit))\b"
        r"|連絡先|問い合わせ先|問合せ先|お問い合わせ窓口|相談窓口|窓口は|どこに(連絡|問い合わせ|問合せ|相談|送|申し出|請求)"
        r"|(連絡|問い合わせ|問合せ|申請|請求|申し出)(する)?(方法|の仕方|手段)|宛先",
        r"[\w.+-]+@[\w-]+\.[\w.]+|https?://|\bwww\.|\+\d{1,3}[\s-]?\d|\b\d{2,4}[-\s.]\d{2,4}[-\s.]\d{3,4}\b"
        r"|〒|\b\d{3}-\d{4}\b|\bP\.?O\.? Box\b|\b(contact|inquiry) (form|page|portal)\b",
        gates=False,
    ),
)


def fact_kind(question: str) -> FactKind | None:
    """The kind of fact a question asks for, if it asks for a particular kind."""
    for kind in FACT_KINDS:
        if kind.asks.search(question):
            return kind
    return None


# "What do you mean by 'technical data'?", "What is meant by personal data?", "define cookies".
_DEFINITION_ASKED = re.compile(
    r"\b(?:mean(?:s|t)? by|definition of|define[sd]?|what counts as|what (?:is|are) (?:an? |the )?(?=[\"'‘“]))\s*"
    r"[\"'‘“]?(?P<term>[^\"'’”?]{2,60}?)[\"'’”]?\s*(?:\bin (?:your|the|this|their)\b.*)?[?.!]?\s*$",
    re.IGNORECASE,
)


def defined_term(question: str) -> str | None:
    """The term a question asks the meaning of, if it asks for a definition."""
    m = _DEFINITION_ASKED.search(question.strip())
    if m is None:
        return None
    term = " ".join(m.group("term").split()).strip(" ,;:")
    return term if len(term) >= 2 else None


def _loose(text: str) -> str:
    return " ".join(re.sub(r"[-‐‑–_]", " ", text).split()).lower()


def defines(term: str, text: str) -> bool:
    """Whether a passage reads as the definition of `term`: it opens with the term (a glossary
    entry, a definitions-table row) or says the term "means", "refers to", "is defined as"."""
    loose, t = _loose(text), _loose(term)
    opening = re.sub(r"^[\W_]+", "", loose)
    if opening.startswith(t):
        return True
    at = loose.find(t)
    while at >= 0:
        before, after = loose[max(0, at - 40) : at], loose[at + len(t) :]
        if re.match(r"[\"'’”)]*\s*(?:\([^)]*\)\s*)?(?:means|refers to|is defined as|shall mean|is any|are any)\b", after):
            return True
        if re.match(r"[\"'’”]\s*\(", after) and before.endswith(('"', "“", "'", "‘")):
            return True  # a quoted term glossed in brackets: "retained personal data" (data that …)
        if re.search(r"\(hereinafter(?: referred to as)?(?: the)?\s*[\"“'‘]?$", before):
            return True  # … (hereinafter "Disclosure of Personal Information")
        at = loose.find(t, at + 1)
    return False
