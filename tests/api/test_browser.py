"""The chat widget, the policy view and the staff console in a real (headless) Chromium.

A live uvicorn server runs the app on the real model in a background thread; Selenium drives
Debian's chromium through /usr/bin/chromedriver (nothing is downloaded). Screenshots go to
screenshots/ (git-ignored) on every run. `make system` installs chromium and the CJK fonts.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import socket
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import pytest
import uvicorn
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.shadowroot import ShadowRoot
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

from api.main import create_app
from tests.conftest import submission

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SHOTS = Path(__file__).resolve().parents[2] / "screenshots"
WAIT = 30  # seconds; a reply takes ~1 s, a slow shared CI box gets slack

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (CHROMIUM.exists() and CHROMEDRIVER.exists()), reason="needs /usr/bin/chromium and chromedriver: `make system`"),
]

T = TypeVar("T")


# ---------------------------------------------------------------------------------------------- fixtures
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def live_server(real_settings, real_assistant) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The app on the real model, served by uvicorn on a free port in a background thread."""
    with serving(create_app(real_settings, real_assistant)) as base:
        yield base


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """`app` served by uvicorn on a free port in a background thread; yields its base URL."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def driver() -> Iterator[webdriver.Chrome]:
    """One headless Chromium for the module, with its own throw-away profile."""
    profile = tempfile.mkdtemp(prefix="pa-chromium-")
    opts = Options()
    opts.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        "--window-size=1280,800",
        "--lang=en-US",
        f"--user-data-dir={profile}",
    ):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(options=opts, service=Service(executable_path=str(CHROMEDRIVER)))
    drv.set_script_timeout(WAIT)
    try:
        yield drv
    finally:
        drv.quit()
        shutil.rmtree(profile, ignore_errors=True)


class Browser:
    """The driver plus the helpers the tests share; fails a test on unexpected console errors."""

    def __init__(self, driver: webdriver.Chrome, base: str) -> None:
        self.d = driver
        self.base = base
        self.allowed: list[str] = []

    def until(self, condition: Callable[[webdriver.Chrome], T], timeout: float = WAIT, message: str = "") -> T:
        wait = WebDriverWait(
            self.d, timeout, poll_frequency=0.05, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)
        )
        return wait.until(condition, message)

    def open(self, path: str, width: int = 1280, height: int = 800) -> None:
        """Load `path` with a clean sessionStorage at an exact viewport size."""
        mobile = width < 600
        self.d.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile}
        )
        self.d.get(self.base + "/healthz")
        self.d.execute_script("window.sessionStorage.clear()")
        self.d.get(self.base + path)

    def widget(self) -> ShadowRoot:
        host = self.until(lambda d: d.find_element(By.ID, "privacy-assistant-widget"))
        return host.shadow_root

    @staticmethod
    def q(root: ShadowRoot | WebElement, css: str) -> WebElement:
        return root.find_element(By.CSS_SELECTOR, css)

    @staticmethod
    def qq(root: ShadowRoot | WebElement, css: str) -> list[WebElement]:
        return root.find_elements(By.CSS_SELECTOR, css)

    def shadow_focus(self) -> WebElement | None:
        """The focused element inside the widget's shadow root."""
        found: WebElement | None = self.d.execute_script(
            "var h = document.getElementById('privacy-assistant-widget'); return h && h.shadowRoot.activeElement;"
        )
        return found

    def replies(self, sr: ShadowRoot) -> list[WebElement]:
        return self.qq(sr, ".msg.bot:not(.welcome):not([aria-hidden])")

    def ask(self, sr: ShadowRoot, text: str) -> WebElement:
        """Type into the widget, press Enter, wait for the finished reply bubble."""
        before = len(self.replies(sr))
        box = self.q(sr, "#pa-input")
        box.send_keys(text)
        box.send_keys(Keys.ENTER)
        self.until(lambda d: len(self.replies(sr)) > before and not self.qq(sr, ".typing"), message=f"no reply to {text!r}")
        return self.replies(sr)[-1]

    def stored(self) -> dict[str, Any]:
        """The widget's sessionStorage state (there is one widget per page)."""
        raw = self.d.execute_script(
            "for (var i = 0; i < sessionStorage.length; i++) { var k = sessionStorage.key(i);"
            " if (k.indexOf('privacy-assistant:http') === 0) return sessionStorage.getItem(k); } return null;"
        )
        return json.loads(raw) if raw else {}

    def shot(self, name: str) -> Path:
        SHOTS.mkdir(exist_ok=True)
        path = SHOTS / name
        self.d.save_screenshot(str(path))
        return path

    def console_errors(self) -> list[str]:
        try:
            logs = self.d.get_log("browser")
        except WebDriverException:  # pragma: no cover - logging unsupported
            return []
        allowed = [*self.allowed, "/favicon.ico"]  # Chromium asks for one on the JSON pages it is pointed at
        return [e["message"] for e in logs if e["level"] == "SEVERE" and not any(a in e["message"] for a in allowed)]


@pytest.fixture
def browser(driver: webdriver.Chrome, live_server: str) -> Iterator[Browser]:
    b = Browser(driver, live_server)
    b.console_errors()  # drop what earlier tests left
    yield b
    errors = b.console_errors()
    assert not errors, f"JavaScript console errors: {errors}"


def attr(element: WebElement | None, name: str) -> str:
    """An attribute's value, "" when absent."""
    return (element.get_attribute(name) or "") if element is not None else ""


def api(base: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    req = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body is not None else None)
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=WAIT) as resp:
        return json.loads(resp.read() or b"null")


# ---------------------------------------------------------------------------------------------- widget
def test_widget_streams_an_answer_with_citations_and_survives_reload(browser: Browser, real_assistant) -> None:  # type: ignore[no-untyped-def]
    browser.open("/demo?company=upward")
    sr = browser.widget()
    browser.q(sr, ".launcher").click()
    reply = browser.ask(sr, "How much does it cost to request disclosure of my data?")

    assert "answer" in attr(reply, "class")
    assert "fee" in reply.text.lower()
    chips = browser.qq(reply, ".chip")
    assert chips and browser.q(chips[0], ".n").text == "1"
    used = browser.d.execute_script("return performance.getEntriesByType('resource').map(function (e) { return e.name; })")
    assert any(u.endswith("/v1/chat/stream") for u in used), "the widget streams over /v1/chat/stream"
    state = browser.stored()
    assert state["sessionId"] and state["company"] == "upward"
    answer = state["transcript"][-1]["reply"]["answer"]
    assert browser.q(reply, ".text").get_attribute("textContent") == answer, "the streamed text is the whole answer"

    # The notice says what is kept and links to the policy page.
    notice = browser.q(sr, ".notice")
    assert "until you press Clear" in notice.text and "privacy desk" in notice.text
    assert "/policy?company=upward" in attr(browser.q(notice, "a"), "href")
    browser.shot("widget-desktop.png")

    # Reload: same session, the conversation is drawn again from sessionStorage.
    browser.d.refresh()
    sr = browser.widget()
    browser.until(lambda d: browser.q(sr, ".panel").is_displayed())
    assert browser.stored()["sessionId"] == state["sessionId"]
    assert len(browser.replies(sr)) == 1 and browser.qq(sr, ".msg.user")[0].text.endswith("disclosure of my data?")
    assert browser.qq(sr, ".chip")

    # Clear deletes the server transcript and the local state.
    assert real_assistant.sessions.transcript(state["sessionId"])
    browser.q(sr, ".clear").click()
    browser.until(lambda d: not browser.replies(sr) and browser.qq(sr, ".welcome"))
    assert real_assistant.sessions.transcript(state["sessionId"]) == []
    assert browser.stored().get("sessionId") is None


