"""The widget's side of a formal request (#16) in a real Chromium: the draft form, its submission and My requests.

The backend of that contract is stubbed here by `RequestsStub` (a pre-recorded chat reply carrying a
`request_draft`, POST /v1/requests answering 201 or 422 as the contract says, the status GET with
messages, and the customer's POST of a message); everything else is the real app. To run the same
tests against the real endpoints, make `contract` serve the plain app and let `desk_says` and
`customer_messages` go through the staff API (POST and GET /v1/desk/tickets/{reference}...).
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from selenium import webdriver
from selenium.webdriver.common.keys import Keys

from api.main import create_app
from tests.api.test_browser import CHROMEDRIVER, CHROMIUM, Browser, attr, driver, serving

__all__ = ["driver"]  # the module's own headless Chromium (a fixture of test_browser)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (CHROMIUM.exists() and CHROMEDRIVER.exists()), reason="needs /usr/bin/chromium and chromedriver: `make system`"),
]

CORPUS = Path(__file__).resolve().parents[2] / "corpus"

# ---------------------------------------------------------------------------------------------- the recorded reply
SECTION = "Handling of Personal Information > 7. Requests for Disclosure, etc."
QUOTES = {
    1: "Please fill out the designated request form and send it by post to the contact point below.",
    2: "Requests by e-mail or telephone are not accepted.",
    3: "Please enclose a copy of an identity document such as a driver's license or passport.",
    4: "A fee of 1,000 yen is charged for each request for disclosure.",
}
DRAFT_ANSWER = (
    "This reads as a request for disclosure and deletion to UPWARD. Nothing has gone to the desk yet: confirm it below and "
    "give an e-mail or a postal address for the reply.\n"
    "What UPWARD's privacy policy says this requires:\n"
    f"- How and where to send the request: [1] \u201c{QUOTES[1]}\u201d [2] \u201c{QUOTES[2]}\u201d\n"
    f"- Which identity documents are needed: [3] \u201c{QUOTES[3]}\u201d\n"
    f"- Any fee: [4] \u201c{QUOTES[4]}\u201d\n"
    "- How quickly it will respond: the policy does not state this.\n"
    "Contact: UPWARD privacy desk (privacy@upward.example)."
)
NEXT_STEPS = (
    "This is not yet the formal request itself: UPWARD accepts a request for disclosure only as its designated form, sent "
    "by post with a copy of an identity document to 1-2-3 Example, Chiyoda-ku, Tokyo. The privacy desk will write to you "
    "at the address you gave."
)
DESK_MESSAGE = "We received your details. Please post the form with a copy of your ID; we will confirm when it arrives."
CUSTOMER_MESSAGE = "Thank you. I posted the form today."


# The draft's fields as the server labels them, by the reply's language.
FIELD_LABELS = {
    "en": {
        "name": "Your name",
        "email": "E-mail address for the reply (or a postal address)",
        "postal_address": "Postal address for the reply (or an e-mail address)",
        "phone": "Telephone number",
        "consent": "I agree that this request and my contact details are sent to UPWARD's privacy desk",
    },
    "ja": {
        "name": "お名前",
        "email": "返信先のメールアドレス（またはご住所）",
        "postal_address": "返信先のご住所（またはメールアドレス）",
        "phone": "電話番号",
        "consent": "このご依頼と連絡先をアップワードの個人情報窓口に送ることに同意します",
    },
}


def draft_reply(lang: str = "en", session_id: str = "s-draft") -> dict[str, Any]:
    """A desk reply as the contract has it: `ticket` null, a `request_draft` to confirm (field labels in `lang`)."""
    citations = [
        {
            "id": n, "company": "upward", "doc_id": "privacy", "version": "v1", "section": SECTION, "page": None,
            "text": q, "display": q, "start": n * 100, "end": n * 100 + len(q), "score": 1.0,
        }
        for n, q in QUOTES.items()
    ]  # fmt: skip
    procedure = [
        {"aspect": "channel", "label": "how and where to send the request", "status": "cited", "citations": [1, 2]},
        {"aspect": "identity", "label": "which identity documents are needed", "status": "cited", "citations": [3]},
        {"aspect": "fee", "label": "any fee", "status": "cited", "citations": [4]},
        {"aspect": "response_time", "label": "how quickly it will respond", "status": "not_stated", "citations": []},
    ]
    labels = FIELD_LABELS[lang]
    draft = {
        "id": "d-3q9Xz1V0b7Kp2mWc",
        "company": "upward",
        "request_types": ["disclosure", "deletion"],
        "proxy": False,
        "fields": [{"name": name, "required": name == "consent", "label": label} for name, label in labels.items()],
        "procedure": procedure,
        "expires_at": (datetime.now(UTC) + timedelta(hours=24)).isoformat(),
        "reference": None,
    }
    return {
        "session_id": session_id, "route": "desk", "answer": DRAFT_ANSWER, "citations": citations, "ticket": None,
        "request_draft": draft,
    }  # fmt: skip


# ---------------------------------------------------------------------------------------------- the stub
class RequestsStub:
    """The app, with the formal-request endpoints of #16 answered as the contract fixes them (in memory)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.base = ""
        self.submissions: list[dict[str, Any]] = []  # every POST /v1/requests body, repeats included
        self.tickets: dict[str, dict[str, Any]] = {}  # reference -> {token, draft, status, messages}
        self.hold = threading.Event()  # cleared: POST /v1/requests waits until it is set
        self.hold.set()
        self.lock = threading.Lock()

    def reset(self) -> None:
        with self.lock:
            self.submissions.clear()
            self.tickets.clear()
        self.hold.set()

    # The two desk-side hooks (against the real app: the staff API).
    def desk_says(self, reference: str, text: str) -> None:
        with self.lock:
            self.tickets[reference]["messages"].append({"at": _now(), "from": "desk", "text": text})

    def desk_sets(self, reference: str, status: str) -> None:
        with self.lock:
            self.tickets[reference]["status"] = status

    def customer_messages(self, reference: str) -> list[str]:
        with self.lock:
            return [m["text"] for m in self.tickets[reference]["messages"] if m["from"] == "customer"]

    # ------------------------------------------------------------------ ASGI
    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        if method == "POST" and path == "/v1/chat/stream":
            asked = json.loads(await _body(receive) or b"{}").get("message", "")
            reply = draft_reply("en" if str(asked).isascii() else "ja")
            events = f"event: delta\ndata: {json.dumps({'text': reply['answer']})}\n\nevent: done\ndata: {json.dumps(reply)}\n\n"
            await _send(send, 200, events.encode(), "text/event-stream")
            return
        if method == "POST" and path == "/v1/requests":
            body = json.loads(await _body(receive) or b"null")
            with self.lock:
                self.submissions.append(body)
            await asyncio.to_thread(self.hold.wait)
            status, out = self.submit(body)
            await _send(send, status, json.dumps(out).encode())
            return
        parts = path.split("/")
        if path.startswith("/v1/requests/") and len(parts) in (4, 5):
            token = parse_qs(scope["query_string"].decode()).get("token", [""])[0]
            with self.lock:
                ticket = self.tickets.get(parts[3])
            if ticket is None or ticket["token"] != token:
                await _body(receive)
                await _send(send, 404, json.dumps({"detail": "no such request"}).encode())
                return
            if method == "GET" and len(parts) == 4:
                out = {"reference": parts[3], "status": ticket["status"], "created_at": ticket["created_at"]}  # no due date
                await _send(send, 200, json.dumps({**out, "messages": ticket["messages"]}).encode())
                return
            if method == "POST" and len(parts) == 5 and parts[4] == "messages":
                text = str(json.loads(await _body(receive) or b"{}").get("text", "")).strip()
                if not text:
                    await _send(send, 422, json.dumps({"detail": "text: String should have at least 1 character"}).encode())
                    return
                message = {"at": _now(), "from": "customer", "text": text}
                with self.lock:
                    ticket["messages"].append(message)
                await _send(send, 201, json.dumps(message).encode())
                return
        await self.app(scope, receive, send)

    def submit(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """POST /v1/requests: a 422 naming the field, else 201; idempotent per draft."""
        contact = body.get("contact") or {}
        if body.get("consent") is not True:
            return 422, {"detail": "consent: must be true: the request and your contact details go to the company's privacy desk"}
        if not (contact.get("email") or contact.get("postal_address")):
            why = "give an e-mail address (contact.email) or a postal address (contact.postal_address) for the desk's reply"
            return 422, {"detail": f"contact: {why}"}
        if contact.get("email") and "@" not in contact["email"]:
            return 422, {"detail": "contact.email: is not an e-mail address"}
        with self.lock:
            found = next((ref for ref, t in self.tickets.items() if t["draft"] == body["draft_id"]), None)
            if found is None:
                found = f"PRQ-{len(self.tickets) + 101:06d}"
                token = f"tok-{len(self.tickets) + 1}-Qm9yTWVhbkl0"
                self.tickets[found] = {
                    "token": token,
                    "draft": body["draft_id"],
                    "status": "received",
                    "created_at": _now(),
                    "messages": [],
                }
            ticket = self.tickets[found]
        created = {"reference": found, "lookup_token": ticket["token"], "status": ticket["status"], "company": "upward"}
        return 201, {**created, "request_types": body.get("request_types") or ["disclosure"], "next_steps": NEXT_STEPS}


def _now() -> str:
    return datetime.now(UTC).isoformat()


async def _body(receive: Any) -> bytes:
    data = b""
    while True:
        message = await receive()
        data += message.get("body", b"")
        if not message.get("more_body"):
            return data


async def _send(send: Any, status: int, body: bytes, kind: str = "application/json") -> None:
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", kind.encode())]})
    await send({"type": "http.response.body", "body": body})


# ---------------------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def contract(hash_index_dir: Path, hash_embedder: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RequestsStub]:
    """The app on the hash-embedded index behind the stub, served once for the module."""
    from assistant.factory import build_assistant
    from assistant.settings import Settings
    from assistant.storage.db import make_engine, upgrade_database

    url = f"sqlite:///{tmp_path_factory.mktemp('requests-db') / 'test.db'}"
    upgrade_database(make_engine(url))
    settings = Settings(corpus_dir=CORPUS, index_dir=hash_index_dir, database_url=url, rate_limit_per_minute=0)  # type: ignore[call-arg]
    stub = RequestsStub(create_app(settings, build_assistant(settings, hash_embedder)))
    with serving(stub) as base:
        stub.base = base
        yield stub


@pytest.fixture
def browser(driver: webdriver.Chrome, contract: RequestsStub) -> Iterator[Browser]:
    contract.reset()
    b = Browser(driver, contract.base)
    b.console_errors()
    b.allowed = ["/v1/requests"]  # Chromium logs the 422s the tests ask for
    yield b
    contract.hold.set()
    errors = b.console_errors()
    assert not errors, f"JavaScript console errors: {errors}"


def open_draft(
    b: Browser, path: str = "/demo?company=upward", question: str = "Please disclose and then delete all my personal data"
) -> tuple[Any, Any]:
    """The widget opened on `path` and asked for a formal request: (shadow root, the reply's draft form)."""
    b.open(path, height=1200)  # tall enough for a whole draft form in the screenshots
    sr = b.widget()
    b.q(sr, ".launcher").click()
    reply = b.ask(sr, question)
    return sr, b.q(reply, "form.draft")


def fill(b: Browser, form: Any, name: str, value: str) -> None:
    box = b.q(form, f'[name="{name}"]')
    box.clear()
    box.send_keys(value)


def tall(b: Browser, sr: Any) -> None:
    """The panel as tall as the window allows, so that a screenshot shows a whole reply with its form."""
    b.d.execute_script("arguments[0].style.height = 'calc(100vh - 104px)'", b.q(sr, "#pa-panel"))


def shot(b: Browser, name: str) -> None:
    """A screenshot once the page has been laid out and painted again (two animation frames)."""
    b.d.execute_async_script("var done = arguments[0]; requestAnimationFrame(function () { requestAnimationFrame(done); });")
    b.shot(name)


def stored_requests(b: Browser) -> Any:
    raw = b.d.execute_script("return sessionStorage.getItem('privacy-assistant-requests:' + location.origin)")
    return json.loads(raw) if raw else None


# ---------------------------------------------------------------------------------------------- tests
def test_the_draft_renders_as_a_short_form_with_its_fields(browser: Browser, contract: RequestsStub) -> None:
    b = browser
    sr, form = open_draft(b)
    reply = b.replies(sr)[-1]
    assert b.q(form, "h3").text == "Confirm your request to UPWARD"
    # The detected kinds, editable; proxy as drafted; the draft's fields, an e-mail or a postal address being enough.
    types = b.qq(form, 'input[name="request_types"]')
    assert [attr(t, "value") for t in types] == ["disclosure", "deletion"] and all(t.is_selected() for t in types)
    # Named as the replies and the desk name them (GET /v1/meta's labels), each choice with a capital.
    assert [e.text for e in b.qq(form, ".types .check")] == ["Disclosure", "Deletion"]
    assert not b.q(form, 'input[name="proxy"]').is_selected()
    labels = [e.text for e in b.qq(form, ".contact .field > span")]
    assert labels == [FIELD_LABELS["en"][name] for name in ("name", "email", "postal_address", "phone")], "the draft's own labels"
    assert attr(b.q(form, 'input[name="email"]'), "type") == "email" and b.q(form, 'textarea[name="postal_address"]')
    assert b.q(form, ".contact .hint").text == "An e-mail address or a postal address is enough."
    assert b.q(form, 'textarea[name="note"]')
    consent = b.q(form, 'input[name="consent"]')
    assert not consent.is_selected() and b.q(form, ".check:has(input[name=consent])").text == FIELD_LABELS["en"]["consent"]
    assert attr(consent, "aria-required") == "true" and len(b.qq(form, 'input[name="consent"]')) == 1
    assert b.q(form, "button[type=submit]").text == "Submit the request"
    assert "Sent" not in reply.text

    # The desk reply: each procedure point on one line, the quotes behind chips that are told apart.
    points = b.qq(reply, ".text .point")
    assert len(points) == 4
    heights = b.d.execute_script(
        "return arguments[0].map(function (p) { return [p.clientHeight, parseFloat(getComputedStyle(p).lineHeight)]; })", points
    )
    assert all(h <= line * 1.5 for h, line in heights), heights
    assert b.q(reply, ".text").get_attribute("textContent") == DRAFT_ANSWER, "the answer's text is all there, verbatim"
    chips = [b.q(c, ".s").get_attribute("textContent") for c in b.qq(reply, ".chip")]
    assert chips == [
        "How and where to send the request (1/2)",
        "How and where to send the request (2/2)",
        "Which identity documents are needed",
        "Any fee",
    ]
    b.qq(reply, ".chip")[3].click()
    assert b.q(reply, ".cite blockquote").text == f"\u201c{QUOTES[4]}\u201d", "the quote behind the chip is verbatim"
    tall(b, sr)
    b.d.execute_script("arguments[0].scrollIntoView({block: 'start'})", reply)
    shot(b, "widget-desk-reply.png")
    b.d.execute_script("arguments[0].scrollIntoView({block: 'end'})", form)
    shot(b, "widget-request-form.png")

    # Without consent nothing is posted: the box says why.
    fill(b, form, "email", "hanako@example.org")
    b.q(form, "button[type=submit]").click()
    err = b.q(form, ".check:has(input[name=consent]) + .ferr")
    b.until(lambda d: err.is_displayed())
    assert err.text == "Please tick the box to agree first." and attr(consent, "aria-invalid") == "true"
    assert contract.submissions == []


def test_a_422_shows_the_named_field_error_by_the_form(browser: Browser, contract: RequestsStub) -> None:
    b = browser
    sr, form = open_draft(b)
    fill(b, form, "name", "Hanako Sato")
    b.q(form, 'input[name="consent"]').click()
    b.q(form, "button[type=submit]").click()
    contact_err = b.q(form, ".contact > .ferr")
    b.until(lambda d: contact_err.is_displayed())
    assert contact_err.text.startswith("Give an e-mail address (contact.email) or a postal address")
    assert b.q(form, ".formerr").text == "Please check the fields marked above."
    assert len(contract.submissions) == 1 and contract.submissions[0]["contact"] == {"name": "Hanako Sato"}

    # The next 422 names contact.email: its message goes under the e-mail box, which is marked invalid.
    fill(b, form, "email", "hanako.example.org")
    b.q(form, "button[type=submit]").click()
    email = b.q(form, 'input[name="email"]')
    b.until(lambda d: attr(email, "aria-invalid") == "true")
    email_err = b.q(form, ".field:has(input[name=email]) .ferr")
    assert email_err.text == "Is not an e-mail address" and email_err.get_attribute("id") in attr(email, "aria-describedby")
    assert not contact_err.is_displayed(), "the earlier error is gone"
    assert b.shadow_focus() == email
    assert not b.qq(sr, ".ticket"), "no reference without a 201"


def test_a_201_shows_the_reference_and_next_steps_and_my_requests_answers_the_desk(browser: Browser, contract: RequestsStub) -> None:
    b = browser
    sr, form = open_draft(b)
    b.qq(form, 'input[name="request_types"]')[1].click()  # disclosure only
    fill(b, form, "email", "hanako@example.org")
    fill(b, form, "note", "My account is under my maiden name.")
    b.q(form, 'input[name="consent"]').click()

    # Held by the stub: the button is disabled while posting, and a second click posts nothing.
    contract.hold.clear()
    button = b.q(form, "button[type=submit]")
    b.d.execute_script("arguments[0].click(); arguments[0].click();", button)
    b.until(lambda d: len(contract.submissions) == 1)
    assert not button.is_enabled() and button.text == "Submitting\u2026"
    contract.hold.set()
    card = b.until(lambda d: b.q(b.replies(sr)[-1], ".ticket.submitted"))
    assert len(contract.submissions) == 1
    sent = contract.submissions[0]
    assert sent == {
        "draft_id": "d-3q9Xz1V0b7Kp2mWc", "session_id": "s-draft", "contact": {"email": "hanako@example.org"},
        "request_types": ["disclosure"], "proxy": False, "note": "My account is under my maiden name.", "consent": True,
    }  # fmt: skip

    reference = b.q(card, ".ref").text
    assert reference == "PRQ-000101" and b.q(card, ".status").text == "received"
    assert b.q(card, ".kinds").text == "disclosure"
    assert b.q(card, ".next").text == NEXT_STEPS, "next_steps verbatim"
    assert "Sent" not in card.text and "not yet the formal request" in card.text
    assert b.q(card, ".t").text == "UPWARD\u2019s privacy desk has your request"
    tall(b, sr)
    b.d.execute_script("arguments[0].scrollIntoView({block: 'end'})", card)
    shot(b, "widget-request-submitted.png")
    token = contract.tickets[reference]["token"]
    assert stored_requests(b) == [{"reference": reference, "lookup_token": token, "company": "upward"}]
    assert b.d.execute_script("return localStorage.length") == 0
    assert token not in b.d.current_url and token not in json.dumps(b.stored()), "the token only in its own sessionStorage entry"

    # The desk writes; My requests shows the status and the message, and the customer answers.
    contract.desk_says(reference, DESK_MESSAGE)
    b.q(card, "button.primary").click()
    view = b.q(sr, "#pa-reqs")
    b.until(lambda d: view.is_displayed() and b.qq(view, f'.req[data-reference="{reference}"] .thread li.desk'))
    assert not b.q(sr, ".log").is_displayed() and attr(b.q(sr, ".reqs-open"), "aria-expanded") == "true"
    item = b.q(view, ".req")
    assert b.q(item, "h4").text == f"{reference} \u00b7 UPWARD" and b.q(item, ".status").text == "received"
    desk = b.q(item, ".thread li.desk")
    assert desk.text.endswith(DESK_MESSAGE) and b.q(desk, ".who").text.startswith("Privacy desk \u00b7 ")

    b.q(item, ".answer textarea").send_keys(CUSTOMER_MESSAGE)
    b.q(item, ".answer button").click()
    b.until(lambda d: b.qq(view, ".req .thread li.customer"))
    assert contract.customer_messages(reference) == [CUSTOMER_MESSAGE]
    assert b.q(view, ".req .thread li.customer").text.endswith(CUSTOMER_MESSAGE)
    assert b.q(view, ".req .answer textarea").get_attribute("value") == ""
    shot(b, "widget-my-requests.png")

    # A reload: the card is drawn again from sessionStorage, and My requests is still there; Refresh asks again.
    b.d.refresh()
    sr = b.widget()
    b.until(lambda d: b.replies(sr))
    assert b.q(b.replies(sr)[-1], ".ticket.submitted .ref").text == reference and not b.qq(sr, "form.draft")
    b.q(sr, ".reqs-open").click()
    b.until(lambda d: b.qq(sr, "#pa-reqs .req .thread li.customer"))
    contract.desk_says(reference, "Your form arrived.")
    contract.desk_sets(reference, "awaiting_identity")
    b.q(sr, "#pa-reqs .refresh").click()
    b.until(lambda d: len(b.qq(sr, "#pa-reqs .req .thread li.desk")) == 2)
    # Named as the replies and the desk name it (GET /v1/meta's labels), not by its code.
    assert b.q(sr, "#pa-reqs .req .status").text == "awaiting proof of identity"
    b.q(sr, "#pa-reqs .back").click()
    b.until(lambda d: b.q(sr, ".log").is_displayed() and b.q(sr, "#pa-input").is_displayed())


def test_the_draft_form_and_my_requests_in_japanese(browser: Browser, contract: RequestsStub) -> None:
    b = browser
    sr, form = open_draft(b, "/demo?company=upward&lang=ja", "個人情報を開示して、削除してください")
    assert b.q(form, "h3").text == "アップワードへの申請内容の確認"
    assert [e.text for e in b.qq(form, ".types .check")] == ["開示", "削除"], "GET /v1/meta's Japanese labels"
    assert b.q(form, ".contact .hint").text == "メールアドレスか郵送先の住所のどちらかがあれば十分です。"
    assert [e.text for e in b.qq(form, ".contact .field > span")] == [
        FIELD_LABELS["ja"][n] for n in ("name", "email", "postal_address", "phone")
    ]
    assert b.q(form, "button[type=submit]").text == "この内容で申請する"
    fill(b, form, "postal_address", "東京都千代田区1-2-3")
    b.q(form, 'input[name="consent"]').click()
    b.q(form, "button[type=submit]").send_keys(Keys.ENTER)
    card = b.until(lambda d: b.q(b.replies(sr)[-1], ".ticket.submitted"))
    assert [e.text for e in b.qq(card, "dt")] == ["受付番号", "状況", "申請の種類", "確認コード"]
    assert b.q(card, ".status").text == "受付済み" and b.q(card, "h4").text == "今後の手続き"
    assert b.q(card, ".kinds").text == "開示、削除"
    assert b.q(card, ".t").text == "アップワードの個人情報窓口に申請内容が届きました"
    reference = b.q(card, ".ref").text
    b.q(sr, ".reqs-open").click()
    b.until(lambda d: b.qq(sr, "#pa-reqs .req .thread li.empty"))
    assert b.q(sr, "#pa-reqs-title").text == "申請状況" and b.q(sr, "#pa-reqs .refresh").text == "更新"
    assert b.q(sr, "#pa-reqs .thread li.empty").text == "個人情報窓口からのメッセージはまだありません。"
    assert b.q(sr, "#pa-reqs .req .status").text == "受付済み"
    shot(b, "widget-my-requests-ja.png")
    # Closed by the desk: meta's Japanese name, and no answer box any more.
    contract.desk_sets(reference, "completed")
    b.q(sr, "#pa-reqs .refresh").click()
    b.until(lambda d: b.q(sr, "#pa-reqs .req .status").text == "完了")
    assert not b.qq(sr, "#pa-reqs .req .answer")


def test_request_types_and_statuses_are_named_again_once_meta_answers(browser: Browser, contract: RequestsStub) -> None:
    """A Japanese page reloaded: the submitted card is drawn from sessionStorage before GET /v1/meta has answered,
    then its request types and its status take meta's names in place."""
    b = browser
    sr, form = open_draft(b, "/demo?company=upward&lang=ja", "個人情報を開示して、削除してください")
    fill(b, form, "email", "hanako@example.org")
    b.q(form, 'input[name="consent"]').click()
    b.q(form, "button[type=submit]").click()
    b.until(lambda d: b.q(b.replies(sr)[-1], ".ticket.submitted"))
    b.d.refresh()
    sr = b.widget()
    b.until(lambda d: b.qq(sr, ".ticket.submitted .kinds") and b.q(sr, ".ticket.submitted .kinds").text == "開示、削除")
    b.until(lambda d: b.q(sr, ".ticket.submitted .status").text == "受付済み")


def test_without_meta_the_widget_names_types_and_statuses_by_their_codes_and_still_works(browser: Browser, contract: RequestsStub) -> None:
    """GET /v1/meta blocked: a Japanese draft form shows each type as its code with spaces, the request goes, and
    its status is shown as its code with spaces too, on the card and under My requests."""
    b = browser
    b.allowed = [*b.allowed, "/v1/meta"]  # the blocked request is logged by Chromium
    b.d.execute_cdp_cmd("Network.enable", {})
    b.d.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*/v1/meta"]})
    try:
        sr, form = open_draft(b, "/demo?company=upward&lang=ja", "個人情報を開示して、削除してください")
        assert [e.text for e in b.qq(form, ".types .check")] == ["Disclosure", "Deletion"]
        fill(b, form, "email", "hanako@example.org")
        b.q(form, 'input[name="consent"]').click()
        b.q(form, "button[type=submit]").click()
        card = b.until(lambda d: b.q(b.replies(sr)[-1], ".ticket.submitted"))
        assert b.q(card, ".kinds").text == "disclosure、deletion" and contract.submissions[0]["request_types"] == ["disclosure", "deletion"]
        assert b.q(card, ".status").text == "received"
        contract.desk_sets(b.q(card, ".ref").text, "awaiting_identity")
        b.q(card, "button.primary").click()
        b.until(lambda d: b.qq(sr, "#pa-reqs .req .status"))
        assert b.q(sr, "#pa-reqs .req .status").text == "awaiting identity" and b.qq(sr, "#pa-reqs .req .answer textarea")
    finally:
        b.d.execute_cdp_cmd("Network.setBlockedURLs", {"urls": []})
        b.d.execute_cdp_cmd("Network.disable", {})
