"""Running `aiops-assess web` and driving its page in Chromium (shared by tests/test_web.py and
benchmarks/bench_web.py)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
INPUT = "#aiops-input textarea"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def web_env(data_dir: Path) -> dict[str, str]:
    """The server's environment: the offline engine, an isolated data dir, no keys."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY") and not k.startswith(("AIOPS_", "LANGFUSE_"))}
    env.update(AIOPS_DATA_DIR=str(data_dir), AIOPS_MODEL="offline/rubric", LITELLM_LOCAL_MODEL_COST_MAP="True",
               GRADIO_ANALYTICS_ENABLED="False", PYTHONUNBUFFERED="1")
    return env


@contextmanager
def web_server(data_dir: Path, *args: str, timeout: float = 90, env: dict[str, str] | None = None):
    """`aiops-assess web` on a free loopback port in a subprocess (`env`: more variables); yields
    its base URL."""
    with web_process(data_dir, *args, timeout=timeout, env=env) as (url, _proc):
        yield url


@contextmanager
def web_process(data_dir: Path, *args: str, timeout: float = 90, env: dict[str, str] | None = None):
    """Like web_server, yielding (base URL, the server's process)."""
    port = free_port()
    log = open(data_dir.parent / f"web-{port}.log", "w+")  # noqa: SIM115 - closed in the finally below
    proc = subprocess.Popen([sys.executable, "-m", "agent", "web", "--port", str(port), *args], cwd=ROOT,
                            env={**web_env(data_dir), **(env or {})}, stdout=log, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.time() + timeout
        while True:
            if proc.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"aiops-assess web exited with {proc.returncode}:\n{log.read()}")
            try:
                urllib.request.urlopen(url, timeout=2).close()
                break
            except OSError:
                if time.time() > deadline:
                    raise RuntimeError(f"aiops-assess web did not answer on {url} within {timeout} s") from None
                time.sleep(0.2)
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])


def open_page(context, url: str):
    """A page with the chat loaded (the greeting or the resumed conversation shown)."""
    page = context.new_page()
    # Only this machine's server may be reached: anything else is blocked and listed in page.outside.
    page.outside = []

    def block(route):
        page.outside.append(route.request.url)
        route.abort()

    page.route(lambda u: not u.startswith(("http://127.0.0.1", "data:", "blob:")), block)
    page.goto(url)
    wait_loaded(page)
    return page


def wait_loaded(page, timeout: float = 30_000) -> None:
    page.wait_for_function(
        "() => { const s = document.querySelector('#aiops-session textarea, #aiops-session input');"
        " return s && s.value && document.querySelector('#aiops-chat [data-testid=bot]'); }",
        timeout=timeout)


def user_count(page) -> int:
    return page.locator("#aiops-chat [data-testid=user]").count()


def rev(page) -> str:
    """The progress panel's render mark: it changes with the last update of every turn."""
    return page.locator("#aiops-progress .progress").get_attribute("data-rev")


def send(page, text: str, timeout: float = 30_000) -> None:
    """Type a reply, press Enter, and wait until the turn is over (its last update has come)."""
    before = (user_count(page), rev(page))
    box = page.locator(INPUT)
    box.fill(text)
    box.press("Enter")
    wait_turn(page, before, timeout)


def click_and_wait(page, selector: str, timeout: float = 30_000) -> None:
    before = (user_count(page), rev(page))
    page.click(selector)
    wait_turn(page, before, timeout)


# The option buttons shown are those the turn's last update named (they are drawn by an event of
# their own that follows it).
_OPTIONS_DRAWN = """(() => {
  const box = document.querySelector('#aiops-options textarea, #aiops-options input');
  if (!box) return true;
  const shown = [...document.querySelectorAll('#aiops-choices button')]
    .filter(b => b.offsetParent !== null).map(b => b.innerText.trim());
  return JSON.stringify(JSON.parse(box.value || '[]')) === JSON.stringify(shown);
})()"""


def wait_turn(page, before: tuple[int, str], timeout: float = 30_000) -> None:
    """Wait for one more message of the person's in the chat, a new render of the panels and the
    option buttons it asks for."""
    page.wait_for_function(
        "([n, rev]) => document.querySelectorAll('#aiops-chat [data-testid=user]').length > n"
        " && document.querySelector('#aiops-progress .progress').dataset.rev !== rev && " + _OPTIONS_DRAWN,
        arg=list(before), timeout=timeout)


def last_bot(page) -> str:
    return page.locator("#aiops-chat [data-testid=bot]").last.inner_text()


def session_name(page) -> str:
    return page.locator("#aiops-session textarea, #aiops-session input").first.input_value()


def answered(page) -> int:
    return int(page.locator("#aiops-progress .progress").get_attribute("data-answered"))


def start_field(page, key: str) -> str:
    """A start-screen field's value (key: org, round, respondent, role, dimensions)."""
    return page.locator(f"#aiops-{key} input, #aiops-{key} textarea").first.input_value()


def open_org_tab(page, timeout: float = 30_000) -> None:
    """Switch to the Organization tab and wait until it shows a round."""
    page.get_by_role("tab", name="Organization").click()
    page.locator("#aiops-org-summary .org-round").wait_for(timeout=timeout)
