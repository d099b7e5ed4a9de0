"""The example page in a real browser: Debian's Chromium, headless, driven by
Playwright. It sends a message, and the answer streams in (the text is seen growing)
with the weather tool's call and result rendered. Never skipped: without a browser the
test fails saying how to install one.

The screenshot goes to the test's temporary directory; with
``FANTASY_UPDATE_SCREENSHOT=1`` it replaces docs/web_chat.png, the README's picture.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import shutil
import sys
from pathlib import Path
from types import ModuleType

from playwright.sync_api import sync_playwright

import fantasy

from .conftest import serve

ROOT = Path(__file__).resolve().parents[2]


def _load_example() -> ModuleType:
    """examples/web_chat/server.py, imported from its file (examples is not a package)."""
    spec = importlib.util.spec_from_file_location(
        "web_chat_server", ROOT / "examples" / "web_chat" / "server.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


web_chat = _load_example()

# The text as it is seen growing: a MutationObserver records the assistant's text on
# every change, so the test can tell a streamed answer from one that arrived whole.
RECORD_TEXT = """
window.seen = [];
new MutationObserver(() => {
  const answers = document.querySelectorAll('.message.assistant');
  if (!answers.length) return;
  const text = answers[answers.length - 1].querySelector('.text:last-of-type');
  window.seen.push(text ? text.textContent : '');
}).observe(document.getElementById('messages'),
           {subtree: true, childList: true, characterData: true});
"""


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    assert path, (
        "no Chromium on this machine: install Debian's package (`apt-get install -y chromium`; "
        "scripts/test does)"
    )
    return path


def test_the_example_page_streams_an_answer_with_a_tool_result(tmp_path: Path) -> None:
    agent = fantasy.Agent(
        web_chat.OfflineWeatherModel(delay=0.05),
        system_prompt="You answer questions about the weather.",
        tools=[web_chat.weather],
    )
    with serve(web_chat.build_app(agent)) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), headless=True)
        try:
            page = browser.new_page(viewport={"width": 900, "height": 640})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(url)
            page.evaluate(RECORD_TEXT)
            page.fill("#prompt", "What is the weather in Lisbon?")
            page.click("#send")
            page.wait_for_selector("body[data-status=ready]", timeout=30_000)

            answer = page.locator(".message.assistant").last
            texts = answer.locator(".text").all_text_contents()
            assert texts[0] == "Let me look up the weather in Lisbon."
            assert texts[-1].startswith("In Lisbon it is ") and texts[-1].endswith(" °C.")
            tool = answer.locator(".tool")
            assert tool.get_attribute("data-state") == "output-available"
            assert '"city":"Lisbon"' in (tool.locator(".tool-input").text_content() or "").replace(
                " ", ""
            )
            assert '"city": "Lisbon"' in (tool.locator(".tool-output").text_content() or "")

            seen = page.evaluate("window.seen")
            partial = {s for s in seen if s and texts[-1].startswith(s) and s != texts[-1]}
            assert len(partial) >= 3, f"the answer did not stream: {seen}"
            assert errors == []

            shot = tmp_path / "web_chat.png"
            page.screenshot(path=str(shot), full_page=False)
            assert shot.stat().st_size > 10_000
            if os.environ.get("FANTASY_UPDATE_SCREENSHOT") == "1":
                shutil.copyfile(shot, ROOT / "docs" / "web_chat.png")
            # A second turn posts the whole conversation back, tool parts included.
            page.fill("#prompt", "And in Oslo?")
            page.click("#send")
            page.wait_for_selector("body[data-status=ready]", timeout=30_000)
            second = page.locator(".message.assistant").last.locator(".text").all_text_contents()
            assert second[-1].startswith("In Oslo it is "), second
            assert page.locator(".error-banner").count() == 0

        finally:
            browser.close()


def test_the_page_asks_for_approval_and_the_answer_resumes_the_run() -> None:
    """A tool that needs approval pauses the run; Allow and Deny on the page send the
    answer back and the run resumes in the same message."""
    agent = fantasy.Agent(
        web_chat.OfflineWeatherModel(delay=0.01),
        tools=[web_chat.weather, web_chat.set_reminder],
    )
    with serve(web_chat.build_app(agent)) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), headless=True)
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(url)
            for prompt, button, state, last in [
                (
                    "Remind me to water the plants",
                    "button.allow",
                    "output-available",
                    "Done: reminder set: water the plants.",
                ),
                (
                    "Remind me to call Bob",
                    "button.deny",
                    "output-denied",
                    "I did not do it (denied: the user said no).",
                ),
            ]:
                page.fill("#prompt", prompt)
                page.click("#send")
                answer = page.locator(".message.assistant").last
                answer.locator(button).wait_for(timeout=30_000)
                page.wait_for_selector("body[data-status=ready]", timeout=30_000)
                assert answer.locator(".tool").get_attribute("data-state") == "approval-requested"
                answer.locator(button).click()
                page.wait_for_selector("body[data-status=ready]", timeout=30_000)
                assert answer.locator(".tool").get_attribute("data-state") == state
                assert answer.locator(".text").all_text_contents()[-1] == last
            assert page.locator(".message.assistant").count() == 2
            assert errors == []
        finally:
            browser.close()


# Whether the page ever showed an approval prompt, however briefly: recorded on every
# change of the messages, so a prompt replaced a moment later by the result still counts.
RECORD_PROMPTS = """
window.prompted = [];
new MutationObserver(() => {
  for (const card of document.querySelectorAll('.tool')) {
    if (card.querySelector('.approval') || card.dataset.state === 'approval-requested') {
      window.prompted.push(card.dataset.state);
    }
  }
}).observe(document.getElementById('messages'),
           {subtree: true, childList: true, attributes: true, characterData: true});
"""


def test_a_call_the_servers_approve_decides_never_prompts_the_page() -> None:
    """With ``approve=`` on the server (here taking a moment, as asking someone does),
    the page shows the call, then its result or denial: never Allow and Deny."""

    async def approve(request: fantasy.PendingCall) -> bool | fantasy.Denied:
        await asyncio.sleep(0.3)
        return "plants" in request.raw_input or fantasy.Denied("not on weekends")

    agent = fantasy.Agent(
        web_chat.OfflineWeatherModel(delay=0.01),
        tools=[web_chat.weather, web_chat.set_reminder],
        approve=approve,
    )
    with serve(web_chat.build_app(agent)) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), headless=True)
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(url)
            page.evaluate(RECORD_PROMPTS)
            for prompt, state, last in [
                (
                    "Remind me to water the plants",
                    "output-available",
                    "Done: reminder set: water the plants.",
                ),
                ("Remind me to call Bob", "output-error", None),
            ]:
                page.fill("#prompt", prompt)
                page.click("#send")
                answer = page.locator(".message.assistant").last
                answer.locator(f".tool[data-state={state}]").wait_for(timeout=30_000)
                page.wait_for_selector("body[data-status=ready]", timeout=30_000)
                if last is not None:
                    assert answer.locator(".text").all_text_contents()[-1] == last
                else:
                    output = answer.locator(".tool-output").text_content() or ""
                    assert "denied: not on weekends" in output
            assert page.evaluate("window.prompted") == []
            assert page.locator("button.allow").count() == 0
            assert errors == []
        finally:
            browser.close()
