"""Benchmarks of the web chat on the offline engine (not timed tests; loopback only).

1. Page load: a fresh Chromium context opens the page until the greeting (and the session name)
   is shown; also the time to the HTML document alone.
2. One whole assessment in the browser, greeting to report plus a follow-up question; saves the
   screenshot of the finished assessment as docs/web.png (unless --no-screenshot).
3. Turn latency under load: N simulated users at once (default 20), each with its own session,
   each sending the 12 replies of a recorded interview, "yes" and a follow-up question through the
   page's Gradio API (gradio_client, the same queue and handlers as the page: one turn event,
   whose last update carries the progress panels), back to back. A turn is timed from sending to
   its last update; "first update" is the server's first (the page echoes the reply itself).
   Bounded: at most 14 turns per user, and no new turn after --deadline seconds.

The server is `aiops-assess web` in a subprocess on a free 127.0.0.1 port with an empty data dir.
Run: uv run python benchmarks/bench_web.py [--users 20] [--loads 5] [--deadline 300] [--think S]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from tests.web_helpers import answered, click_and_wait, launch_chromium, open_page, send, wait_loaded, web_server  # noqa: E402

_SAMPLE = yaml.safe_load((ROOT / "evals/interviews/acme-retail-l2.yaml").read_text())
REPLIES = [t["content"] for t in _SAMPLE["transcript"] if t["role"] == "user"]
SCRIPT = [*REPLIES, "yes", "Which KPIs should we track?"]
TURN_TIMEOUT = 60  # seconds; a turn taking longer counts as an error


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


def page_loads(browser, url: str, runs: int) -> tuple[list[float], list[float]]:
    """(seconds to the greeting, seconds to the HTML document) for `runs` fresh contexts."""
    full, doc = [], []
    for _ in range(runs):
        ctx = browser.new_context()
        page = ctx.new_page()
        t0 = time.perf_counter()
        page.goto(url, wait_until="commit")
        doc.append(time.perf_counter() - t0)
        wait_loaded(page)
        full.append(time.perf_counter() - t0)
        ctx.close()
    return full, doc


def browser_assessment(browser, url: str, screenshot: Path | None) -> list[float]:
    """One assessment in the page; seconds per turn as a person waits for it."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = open_page(ctx, url)
    turns = []
    for i, reply in enumerate(REPLIES):
        t0 = time.perf_counter()
        try:
            send(page, reply, timeout=60_000)
        except Exception:
            print(f"turn {i} did not finish; the chat ends with:", page.inner_text("#aiops-chat")[-600:])
            raise
        turns.append(time.perf_counter() - t0)
    for _ in range(6):  # answers read from earlier replies are checked with yes/no questions first
        if page.is_visible("#aiops-yes"):
            break
        t0 = time.perf_counter()
        send(page, "yes")
        turns.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    click_and_wait(page, "#aiops-yes")
    turns.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    send(page, "Which KPIs should we track?")
    turns.append(time.perf_counter() - t0)
    assert answered(page) == 12 and page.is_visible("#aiops-dl-md"), "the assessment did not finish"
    if screenshot:
        page.screenshot(path=str(screenshot))
    ctx.close()
    return turns


def load_test(url: str, users: int, deadline: float, think: float = 0.0) -> dict:
    """Turn latencies with `users` simulated users at once."""
    from gradio_client import Client

    warm = Client(url, verbose=False)  # not counted: the first turn of a server loads the engine
    t0 = time.perf_counter()
    warm.predict(REPLIES[0], api_name="/turn")
    cold = time.perf_counter() - t0
    clients = [Client(url, verbose=False) for _ in range(users)]
    start = threading.Barrier(users)
    lock = threading.Lock()
    total, first, errors, finished = [], [], [], []
    stop_at = time.perf_counter() + deadline

    def user(client) -> None:
        start.wait()
        done = 0
        for i, text in enumerate(SCRIPT):
            if i and think:  # a person reading the answer and typing the next reply
                time.sleep(think * (0.5 + random.random()))
            if time.perf_counter() > stop_at:
                break
            t = time.perf_counter()
            try:
                job = client.submit(text, api_name="/turn")
                seen = None
                for _ in job:
                    seen = seen or time.perf_counter() - t
                job.result(timeout=TURN_TIMEOUT)  # its last update carries the panels
            except Exception as exc:  # noqa: BLE001 - counted and reported
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}")
                break
            elapsed = time.perf_counter() - t
            with lock:
                total.append(elapsed)
                first.append(seen or elapsed)
            done += 1
        with lock:
            finished.append(done)

    wall = time.perf_counter()
    threads = [threading.Thread(target=user, args=(c,), daemon=True) for c in clients]
    for t in threads:
        t.start()
    for t in threads:  # a user stuck past the deadline is abandoned (and reported as not finished)
        t.join(timeout=max(1.0, stop_at + 2 * TURN_TIMEOUT - time.perf_counter()))
    wall = time.perf_counter() - wall
    return {"cold_first_turn": cold, "total": total, "first": first, "errors": errors,
            "complete_users": sum(1 for d in finished if d == len(SCRIPT)), "wall": wall}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--loads", type=int, default=5)
    ap.add_argument("--deadline", type=float, default=300, help="no new turn after this many seconds")
    ap.add_argument("--think", type=float, default=0.0,
                    help="mean seconds a user waits between turns (0: back to back, the worst case)")
    ap.add_argument("--no-screenshot", action="store_true")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        with web_server(data) as url, sync_playwright() as p:
            browser = launch_chromium(p)
            loads, docs = page_loads(browser, url, args.loads)
            shot = None if args.no_screenshot else ROOT / "docs" / "web.png"
            turns = browser_assessment(browser, url, shot)
            browser.close()
            res = load_test(url, args.users, args.deadline, args.think)
    tot, fst = res["total"], res["first"]
    print(f"Page load, fresh browser context, {len(loads)} runs: to the greeting median "
          f"{statistics.median(loads):.2f} s (min {min(loads):.2f}, max {max(loads):.2f}); "
          f"HTML document median {statistics.median(docs) * 1000:.0f} ms")
    print(f"One assessment in the browser ({len(turns)} turns): per turn median {statistics.median(turns):.2f} s, "
          f"max {max(turns):.2f} s (first turn includes the engine's warm-up)")
    print(f"Cold first turn of the server (gradio_client): {res['cold_first_turn']:.2f} s")
    print(f"{args.users} concurrent users x {len(SCRIPT)} turns, think time {args.think:g} s: "
          f"{len(tot)} turns in {res['wall']:.1f} s "
          f"({len(tot) / res['wall']:.1f} turns/s), {res['complete_users']}/{args.users} users finished, "
          f"{len(res['errors'])} errors")
    if tot:
        print(f"  turn latency (to the last update): p50 {pct(tot, 50):.2f} s, p95 {pct(tot, 95):.2f} s, "
              f"max {max(tot):.2f} s")
        print(f"  first update from the server (the browser echoes the reply itself): p50 {pct(fst, 50):.2f} s, p95 {pct(fst, 95):.2f} s")
    for e in res["errors"][:5]:
        print("  error:", e)
    if shot:
        print(f"Screenshot: {shot.relative_to(ROOT)}")
    return 1 if res["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