def test_citation_opens_the_policy_with_the_span_highlighted(browser: Browser) -> None:
    browser.open("/demo?company=sb-cs")
    sr = browser.widget()
    browser.q(sr, ".launcher").click()
    reply = browser.ask(sr, "Do you give my data to advertising companies?")
    chip = browser.qq(reply, ".chip")[0]
    chip.click()
    detail = browser.q(reply, ".cite")
    browser.until(lambda d: detail.is_displayed())
    assert chip.get_attribute("aria-expanded") == "true"
    cite = browser.stored()["transcript"][-1]["reply"]["citations"][0]
    assert browser.q(detail, "blockquote").text.strip("\u201c\u201d") == cite["display"]
    assert cite["section"] in browser.q(detail, ".sec").text
    link = attr(browser.q(detail, "a"), "href")
    assert f"start={cite['start']}" in link and f"end={cite['end']}" in link
    browser.shot("widget-citation.png")

    browser.d.get(link)
    mark = browser.until(lambda d: d.find_element(By.CSS_SELECTOR, ".policy-text mark"))
    assert mark.get_attribute("textContent") == cite["text"]
    assert len(browser.d.find_elements(By.CSS_SELECTOR, "mark")) == 1
    in_view = browser.d.execute_script("var r = arguments[0].getBoundingClientRect(); return r.top >= 0 && r.top < innerHeight;", mark)
    assert in_view, "the highlighted span is scrolled into view"
    assert "SB C&S" in browser.d.find_element(By.TAG_NAME, "h1").text
    browser.shot("policy-view.png")


def test_clarify_lets_the_customer_pick_a_company(browser: Browser) -> None:
    browser.open("/demo")  # no data-company: the assistant has to ask
    sr = browser.widget()
    browser.q(sr, ".launcher").click()
    question = "Do you share my data with third parties?"
    reply = browser.ask(sr, question)
    assert "clarify" in attr(reply, "class")
    buttons = browser.until(lambda d: browser.qq(reply, ".choice"))
    assert {b.get_attribute("data-company") for b in buttons} == {"highreso", "sb-cs", "upward", "gmo-ai-robotics", "win-techno"}
    assert browser.stored()["pending"] == question
    browser.q(reply, '.choice[data-company="upward"]').click()
    browser.until(lambda d: len(browser.replies(sr)) == 2 and not browser.qq(sr, ".typing"))
    answer = browser.replies(sr)[-1]
    assert "clarify" not in attr(answer, "class")
    assert "UPWARD" in answer.text
    state = browser.stored()
    assert state["company"] == "upward" and state["pending"] is None
    assert browser.qq(sr, ".msg.user")[-1].text.endswith("UPWARD")
    assert all(not b.is_enabled() for b in browser.qq(sr, ".choice")), "an answered question's buttons are spent"
    assert "UPWARD" in browser.q(sr, ".sub").text and browser.qq(sr, ".notice a")


def _submit_draft(browser: Browser, reply: WebElement, email: str = "hanako.widget@example.org") -> WebElement:
    """Fill the draft form of a desk reply with an e-mail address and consent, send it, and wait for the ticket card."""
    form = browser.q(reply, "form.draft")
    browser.q(form, "input[name=email]").send_keys(email)
    browser.q(form, "button[type=submit]").click()  # without consent: the browser refuses the form
    assert not browser.qq(reply, ".ticket")
    browser.q(form, "input[name=consent]").click()
    browser.q(form, "button[type=submit]").click()
    return browser.until(lambda d: browser.q(reply, ".ticket"), message="no ticket card after submitting the draft")


def test_formal_request_offers_a_draft_and_shows_the_ticket_once_sent(browser: Browser) -> None:
    browser.open("/demo?company=highreso")
    sr = browser.widget()
    browser.q(sr, ".launcher").click()
    reply = browser.ask(sr, "Please delete all my personal data")
    assert "confirm the request and give an e-mail or a postal address" in browser.q(reply, ".text").text
    labels = [label.text for label in browser.qq(reply, "form.draft label")]
    assert any(text.startswith("E-mail address for the reply") for text in labels) and labels[-1].startswith("I agree")
    card = _submit_draft(browser, reply)
    reference = browser.q(card, ".ref").text
    assert re.fullmatch(r"PRQ-\d{6}", reference)
    assert browser.q(card, ".status").text.lower() == "received"
    assert "Highreso" in card.text and not browser.qq(reply, "form.draft")
    stored = browser.stored()
    assert [done["reference"] for done in stored["submitted"].values()] == [reference]
    assert "hanako.widget@example.org" not in json.dumps(stored), "the contact details are not kept in the browser"


def test_widget_is_keyboard_accessible_and_labelled(browser: Browser) -> None:
    browser.open("/demo?company=upward")
    sr = browser.widget()
    launcher = browser.q(sr, ".launcher")
    assert launcher.get_attribute("aria-label") and launcher.get_attribute("aria-expanded") == "false"
    assert launcher.get_attribute("aria-controls") == "pa-panel"

    # Tab from the top of the page reaches the launcher.
    actions = ActionChains(browser.d)
    for _ in range(12):
        actions.send_keys(Keys.TAB).perform()
        focused = browser.shadow_focus()
        if focused is not None and "launcher" in attr(focused, "class"):
            break
    else:
        pytest.fail("Tab never reached the chat launcher")

    # Enter opens the dialog and puts the caret in the input.
    actions.send_keys(Keys.ENTER).perform()
    panel = browser.q(sr, "#pa-panel")
    browser.until(lambda d: panel.is_displayed())
    assert panel.get_attribute("role") == "dialog"
    assert browser.q(sr, "#" + attr(panel, "aria-labelledby")).text == "Privacy questions"
    assert launcher.get_attribute("aria-expanded") == "true"
    box = browser.q(sr, "#pa-input")
    assert browser.shadow_focus() == box and box.get_attribute("aria-label")
    log = browser.q(sr, ".log")
    assert log.get_attribute("aria-live") == "polite" and log.get_attribute("role") == "log"
    for button in browser.qq(sr, "button"):
        assert (button.get_attribute("aria-label") or button.text).strip(), "every button has an accessible name"

    # Enter sends (Shift+Enter would be a new line); the reply lands in the live region.
    actions.send_keys("What personal information do you collect?").perform()
    actions.send_keys(Keys.ENTER).perform()
    browser.until(lambda d: browser.replies(sr) and not browser.qq(sr, ".typing"))
    assert browser.q(sr, "#pa-input").get_attribute("value") == "", "a sent message leaves the input"
    assert browser.shadow_focus() == box
    actions.send_keys(Keys.TAB).perform()
    assert "send" in attr(browser.shadow_focus(), "class")

    # Escape closes and gives focus back to the launcher.
    actions.send_keys(Keys.ESCAPE).perform()
    browser.until(lambda d: not panel.is_displayed())
    assert launcher.get_attribute("aria-expanded") == "false"
    assert browser.shadow_focus() == launcher


def test_widget_at_360px_renders_japanese(browser: Browser) -> None:
    browser.open("/demo?company=upward", width=360, height=740)
    sr = browser.widget()
    browser.q(sr, ".launcher").click()
    browser.ask(sr, "個人情報の開示請求の手数料はいくらですか？ How much is the fee for a disclosure request?")
    panel = browser.q(sr, "#pa-panel")
    rect = browser.d.execute_script(
        "var r = arguments[0].getBoundingClientRect(); return [r.left, r.right, innerWidth, document.documentElement.scrollWidth];", panel
    )
    left, right, inner, scroll = rect
    assert inner == 360 and scroll <= 360, "no horizontal scrolling at 360 px"
    assert left >= 0 and right <= 360
    assert browser.qq(sr, ".chip") and browser.q(sr, ".chip").is_displayed()
    assert browser.d.execute_script("return document.fonts.check(\"15px 'Noto Sans CJK JP'\", '個人情報')")
    assert "個人情報" in browser.qq(sr, ".msg.user")[-1].text
    browser.shot("widget-360.png")


