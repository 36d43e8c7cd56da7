"""Every text the assistant writes, in English and Japanese, keyed by name: one catalog, so a
reply's language is a choice of template, never a second code path.

Templates are `str.format` strings; `{company:poss}` writes the English possessive ("UPWARD's",
"GMO AI & Robotics'"), so both languages of a text take the same fields."""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

from assistant.understand.language import Language

_QUOTE_OPEN = "\u201c"
_QUOTE_CLOSE = "\u201d"

CATALOG: Mapping[str, Mapping[Language, str]] = {
    # -- answers ---------------------------------------------------------------------------
    "lead": {
        "en": "{company:poss} privacy policy says this:",
        "ja": "{company}のプライバシーポリシーには、次のとおり記載されています。",
    },
    "lead_topic": {
        "en": "{company:poss} privacy policy says this about {topic}:",
        "ja": "{company}のプライバシーポリシーには、{topic}について次のとおり記載されています。",
    },
    "quotes_original": {
        "en": "(The quotes are in the original {language}.)",
        "ja": "（引用は{language}の原文のままです）",
    },
    "quote": {"en": "[{id}] " + _QUOTE_OPEN + "{text}" + _QUOTE_CLOSE, "ja": "[{id}] 「{text}」"},
    "quote_section": {"en": " ({label})", "ja": "（{label}）"},
    "conflict": {
        "en": "These passages do not say the same thing; both are quoted as written. "
        "{company:poss} privacy desk ({desk}) can confirm which applies.",
        "ja": "これらの記載は同じことを述べていません。いずれも原文のまま引用しています。"
        "どちらが適用されるかは、{company}のプライバシー窓口（{desk}）にご確認ください。",
    },
    "summary_omitted": {
        "en": "(Summary omitted: the quoted passages do not support what was generated. The quotes follow.)",
        "ja": "（要約は省略しました。生成した文が引用箇所で裏付けられなかったためです。以下が引用です。）",
    },
    # -- honest non-answers ----------------------------------------------------------------
    "not_covered": {
        "en": "{company:poss} privacy policy does not say anything that answers this question, so I can't tell you. "
        "You can ask the {contact}.",
        "ja": "{company}のプライバシーポリシーには、このご質問に答える記載がないため、お答えできません。{contact}にお問い合わせください。",
    },
    "not_covered_topic": {
        "en": "{company:poss} privacy policy does not say anything about {topic} that answers this, so I can't tell you. "
        "You can ask the {contact}.",
        "ja": "{company}のプライバシーポリシーには、{topic}についてこのご質問に答える記載がないため、お答えできません。"
        "{contact}にお問い合わせください。",
    },
    "off_topic": {
        "en": "I can only answer questions about how the companies I serve handle personal information, "
        "based on their privacy policies, and pass formal requests about your data to their privacy desks.",
        "ja": "お答えできるのは、対応している各社が個人情報をどのように取り扱うかについてのご質問だけです。"
        "各社のプライバシーポリシーに基づいてお答えし、ご自身のデータに関する正式なご依頼は各社のプライバシー窓口にお取り次ぎします。",
    },
    "off_topic_company": {
        "en": "I can only answer questions about how {company} handles personal information, "
        "based on its privacy policy, and pass formal requests about your data to its privacy desk. "
        "For anything else, please contact {company} directly.",
        "ja": "お答えできるのは、{company}が個人情報をどのように取り扱うかについてのご質問だけです。"
        "{company}のプライバシーポリシーに基づいてお答えし、ご自身のデータに関する正式なご依頼は{company}のプライバシー窓口にお取り次ぎします。"
        "その他のご用件は、{company}に直接お問い合わせください。",
    },
    "other_company": {
        "en": "This assistant answers for {here} only, from {here:poss} privacy policy, "
        "so I can't tell you how {other} handles personal information. "
        "Please ask {other}: {contact}.",
        "ja": "このアシスタントは、{here}のプライバシーポリシーに基づいて{here}についてのみお答えしています。"
        "そのため、{other}が個人情報をどのように取り扱うかはお答えできません。{other}にお問い合わせください。連絡先：{contact}",
    },
    "clarify": {
        "en": "Which company is your question about? I can answer for: {names}.",
        "ja": "どの会社についてのご質問ですか？次の会社についてお答えできます：{names}",
    },
    "clarify_item": {"en": "{name} ({id})", "ja": "{name}（{id}）"},
    "clarify_separator": {"en": "; ", "ja": "、"},
    # Both languages in one reply: the customer's own is neither.
    "unsupported_language": {
        "en": "I can answer in English or Japanese only. Please write your message in one of them.",
        "ja": "英語または日本語でのみお答えできます。どちらかの言語でメッセージをお送りください。",
    },
    # -- the desk --------------------------------------------------------------------------
    "desk_draft": {
        "en": "This reads as a {kinds} request{who} for {company:poss} {desk}. I cannot carry it out myself, and "
        "nothing has been sent yet.",
        "ja": "{company}の{desk}への{kinds}のご依頼{who}として承りました。私自身が手続きを行うことはできず、まだ何も送信していません。",
    },
    "desk_draft_complaint": {
        "en": "This reads as a complaint{who} for {company:poss} {desk}. I cannot handle it myself, and nothing has been sent yet.",
        "ja": "{company}の{desk}への苦情{who}として承りました。私自身が対応することはできず、まだ何も送信していません。",
    },
    "desk_submitted": {
        "en": "You have already submitted this request to {company:poss} {desk} as {reference}; its status can be "
        "checked with the lookup token you were given.",
        "ja": "このご依頼は、すでに{reference}として{company}の{desk}に送信済みです。"
        "状況は、お渡しした確認用トークンでご確認いただけます。",
    },
    # A status asked in chat, answered from the ticket (not the policy).
    "request_status": {
        "en": "Your request {reference} ({kinds}) to {company:poss} {desk} is: {status}.",
        "ja": "{company}の{desk}へのご依頼{reference}（{kinds}）の状況は「{status}」です。",
    },
    "request_status_message": {
        "en": "The desk's last message to you ({at}): " + _QUOTE_OPEN + "{text}" + _QUOTE_CLOSE,
        "ja": "窓口からの最新のメッセージ（{at}）：「{text}」",
    },
    # The same line as the session's transcript keeps it: the desk's words stay in the ticket.
    "request_status_message_kept": {
        "en": "The desk wrote to you on {at}; its message is kept with the request.",
        "ja": "窓口から{at}にメッセージが届いています（メッセージはご依頼の記録に保管されています）。",
    },
    "request_status_no_message": {"en": "The desk has not written to you yet.", "ja": "窓口からのメッセージはまだありません。"},
    "request_status_others": {
        "en": "You have made other requests in this conversation too ({references}); ask with a reference for its status.",
        "ja": "この会話では、ほかにもご依頼があります（{references}）。受付番号を添えてお尋ねいただければ、その状況をお伝えします。",
    },
    "request_status_separator": {"en": ", ", "ja": "、"},
    "request_status_none": {
        "en": "You have not submitted a request to {company:poss} {desk} in this conversation.",
        "ja": "この会話では、{company}の{desk}へのご依頼はまだ送信されていません。",
    },
    "request_status_theirs": {
        "en": "Your requests in this conversation: {references}; ask with a reference for its status.",
        "ja": "この会話でのご依頼：{references}。受付番号を添えてお尋ねいただければ、その状況をお伝えします。",
    },
    # Ticket statuses (vocabulary.STATUSES), as the widget names them.
    "status.received": {"en": "received", "ja": "受付済み"},
    "status.awaiting_identity": {"en": "awaiting proof of identity", "ja": "本人確認待ち"},
    "status.in_progress": {"en": "in progress", "ja": "対応中"},
    "status.completed": {"en": "completed", "ja": "完了"},
    "status.rejected": {"en": "rejected", "ja": "却下"},
    "status.withdrawn": {"en": "withdrawn", "ja": "取り下げ"},
    # The notes the desk writes in a ticket's audit trail (vocabulary.AUDIT_NOTES), as staff read them; the English
    # is stored with each entry. Plain {fields} only: the console fills them in itself.
    "audit.request_received": {"en": "request received", "ja": "申請を受け付けました"},
    "audit.viewed": {"en": "viewed", "ja": "閲覧"},
    "audit.message_to_customer": {"en": "message to the customer", "ja": "顧客へのメッセージ"},
    "audit.message_from_customer": {"en": "message from the customer", "ja": "顧客からのメッセージ"},
    "desk_confirm": {
        "en": "To send it to the desk, confirm the request and give an e-mail or a postal address for the reply.",
        "ja": "窓口へ送信するには、ご依頼の内容をご確認のうえ、返信先のメールアドレスまたはご住所をご入力ください。",
    },
    # What POST /v1/requests tells the customer is still to do (`next_steps`), from companies.toml.
    "next_steps_channel": {
        "en": "This submission is not yet the formal request itself: {company} accepts formal requests {note}. "
        "Send your request to {desk}{where} as its privacy policy sets out. The desk can reach you at the contact "
        "details you gave.",
        "ja": "この送信は、まだ正式な請求そのものではありません。{company}は正式な請求を「{note}」で受け付けています。"
        "プライバシーポリシーの定める手続きに従い、{desk}{where}にご請求ください。窓口はご入力の連絡先にご連絡できます。",
    },
    "next_steps_no_contact": {
        "en": "{desk} has your request and will reply to the contact details you gave. {company:poss} privacy policy "
        "gives no contact point for formal requests.{page}",
        "ja": "{desk}がご依頼を受け付け、ご入力の連絡先に返信します。"
        "{company}のプライバシーポリシーには、正式な請求の窓口の記載がありません。{page}",
    },
    "next_steps_default": {
        "en": "{desk} has your request and will reply to the contact details you gave. If {company:poss} privacy "
        "policy requires a form or proof of identity, the desk will ask you for it (its contact: {where}).",
        "ja": "{desk}がご依頼を受け付け、ご入力の連絡先に返信します。{company}のプライバシーポリシーが所定の書式や本人確認書類を"
        "求める場合は、窓口からご案内します（連絡先：{where}）。",
    },
    "next_steps_where": {"en": " ({where})", "ja": "（{where}）"},
    "next_steps_page": {"en": " Its published page: {url}.", "ja": "公開ページ：{url}"},
    "draft_field.name": {"en": "Your name", "ja": "お名前"},
    "draft_field.email": {"en": "E-mail address for the reply (or a postal address)", "ja": "返信先のメールアドレス（またはご住所）"},
    "draft_field.postal_address": {
        "en": "Postal address for the reply (or an e-mail address)",
        "ja": "返信先のご住所（またはメールアドレス）",
    },
    "draft_field.phone": {"en": "Telephone number", "ja": "電話番号"},
    "draft_field.consent": {
        "en": "I agree that this request and my contact details are sent to {company:poss} {desk}",
        "ja": "このご依頼と連絡先を{company}の{desk}に送ることに同意します",
    },
    "desk_proxy": {"en": " (made on someone else's behalf)", "ja": "（代理人によるもの）"},
    "desk_default_name": {"en": "privacy desk", "ja": "プライバシー窓口"},
    "desk_kinds_separator": {"en": ", ", "ja": "・"},
    "desk_requires": {
        "en": "What {company:poss} privacy policy says this requires:",
        "ja": "{company}のプライバシーポリシーに記載されている、このご依頼の手続き：",
    },
    "point_silent": {"en": "- {name}: the policy does not state this.", "ja": "- {name}：ポリシーには記載がありません。"},
    "point_other_kinds": {
        "en": "- {name}: the policy states this only for other kinds of request, not for this one.",
        "ja": "- {name}：ポリシーには他の種類のご依頼についてのみ記載があり、このご依頼についての記載はありません。",
    },
    "point_quoted": {"en": "- {name}: {quotes}", "ja": "- {name}：{quotes}"},
    "point_unquoted": {
        "en": "- {name}: the policy states this too; it is not quoted here, to keep this reply short.",
        "ja": "- {name}：ポリシーに記載があります（返信を短くするため、ここでは引用していません）。",
    },
    "desk_contact": {"en": "Contact: {contact}.", "ja": "連絡先：{contact}"},
    # How a desk and its channels are named (English: `Company.desk_contact`, which it must equal).
    "contact_default_name": {"en": "the company's privacy desk", "ja": "会社のプライバシー窓口"},
    "contact_channels": {"en": "{name} ({channels})", "ja": "{name}（{channels}）"},
    "contact_channel_separator": {"en": "; ", "ja": "／"},
    "contact_note": {"en": ", {note}", "ja": "（受付方法：{note}）"},
    # Procedure points (`procedure.Aspect.key`); the English is the aspect's own name.
    "aspect.action": {"en": "what the policy says it will do", "ja": "ポリシーに記載された会社の対応"},
    "aspect.channel": {"en": "how and where to send the request", "ja": "ご依頼の方法と送付先"},
    "aspect.identity": {"en": "which identity documents are needed", "ja": "必要な本人確認書類"},
    "aspect.proxy": {"en": "what a proxy must submit", "ja": "代理人が提出するもの"},
    "aspect.fee": {"en": "any fee", "ja": "手数料"},
    "aspect.response_time": {"en": "how quickly it will respond", "ja": "回答までの期間"},
    # Kinds of request (vocabulary.REQUEST_TYPES); the English is the id with spaces.
    "request.purpose_notification": {"en": "purpose notification", "ja": "利用目的の通知"},
    "request.disclosure": {"en": "disclosure", "ja": "開示"},
    "request.third_party_records": {"en": "third party records", "ja": "第三者提供記録の開示"},
    "request.correction": {"en": "correction", "ja": "訂正・追加"},
    "request.deletion": {"en": "deletion", "ja": "削除"},
    "request.suspension_of_use": {"en": "suspension of use", "ja": "利用停止"},
    "request.stop_third_party_provision": {"en": "stop third party provision", "ja": "第三者提供の停止"},
    "request.complaint": {"en": "complaint", "ja": "苦情"},
    # Lead-line topics (answering.topics); the English is the topic itself.
    "topic.fees": {"en": "fees", "ja": "手数料"},
    "topic.identity documents": {"en": "identity documents", "ja": "本人確認書類"},
    "topic.requests made by a proxy": {"en": "requests made by a proxy", "ja": "代理人によるご依頼"},
    "topic.how to make a request": {"en": "how to make a request", "ja": "ご依頼の方法"},
    "topic.whom to contact": {"en": "whom to contact", "ja": "お問い合わせ先"},
    "topic.the person responsible": {"en": "the person responsible", "ja": "責任者"},
    "topic.cookies": {"en": "cookies", "ja": "クッキー（Cookie）"},
    "topic.transfers of data abroad": {"en": "transfers of data abroad", "ja": "外国へのデータの移転"},
    "topic.outsourcing": {"en": "outsourcing", "ja": "業務委託"},
    "topic.shared use": {"en": "shared use", "ja": "共同利用"},
    "topic.provision to third parties": {"en": "provision to third parties", "ja": "第三者提供"},
    "topic.security measures": {"en": "security measures", "ja": "安全管理措置"},
    "topic.deletion": {"en": "deletion", "ja": "削除"},
    "topic.correction": {"en": "correction", "ja": "訂正"},
    "topic.stopping the use of data": {"en": "stopping the use of data", "ja": "利用停止"},
    "topic.disclosure": {"en": "disclosure", "ja": "開示"},
    "topic.the purposes of use": {"en": "the purposes of use", "ja": "利用目的"},
    "topic.the information collected": {"en": "the information collected", "ja": "取得する情報"},
    "topic.how long data is kept": {"en": "how long data is kept", "ja": "保存期間"},
    "topic.changes to the policy": {"en": "changes to the policy", "ja": "ポリシーの変更"},
    "topic.children's data": {"en": "children's data", "ja": "子どもの個人情報"},
    "topic.response times": {"en": "response times", "ja": "回答までの期間"},
    "topic.complaints": {"en": "complaints", "ja": "苦情"},
    "topic.marketing emails": {"en": "marketing emails", "ja": "広告メール"},
    "topic.advertising": {"en": "advertising", "ja": "広告"},
    "topic.anonymised information": {"en": "anonymised information", "ja": "匿名加工情報"},
    "topic.pseudonymised information": {"en": "pseudonymised information", "ja": "仮名加工情報"},
    "topic.location data": {"en": "location data", "ja": "位置情報"},
    "topic.payment information": {"en": "payment information", "ja": "決済情報"},
    "topic.your rights": {"en": "your rights", "ja": "ご本人の権利"},
    # Language names, for the note on quotes in another language than the reply.
    "language.en": {"en": "English", "ja": "英語"},
    "language.ja": {"en": "Japanese", "ja": "日本語"},
    # -- errors a chat message can meet (`AssistantError.code`; api/i18n.py takes their Japanese from here) --
    "error.message_empty": {"en": "message is empty", "ja": "メッセージが空です。"},
    "error.message_too_long": {
        "en": "message is {length} characters; the limit is {limit}",
        "ja": "メッセージが {length} 文字あります。上限は {limit} 文字です。",
    },
    "error.unknown_company": {
        "en": "unknown company {company!r}; valid ids: {valid}",
        "ja": "会社「{company}」は見つかりません。有効な ID: {valid}",
    },
    # The flood caps (`RetryLaterError`); {when} is `retry_in`'s.
    "error.too_many_drafts": {
        "en": "too many open requests in this conversation: at most {limit}; submit one of them, or retry {when}, "
        "when the oldest has expired",
        "ja": "この会話で確認待ちの申請が多すぎます（{limit} 件まで）。どれかを申請するか、いちばん古い下書きの期限が切れる"
        "{when}にもう一度お試しください。",
    },
    "error.too_many_submissions": {
        "en": "too many requests to this company: at most {limit} an hour from one client; retry {when}, "
        "or contact the company's privacy desk directly",
        "ja": "この会社への申請が多すぎます（1 つの接続元から 1 時間に {limit} 件まで）。{when}にもう一度お試しいただくか、"
        "会社の個人情報窓口に直接ご連絡ください。",
    },
    # How long until a retry (`retry_in`): whole minutes under an hour, else hours ("about" when not whole).
    "wait.minute": {"en": "in 1 minute", "ja": "1分後"},
    "wait.minutes": {"en": "in {n} minutes", "ja": "{n}分後"},
    "wait.hour": {"en": "in 1 hour", "ja": "1時間後"},
    "wait.hours": {"en": "in {n} hours", "ja": "{n}時間後"},
    "wait.about_hour": {"en": "in about 1 hour", "ja": "約1時間後"},
    "wait.about_hours": {"en": "in about {n} hours", "ja": "約{n}時間後"},
}


