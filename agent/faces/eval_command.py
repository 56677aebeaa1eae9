"""`aiops-assess eval`: score the agent against recorded interviews (see agent/evaluation/)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from agent.common.config import Settings
from agent.common.providers import is_offline
from agent.faces.exits import EXIT_FAILED, EXIT_OK, EXIT_USAGE


def add_arguments(p) -> None:
    p.add_argument("paths", nargs="*", metavar="PATH", help="interview files or folders (default: evals/interviews/)")
    p.add_argument("--model", help="LiteLLM model string to evaluate (default: the configured model)")
    p.add_argument("--concurrency", type=int, default=None,
                   help="interviews run at once (default: 1 with the offline engine, which is CPU-bound; 8 otherwise)")
    p.add_argument("--out", default="eval-results", help="output folder (default: ./eval-results)")
    p.add_argument("--simulate", action="store_true", help="a simulated interviewee answers the agent's own questions")
    p.add_argument("--repeat", type=int, default=1, metavar="K", help="run each interview K times (repeatability)")
    p.add_argument("--min-exact", type=float, help="exit 1 if exact accuracy is below this (0-1)")
    p.add_argument("--min-qwk", type=float, help="exit 1 if quadratic weighted kappa is below this")
    p.add_argument("--min-level-accuracy", type=float, help="exit 1 if level accuracy is below this (0-1)")
    p.add_argument("--langfuse", action="store_true", help="also upload as a Langfuse dataset and experiment run")


def thresholds_failed(metrics: dict, args) -> list[str]:
    """The thresholds the run missed, as readable lines."""
    failed = []
    for flag, key in (("min_exact", "exact_accuracy"), ("min_qwk", "qwk"), ("min_level_accuracy", "level_accuracy")):
        want = getattr(args, flag)
        if want is not None and metrics[key] < want:
            failed.append(f"{key} {metrics[key]:.4f} is below --{flag.replace('_', '-')} {want}")
    return failed


def run_eval(settings: Settings, args) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from agent.app import App
    from agent.evaluation.interviews import load_interviews
    from agent.evaluation.results import summarize, write_outputs
    from agent.evaluation.runner import Mode, run_all

    if args.repeat < 1 or (args.concurrency is not None and args.concurrency < 1):
        print("aiops-assess: --repeat and --concurrency must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    if args.langfuse:  # fail before minutes of evaluation, not after
        from agent.evaluation.langfuse_upload import require_keys

        require_keys()
    console = Console(stderr=True)
    if args.model:
        settings = settings.model_copy(update={"model": args.model})
    app = App(settings)
    rubric, gateway = app.rubric, app.gateway
    interviews = load_interviews(args.paths or None, rubric)
    if gateway.notice:
        console.print(f"note: {gateway.notice}")
    gateway.ready()
    mode: Mode = "simulate" if args.simulate else "transcript"
    concurrency = args.concurrency or (1 if is_offline(gateway.model) else 8)
    t0 = time.perf_counter()
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=not console.is_terminal) as bar:
        task = bar.add_task(f"{mode} · {gateway.model}", total=len(interviews) * args.repeat)
        runs = run_all(app, interviews, mode=mode, repeat=args.repeat,
                       concurrency=concurrency, on_done=lambda r: bar.advance(task))
    results = summarize(rubric, interviews, runs, mode=mode, model=gateway.model, repeat=args.repeat,
                        seconds=time.perf_counter() - t0)
    paths = write_outputs(results, Path(args.out))
    m = results["metrics"]
    table = Table(title=f"{len(interviews)} interviews · {mode} · {gateway.model}")
    table.add_column("metric")
    table.add_column("value", justify="right")
    rows = [("exact accuracy", m["exact_accuracy"]), ("within-one accuracy", m["within_one_accuracy"]),
            ("MAE (answered)", m["mae"]), ("QWK", m["qwk"]), ("coverage", m["coverage"]),
            ("total-score MAE", m["total_mae"]), ("level accuracy", m["level_accuracy"]),
            ("model calls / interview", m["mean_model_calls_per_interview"]),
            ("evidence dropped", m["evidence_drop_rate"]),
            ("tokens", m["prompt_tokens"] + m["completion_tokens"]), ("cost $", m["cost_usd"]),
            ("cost $ / interview", m["mean_cost_usd_per_interview"]),
            ("seconds (wall)", m["wall_seconds"])]
    if "stability" in m:
        rows.append((f"identical in all {args.repeat} runs", m["stability"]))
    if "finished" in m:
        rows.append(("finished / median user turns", f"{m['finished']} / {m['median_user_turns']}"))
    for name, val in rows:
        table.add_row(name, "—" if val is None else f"{val:.4g}" if isinstance(val, float) else str(val))
    Console().print(table)
    print(f"Wrote {', '.join(str(p) for p in paths)}")
    if m["fallback_calls"]:
        print(f"aiops-assess: {m['fallback_calls']} model call(s) were answered by a fallback model, not "
              f"{gateway.model}: these numbers are not {gateway.model}'s alone (see results.json, models).",
              file=sys.stderr)
    if m["errors"]:
        first = next(r.error for r in runs if r.error)
        print(f"aiops-assess: {m['errors']} run(s) failed, e.g. {first}", file=sys.stderr)
    if args.langfuse:
        from agent.evaluation.langfuse_upload import upload

        print(upload(interviews, results))
    failed = thresholds_failed(m, args)
    for line in failed:
        print(f"aiops-assess: {line}", file=sys.stderr)
    return EXIT_FAILED if failed else EXIT_OK