def widget_console_errors(browser: Browser) -> list[str]:
    """The widget's own console.error lines; fails on any other console error not allowed."""
    logs = [e["message"] for e in browser.d.get_log("browser") if e["level"] == "SEVERE"]
    allowed = [*browser.allowed, "/favicon.ico"]
    assert not [m for m in logs if not any(a in m for a in allowed)], logs
    return [m for m in logs if "privacy-assistant widget:" in m]


def test_widget_with_a_mistyped_company_shows_a_configuration_error(browser: Browser) -> None:
    browser.allowed = ["privacy-assistant widget:"]  # the widget's own console.error, checked below
    browser.open("/demo?company=upwrd")  # a typo in data-company: found at load, not on the first message
    sr = browser.widget()
    browser.q(sr, ".launcher").click()
    config = browser.until(lambda d: browser.q(sr, ".msg.config"))
    assert "not available on this site" in config.text and 'data-company="upwrd"' in config.text
    assert not browser.q(sr, "#pa-input").is_displayed() and not browser.qq(sr, ".welcome")
    logged = widget_console_errors(browser)
    assert len(logged) == 1 and "upwrd" in logged[0] and "upward" in logged[0] and "highreso" in logged[0]


def test_widget_on_a_site_not_in_widget_origins_tells_the_owner(browser: Browser) -> None:
    """A page on another origin (another loopback port) with PA_WIDGET_ORIGINS unset: blocked by CORS."""
    page = (
        "<!doctype html><title>Shop</title><h1>Shop</h1><script "
        f'src="{browser.base}/static/widget.js" data-company="upward" defer></script>'
    ).encode()

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = self.path == "/"
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(page if found else b"")

        def log_message(self, *args: Any) -> None:
            pass

    site = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=site.serve_forever, daemon=True)
    thread.start()
    origin = f"http://127.0.0.1:{site.server_address[1]}"
    browser.allowed = ["privacy-assistant widget:", "CORS policy", "/v1/companies"]  # Chromium logs the blocked request too
    try:
        browser.d.get(origin + "/")
        sr = browser.widget()
        browser.q(sr, ".launcher").click()
        config = browser.until(lambda d: browser.q(sr, ".msg.config"))
        assert "not available on this site" in config.text and f"add {origin} to PA_WIDGET_ORIGINS" in config.text
        assert "Check your connection" not in config.text and not browser.q(sr, "#pa-input").is_displayed()
        browser.shot("widget-origin-not-allowed.png")
        logged = widget_console_errors(browser)
        assert len(logged) == 1 and "PA_WIDGET_ORIGINS" in logged[0] and f"upward={origin}" in logged[0]
    finally:
        site.shutdown()
        site.server_close()
        thread.join(5)


def test_widget_fails_gracefully_and_keeps_the_text(browser: Browser) -> None:
    browser.allowed = ["/v1/chat/stream"]  # the failed requests below are logged by Chromium
    # A network failure: the same message stays for a retry, which then works.
    browser.open("/demo?company=upward")
    sr = browser.widget()
    browser.q(sr, ".launcher").click()
    browser.d.execute_cdp_cmd("Network.enable", {})
    browser.d.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*/v1/chat/stream"]})
    try:
        box = browser.q(sr, "#pa-input")
        box.send_keys("What do you collect?", Keys.ENTER)
        error = browser.q(sr, ".error")
        browser.until(lambda d: error.is_displayed())
        assert "Could not reach the assistant" in error.text
        assert box.get_attribute("value") == "What do you collect?"
    finally:
        browser.d.execute_cdp_cmd("Network.setBlockedURLs", {"urls": []})
        browser.d.execute_cdp_cmd("Network.disable", {})
    box.send_keys(Keys.ENTER)
    browser.until(lambda d: browser.replies(sr) and not browser.qq(sr, ".typing"))
    assert not error.is_displayed() and box.get_attribute("value") == ""


