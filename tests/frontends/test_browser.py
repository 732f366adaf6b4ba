"""A real browser: headless Chromium from Debian, driven by Playwright, opens the app and runs three tabs."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from playground.runtime.registry import all_tasks

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.model,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)"),
]
# The flags keep Chromium off the network: this machine refuses outside connections.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]  # fmt: skip


@pytest.fixture
def page(app_url: str) -> Iterator[Any]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(app_url)
        yield page
        browser.close()


def open_tab(page: Any, title: str) -> Any:
    """Click a task's group, then its tab, and return the task's (now visible) panel."""
    group = next(spec.group for spec in all_tasks() if spec.title == title)
    page.get_by_role("tab", name=group, exact=True).click()
    page.get_by_role("tab", name=title, exact=True).click()
    panel = page.locator('[role="tabpanel"]:visible').last
    panel.get_by_role("button", name="Run", exact=True).wait_for()
    return panel


FINAL_STATS = (
    "({el, before}) => el.innerText.includes('total') && !el.innerText.includes('so far') && el.innerText != before"
)


def finished(page: Any, panel: Any, before: str = "", timeout: int = 90_000) -> str:
    """Wait for the stats line of a finished run in this tab (other than `before`, the last run's) and return it."""
    stats = panel.locator("div.prose.run-stats")
    page.wait_for_function(FINAL_STATS, arg={"el": stats.element_handle(), "before": before}, timeout=timeout)
    return str(stats.inner_text())


def test_three_tabs_in_a_real_browser(page: Any, tmp_path: Path) -> None:
    # Sentiment: type a review, run, read the label.
    panel = open_tab(page, "Sentiment")
    panel.locator("textarea").first.fill("The food was cold and the waiter was rude.")
    panel.get_by_role("button", name="Run", exact=True).click()
    finished(page, panel)
    assert "negative" in panel.inner_text().lower()

    # Grammar: the corrected text appears with the edits highlighted.
    panel = open_tab(page, "Grammar correction")
    panel.locator("textarea").first.fill("I has three cat and one dogs.")
    panel.get_by_role("button", name="Run", exact=True).click()
    corrected = panel.locator("textarea").nth(1)  # the input box, then the corrected text
    page.wait_for_function("el => el.value.includes('cats')", arg=corrected.element_handle(), timeout=60_000)
    assert "cats" in corrected.input_value()
    # The merged result: which engines ran, and Harper's fix of "has" beside the model's plurals.
    page.wait_for_function("document.body.innerText.includes('llm: ran')", timeout=60_000)
    assert "harper: ran" in panel.inner_text() and "have" in corrected.input_value()

    # Clustering: pick the bundled example, run, read the cluster names.
    panel = open_tab(page, "Clustering")
    panel.get_by_text("The striker scored twice", exact=False).first.click()
    panel.get_by_role("button", name="Run", exact=True).click()
    page.wait_for_function("document.body.innerText.includes('(3)')", timeout=90_000)
    text = panel.inner_text()
    assert "The goalkeeper saved a late penalty." in text and "(3)" in text

    shot = tmp_path / "app.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


PAYLOADS = ['<img src=x onerror="alert(1)">', "<script>alert(2)</script>", '<svg onload="alert(3)"></svg>']


def test_markup_in_inputs_and_outputs_is_shown_as_text(page: Any) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    # Classification: the labels come back in the prediction chart.
    panel = open_tab(page, "Classification")
    boxes = panel.locator("textarea")
    boxes.nth(0).fill(f"The striker scored. {PAYLOADS[2]}")
    panel.locator("input[type=text], textarea").nth(1).fill(f"sports, {PAYLOADS[0]}")
    panel.get_by_role("button", name="Run", exact=True).click()
    finished(page, panel)
    assert 'onerror="alert(1)"' in panel.inner_text()

    # Clustering: the texts come back in the cluster list (Markdown) and the plot's tooltips.
    panel = open_tab(page, "Clustering")
    texts = [f"{PAYLOADS[0]} football match", f"{PAYLOADS[1]} football goal", "bake bread", f"{PAYLOADS[2]} bake cake"]
    panel.locator("textarea").first.fill("\n".join(texts))
    panel.get_by_role("button", name="Run", exact=True).click()
    page.wait_for_function("document.body.innerText.includes('football goal')", timeout=90_000)
    assert "<script>alert(2)</script>" in panel.inner_text()

    # Grammar: the text comes back corrected and in the highlighted edits.
    panel = open_tab(page, "Grammar correction")
    panel.locator("textarea").first.fill(f"She go home. {PAYLOADS[0]}")
    panel.get_by_role("button", name="Run", exact=True).click()
    page.wait_for_function("document.body.innerText.includes('llm: ran')", timeout=60_000)
    page.wait_for_timeout(500)
    assert dialogs == []
    assert page.evaluate("document.querySelectorAll('img[src=\"x\"], svg[onload]').length") == 0


def test_a_chat_in_a_real_browser(page: Any) -> None:
    page.get_by_role("tab", name="Chat", exact=True).first.click()  # the group, then its one tab
    page.get_by_role("tab", name="Chat", exact=True).last.click()
    panel = page.locator('[role="tabpanel"]:visible').last
    panel.get_by_label("System prompt").fill("You are the help desk of a bicycle shop.")
    box = panel.get_by_role("textbox").last  # the message box sits under the conversation
    box.fill("What colour is the sky on a clear day?")
    box.press("Enter")
    page.wait_for_function("document.body.innerText.includes('first token')", timeout=60_000)
    text = panel.inner_text()
    assert "What colour is the sky on a clear day?" in text and "blue" in text.lower()
    assert "Prompt:" in text or "smollm2-135m" in text  # the stats note under the answer


def test_a_comparison_in_a_real_browser(page: Any) -> None:
    panel = open_tab(page, "Text generation")
    panel.locator("textarea").first.fill("Say hello.")
    panel.get_by_text("Compare configurations side by side").click()
    panel.get_by_label("Variant B").fill("model=gemma3-270m\nmax_new_tokens=12")
    panel.get_by_role("button", name="Run comparison").click()
    page.wait_for_function("document.body.innerText.includes('gemma3-270m on llama.cpp')", timeout=90_000)
    text = panel.inner_text()
    assert "A: the settings above" in text and "smollm2-135m on llama.cpp" in text
    assert "B: model=gemma3-270m max_new_tokens=12" in text.replace("\n", " ")


def recorded_seed(panel: Any) -> int:
    """The seed the last run used, read from the Raw output (JSON) accordion."""
    raw = panel.locator("[data-testid=json]").first.inner_text()
    found = re.search(r'"seed"\s*:\s*(\d+)', raw)
    assert found, raw[:500]
    return int(found.group(1))


def test_a_blank_seed_draws_a_new_one_each_run(page: Any) -> None:
    panel = open_tab(page, "Text generation")
    panel.get_by_text("Advanced", exact=True).click()
    seed = panel.get_by_label("Seed (blank = a new one each run)")
    assert seed.input_value() == ""  # not 0, which fixed every run's seed
    assert float(panel.get_by_label("number input for Temperature (0 = greedy)").input_value()) > 0
    panel.get_by_label("number input for Max new tokens").fill("4")
    panel.locator("textarea").first.fill("Name a fruit.")
    panel.get_by_text("Raw output (JSON)").click()
    seeds, stats = [], ""
    for _ in range(2):
        panel.get_by_role("button", name="Run", exact=True).click()
        stats = finished(page, panel, stats)
        seeds.append(recorded_seed(panel))
    assert seeds[0] != seeds[1] and seed.input_value() == ""
    seed.fill("123")
    panel.get_by_role("button", name="Run", exact=True).click()
    stats = finished(page, panel, stats)
    assert recorded_seed(panel) == 123


def test_stop_keeps_the_tokens_made_so_far(page: Any) -> None:
    panel = open_tab(page, "Text generation")
    panel.get_by_text("Advanced", exact=True).click()
    panel.get_by_label("number input for Max new tokens").fill("1024")
    panel.get_by_label("number input for Temperature (0 = greedy)").fill("0")
    panel.locator("textarea").first.fill("Write a long story about a dragon who learns to bake bread.")
    panel.get_by_role("button", name="Run", exact=True).click()
    output = panel.locator("label:has(> [data-testid=block-info]:text-is('Output')) textarea")
    page.wait_for_function("el => el.value.split(' ').length > 3", arg=output.element_handle(), timeout=120_000)
    panel.get_by_role("button", name="Stop", exact=True).click()
    page.wait_for_timeout(1_000)
    stats = panel.locator("div.prose.run-stats").inner_text()
    made = re.search(r"(\d+) tokens", stats)
    assert made and int(made.group(1)) > 0 and "so far" in stats, stats


def test_a_tab_shows_what_applies_and_choices_as_themselves(page: Any) -> None:
    page.get_by_role("tab", name="About", exact=True).click()
    about = page.locator('[role="tabpanel"]:visible').last.inner_text()
    assert about.index("Write") < about.index("Analyse") < about.index("Documents") < about.index("Chat")
    sentiment = next(line for line in about.splitlines() if line.startswith("Sentiment"))
    assert "gemma3-270m" in sentiment

    panel = open_tab(page, "Search")
    assert not panel.get_by_text("Advanced", exact=True).is_visible()
    assert not panel.get_by_text("Prompts sent to the model").is_visible()

    panel = open_tab(page, "Question answering")
    assert panel.get_by_label("Answer", exact=True).input_value() == "auto"


def test_a_flagged_span_is_marked_with_its_message_on_hover(page: Any) -> None:
    # Summarization, with its prompt template edited to ask for a year the text does not hold.
    panel = open_tab(page, "Summarization")
    panel.locator("textarea").first.fill(
        "The riverside market has run every Saturday since 2010. Forty stalls sell fruit, bread and cheese. "
        "The town hall manages the pitches, and traders pay a small fee each week."
    )
    panel.get_by_text("Prompt template (summarization.j2)").click()
    editor = panel.locator(".cm-content").first
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("Summarize the text in one sentence, and say that the market opened in 1985.\n\n{{ text }}")
    panel.get_by_role("button", name="Run", exact=True).click()
    finished(page, panel)
    panel.locator("mark.check-unsupported").first.wait_for(timeout=30_000)
    # The year is marked as a number the text lacks; its sentence may also be marked as a claim the text does not
    # make, and a piece under both marks names both on hover.
    mark = panel.locator("mark.check-unsupported", has_text="1985").first
    assert mark.inner_text().startswith("1985")
    assert "unsupported: the number '1985' is not in the text" in (mark.get_attribute("title") or "")
    assert "flagged (hover a marked span)" in panel.locator("div.checks").first.inner_text()
