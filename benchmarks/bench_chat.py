"""Benchmarks of the terminal interview on the offline engine (not timed tests).

1. Start-up: time from launching `aiops-assess chat` to the first question on screen.
2. Agent overhead per turn: wall time of one user turn through the graph (SQLite checkpointer,
   offline engine), p50/p95 over scripted interviews, litellm already imported.
3. Model calls per user turn.

Run: uv run python benchmarks/bench_chat.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The user turns of a recorded interview, then "yes" to confirm the understanding.
_SAMPLE = yaml.safe_load((ROOT / "evals/interviews/acme-retail-l2.yaml").read_text())
SCRIPT = [t["content"] for t in _SAMPLE["transcript"] if t["role"] == "user"] + ["yes"]


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


def startup(runs: int, data_dir: str) -> list[float]:
    """Seconds until the first question's text appears on stdout."""
    exe = ROOT / ".venv" / "bin" / "aiops-assess"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "agent"]
    marker = "How do your applications reach AI models today"
    env = {**os.environ, "AIOPS_DATA_DIR": data_dir, "AIOPS_MODEL": "offline/rubric", "PYTHONUNBUFFERED": "1"}
    times = []
    for i in range(runs):
        t0 = time.perf_counter()
        p = subprocess.Popen([*cmd, "chat", "--session", f"startup-{i}"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True, bufsize=1)
        seen = ""
        while marker not in seen:
            line = p.stdout.readline()
            if not line:
                break
            seen += line
        times.append(time.perf_counter() - t0)
        p.stdin.close()
        p.wait(timeout=60)
    return times


def turns(runs: int, data_dir: str) -> dict[str, list[float] | float]:
    """Per-turn wall times (ms) after one warm-up interview: whole turn, inside model calls
    (litellm + engine), and the rest (graph, checkpoints, state); plus model calls per user turn."""
    os.environ["AIOPS_DATA_DIR"] = data_dir
    os.environ["AIOPS_MODEL"] = "offline/rubric"
    from agent.app import App
    from agent.common.config import load_settings

    app = App(load_settings())
    app.gateway.warm_up().join()
    total, in_calls, first = [], [], []
    calls = user_turns = 0
    for r in range(runs + 1):
        with app.open_session(f"turns-{r}") as iv:
            iv.start()
            for reply in SCRIPT:
                n = len(iv.state.get("calls", []))
                t0 = time.perf_counter()
                iv.reply(reply)
                ms = (time.perf_counter() - t0) * 1000
                if r == 0:
                    first.append(ms)
                    continue
                total.append(ms)
                in_calls.append(sum(c["latency_ms"] for c in iv.state["calls"][n:]))
            if r:
                calls += len(iv.state["calls"])
                user_turns += iv.state["user_turns"]
    return {"total": total, "in_calls": in_calls, "rest": [a - b for a, b in zip(total, in_calls, strict=False)],
            "first": first, "calls_per_turn": calls / user_turns}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        st = startup(args.runs, d)
        t = turns(args.runs, d)
    print(f"start-up to first question: median {statistics.median(st):.2f} s, max {max(st):.2f} s ({len(st)} runs)")
    for key, label in [("total", "whole turn"), ("in_calls", "inside model calls (litellm + offline engine)"),
                       ("rest", "agent overhead outside model calls (graph, checkpoints, state)")]:
        v = t[key]
        print(f"{label}: p50 {pct(v, 50):.1f} ms, p95 {pct(v, 95):.1f} ms, max {max(v):.1f} ms ({len(v)} turns)")
    print(f"first interview of the process (cold): max turn {max(t['first']):.0f} ms")
    print(f"model calls per user turn: {t['calls_per_turn']:.2f}")


if __name__ == "__main__":
    main()