def test_widget_takes_the_message_limit_from_meta(driver: webdriver.Chrome, hash_settings, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    """PA_MAX_MESSAGE_CHARS raised to 2,500: the widget's box takes 2,500 characters, not its default 2,000."""
    from assistant.factory import build_assistant

    settings = hash_settings.model_copy(update={"max_message_chars": 2500})
    with serving(create_app(settings, build_assistant(settings, hash_embedder))) as base:
        b = Browser(driver, base)
        b.console_errors()
        b.open("/demo?company=upward")
        sr = b.widget()
        b.until(lambda d: b.q(sr, "#pa-input").get_attribute("maxlength") == "2500", message="the limit of /v1/meta was not applied")
        assert not b.console_errors()


def test_widget_without_meta_keeps_the_default_limit_and_works(browser: Browser) -> None:
    browser.allowed = ["/v1/meta"]  # the blocked request is logged by Chromium
    browser.d.execute_cdp_cmd("Network.enable", {})
    browser.d.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*/v1/meta"]})
    try:
        browser.open("/demo?company=upward")
        sr = browser.widget()
        browser.q(sr, ".launcher").click()
        assert browser.q(sr, "#pa-input").get_attribute("maxlength") == "2000"
        reply = browser.ask(sr, "What do you collect?")
        assert reply.text
    finally:
        browser.d.execute_cdp_cmd("Network.setBlockedURLs", {"urls": []})
        browser.d.execute_cdp_cmd("Network.disable", {})


# An answer with URLs in the assistant's own text, and a citation whose quote holds one: the stream is canned so the
# test does not depend on what retrieval finds today.
LINKED_ANSWER = (
    "The form is at https://example.com/privacy/request?lang=en#form. Not a link: javascript:alert(1), xhttps://evil.example "
    "or ftp://example.com/file (nor this one: https://example.org/a/b_(c)). 詳しくは（https://example.jp/privacy）をご覧ください。"
)
LINKS = ["https://example.com/privacy/request?lang=en#form", "https://example.org/a/b_(c)", "https://example.jp/privacy"]
QUOTE_WITH_URL = "Requests are accepted at https://example.com/contact only."


def canned_stream(app: Any, reply: dict[str, Any]) -> Any:
    """`app`, but POST /v1/chat/stream answers with `reply` as one delta and the done event."""
    events = (f"event: delta\ndata: {json.dumps({'text': reply['answer']})}\n\nevent: done\ndata: {json.dumps(reply)}\n\n").encode()

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == "/v1/chat/stream":
            while (await receive()).get("more_body"):
                pass
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/event-stream")]})
            await send({"type": "http.response.body", "body": events})
            return
        await app(scope, receive, send)

    return wrapped


def test_widget_links_urls_in_the_answer_but_not_javascript_or_quotes(  # type: ignore[no-untyped-def]
    driver: webdriver.Chrome, hash_settings, hash_assistant
) -> None:
    cite = {
        "id": 1, "company": "upward", "doc_id": "privacy", "version": "v1", "section": "Contact", "page": None,
        "text": QUOTE_WITH_URL, "start": 0, "end": len(QUOTE_WITH_URL), "score": 1.0, "display": QUOTE_WITH_URL,
    }  # fmt: skip
    reply = {"session_id": "s-links", "route": "answer", "answer": LINKED_ANSWER, "citations": [cite], "ticket": None, "company": "upward"}
    with serving(canned_stream(create_app(hash_settings, hash_assistant), reply)) as base:
        b = Browser(driver, base)
        b.console_errors()
        b.open("/demo?company=upward")
        sr = b.widget()
        b.q(sr, ".launcher").click()
        bubble = b.ask(sr, "Where is the request form?")
        text = b.q(bubble, ".text")
        assert text.get_attribute("textContent") == LINKED_ANSWER, "linking changes no character of the answer"
        links = b.qq(text, "a")
        assert [a.get_attribute("textContent") for a in links] == LINKS
        assert [attr(a, "href") for a in links] == LINKS
        for a in links:
            assert attr(a, "target") == "_blank" and attr(a, "rel") == "noopener noreferrer"
        assert not b.qq(sr, 'a[href^="javascript" i]') and not b.qq(sr, 'a[href^="ftp" i]')
        # The quote behind the chip stays verbatim text.
        b.q(bubble, ".chip").click()
        quote = b.q(bubble, ".cite blockquote")
        b.until(lambda d: quote.is_displayed())
        assert QUOTE_WITH_URL in quote.text and not b.qq(quote, "a")
        # Drawn again from sessionStorage after a reload: the same links.
        b.d.refresh()
        sr = b.widget()
        b.until(lambda d: b.replies(sr))
        assert [attr(a, "href") for a in b.qq(b.replies(sr)[-1], ".text a")] == LINKS
        assert not b.console_errors()


# ---------------------------------------------------------------------------------------------- console
def _make_overdue(settings, reference: str) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import update

    from assistant.storage.db import TicketRow, make_engine

    engine = make_engine(settings.database_url)
    with engine.begin() as conn:
        conn.execute(update(TicketRow).where(TicketRow.reference == reference).values(due_at=datetime.now(UTC) - timedelta(days=2)))
    engine.dispose()


def apply_filters(browser: Browser, reference: str) -> WebElement:
    """Apply the queue filters and wait for that load to finish; the row of `reference`."""
    browser.d.find_element(By.CSS_SELECTOR, "#desk-filters button[type=submit]").click()
    browser.until(lambda d: d.find_element(By.ID, "desk-table").get_attribute("aria-busy") == "false")
    return browser.d.find_element(By.CSS_SELECTOR, f'#desk-table tr[data-ref="{reference}"]')


def test_console_search_compare_and_desk(browser: Browser, real_settings) -> None:  # type: ignore[no-untyped-def]
    base = browser.base
    chat = api(base, "POST", "/v1/chat", {"message": "Please delete all my personal data", "company": "highreso"})
    fresh = api(base, "POST", "/v1/requests", submission(chat))["reference"]
    late = api(base, "POST", "/v1/chat", {"message": "Please stop using my personal data for marketing", "company": "highreso"})
    assert late["route"] == "desk"
    late_ref = api(base, "POST", "/v1/requests", submission(late))["reference"]
    _make_overdue(real_settings, late_ref)

    browser.allowed = ["/v1/staff/me"]  # the wrong key's 401
    browser.open("/console")
    d = browser.d
    d.execute_cdp_cmd("Browser.grantPermissions", {"origin": base, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})
    key = browser.until(lambda d: d.find_element(By.ID, "api-key"))
    key.send_keys("not-a-key", Keys.ENTER)
    browser.until(lambda d: d.find_element(By.ID, "signin-error").is_displayed())
    assert "not accepted" in d.find_element(By.ID, "signin-error").text
    key.clear()
    key.send_keys("all-staff-key-for-tests-0001", Keys.ENTER)
    browser.until(lambda d: d.find_element(By.ID, "app").is_displayed())
    assert d.execute_script("return sessionStorage.getItem('privacy-assistant:console-key')") == "all-staff-key-for-tests-0001"
    # The status and request-type choices are GET /v1/meta's (after the "Any" option).
    meta = api(base, "GET", "/v1/meta")
    statuses = Select(d.find_element(By.ID, "desk-status-filter")).options[1:]
    assert [o.get_attribute("value") for o in statuses] == [s["id"] for s in meta["statuses"]]
    types = Select(d.find_element(By.ID, "desk-type")).options[1:]
    assert [(o.get_attribute("value"), o.get_attribute("textContent")) for o in types] == [
        (t["id"], t["label"]) for t in meta["request_types"]
    ]
    assert d.find_element(By.ID, "tab-search").get_attribute("aria-selected") == "true"

    # (a) clause search with the query's words highlighted, and a copyable citation.
    d.find_element(By.ID, "search-q").send_keys("fee for a disclosure request", Keys.ENTER)
    hits = browser.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#search-results .hit"))
    marks = [m.text.lower() for m in d.find_elements(By.CSS_SELECTOR, "#search-results mark")]
    assert marks and all(m.startswith(("fee", "disclosure", "request")) for m in marks)
    first = hits[0]
    company = first.find_element(By.CSS_SELECTOR, ".badge").text
    section = first.find_element(By.CSS_SELECTOR, ".section-path").text
    assert company and section
    first.find_element(By.CSS_SELECTOR, "button.copy").click()
    browser.until(lambda d: first.find_element(By.CSS_SELECTOR, "[role=status]").text == "Copied.")
    # Reading the clipboard back needs the permission granted above.
    copied = d.execute_async_script(
        "var done = arguments[0]; navigator.clipboard.readText().then(done, function (e) { done('failed: ' + e); });"
    )
    assert copied.startswith(("Highreso", "SB C&S", "UPWARD", "GMO", "Win")), copied
    assert section.split(" \u00b7 ")[0] in copied and "\u201c" in copied and copied.endswith("\u201d")
    browser.shot("console-search.png")

    # (b) one question, side by side, one cell per company the key sees.
    d.find_element(By.ID, "tab-compare").click()
    d.find_element(By.ID, "compare-q").send_keys("Do you charge a fee for a disclosure request?", Keys.ENTER)
    browser.until(lambda d: "Answered for" in d.find_element(By.ID, "compare-status").text)
    cells = d.find_elements(By.CSS_SELECTOR, "#compare-grid .cell")
    assert [c.get_attribute("data-company") for c in cells] == ["highreso", "sb-cs", "upward", "gmo-ai-robotics", "win-techno"]
    assert "5 of 5" in d.find_element(By.ID, "compare-status").text
    answered = [c for c in cells if c.find_elements(By.CSS_SELECTOR, ".badge.route-answer")]
    assert answered and all(c.find_elements(By.CSS_SELECTOR, "ol a") for c in answered)
    for cell in cells:
        if cell.find_elements(By.CSS_SELECTOR, ".badge.route-abstain"):
            assert cell.find_element(By.CSS_SELECTOR, ".not-stated").text == "Not stated"
    browser.shot("console-compare.png")

    # (c) the desk queue: overdue tickets stand out; open one and move it along.
    d.find_element(By.ID, "tab-desk").click()
    Select(d.find_element(By.ID, "desk-overdue")).select_by_value("true")
    row = apply_filters(browser, late_ref)
    assert "overdue" in attr(row, "class") and "Overdue" in row.text
    assert all("overdue" in attr(r, "class") for r in d.find_elements(By.CSS_SELECTOR, "#desk-table tbody tr"))

    Select(d.find_element(By.ID, "desk-overdue")).select_by_value("")
    Select(d.find_element(By.ID, "desk-company")).select_by_value("highreso")
    row = apply_filters(browser, fresh)
    assert "overdue" not in attr(row, "class")
    row.find_element(By.CSS_SELECTOR, "button").click()
    browser.until(lambda d: d.find_element(By.ID, "ticket-title").text.startswith(fresh))
    assert d.find_element(By.ID, "ticket-message").text == "Please delete all my personal data"
    assert "request received" in d.find_element(By.ID, "ticket-events").text

    Select(d.find_element(By.ID, "status-new")).select_by_value("in_progress")
    d.find_element(By.ID, "status-note").send_keys("identity checked against the account")
    d.find_element(By.CSS_SELECTOR, "#status-form button[type=submit]").click()
    browser.until(lambda d: "in progress" in d.find_element(By.ID, "ticket-title").text)
    assert "identity checked against the account" in d.find_element(By.ID, "ticket-events").text
    browser.until(lambda d: d.find_element(By.CSS_SELECTOR, f'#desk-table tr[data-ref="{fresh}"] .ticket-status').text == "in progress")
    assert [o.get_attribute("value") for o in Select(d.find_element(By.ID, "status-new")).options] == ["completed", "rejected", "withdrawn"]
    d.execute_script("window.scrollTo(0, 0)")
    browser.shot("console-desk.png")


def _open_desk_tickets(assistant: Any, settings: Any) -> dict[str, str]:
    """Three tickets submitted straight to the desk queue (not through chat): two at Highreso, one of them overdue."""
    from assistant.desk.drafts import new_draft_id
    from assistant.desk.tickets import NewTicket

    def open_one(company: str, types: tuple[str, ...], proxy: bool, message: str) -> str:
        new = NewTicket(
            company=company,
            policy_version="v1",
            request_types=types,
            proxy=proxy,
            channel="chat",
            message=message,
            session_id="console-session",
            due_days=14,
            draft_id=new_draft_id(),
        )
        return str(assistant.desk.submit(new).id)

    refs = {
        "fresh": open_one("highreso", ("deletion", "disclosure"), True, "Please delete my late father's account data."),
        "late": open_one("highreso", ("opt_out",), False, "Stop using my data for marketing."),
        "other": open_one("upward", ("disclosure",), False, "What do you hold about me?"),
    }
    _make_overdue(settings, refs["late"])
    return refs


def test_console_rows_open_the_detail_csv_downloads_the_queue_and_overdue_is_marked(  # type: ignore[no-untyped-def]
    driver: webdriver.Chrome, hash_settings, hash_assistant, tmp_path: Path
) -> None:
    refs = _open_desk_tickets(hash_assistant, hash_settings)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    key = "all-staff-key-for-tests-0001"
    with serving(create_app(hash_settings, hash_assistant)) as base:
        b = Browser(driver, base)
        b.console_errors()
        d = b.d
        d.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
        try:
            b.open("/console", height=1000)  # tall enough for the whole detail pane in the screenshot
            b.until(lambda d: d.find_element(By.ID, "api-key")).send_keys(key, Keys.ENTER)
            b.until(lambda d: d.find_element(By.ID, "app").is_displayed())
            d.find_element(By.ID, "tab-desk").click()
            b.until(lambda d: d.find_elements(By.CSS_SELECTOR, f'#desk-table tr[data-ref="{refs["other"]}"]'))

            # Overdue: a text badge as well as the row's colour, only on the late ticket; the due date is the desk's internal target.
            rows = {attr(r, "data-ref"): r for r in d.find_elements(By.CSS_SELECTOR, "#desk-table tbody tr")}
            assert set(rows) == set(refs.values())
            late = rows[refs["late"]]
            assert "overdue" in attr(late, "class") and late.find_element(By.CSS_SELECTOR, ".badge.overdue").text.endswith("Overdue")
            assert all(not r.find_elements(By.CSS_SELECTOR, ".badge.overdue") for ref, r in rows.items() if ref != refs["late"])
            assert "1 overdue on this page" in d.find_element(By.ID, "desk-status").text
            assert d.find_elements(By.CSS_SELECTOR, "#desk-table th")[-1].text == "Internal target"
            assert "not a deadline stated in the company" in d.find_element(By.ID, "desk-target-note").text

            # A click anywhere on a row (here its Company cell) opens the detail pane.
            rows[refs["fresh"]].find_elements(By.TAG_NAME, "td")[1].click()
            b.until(lambda d: d.find_element(By.ID, "ticket-title").text.startswith(refs["fresh"]))
            pane = d.find_element(By.ID, "ticket")
            assert d.find_element(By.ID, "ticket-message").text == "Please delete my late father's account data."
            labels = [e.text for e in pane.find_elements(By.CSS_SELECTOR, "dt")]
            meta = dict(zip(labels, [e.text for e in pane.find_elements(By.CSS_SELECTOR, "dd")], strict=True))
            assert meta["Request types"] == "deletion, disclosure" and meta["On behalf of someone else"].startswith("yes")
            assert meta["Company"] == "Highreso" and meta["Internal target"] and meta["Received"]
            allowed = [o.get_attribute("value") for o in Select(d.find_element(By.ID, "status-new")).options]
            assert allowed and "received" not in allowed
            assert d.find_element(By.ID, "ticket-next").text.startswith("received — may move to: ")
            assert "request received" in d.find_element(By.ID, "ticket-events").text
            assert attr(rows[refs["fresh"]], "aria-current") == "true"
            d.execute_script("window.scrollTo(0, 0)")
            b.shot("console-detail.png")

            # The keyboard: rows are tab stops; Enter and Space open, Escape closes and gives the row its focus back.
            assert attr(late, "tabindex") == "0"
            late.send_keys(Keys.ENTER)
            b.until(lambda d: d.find_element(By.ID, "ticket-title").text.startswith(refs["late"]))
            assert "Overdue" in d.find_element(By.ID, "ticket-title").text and "(passed)" in pane.text
            rows[refs["other"]].send_keys(Keys.SPACE)
            b.until(lambda d: d.find_element(By.ID, "ticket-title").text.startswith(refs["other"]))
            ActionChains(d).send_keys(Keys.ESCAPE).perform()
            b.until(lambda d: not pane.is_displayed())
            assert d.switch_to.active_element == rows[refs["other"]]
            b.shot("console-row-focus.png")

            # The CSV button downloads the queue as filtered (Highreso only), the key sent as a header, not in the URL.
            Select(d.find_element(By.ID, "desk-company")).select_by_value("highreso")
            apply_filters(b, refs["fresh"])
            d.find_element(By.ID, "desk-csv").click()
            b.until(lambda d: "Downloaded tickets-" in d.find_element(By.ID, "desk-status").text)
            got = b.until(lambda d: [p for p in downloads.glob("tickets-*.csv")], message="no CSV was downloaded")
            data = got[0].read_bytes()
            assert data.startswith("\ufeff".encode())
            lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
            assert lines[0][0] == "reference" and sorted(r[0] for r in lines[1:]) == sorted([refs["fresh"], refs["late"]])
            urls = d.execute_script("return performance.getEntriesByType('resource').map(function (e) { return e.name; })")
            assert any("/v1/desk/tickets.csv?company=highreso" in u for u in urls) and not any(key in u for u in urls)
            assert not b.console_errors()
        finally:
            d.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "default"})


