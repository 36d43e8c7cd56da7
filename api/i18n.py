"""Error texts in the caller's language: which language a request wants, and the Japanese catalog.

English is the source text: the Japanese text is found from the English one the API sends (a fixed
text, or a template with its values), so an English text with no entry here still goes out, in English."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from api.deps import STARTING_DETAIL, STORES_DETAIL, UNAVAILABLE_DETAIL
from assistant.answering.messages import text
from assistant.desk.drafts import NO_DRAFT
from assistant.understand.language import Language, detect_language, from_accept_language

__all__ = ["Language", "localize", "message_language", "request_language", "validation_ja"]


def request_language(headers: Mapping[str, str]) -> Language:
    """The language the request's `Accept-Language` header prefers; English without one."""
    return from_accept_language(headers.get("accept-language"))


def message_language(body: object) -> Language | None:
    """The language of the chat message in a request body (parsed, or its raw JSON bytes); None when unreadable."""
    if isinstance(body, bytes | str):
        try:
            body = json.loads(body)
        except (ValueError, RecursionError):  # RecursionError: nesting too deep for the parser
            return None
    message = body.get("message") if isinstance(body, dict) else None
    # A message without a letter (empty, digits, punctuation) says nothing of its language.
    if not isinstance(message, str) or not any(ch.isalpha() for ch in message):
        return None
    found = detect_language(message)
    return found if found in ("en", "ja") else None


_RETRY_MINUTE = "1分ほどしてからもう一度お試しください。"

# Fixed English texts and their Japanese; customer-facing ones in polite form.
_JA_EXACT: dict[str, str] = {
    STARTING_DETAIL: "アシスタントを起動しています。数秒後にもう一度お試しください。",
    UNAVAILABLE_DETAIL: (
        "プライバシーポリシーの索引を準備しているため、現在は回答できません。数分後にもう一度お試しください。"
        "すでに受け付けた申請の状況確認はご利用いただけます。"
    ),
    STORES_DETAIL: "このサービスは一時的にご利用いただけません。数分後にもう一度お試しください。",
    "the request could not be recorded right now; please retry in a minute or contact the company's privacy desk directly": (
        "現在、申請を記録できません。1分ほどしてからもう一度お試しいただくか、会社の個人情報窓口に直接ご連絡ください。"
    ),
    "the status of your request cannot be looked up right now; please retry in a minute": "現在、申請の状況を確認できません。"
    + _RETRY_MINUTE,
    "the conversation cannot be deleted right now; please retry in a minute": "現在、会話を削除できません。" + _RETRY_MINUTE,
    "the desk queue cannot be reached right now; please retry in a minute": "現在、窓口の受付一覧に接続できません。" + _RETRY_MINUTE,
    "staff keys cannot be checked right now; please retry in a minute": "現在、スタッフ用キーを確認できません。" + _RETRY_MINUTE,
    "a value in the request cannot be stored or looked up": "リクエストに、保存も検索もできない値が含まれています。",
    "internal error; it has been logged": "内部エラーが発生しました。エラーは記録されています。",
    "no such request": "該当する申請は見つかりません。",
    # A chat message's errors are worded once, in the reply catalog.
    text("error.message_empty"): text("error.message_empty", "ja"),
    "invalid request": "リクエストが正しくありません。",
    "a rejection needs a reason in the note": "却下するには、理由をメモに書いてください。",
    "staff endpoints need an X-API-Key header": "スタッフ用のエンドポイントには X-API-Key ヘッダーが必要です。",
    "invalid API key": "API キーが正しくありません。",
    "invalid Content-Length header": "Content-Length ヘッダーが正しくありません。",
    "the path or query contains a NUL character": "パスまたはクエリに NUL 文字が含まれています。",
    # Starlette's own texts (its status phrases) for routes and methods that do not exist.
    "Not Found": "見つかりません。",
    "Method Not Allowed": "このメソッドは使えません。",
    # A formal request's and a message's 422s: the field name stays in front, as in English, for the widget to place it.
    "consent: must be true: the request and your contact details go to the company's privacy desk": (
        "consent: 同意が必要です。このご依頼と連絡先は会社の個人情報窓口に送られます。"
    ),
    "contact: give an e-mail address (contact.email) or a postal address (contact.postal_address) for the desk's reply": (
        "contact: 窓口からの返信先として、メールアドレス（contact.email）かご住所（contact.postal_address）を入力してください。"
    ),
    "contact.email: is not an e-mail address": "contact.email: メールアドレスの形式ではありません。",
    NO_DRAFT: ("draft_id: 申請の下書きが見つからないか、有効期限が切れています。チャットでもう一度ご依頼ください。"),
    "text: a message needs some text": "text: メッセージを入力してください。",
}

