"""Server CPU per turn of the web page (issue 16: at most 60 ms with the offline engine).

One `aiops-assess web` worker (SQLite default, offline engine, empty data dir) on a loopback port;
one client drives whole interviews through the page's Gradio queue API exactly as the page does
(`new`, then a `turn` per reply), one turn at a time. The worker's CPU time (user +
system, from /proc/PID/stat, all its threads) is read after a warm-up interview and again at the
end: CPU per turn = the difference / the turns in between. Wall time per turn is printed too.

    uv run python benchmarks/bench_turn_cpu.py [--interviews 4] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_web import SCRIPT  # noqa: E402
from benchmarks.gradio_queue import Page, fn_indexes  # noqa: E402
from tests.web_helpers import web_process  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime (fields 14 and 15 of stat)


def interview(url: str, fns: dict[str, int]) -> int:
    """One whole interview through the queue API, as the page sends it; the number of turns."""
    page = Page(url.rstrip("/"), fns)
    page.call("new", [])
    for reply in SCRIPT:
        page.turn(reply)
    return len(SCRIPT)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--interviews", type=int, default=4)
    ap.add_argument("--json", metavar="FILE")
    args = ap.parse_args()
    data = Path(tempfile.mkdtemp(prefix="aiops-cpu-")) / "data"
    data.mkdir()
    with web_process(data) as (url, proc):
        fns = fn_indexes(url.rstrip("/"))
        interview(url, fns)  # warm-up: imports, index, first compilations
        cpu0, t0 = cpu_seconds(proc.pid), time.perf_counter()
        turns = sum(interview(url, fns) for _ in range(args.interviews))
        cpu, wall = cpu_seconds(proc.pid) - cpu0, time.perf_counter() - t0
    result = {"interviews": args.interviews, "turns": turns, "server_cpu_ms_per_turn": round(cpu / turns * 1000, 1),
              "wall_ms_per_turn": round(wall / turns * 1000, 1)}
    print(json.dumps(result, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