# Every text node of the body (hidden ones too: they show as soon as their section opens), the whole text of each
# data-i18n-rich element (its marks split it into several nodes), the labelling attributes, and the page title.
# Not the policy's clauses, the assistant's answers or the customer's message: data, in whatever language it is.
_CONSOLE_TEXTS = """
var out = [document.title];
var walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (var n = walk.nextNode(); n; n = walk.nextNode()) {
  if (!n.parentElement.closest('script, style, .clause, .answer, #ticket-message') && n.data.trim()) out.push(n.data.trim());
}
document.querySelectorAll('[data-i18n-rich]').forEach(function (el) { out.push(el.textContent.trim()); });
document.querySelectorAll('body *').forEach(function (el) {
  ['placeholder', 'aria-label', 'title'].forEach(function (a) { if (el.getAttribute(a)) out.push(el.getAttribute(a)); });
});
return out;
"""


def english_left(texts: list[str], english: dict[str, str], japanese: dict[str, str]) -> list[str]:
    """The texts that are (or hold) one of the console's English texts; those written the same in Japanese don't count."""
    found = []
    for key, text in english.items():
        plain = text.replace("*", "").replace("`", "")
        if japanese[key] == text or not re.search(r"[A-Za-z]{2}", plain):
            continue
        parts = re.split(r"\{\w+\}", plain)
        whole = re.compile(".+?".join(map(re.escape, parts)), re.S)
        # A short text (Any, Send, Status) counts as a whole node or attribute; a longer run of it counts anywhere.
        long_parts = [p.strip() for p in parts if len(p.strip()) >= 12]
        hits = [s for s in texts if whole.fullmatch(s) or any(p in s for p in long_parts)]
        found += [f"{key}: {s!r}" for s in hits]
    return found