# English templates (named groups for the values) and their Japanese.
_JA_TEMPLATES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(english), japanese)
    for english, japanese in (
        (
            r"message is (?P<length>\d+) characters; the limit is (?P<limit>\d+)",
            text("error.message_too_long", "ja", length="{length}", limit="{limit}"),
        ),
        (
            r"too many requests: at most (?P<limit>\d+) a minute; retry in (?P<s>\d+) seconds",
            "リクエストが多すぎます（1分あたり {limit} 回まで）。{s} 秒後にもう一度お試しください。",
        ),
        (
            r"too many failed staff sign-ins: at most (?P<limit>\d+) a minute; retry in (?P<s>\d+) seconds",
            "スタッフのサインインの失敗が多すぎます（1分あたり {limit} 回まで）。{s} 秒後にもう一度お試しください。",
        ),
        (r"request body too large: the limit is (?P<n>\d+) bytes", "リクエストの本文が大きすぎます。上限は {n} バイトです。"),
        (
            r"this site \((?P<origin>.*)\) serves several companies \((?P<mine>.*)\): name one as `company`",
            "このサイト（{origin}）は複数の会社（{mine}）に対応しています。`company` で 1 社を指定してください。",
        ),
        (
            r"this site \((?P<origin>.*)\) is not set up for company '(?P<company>.*)' in PA_WIDGET_ORIGINS; it serves: (?P<mine>.*)",
            "このサイト（{origin}）は PA_WIDGET_ORIGINS で会社「{company}」向けに設定されていません。対応している会社: {mine}",
        ),
        (r"request_types: give one or more of (?P<valid>.*)", "request_types: 次の中から 1 つ以上指定してください: {valid}"),
        (r"unknown status '(?P<status>.*)'; valid: (?P<valid>.*)", "ステータス「{status}」はありません。使えるステータス: {valid}"),
        (
            r"cannot move (?P<ref>\S+) from (?P<current>\S+) to (?P<status>\S+); allowed: (?P<allowed>.*)",
            "{ref} を {current} から {status} に変えることはできません。変更できる先: {allowed}",
        ),
    )
)
# Values inside a template that are words, not ids.
_JA_VALUES = {"none (the ticket is closed)": "なし（この申請は終了しています）"}


def localize(detail: str, lang: Language) -> str:
    """`detail` (an English error text of the API) in `lang`; unchanged for English or a text not in the catalog."""
    if lang == "en":
        return detail
    if detail in _JA_EXACT:
        return _JA_EXACT[detail]
    for pattern, japanese in _JA_TEMPLATES:
        found = pattern.fullmatch(detail)
        if found:
            return japanese.format(**{k: _JA_VALUES.get(v, v) for k, v in found.groupdict().items()})
    return detail


def unknown_company_ja(company: str, valid: Sequence[str]) -> str:
    """The 404 text for a company id that is not served, in Japanese."""
    return text("error.unknown_company", "ja", company=company, valid=", ".join(valid))


# Pydantic's error types, said in Japanese; `{name}` is a value of the error's context.
_JA_VALIDATION: dict[str, str] = {
    "missing": "必須の項目です",
    "string_type": "文字列で指定してください",
    "string_too_short": "{min_length} 文字以上で指定してください",
    "string_too_long": "{max_length} 文字以内で指定してください",
    "int_parsing": "整数で指定してください",
    "int_type": "整数で指定してください",
    "int_from_float": "整数で指定してください",
    "float_parsing": "数値で指定してください",
    "float_type": "数値で指定してください",
    "bool_parsing": "true か false で指定してください",
    "bool_type": "true か false で指定してください",
    "greater_than_equal": "{ge} 以上で指定してください",
    "less_than_equal": "{le} 以下で指定してください",
    "greater_than": "{gt} より大きい値で指定してください",
    "less_than": "{lt} より小さい値で指定してください",
    "literal_error": "次のいずれかで指定してください: {expected}",
    "enum": "次のいずれかで指定してください: {expected}",
    "json_invalid": "JSON として読み取れません",
    "model_type": "JSON オブジェクトで指定してください",
    "model_attributes_type": "JSON オブジェクトで指定してください",
    "dict_type": "JSON オブジェクトで指定してください",
    "list_type": "配列で指定してください",
    "extra_forbidden": "指定できない項目です",
}
_JA_INVALID = "値が正しくありません"


def validation_ja(errors: Sequence[Mapping[str, Any]]) -> str:
    """The 422 text in Japanese: each error's location (as in English) and what is wrong."""
    parts = []
    for err in errors:
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        try:
            what = _JA_VALIDATION[str(err.get("type"))].format(**(err.get("ctx") or {}))
        except (KeyError, IndexError, ValueError):
            what = _JA_INVALID
        parts.append(f"{where}: {what}" if where else what)
    return "; ".join(parts) or _JA_EXACT["invalid request"]
