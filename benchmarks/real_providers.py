"""With real keys: record fresh provider cassettes and evaluate real models on the recorded
interviews, writing the results table into docs/benchmarks.md (section "Real providers").

    AIOPS_RECORD_OPENAI_API_KEY=sk-... AIOPS_RECORD_ANTHROPIC_API_KEY=sk-ant-... \\
      uv run python benchmarks/real_providers.py

For each provider with a key: `pytest tests/test_providers.py --record-mode=rewrite -k <provider>`
(see tests/cassettes/README.md), then `aiops-assess eval evals/interviews --model M` with the
offline fallback off and `on_permanent_error: stop`, so every number is that model's alone. It
cannot run where the providers are unreachable; it needs no other set-up. `--skip-record` only
evaluates; `--models` picks other models (their keys still come from AIOPS_RECORD_*).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- real-providers:start -->", "<!-- real-providers:end -->"
KEYS = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}
DEFAULT = {"openai": "openai/gpt-5.4-mini", "anthropic": "anthropic/claude-haiku-4-5"}
COLUMNS = [("exact", "exact_accuracy"), ("within one", "within_one_accuracy"), ("QWK", "qwk"),
           ("level accuracy", "level_accuracy"), ("coverage", "coverage"), ("evidence dropped", "evidence_drop_rate"),
           ("calls / interview", "mean_model_calls_per_interview"), ("cost $ / interview", "mean_cost_usd_per_interview")]


def table(results: dict[str, dict], date: str, data: str) -> str:
    """The Markdown section for `results` (model -> results.json metrics)."""
    head = "| model | " + " | ".join(c for c, _ in COLUMNS) + " |"
    rows = [head, "|" + "---|" * (len(COLUMNS) + 1)]
    for model, m in results.items():
        cells = [f"{m[k]:.4g}" if isinstance(m.get(k), float) else str(m.get(k, "—")) for _, k in COLUMNS]
        rows.append(f"| {model} | " + " | ".join(cells) + " |")
    return "\n".join([START, f"Measured {date} with `uv run python benchmarks/real_providers.py` on {data}, "
                      "transcript mode, offline fallback off.", "", *rows, END])


def write_section(text: str, path: Path = BENCHMARKS) -> None:
    """Replace the section between the markers (or add it at the end under its heading)."""
    doc = path.read_text(encoding="utf-8")
    if START in doc and END in doc:
        doc = re.sub(re.escape(START) + r".*?" + re.escape(END), lambda _: text, doc, flags=re.S)
    else:
        doc = doc.rstrip() + "\n\n## Real providers (issue 12)\n\n" + text + "\n"
    path.write_text(doc, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", nargs="*", help="LiteLLM model strings (default: the default model of each provider with a key)")
    ap.add_argument("--skip-record", action="store_true", help="do not re-record the cassettes")
    ap.add_argument("--interviews", default="evals/interviews", help="recorded interviews to evaluate on")
    args = ap.parse_args(argv)
    have = {p: os.environ.get(f"AIOPS_RECORD_{k}") for p, k in KEYS.items()}
    have = {p: v for p, v in have.items() if v}
    if not have:
        print("real_providers: no key. Set AIOPS_RECORD_OPENAI_API_KEY and/or AIOPS_RECORD_ANTHROPIC_API_KEY.",
              file=sys.stderr)
        return 2
    models = args.models or [DEFAULT[p] for p in have]
    env = {**os.environ, **{KEYS[p]: v for p, v in have.items()}}
    if not args.skip_record:
        subprocess.run([sys.executable, "-m", "pytest", "tests/test_providers.py", "--record-mode=rewrite",
                        "-k", " or ".join(have)], cwd=ROOT, env=env, check=True)
    results: dict[str, dict] = {}
    for model in models:
        out = ROOT / "eval-results" / ("real-" + model.replace("/", "-"))
        subprocess.run([sys.executable, "-m", "agent", "eval", args.interviews, "--model", model, "--out", str(out)],
                       cwd=ROOT, env={**env, "AIOPS_OFFLINE_FALLBACK": "false", "AIOPS_ON_PERMANENT_ERROR": "stop",
                                      "AIOPS_FALLBACKS": "[]"}, check=False)
        results[model] = json.loads((out / "results.json").read_text())["metrics"]
    import datetime as dt

    write_section(table(results, dt.date.today().isoformat(), args.interviews))
    print(f"Wrote the table for {', '.join(results)} into {BENCHMARKS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