def test_console_in_japanese(driver: webdriver.Chrome, hash_settings, hash_assistant) -> None:  # type: ignore[no-untyped-def]
    """?lang=ja: headings, buttons, statuses and dates in Japanese, no English text of the console's own left anywhere,
    and the server's own errors come back in Japanese (the console sends Accept-Language)."""
    from tests.api.test_console_strings import console_strings, flatten

    refs = _open_desk_tickets(hash_assistant, hash_settings)
    hash_assistant.desk.post_message(refs["fresh"], "desk", "Please send a copy of your ID.", "staff:alice")
    with serving(create_app(hash_settings, hash_assistant)) as base:
        with urllib.request.urlopen(base + "/static/console.js", timeout=WAIT) as resp:
            table = console_strings(resp.read().decode("utf-8"))
        english, japanese = flatten(table["en"]), flatten(table["ja"])
        # The audit trail's library notes are worded by GET /v1/meta: none of their English may be left either.
        for note in api(base, "GET", "/v1/meta")["audit_notes"]:
            english[f"audit_notes.{note['id']}"], japanese[f"audit_notes.{note['id']}"] = note["labels"]["en"], note["labels"]["ja"]
        b = Browser(driver, base)
        b.console_errors()
        b.allowed = ["/v1/staff/me", "/status"]  # the wrong key's 401 and the refused rejection's 409, logged by Chromium
        d = b.d
        b.open("/console?lang=ja", height=1000)
        key = b.until(lambda d: d.find_element(By.ID, "api-key"))
        assert d.execute_script("return document.documentElement.lang") == "ja"
        assert d.title == d.find_element(By.TAG_NAME, "h1").text == "個人情報窓口コンソール"
        assert d.find_element(By.ID, "signin-title").text == "サインイン"
        assert d.find_element(By.CSS_SELECTOR, "label[for=api-key]").text == "スタッフ用 API キー"
        assert "X-API-Key" in d.find_element(By.CSS_SELECTOR, "#signin-form .muted").text
        switch = {attr(a, "data-lang"): a for a in d.find_elements(By.CSS_SELECTOR, "#lang-switch a")}
        assert [a.text for a in switch.values()] == ["English", "日本語"] and attr(switch["ja"], "aria-current") == "true"
        assert attr(d.find_element(By.ID, "lang-switch"), "aria-label") == "表示言語"

        key.send_keys("not-a-key", Keys.ENTER)
        b.until(lambda d: d.find_element(By.ID, "signin-error").is_displayed())
        assert d.find_element(By.ID, "signin-error").text == "このキーは受け付けられませんでした。"
        key.clear()
        key.send_keys("all-staff-key-for-tests-0001", Keys.ENTER)
        b.until(lambda d: d.find_element(By.ID, "app").is_displayed())
        assert [d.find_element(By.ID, t).text for t in ("tab-search", "tab-compare", "tab-desk")] == ["条項検索", "会社比較", "受付一覧"]
        assert "としてサインイン中" in d.find_element(By.ID, "who-label").text
        assert d.find_element(By.ID, "signout").text == "サインアウト"

        # Clause search and the comparison, with their dynamic texts.
        assert attr(d.find_element(By.ID, "search-q"), "placeholder") == "例: 開示請求の手数料"
        d.find_element(By.ID, "search-q").send_keys("開示請求の手数料", Keys.ENTER)
        hit = b.until(lambda d: d.find_element(By.CSS_SELECTOR, "#search-results .hit"))
        assert b.q(hit, "button.copy").text == "引用をコピー" and b.q(hit, "a").text == "ポリシーで開く"
        assert attr(b.q(hit, "button.copy"), "aria-label").startswith("引用をコピー: ")
        assert re.fullmatch(r"\d+ 件の条項が見つかりました。", d.find_element(By.ID, "search-status").text)
        d.find_element(By.ID, "tab-compare").click()
        d.find_element(By.ID, "compare-q").send_keys("開示請求の手数料はいくらですか？", Keys.ENTER)
        b.until(lambda d: d.find_element(By.ID, "compare-status").text == "5 社中 5 社から回答がありました。")
        badges = {b.q(c, ".badge").text for c in d.find_elements(By.CSS_SELECTOR, "#compare-grid .cell")}
        assert badges and badges <= {"回答", "窓口対応", "記載なし", "確認"}, badges

        # The desk queue: headers, statuses, the overdue badge and the filters in Japanese; the API's values unchanged.
        d.find_element(By.ID, "tab-desk").click()
        b.until(lambda d: d.find_elements(By.CSS_SELECTOR, f'#desk-table tr[data-ref="{refs["other"]}"]'))
        headers = [th.text for th in d.find_elements(By.CSS_SELECTOR, "#desk-table th")]
        assert headers == ["受付番号", "会社", "請求内容", "ステータス", "社内目標期限"]
        assert d.find_element(By.ID, "desk-csv").text == "CSV をダウンロード"
        assert d.find_element(By.ID, "desk-status").text.startswith("全 3 件中 1〜3 件目を表示しています。")
        statuses = Select(d.find_element(By.ID, "desk-status-filter")).options
        assert [o.text for o in statuses][:3] == ["すべて", "受付済み", "本人確認待ち"] and attr(statuses[1], "value") == "received"
        rows = {attr(r, "data-ref"): r for r in d.find_elements(By.CSS_SELECTOR, "#desk-table tbody tr")}
        assert {r.find_element(By.CSS_SELECTOR, ".ticket-status").text for r in rows.values()} == {"受付済み"}
        assert rows[refs["late"]].find_element(By.CSS_SELECTOR, ".badge.overdue").text.endswith("期限超過")
        assert "削除、開示（代理人による請求）" in rows[refs["fresh"]].text

        # The detail pane; its dates in Japanese (the browser's own Intl for ja).
        rows[refs["fresh"]].find_elements(By.TAG_NAME, "td")[1].click()
        b.until(lambda d: d.find_element(By.ID, "ticket-title").text.startswith(refs["fresh"]))
        pane = d.find_element(By.ID, "ticket")
        meta = dict(
            zip(
                [e.text for e in pane.find_elements(By.CSS_SELECTOR, "dt")],
                [e.text for e in pane.find_elements(By.CSS_SELECTOR, "dd")],
                strict=True,
            )
        )
        assert meta["会社"] == "ハイレゾ" and meta["代理人による請求"] == "はい（代理人による請求）" and meta["受付経路"] == "チャット"
        req = urllib.request.Request(base + "/v1/desk/tickets/" + refs["fresh"], headers={"X-API-Key": "all-staff-key-for-tests-0001"})
        with urllib.request.urlopen(req, timeout=WAIT) as resp:
            created = json.loads(resp.read())["created_at"]
        expected = d.execute_script(
            "return new Intl.DateTimeFormat('ja', {dateStyle: 'medium', timeStyle: 'short'}).format(new Date(arguments[0]))", created
        )
        assert meta["受付日時"] == expected and re.fullmatch(r"\d{4}/\d{1,2}/\d{1,2} \d{1,2}:\d{2}", expected), expected
        assert d.find_element(By.ID, "ticket-next").text.startswith("受付済み — 変更できるステータス: 本人確認待ち、対応中、却下、取り下げ")
        # The audit trail: the library's notes worded from their codes, in order (the opening itself is audited).
        notes = [e.text for e in d.find_elements(By.CSS_SELECTOR, "#ticket-events li span")]
        assert notes == ["申請を受け付けました", "顧客へのメッセージ", "閲覧"], notes
        templates = [o.text for o in Select(d.find_element(By.ID, "reply-template")).options]
        assert templates == ["自分で入力する", "受付のご連絡", "本人確認書類のお願い", "請求書のご提出のお願い", "完了のご連絡"]
        assert d.find_element(By.CSS_SELECTOR, "#reply-form button[type=submit]").text == "送信"

        # A server error, shown as the server words it: a rejection with no reason, refused (409) in Japanese.
        Select(d.find_element(By.ID, "status-new")).select_by_value("rejected")
        d.find_element(By.CSS_SELECTOR, "#status-form button[type=submit]").click()
        error = d.find_element(By.ID, "status-error")
        b.until(lambda d: error.is_displayed())
        assert error.text == "却下するには、理由をメモに書いてください。"
        d.execute_script("window.scrollTo(0, 0)")
        b.shot("console-ja.png")

        # None of the console's English texts is left, shown or hidden, in text or in a label.
        left = english_left(d.execute_script(_CONSOLE_TEXTS), english, japanese)
        assert left == [], left

        # Staff's own words on a status change carry no code: shown as written.
        Select(d.find_element(By.ID, "status-new")).select_by_value("in_progress")
        d.find_element(By.ID, "status-note").send_keys("本人確認済み (ID checked)")
        d.find_element(By.CSS_SELECTOR, "#status-form button[type=submit]").click()
        b.until(lambda d: "本人確認済み (ID checked)" in d.find_element(By.ID, "ticket-events").text)
        assert d.find_elements(By.CSS_SELECTOR, "#ticket-events li strong")[-1].text == "受付済み \u2192 対応中"

        # The switch reloads in English, still signed in (the key is in sessionStorage).
        d.find_element(By.CSS_SELECTOR, '#lang-switch a[data-lang="en"]').click()
        b.until(lambda d: d.find_element(By.ID, "app").is_displayed() and d.find_element(By.TAG_NAME, "h1").text == "Privacy desk console")
        assert d.current_url.endswith("/console?lang=en") and d.execute_script("return document.documentElement.lang") == "en"
        assert d.find_element(By.ID, "tab-desk").text == "Desk queue"
        assert not b.console_errors()


