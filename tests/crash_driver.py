"""Crash-safety driver: whole interviews through the terminal face, killed and resumed.

Each trial runs the chat in a child process fed the sample interview's replies, stops it hard —
SIGKILL at a random graph step (before or after the step's work), SIGKILL at a random moment,
or a full disk (a file-size limit, so SQLite's next write fails) — then resumes the session in a
new process with the replies the session has not recorded, as a person would answer the question
shown to them again. The outcome (answers, every message, the result) must equal an uninterrupted
run's.

Children are forked from this process after the heavy imports, so a trial costs what the
interview costs, not seconds of start-up. Used by tests/test_crash_safety.py:

    python tests/crash_driver.py --trials 50 --seed 7 --data DIR   # prints one JSON summary
    python tests/crash_driver.py --data DIR --plans '[{"kind": "step", "node": "confirm", "n": 1, "where": "before"}]'
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import random
import resource
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

NODES = ("listen", "interpret", "plan", "ask", "confirm", "score", "advise", "report", "followup")
FOLLOW_UPS = ["yes, looks right", "what should we do first?", "which KPIs should we track?"]


def _replies() -> list[str]:
    from helpers import TO_REVIEW

    return [*TO_REVIEW, *FOLLOW_UPS]


def _patch_nodes(kill: tuple[str, int, str] | None, counts: dict[str, int]) -> None:
    """Wrap the graph's nodes (before the graph is built) to count calls and, with `kill`
    (node, n-th call, "before"|"after" its work), SIGKILL the process there."""
    import agent.interview.graph as graph

    for name in NODES:
        node = getattr(graph, name)

        def wrapped(state: Any, runtime: Any, _node: Any = node, _name: str = name) -> Any:
            counts[_name] = counts.get(_name, 0) + 1
            hit = kill is not None and kill[0] == _name and kill[1] == counts[_name]
            if hit and kill[2] == "before":
                os.kill(os.getpid(), signal.SIGKILL)
            update = _node(state, runtime)
            if hit:  # the step's work is done, its writes not yet saved
                os.kill(os.getpid(), signal.SIGKILL)
            return update

        functools.update_wrapper(wrapped, node)
        setattr(graph, name, wrapped)


def _child(settings: Any, session: str, replies: list[str], log: Path, kill: tuple[str, int, str] | None = None,
           file_limit: int | None = None, counts_out: Path | None = None) -> None:
    """In a forked child: run `aiops-assess chat --session SESSION` with `replies` piped in; never returns."""
    code = 99
    try:
        feed = Path(tempfile.mkstemp(prefix="replies-", dir=log.parent)[1])
        feed.write_text("".join(r + "\n" for r in replies), encoding="utf-8")
        fd = os.open(feed, os.O_RDONLY)
        os.dup2(fd, 0)
        out = os.open(os.devnull if file_limit else log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(out, 1)
        os.dup2(out, 2)
        sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115 - the process's stdin
        sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
        sys.stderr = sys.stdout
        counts: dict[str, int] = {}
        _patch_nodes(kill, counts)
        # Opening the retrieval index in the background at start-up only saves a user time; here
        # most children never reach the advice, so it opens when a step needs it.
        import agent.app

        agent.app.App.warm_up = lambda self, index=True: self.gateway.warm_up()  # type: ignore[method-assign]
        if file_limit:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG), like ENOSPC
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_limit, file_limit))
        from agent.faces.terminal import run_chat

        code = run_chat(settings, session)
        sys.stdout.flush()
        if counts_out:
            resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
            counts_out.write_text(json.dumps(counts))
    except BaseException as exc:
        print(f"driver: {type(exc).__name__}: {exc}", file=sys.stderr)
    finally:
        os._exit(code)


def _run(settings: Any, session: str, replies: list[str], log: Path, **kw: Any) -> int:
    pid = os.fork()
    if pid == 0:
        _child(settings, session, replies, log, **kw)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def _run_killed_at(settings: Any, session: str, replies: list[str], log: Path, delay: float) -> int:
    pid = os.fork()
    if pid == 0:
        _child(settings, session, replies, log)
    time.sleep(delay)
    with contextlib.suppress(ProcessLookupError):  # it may have finished already
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def _outcome(settings: Any, session: str) -> dict:
    from agent.interview.store import read_values

    try:
        values = read_values(settings.sessions_dir, session)
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
    result = values.get("result") or {}
    return {"phase": values.get("phase"),
            "answers": {q: a["score"] for q, a in sorted(values.get("answers", {}).items())},
            "level": result.get("level"), "total": result.get("total"),
            "user": [m["content"] for m in values.get("messages", []) if m["role"] == "user"],
            # The report names its session; the trials' names differ from the baseline's by design.
            "assistant": [m["content"].replace(session, "SESSION") for m in values.get("messages", [])
                          if m["role"] == "assistant"]}


def _trial(settings: Any, i: int, plan: dict, replies: list[str], work: Path) -> dict:
    session = f"trial-{i}"
    log = work / f"{session}.log"
    if plan["kind"] == "step":
        code = _run(settings, session, replies, log, kill=(plan["node"], plan["n"], plan["where"]))
    elif plan["kind"] == "time":
        code = _run_killed_at(settings, session, replies, log, plan["delay"])
    else:
        code = _run(settings, session, replies, log, file_limit=plan["limit"])
    resumes = 0
    while resumes < 3:  # one resume is the norm; a second would show a resume that did not finish
        # Reopen first, as a person does: a turn the crash cut off is finished and shown; then
        # they answer what they see, so the replies the session has not recorded are sent.
        _run(settings, session, [], work / f"{session}.reopen{resumes}.log")
        done = _outcome(settings, session)
        recorded = len(done.get("user", []))
        if "error" not in done and recorded >= len(replies):
            break
        resumes += 1
        _run(settings, session, replies[recorded:] if "error" not in done else replies,
             work / f"{session}.resume{resumes}.log")
    return {"trial": i, "plan": plan, "first_exit": code, "resumes": resumes, "outcome": _outcome(settings, session)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=50)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--data", required=True)
    ap.add_argument("--parallel", type=int, default=2)
    ap.add_argument("--plans", help="a JSON list of plans to run instead of random ones")
    args = ap.parse_args()
    os.environ.update(AIOPS_DATA_DIR=args.data, AIOPS_MODEL="offline/rubric", LITELLM_LOCAL_MODEL_COST_MAP="True")
    for key in [k for k in os.environ if k.endswith("_API_KEY") or k.startswith("LANGFUSE_")]:
        del os.environ[key]
    from agent.app import App
    from agent.common.config import load_settings

    settings = load_settings()
    App(settings).gateway.ready()  # litellm and the offline engine loaded once, shared by every fork
    import agent.faces.terminal
    import agent.interview.store  # noqa: F401
    assert threading.active_count() == 1, "fork only from a single-threaded process"
    work = Path(args.data) / "logs"
    work.mkdir(parents=True, exist_ok=True)
    replies = _replies()

    started = time.perf_counter()
    counts_file = work / "counts.json"
    _run(settings, "baseline", replies, work / "baseline.log", counts_out=counts_file)
    base_seconds = time.perf_counter() - started
    baseline = _outcome(settings, "baseline")
    counts = json.loads(counts_file.read_text())
    session_bytes = (settings.sessions_dir / "baseline.sqlite").stat().st_size

    rng = random.Random(args.seed)
    plans = json.loads(args.plans) if args.plans else []
    # Half at graph steps, the rest at random moments and on a full disk, in random order.
    kinds = [["step", "step", "step", "step", "step", "time", "time", "time", "disk", "disk"][i % 10]
             for i in range(0 if args.plans else args.trials)]
    rng.shuffle(kinds)
    for kind in kinds:
        if kind == "step":
            node = rng.choice([n for n in NODES if counts.get(n)])
            plans.append({"kind": "step", "node": node, "n": rng.randint(1, counts[node]),
                          "where": rng.choice(["before", "after"])})
        elif kind == "time":
            plans.append({"kind": "time", "delay": round(rng.uniform(0.05, base_seconds), 3)})
        else:
            plans.append({"kind": "disk", "limit": rng.randint(8_192, max(16_384, session_bytes))})

    results: list[dict] = []
    running: dict[int, tuple[int, Path]] = {}
    for i, plan in enumerate(plans):
        while len(running) >= args.parallel:
            results.append(_collect(running))
        out = work / f"result-{i}.json"
        pid = os.fork()
        if pid == 0:
            try:
                out.write_text(json.dumps(_trial(settings, i, plan, replies, work)))
            finally:
                os._exit(0)
        running[pid] = (i, out)
    while running:
        results.append(_collect(running))

    failed = [r for r in results if r["outcome"] != baseline]
    summary = {"trials": len(results), "failed": len(failed), "seconds": round(time.perf_counter() - started, 1),
               "baseline_seconds": round(base_seconds, 2), "node_calls": counts,
               "kinds": {k: sum(1 for p in plans if p["kind"] == k) for k in ("step", "time", "disk")},
               "resumed_twice": sum(1 for r in results if r["resumes"] > 1),
               "failures": [{"trial": r["trial"], "plan": r["plan"], "first_exit": r["first_exit"],
                             "diff": _diff(baseline, r["outcome"])} for r in failed]}
    print(json.dumps(summary))


def _collect(running: dict[int, tuple[int, Path]]) -> dict:
    pid, _ = os.wait()
    i, out = running.pop(pid)
    try:
        return json.loads(out.read_text())
    except (OSError, ValueError):
        return {"trial": i, "plan": {}, "first_exit": None, "resumes": 0, "outcome": {"error": "trial process died"}}


def _diff(base: dict, got: dict) -> dict:
    if "error" in got:
        return {"error": got["error"]}
    out: dict[str, Any] = {}
    for key in base:
        if base[key] != got.get(key):
            if isinstance(base[key], list):
                n = next((j for j, (a, b) in enumerate(zip(base[key], got.get(key) or [], strict=False)) if a != b),
                         min(len(base[key]), len(got.get(key) or [])))
                out[key] = {"first_difference": n, "expected": [str(x)[:300] for x in base[key][n:n + 1]],
                            "got": [str(x)[:300] for x in (got.get(key) or [])[n:n + 1]],
                            "lengths": [len(base[key]), len(got.get(key) or [])]}
            else:
                out[key] = {"expected": base[key], "got": got.get(key)}
    return out


if __name__ == "__main__":
    main()
