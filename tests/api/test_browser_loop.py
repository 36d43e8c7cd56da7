"""The whole loop of a formal request (#16) in a real Chromium against the real app, nothing stubbed.

A customer asks a question in the widget and makes a formal request; the staff member signs in to
the console in a second tab, finds the ticket, opens it and writes to the customer; the customer reads
it under My requests and answers; the console shows the answer. The app runs on the hash-embedded
index (the real code, a fast embedder). Screenshots loop-1 … loop-7 go to screenshots/ like the rest.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from api.main import create_app
from tests.api.test_browser import CHROMEDRIVER, CHROMIUM, Browser, attr, driver, serving
from tests.api.test_browser_requests import fill, shot, tall

__all__ = ["driver"]  # the module's own headless Chromium (a fixture of test_browser)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (CHROMIUM.exists() and CHROMEDRIVER.exists()), reason="needs /usr/bin/chromium and chromedriver: `make system`"),
]

STAFF_KEY = "up-staff-key-for-tests-0003"  # UPWARD and SB C&S only
EMAIL = "hanako.loop@example.org"
ANSWER = "Thank you. I posted the form and a copy of my passport today."


@pytest.fixture
def loop(driver: webdriver.Chrome, hash_settings: Any, hash_assistant: Any) -> Iterator[tuple[Browser, Any]]:
    """A browser on the real app (its own SQLite database), with no console errors allowed."""
    with serving(create_app(hash_settings, hash_assistant)) as base:
        b = Browser(driver, base)
        b.console_errors()
        yield b, hash_assistant
        errors = b.console_errors()
        for handle in driver.window_handles[1:]:  # the staff tab, so the next module test starts with one
            driver.switch_to.window(handle)
            driver.close()
        driver.switch_to.window(driver.window_handles[0])
        assert not errors, f"JavaScript console errors: {errors}"


def test_question_request_desk_reply_and_the_customers_answer(loop: tuple[Browser, Any]) -> None:
    b, assistant = loop
    d = b.d

    # 1. The customer asks a question and gets a cited answer.
    b.open("/demo?company=upward", height=1100)
    sr = b.widget()
    b.q(sr, ".launcher").click()
    tall(b, sr)
    reply = b.ask(sr, "How much does it cost to request disclosure of my data?")
    assert "answer" in attr(reply, "class") and "1,000 yen" in reply.text and b.qq(reply, ".chip")
    shot(b, "loop-1-question.png")

    # 2. A formal request: the reply carries the draft form, nothing sent yet.
    reply = b.ask(sr, "Please disclose all my personal data")
    form = b.q(reply, "form.draft")
    assert "nothing has been sent yet" in b.q(reply, ".text").text
    assert [attr(t, "value") for t in b.qq(form, 'input[name="request_types"]') if t.is_selected()] == ["disclosure"]
    fill(b, form, "name", "Hanako Sato")
    fill(b, form, "email", EMAIL)
    b.q(form, 'input[name="consent"]').click()
    d.execute_script("arguments[0].scrollIntoView({block: 'end'})", form)
    shot(b, "loop-2-draft.png")

    # 3. Submitted: the reference, the policy's own next steps, and no due date promised.
    b.q(form, "button[type=submit]").click()
    card = b.until(lambda d: b.q(b.replies(sr)[-1], ".ticket.submitted"))
    reference = b.q(card, ".ref").text
    assert reference.startswith("PRQ-") and b.q(card, ".status").text == "received"
    assert "by post" in b.q(card, ".next").text and "due" not in card.text.lower()
    d.execute_script("arguments[0].scrollIntoView({block: 'end'})", card)
    shot(b, "loop-3-submitted.png")
    customer_tab = d.current_window_handle

    # 4. The staff member signs in to the console in another tab and finds the ticket in the queue.
    d.switch_to.new_window("tab")
    b.open("/console", height=1100)
    b.until(lambda d: d.find_element(By.ID, "api-key")).send_keys(STAFF_KEY, Keys.ENTER)
    b.until(lambda d: d.find_element(By.ID, "app").is_displayed())
    d.find_element(By.ID, "tab-desk").click()
    row = b.until(lambda d: d.find_element(By.CSS_SELECTOR, f'#desk-table tr[data-ref="{reference}"]'))
    assert "UPWARD" in row.text and "disclosure" in row.text and row.find_element(By.CSS_SELECTOR, ".ticket-status").text == "received"
    shot(b, "loop-4-console-queue.png")

    # 5. Opens it (the contact, no messages yet) and replies with a template, edited.
    row.find_elements(By.TAG_NAME, "td")[1].click()
    b.until(lambda d: d.find_element(By.ID, "ticket-title").text.startswith(reference))
    pane = d.find_element(By.ID, "ticket")
    labels = [e.text for e in pane.find_elements(By.CSS_SELECTOR, "dt")]
    meta = dict(zip(labels, [e.text for e in pane.find_elements(By.CSS_SELECTOR, "dd")], strict=True))
    assert meta["Name"] == "Hanako Sato" and meta["E-mail"] == EMAIL and "Telephone" not in meta
    assert d.find_element(By.CSS_SELECTOR, "#ticket-thread li.empty").text.startswith("No messages yet")
    assert [o.text for o in Select(d.find_element(By.ID, "reply-template")).options] == [
        "Write your own", "Received", "Ask for ID", "Ask for the form", "Completed",
    ]  # fmt: skip
    Select(d.find_element(By.ID, "reply-template")).select_by_visible_text("Ask for ID")
    box = d.find_element(By.ID, "reply-text")
    template = attr(box, "value")
    assert template.startswith("To confirm your identity, please send a copy of an identity document")
    box.send_keys(" Our postal address is in the privacy policy, section 8.")
    desk_text = template + " Our postal address is in the privacy policy, section 8."
    d.find_element(By.CSS_SELECTOR, "#reply-form button[type=submit]").click()
    desk_line = b.until(lambda d: d.find_element(By.CSS_SELECTOR, "#ticket-thread li.desk"))
    assert desk_line.text.endswith(desk_text) and desk_line.find_element(By.CSS_SELECTOR, ".who").text.startswith("Desk \u00b7 ")
    assert attr(box, "value") == "" and "Message sent to the customer of " + reference in d.find_element(By.ID, "desk-status").text
    assert "message to the customer" in d.find_element(By.ID, "ticket-events").text, "audited"
    d.execute_script("window.scrollTo(0, 0)")
    shot(b, "loop-5-console-reply.png")
    staff_tab = d.current_window_handle

    # 6. The customer opens My requests, reads the desk's message and answers it.
    d.switch_to.window(customer_tab)
    b.q(card, "button.primary").click()
    view = b.q(sr, "#pa-reqs")
    item = b.until(lambda d: b.q(view, f'.req[data-reference="{reference}"]'))
    b.until(lambda d: b.qq(item, ".thread li.desk"))
    assert b.q(item, ".thread li.desk").text.endswith(desk_text)
    b.q(item, ".answer textarea").send_keys(ANSWER)
    b.q(item, ".answer button").click()
    mine = f'.req[data-reference="{reference}"] .thread li.customer'  # the item is drawn again with the answer
    b.until(lambda d: b.qq(view, mine))
    assert b.q(view, mine).text.endswith(ANSWER)
    assert "due" not in view.text.lower(), "no due date the policy does not state"
    shot(b, "loop-6-my-requests.png")

    # 7. The console shows the answer after a refresh, oldest first, and the audit trail has both messages.
    d.switch_to.window(staff_tab)
    d.find_element(By.ID, "thread-refresh").click()
    b.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#ticket-thread li.customer"))
    lines = d.find_elements(By.CSS_SELECTOR, "#ticket-thread li")
    assert [attr(li, "class") for li in lines] == ["desk", "customer"] and lines[1].text.endswith(ANSWER)
    assert "message from the customer" in d.find_element(By.ID, "ticket-events").text
    d.execute_script("window.scrollTo(0, 0)")
    shot(b, "loop-7-console-answer.png")

    # What the store holds matches what both sides saw.
    messages = assistant.desk.messages(reference)
    assert [(m.sender, m.text) for m in messages] == [("desk", desk_text), ("customer", ANSWER)]


def test_a_japanese_customer_gets_the_servers_422_in_japanese_under_its_field(loop: tuple[Browser, Any]) -> None:
    b, _ = loop
    b.open("/demo?company=upward&lang=ja", height=1100)
    sr = b.widget()
    b.q(sr, ".launcher").click()
    form = b.q(b.ask(sr, "個人情報を開示してください"), "form.draft")
    fill(b, form, "email", "hanako@例え")  # passes the browser's own check, not the server's
    b.d.execute_script("arguments[0].type = 'text'", b.q(form, 'input[name="email"]'))
    b.q(form, 'input[name="consent"]').click()
    b.allowed = ["/v1/requests"]  # Chromium logs the 422 asked for
    b.q(form, "button[type=submit]").click()
    email = b.q(form, 'input[name="email"]')
    b.until(lambda d: attr(email, "aria-invalid") == "true")
    assert b.q(form, ".field:has(input[name=email]) .ferr").text == "メールアドレスの形式ではありません。"
    assert not b.qq(sr, ".ticket.submitted")