# ---------------------------------------------------------------------------------------------- API docs
def test_api_docs_render_with_no_network(browser: Browser) -> None:
    """Swagger UI (with its Authorize button) and ReDoc draw the API from this server's files alone."""

    def loaded() -> list[str]:
        urls: list[str] = browser.d.execute_script("return performance.getEntriesByType('resource').map(function (e) { return e.name; })")
        return urls

    browser.d.get(browser.base + "/docs")
    browser.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".opblock"), message="Swagger UI drew no operations")
    assert browser.d.find_elements(By.CSS_SELECTOR, ".btn.authorize")
    assert loaded() and all(u.startswith(browser.base) for u in loaded()), loaded()
    browser.d.get(browser.base + "/redoc")
    browser.until(lambda d: "Ask a question or make a request" in d.find_element(By.TAG_NAME, "body").text, message="ReDoc drew nothing")
    assert loaded() and all(u.startswith(browser.base) for u in loaded()), loaded()


# ---------------------------------------------------------------------------------------------- Japanese
# "個人情報の開示請求の手数料はいくらですか？" with its English after it: Japanese to the language detector, and
# answered with citations by the English retrieval of today.
JA_MIXED_QUESTION = "個人情報の開示請求の手数料はいくらですか？ How much is the fee for a disclosure request?"
JA_QUESTION = "個人情報の開示請求の手数料はいくらですか？"


class JapaneseSite:
    """A company's own site on another origin (a second loopback port): `<html lang="ja">` pages embedding the widget."""

    def __init__(self, origin: str, api_base: str, languages: list[tuple[str, str | None]]) -> None:
        self.origin = origin
        self.api = api_base
        self.languages = languages  # (path, Accept-Language) of every API request the widget made