def retry_in(seconds: int, lang: Language = "en") -> str:
    """When a retry may succeed, in the units a person reads: "in 2 minutes", "in about 1 hour", "in 24 hours"."""
    minutes = max(1, -(-seconds // 60))  # rounded up: retrying a little late works, early does not
    if minutes < 60:
        return text("wait.minute", lang) if minutes == 1 else text("wait.minutes", lang, n=minutes)
    hours, rest = divmod(minutes, 60)
    if rest >= 30:
        hours += 1
    about = "about_" if rest else ""
    return text(f"wait.{about}hour", lang) if hours == 1 else text(f"wait.{about}hours", lang, n=hours)


def possessive(name: str) -> str:
    """UPWARD's, Win Techno's, GMO AI & Robotics'."""
    return f"{name}'" if name.endswith("s") else f"{name}'s"


class _Formatter(string.Formatter):
    """`str.format` plus the `poss` spec: `{company:poss}` is the English possessive of the value."""

    def format_field(self, value: Any, format_spec: str) -> Any:
        if format_spec == "poss":
            return possessive(str(value))
        return super().format_field(value, format_spec)


_FORMATTER = _Formatter()


def text(key: str, lang: Language = "en", /, **params: object) -> str:
    """The catalog's text `key` in `lang`, filled in with `params` (KeyError for an unknown key)."""
    return _FORMATTER.vformat(CATALOG[key][lang], (), params)


def has(key: str) -> bool:
    """Whether the catalog holds `key`."""
    return key in CATALOG


def fields(template: str) -> frozenset[str]:
    """The names of the fields a template takes."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)
