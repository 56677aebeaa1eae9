"""The web chat in a real browser: `aiops-assess web` in a subprocess on a free loopback port (offline
engine, isolated data dir), driven by Playwright with Debian's Chromium."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import FULL, SAMPLE, TO_REVIEW, cli, cli_env
from tests.web_helpers import (
    CHROMIUM,
    INPUT,
    answered,
    click_and_wait,
    last_bot,
    launch_chromium,
    open_page,
    rev,
    send,
    session_name,
    user_count,
    wait_loaded,
    wait_turn,
    web_server,
)

pytestmark = [pytest.mark.slow, pytest.mark.browser]

if not Path(CHROMIUM).exists():  # .ci/run installs it; only a machine where that failed gets here
    pytest.skip(f"Chromium is not installed at {CHROMIUM} and could not be installed "
                "(apt-get install -y chromium); the browser tests need it", allow_module_level=True)

sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("web") / "data"


@pytest.fixture(scope="module")
def url(data_dir):
    data_dir.mkdir(parents=True, exist_ok=True)
    with web_server(data_dir) as u:
        yield u


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()


@pytest.fixture
def context(browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    yield ctx
    ctx.close()


def _download(page, selector: str) -> str:
    with page.expect_download() as d:
        page.click(selector)
    return Path(d.value.path()).read_text(encoding="utf-8")


def test_whole_interview_greeting_to_report_and_follow_up(context, url, data_dir, tmp_path):
    page = open_page(context, url)
    name = session_name(page)
    assert name.startswith("web-") and f"session={name}" in page.url
    assert "Maturity Model" in last_bot(page)  # the greeting
    assert "offline/rubric" in page.inner_text("#aiops-model")
    assert answered(page) == 0

    # The progress panel changes after a reply: answered count and the Gateway bar.
    send(page, FULL[0])
    assert answered(page) == 1
    assert page.locator('#aiops-progress [data-dim="gateway"]').get_attribute("data-score") != "—"
    for reply in TO_REVIEW[1:]:
        send(page, reply)
    assert answered(page) == 12

    # The confirmation step: a visible list of all twelve, corrected by typing in the chat.
    page.locator("#aiops-yes").wait_for(state="visible")  # the panels follow the phase
    assert page.locator("#aiops-confirm li").count() == 12
    q3 = page.locator('#aiops-confirm li[data-q="q3"]')
    assert q3.get_attribute("data-score") == "2"
    send(page, "Actually we now have full tracing with all spans and metadata.")
    assert q3.get_attribute("data-score") == "3" and "all spans" in q3.inner_text()
    assert "Noted" in last_bot(page)

    click_and_wait(page, "#aiops-yes")
    page.locator("#aiops-dl-md").wait_for(state="visible")
    assert not page.is_visible("#aiops-yes")
    level = SAMPLE["expected"]["level"]
    assert f"Level {level}" in last_bot(page)
    assert "# AI Operations Maturity Assessment Report" not in last_bot(page)  # shown below, not in a bubble
    assert "Executive Summary" in page.inner_text("#aiops-report")

    md = _download(page, "#aiops-dl-md")
    assert md.startswith("# AI Operations Maturity Assessment Report") and f"Level {level}" in md
    data = json.loads(_download(page, "#aiops-dl-json"))
    assert data["assessment"]["level"] == level and data["answers"]["q3"]["score"] == 3

    send(page, "which KPIs should we track?")
    answer = last_bot(page)
    assert "Sources" in answer and "KPI" in answer
    page.screenshot(path=str(tmp_path / "web.png"))
    assert not page.outside, page.outside  # nothing but this server was contacted

    # The web session lives in the terminal's store: the CLI reads it.
    env = cli_env(data_dir.parent)
    env["AIOPS_DATA_DIR"] = str(data_dir)
    r = cli(["report", "--session", name, "--format", "json"], env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["assessment"]["level"] == level


def test_two_browser_contexts_at_once_stay_isolated(browser, url):
    a_ctx, b_ctx = browser.new_context(), browser.new_context()
    try:
        a, b = open_page(a_ctx, url), open_page(b_ctx, url)
        assert session_name(a) != session_name(b)
        # Both send at the same moment; each sees only its own conversation and scores.
        before_a, before_b = (user_count(a), rev(a)), (user_count(b), rev(b))
        a.locator(INPUT).fill("Everything goes through our LiteLLM proxy.")
        b.locator(INPUT).fill("We call the OpenAI API directly from each service.")
        a.locator(INPUT).press("Enter")
        b.locator(INPUT).press("Enter")
        wait_turn(a, before_a)
        wait_turn(b, before_b)
        chat_a, chat_b = a.inner_text("#aiops-chat"), b.inner_text("#aiops-chat")
        assert "LiteLLM proxy" in chat_a and "OpenAI API directly" not in chat_a
        assert "OpenAI API directly" in chat_b and "LiteLLM proxy" not in chat_b
        qa = a.locator('#aiops-progress [data-dim="gateway"]').get_attribute("data-score")
        qb = b.locator('#aiops-progress [data-dim="gateway"]').get_attribute("data-score")
        assert qa != qb
        a.reload()
        wait_loaded(a)
        assert "OpenAI API directly" not in a.inner_text("#aiops-chat")
    finally:
        a_ctx.close()
        b_ctx.close()


def test_reload_and_link_and_name_resume_the_session(browser, context, url):
    page = open_page(context, url)
    name = session_name(page)
    send(page, FULL[0])
    send(page, FULL[1])
    page.reload()
    wait_loaded(page)
    assert session_name(page) == name and answered(page) == 2
    assert FULL[1] in page.inner_text("#aiops-chat")

    # The link, in another browser: the same conversation.
    other = browser.new_context()
    try:
        page2 = open_page(other, f"{url}?session={name}")
        assert session_name(page2) == name and FULL[0] in page2.inner_text("#aiops-chat")
        # "New assessment" gives a fresh session (and link); "Open" by name goes back.
        page2.click("#aiops-new")
        page2.wait_for_function("(n) => !location.search.includes(n)", arg=name)
        assert session_name(page2) != name and answered(page2) == 0
        page2.fill("#aiops-open-name textarea, #aiops-open-name input", name)
        page2.click("#aiops-open")
        page2.wait_for_function("(n) => location.search.includes(n)", arg=name)
        assert answered(page2) == 2 and FULL[1] in page2.inner_text("#aiops-chat")
    finally:
        other.close()


def test_long_reply_is_cut_with_a_notice_and_problems_show_no_traceback(context, url, data_dir):
    page = open_page(context, url)
    send(page, "We route everything through a LiteLLM gateway. " * 120)  # ~5,800 characters
    assert "Your reply was long" in page.inner_text("#aiops-chat")
    send(page, "/status")
    assert "answered" in last_bot(page)

    broken = data_dir / "sessions" / "broken.sqlite"
    broken.write_bytes(b"this is not a database" * 100)
    # A session this page started (it opens no other): {"face": "web"} beside it says so.
    (data_dir / "sessions" / "broken.owner.json").write_text('{"face": "web", "user": null}')
    page2 = context.new_page()
    page2.goto(f"{url}?session=broken")
    wait_loaded(page2)
    text = page2.inner_text("body")
    assert "damaged" in text and "Traceback" not in text
    assert session_name(page2) != "broken"  # a new session was started instead


def test_a_reply_the_server_cannot_take_goes_back_into_the_box(context, url):
    """The reply shows in the chat at once (drawn by the browser); when the server refuses it (here
    the start screen names a round that cannot be), the chat says why and the reply is back in the
    box, to send again."""
    page = open_page(context, url + "?org=Acme&round=next%20quarter!")  # an invite link with a typo
    box = page.locator(INPUT)
    box.fill("We route everything through LiteLLM.")
    box.press("Enter")
    page.wait_for_function("() => document.querySelector('#aiops-chat').innerText.includes('still in the box')",
                           timeout=60_000)
    assert box.input_value() == "We route everything through LiteLLM."
    assert user_count(page) == 0  # the echoed reply is gone with the server's answer


def test_two_tabs_replying_at_once_on_one_session_both_count(browser, url):
    """Two tabs on the same link reply at the same moment: the turns run one after the other and
    both replies are kept."""
    ctx = browser.new_context()
    try:
        one = open_page(ctx, url)
        name = session_name(one)
        two = open_page(ctx, f"{url}?session={name}")
        n1, n2 = (user_count(one), rev(one)), (user_count(two), rev(two))
        one.locator(INPUT).fill(FULL[0])
        two.locator(INPUT).fill(FULL[1])
        one.locator(INPUT).press("Enter")
        two.locator(INPUT).press("Enter")
        wait_turn(one, n1)
        wait_turn(two, n2)
        one.reload()
        wait_loaded(one)
        chat = one.inner_text("#aiops-chat")
        assert FULL[0] in chat and FULL[1] in chat and answered(one) == 2
    finally:
        ctx.close()


def test_numbered_options_are_buttons_and_a_click_answers(context, url):
    page = open_page(context, url)
    assert not page.locator("#aiops-choices").is_visible()
    send(page, FULL[0])  # the gateway, but nothing about outages: asked again as options at the end
    for reply in FULL[2:]:
        send(page, reply)
    assert "so for access control" in last_bot(page)  # answers inferred on the way: yes or no
    buttons = page.locator("#aiops-choices button:visible")
    assert buttons.first.inner_text() == "Yes, that's right"
    click_and_wait(page, "#aiops-choice-1")
    assert "Something else" in last_bot(page) and "provider" in last_bot(page)
    labels = [buttons.nth(i).inner_text() for i in range(buttons.count())]
    assert len(labels) == 4 and labels[0].startswith("1. ") and labels[-1] == "4. Something else"
    click_and_wait(page, "#aiops-choice-2")
    assert answered(page) == 12
    assert page.locator("#aiops-chat [data-testid=user]").last.inner_text().strip() == "2"
    page.locator("#aiops-yes").wait_for(state="visible")  # on to the review
    assert not page.locator("#aiops-choices").is_visible()


@pytest.mark.parametrize("error,why", [("bad_key", "OpenAI rejected the API key (401)"),
                                       ("no_quota", "OpenAI says the account has no quota or billing left (429)")])
def test_a_failing_model_is_announced_in_the_chat(browser, tmp_path, error, why):
    from tests.error_server import error_server

    data = tmp_path / "data"
    data.mkdir()
    with error_server("openai", error) as srv:
        env = {"AIOPS_MODEL": "openai/gpt-5.4-mini", "OPENAI_API_KEY": "sk-test-not-a-real-key",
               "AIOPS_API_BASE": srv.url + "/v1", "AIOPS_NUM_RETRIES": "0"}
        with web_server(data, env=env) as u:
            ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
            try:
                page = open_page(ctx, u)
                send(page, FULL[0])
                said = last_bot(page)
                assert f"⚠ {why}" in said and "Continuing with the offline engine" in said
                assert "AI access — centralized gateway" in said  # the reply was read, by the fallback
                send(page, FULL[1])
                assert "⚠" not in last_bot(page)  # told once
            finally:
                ctx.close()
        assert srv.requests == 1


def test_replies_with_html_images_and_script_links_show_as_text(context, url):
    """Issue 13, item 6: a reply's Markdown image, HTML and javascript: link are shown as typed; the
    browser fetches nothing (a tracking pixel was loaded before) and has no link that runs code."""
    page = open_page(context, url)
    hostile = ("Everything goes through our LiteLLM proxy ![x](http://tracker.example/p.png) "
               "<img src=http://tracker.example/q.png onerror=alert(1)> [docs](javascript:alert(2)).")
    send(page, hostile)
    send(page, "If OpenAI is down <img src=http://tracker.example/r.png> the proxy fails over to Anthropic.")
    chat = page.locator("#aiops-chat")
    assert chat.locator("img[src*='tracker']").count() == 0
    assert chat.locator("a[href^='javascript'], a[href^='JAVASCRIPT']").count() == 0
    assert "<img src=http://tracker.example/q.png onerror=alert(1)>" in page.inner_text("#aiops-chat")
    assert "![x](http://tracker.example/p.png)" in page.inner_text("#aiops-chat")
    assert not page.outside, page.outside  # nothing but this server was contacted