@pytest.fixture(scope="module")
def japanese_site(real_settings, real_assistant) -> Iterator[JapaneseSite]:  # type: ignore[no-untyped-def]
    """/ is a Japanese page with the widget for UPWARD, /en the same page with data-lang="en"; the API allows its origin."""
    api_base: list[str] = []

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            lang = ' data-lang="en"' if self.path == "/en" else ""
            page = (
                '<!doctype html><html lang="ja"><meta charset="utf-8"><title>アップワード</title><h1>アップワード株式会社</h1>'
                f'<script src="{api_base[0]}/static/widget.js" data-company="upward"{lang} defer></script>'
            )
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(page.encode() if self.path in ("/", "/en") else b"")

        def log_message(self, *args: Any) -> None:
            pass

    site = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    origin = f"http://127.0.0.1:{site.server_address[1]}"
    languages: list[tuple[str, str | None]] = []
    app = create_app(real_settings.model_copy(update={"widget_origins": f"upward={origin}"}), real_assistant)

    async def recording(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/v1/") and scope["method"] != "OPTIONS":
            header = dict(scope["headers"]).get(b"accept-language")
            languages.append((scope["path"], header.decode() if header else None))
        await app(scope, receive, send)

    thread = threading.Thread(target=site.serve_forever, daemon=True)
    thread.start()
    try:
        with serving(recording) as base:
            api_base.append(base)
            yield JapaneseSite(origin, base, languages)
    finally:
        site.shutdown()
        site.server_close()
        thread.join(5)


@pytest.fixture
def site_browser(driver: webdriver.Chrome, japanese_site: JapaneseSite) -> Iterator[Browser]:
    b = Browser(driver, japanese_site.origin)
    b.console_errors()
    japanese_site.languages.clear()
    yield b
    errors = b.console_errors()
    assert not errors, f"JavaScript console errors: {errors}"


def test_widget_on_a_japanese_page_speaks_japanese_and_cites(site_browser: Browser, japanese_site: JapaneseSite) -> None:
    from assistant.understand.language import detect_language

    browser = site_browser
    browser.open("/")  # the browser itself is en-US: the page's lang decides
    sr = browser.widget()
    launcher = browser.q(sr, ".launcher")
    assert launcher.text == "プライバシーに関するご質問"
    assert launcher.get_attribute("aria-label") == "プライバシーに関する質問のチャットを開く"
    launcher.click()
    box = browser.q(sr, "#pa-input")
    assert box.get_attribute("placeholder") == "個人情報についてご質問ください…"
    assert box.get_attribute("aria-label") == "ご質問"
    send = browser.q(sr, ".send")
    assert send.text == "送信" and send.get_attribute("aria-label") == "メッセージを送信"
    assert browser.q(sr, ".clear").text == "消去" and browser.q(sr, ".close").get_attribute("aria-label") == "チャットを閉じる"
    assert browser.q(sr, ".wrap").get_attribute("lang") == "ja"
    browser.until(
        lambda d: browser.q(sr, ".welcome").text.startswith("アップワードが個人情報をどのように取り扱っているか、ご質問ください。")
    )
    browser.until(lambda d: "個人情報窓口" in browser.q(sr, ".notice").text)
    assert browser.q(sr, ".notice a").text == "プライバシーポリシー"
    assert launcher.get_attribute("aria-label") == "プライバシーに関する質問のチャットを閉じる"

    # A Japanese question: the reply renders with sources whose labels are Japanese and whose link works.
    assert detect_language(JA_MIXED_QUESTION) == "ja"
    reply = browser.ask(sr, JA_MIXED_QUESTION)
    assert browser.q(reply, ".text").text.strip()
    assert browser.q(reply, ".sr-only").get_attribute("textContent") == "アシスタント: "
    chips = browser.qq(reply, ".chip")
    assert chips, "the reply cites the policy"
    assert browser.q(reply, ".chips").get_attribute("aria-label") == "プライバシーポリシーの出典"
    assert attr(chips[0], "aria-label").startswith("出典 1: ")
    chips[0].click()
    detail = browser.q(reply, ".cite")
    browser.until(lambda d: detail.is_displayed())
    cite = browser.stored()["transcript"][-1]["reply"]["citations"][0]
    assert browser.q(detail, "blockquote").text == "「" + cite["display"].strip() + "」"
    assert browser.q(detail, ".sec").text.startswith("条項: ")
    link = browser.q(detail, "a")
    assert link.text == "ポリシー全文で見る ↗"
    href = attr(link, "href")
    assert href.startswith(japanese_site.api + "/policy?") and f"start={cite['start']}" in href and f"end={cite['end']}" in href
    assert "lang=ja" in href
    browser.shot("widget-ja.png")

    # Every request the widget made asked for Japanese (so the server's error texts come back in it).
    used = {path for path, _ in japanese_site.languages}
    assert {"/v1/companies", "/v1/meta", "/v1/chat/stream"} <= used
    assert all(lang == "ja" for _, lang in japanese_site.languages), japanese_site.languages

    # The policy view opened from the citation: the cited span highlighted, the page's labels in Japanese.
    browser.d.get(href)
    mark = browser.until(lambda d: d.find_element(By.CSS_SELECTOR, ".policy-text mark"))
    assert mark.get_attribute("textContent") == cite["text"]
    assert browser.d.find_element(By.TAG_NAME, "h1").text.endswith("— プライバシーポリシー")
    assert browser.d.find_element(By.ID, "subtitle").text == "引用された箇所を強調表示しています。"
    assert browser.d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "ja"
    browser.shot("policy-view-ja.png")


def test_data_lang_overrides_the_page_language(site_browser: Browser) -> None:
    site_browser.open("/en")  # <html lang="ja">, data-lang="en"
    sr = site_browser.widget()
    site_browser.q(sr, ".launcher").click()
    box = site_browser.q(sr, "#pa-input")
    assert box.get_attribute("placeholder") == "Ask about your personal data…"
    assert site_browser.q(sr, ".send").text == "Send"
    assert site_browser.q(sr, ".launcher").get_attribute("aria-label") == "Close privacy questions chat"
    assert site_browser.q(sr, ".wrap").get_attribute("lang") == "en"
    reply = site_browser.ask(sr, JA_MIXED_QUESTION)
    assert site_browser.qq(reply, ".chip")
    assert attr(site_browser.qq(reply, ".chip")[0], "aria-label").startswith("Source 1: ")


def test_japanese_question_gets_a_reply_in_japanese(site_browser: Browser) -> None:
    from assistant.understand.language import detect_language

    site_browser.open("/")
    sr = site_browser.widget()
    site_browser.q(sr, ".launcher").click()
    reply = site_browser.ask(sr, JA_QUESTION)
    assert detect_language(site_browser.q(reply, ".text").text) == "ja"


def test_japanese_only_question_is_answered_with_citations(site_browser: Browser) -> None:
    site_browser.open("/")
    sr = site_browser.widget()
    site_browser.q(sr, ".launcher").click()
    reply = site_browser.ask(sr, JA_QUESTION)
    assert site_browser.qq(reply, ".chip")


def test_demo_page_in_japanese(browser: Browser) -> None:
    browser.open("/demo?company=upward&lang=ja")
    d = browser.d
    assert d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "ja"
    assert d.find_element(By.TAG_NAME, "h1").text == "ウィジェットのデモ"
    assert d.find_element(By.CSS_SELECTOR, "label[for=company]").text == "会社"
    assert d.find_element(By.CSS_SELECTOR, ".demo-picker").get_attribute("aria-label") == "ウィジェットが対応する会社を選ぶ"
    # The picker keeps the page in Japanese.
    browser.until(lambda d: d.find_elements(By.CSS_SELECTOR, '#company option[value="sb-cs"]'))
    Select(d.find_element(By.ID, "company")).select_by_value("sb-cs")
    d.find_element(By.CSS_SELECTOR, ".demo-picker button").click()
    browser.until(lambda d: "company=sb-cs" in d.current_url and "lang=ja" in d.current_url)
    browser.until(lambda d: d.find_element(By.TAG_NAME, "h1").text == "ウィジェットのデモ")
    sr = browser.widget()
    browser.q(sr, ".launcher").click()
    assert browser.q(sr, ".send").text == "送信"
    browser.shot("demo-ja.png")


def test_japanese_company_picker_and_ticket_card(browser: Browser) -> None:
    browser.open("/demo?lang=ja")  # no data-company: the assistant asks which company
    sr = browser.widget()
    browser.q(sr, ".launcher").click()
    reply = browser.ask(sr, "Please delete all my personal data")
    assert "clarify" in attr(reply, "class")
    choices = browser.q(reply, ".choices")
    assert choices.get_attribute("aria-label") == "会社を選んでください"
    button = browser.until(lambda d: browser.q(reply, '.choice[data-company="highreso"]'))
    assert attr(button, "aria-label").endswith("について質問する")
    button.click()
    browser.until(lambda d: len(browser.replies(sr)) == 2 and not browser.qq(sr, ".typing"))
    card = _submit_draft(browser, browser.replies(sr)[-1])
    # No due date: the desk's own target is not something the policy promises.
    assert [dt.text for dt in browser.qq(card, "dt")] == ["受付番号", "状況", "申請の種類", "確認コード"]
    assert browser.q(card, ".status").text == "受付済み"
    assert browser.q(card, ".t").text.endswith("の個人情報窓口に申請内容が届きました")  # received, never "sent"
    assert re.fullmatch(r"PRQ-\d{6}", browser.q(card, ".ref").text)
    assert attr(card, "aria-label") == "申請 " + browser.q(card, ".ref").text
    browser.d.execute_script("arguments[0].scrollIntoView({block: 'end'})", card)
    browser.shot("widget-ja-ticket.png")


def test_widget_shows_server_errors_in_japanese(driver: webdriver.Chrome, hash_settings, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    """A message over the server's limit (the widget did not learn it: /v1/meta blocked): the server's reason, in Japanese."""
    from assistant.factory import build_assistant

    settings = hash_settings.model_copy(update={"max_message_chars": 20})
    with serving(create_app(settings, build_assistant(settings, hash_embedder))) as base:
        b = Browser(driver, base)
        b.console_errors()
        b.allowed = ["/v1/meta", "/v1/chat/stream"]  # the blocked request and the 422 are logged by Chromium
        b.d.execute_cdp_cmd("Network.enable", {})
        b.d.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*/v1/meta"]})
        try:
            b.open("/demo?company=upward&lang=ja")
            sr = b.widget()
            b.q(sr, ".launcher").click()
            b.q(sr, "#pa-input").send_keys("個人情報の開示請求の手数料はいくらですか？", Keys.ENTER)
            error = b.q(sr, ".error")
            b.until(lambda d: error.is_displayed())
            reason = "メッセージが 21 文字あります。上限は 20 文字です"  # the server's 422 detail, without its full stop
            assert error.text == f"メッセージを送信できませんでした（{reason}）。内容を直して、もう一度お試しください。"
            b.shot("widget-ja-error.png")
            b.q(sr, "#pa-input").clear()
            b.q(sr, "#pa-input").send_keys(Keys.ENTER)
            b.until(lambda d: error.text == "先にご質問を入力してください。")
        finally:
            b.d.execute_cdp_cmd("Network.setBlockedURLs", {"urls": []})
            b.d.execute_cdp_cmd("Network.disable", {})
        assert not b.console_errors()
