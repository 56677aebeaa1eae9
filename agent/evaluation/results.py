"""The evaluation's outputs: results.json, report.md and a confusion-matrix PNG.

`summarize` is pure (runs in, a JSON-able dict out); `write_outputs` writes the files.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from pathlib import Path

from agent.core.rubric import Rubric
from agent.evaluation.interviews import RecordedInterview
from agent.evaluation.metrics import aggregate, score_item, stability
from agent.evaluation.runner import Run


def summarize(rubric: Rubric, interviews: Sequence[RecordedInterview], runs: Sequence[Run], *,
              mode: str, model: str, repeat: int, seconds: float) -> dict:
    """Metrics over every run, per-interview items (predicted vs expected, usage), stability."""
    gold = {iv.id: iv.expected.answers for iv in interviews}
    scored = [score_item(rubric, r.id, gold[r.id], r.predicted) for r in runs]
    metrics = aggregate(rubric, scored)
    n = len(runs) or 1
    metrics.update({
        "runs": len(runs),
        "errors": sum(1 for r in runs if r.error),
        "model_calls": sum(r.model_calls for r in runs),
        "prompt_tokens": sum(r.prompt_tokens for r in runs),
        "completion_tokens": sum(r.completion_tokens for r in runs),
        "cost_usd": round(sum(r.cost_usd for r in runs), 6),
        "mean_seconds_per_interview": round(sum(r.seconds for r in runs) / n, 3),
        "mean_model_calls_per_interview": round(sum(r.model_calls for r in runs) / n, 2),
        "mean_user_turns": round(sum(r.user_turns for r in runs) / n, 2),
        "mean_cost_usd_per_interview": round(sum(r.cost_usd for r in runs) / n, 6),
        # Readings whose quote was not in the interviewee's words (or were invalid): how often a
        # model paraphrases instead of quoting (near 0 for the offline engine, which quotes by design).
        "evidence_drop_rate": round(sum(r.answers_dropped for r in runs) / max(1, sum(r.answers_read for r in runs)), 4),
        "fallback_calls": sum(r.fallback_calls for r in runs),
        "wall_seconds": round(seconds, 2),
    })
    if mode == "simulate":
        metrics["finished"] = round(sum(1 for r in runs if r.finished) / n, 4)
        metrics["median_user_turns"] = statistics.median([r.user_turns for r in runs]) if runs else 0
    if repeat > 1:
        by_k = [[next(r.predicted for r in runs if r.id == iv.id and r.repeat == k) for iv in interviews]
                for k in range(repeat)]
        metrics["repeat"] = repeat
        metrics["stability"] = stability(by_k)
    items = []
    for iv in interviews:
        mine = [r for r in runs if r.id == iv.id]
        first = next((s for s, r in zip(scored, runs, strict=False) if r.id == iv.id), None)
        items.append({
            "id": iv.id,
            "expected": iv.expected.answers,
            "predicted": mine[0].predicted if mine else {},
            "expected_total": iv.expected.total,
            "predicted_total": first.predicted_total if first else None,
            "expected_level": iv.expected.level,
            "predicted_level": first.predicted_level if first else None,
            "exact": first.exact if first else 0,
            "answered": first.answered if first else 0,
            "runs": [r.model_dump(exclude={"predicted"} if k == 0 else set()) for k, r in enumerate(mine)],
        })
    return {"mode": mode, "model": model, "repeat": repeat, "metrics": metrics, "items": items}


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f} %"


def render_report(results: dict) -> str:
    """report.md: the headline metrics, breakdowns, confusion matrix and the items."""
    m = results["metrics"]
    out = [
        "# Evaluation report", "",
        f"Mode **{results['mode']}**, model **{results['model']}**, {m['interviews']} runs"
        + (f" ({results['repeat']} repeats)" if results["repeat"] > 1 else "") + ".", "",
        "| metric | value |", "|---|---|",
        f"| exact accuracy | {_pct(m['exact_accuracy'])} |",
        f"| within-one accuracy | {_pct(m['within_one_accuracy'])} |",
        f"| exact accuracy on answered questions | {_pct(m['answered_exact_accuracy'])} |",
        f"| MAE (answered) | {m['mae'] if m['mae'] is not None else '—'} |",
        f"| quadratic weighted kappa | {m['qwk']:.3f} |",
        f"| coverage | {_pct(m['coverage'])} |",
        f"| total-score MAE | {m['total_mae']} |",
        f"| level accuracy | {_pct(m['level_accuracy'])} (gold level within the provisional range: {_pct(m['level_in_range'])}) |",
        f"| model calls / interview | {m['mean_model_calls_per_interview']} |",
        f"| tokens | {m['prompt_tokens']} prompt, {m['completion_tokens']} completion |",
        f"| cost | ${m['cost_usd']:.4f} |",
        f"| time / interview | {m['mean_seconds_per_interview']} s (wall {m['wall_seconds']} s) |",
    ]
    if "stability" in m:
        out.append(f"| identical in all {m['repeat']} repeats | {_pct(m['stability'])} |")
    if "finished" in m:
        out.append(f"| simulated interviews finished | {_pct(m['finished'])}, median {m['median_user_turns']} user turns |")
    out += ["", "## Per dimension", "", "| dimension | exact | within one | coverage | MAE |", "|---|---|---|---|---|"]
    out += [f"| {d} | {_pct(b['exact_accuracy'])} | {_pct(b['within_one_accuracy'])} | {_pct(b['coverage'])} | {b['mae']} |"
            for d, b in m["per_dimension"].items()]
    out += ["", "## Per question", "", "| question | exact | within one | coverage | MAE |", "|---|---|---|---|---|"]
    out += [f"| {q} | {_pct(b['exact_accuracy'])} | {_pct(b['within_one_accuracy'])} | {_pct(b['coverage'])} | {b['mae']} |"
            for q, b in m["per_question"].items()]
    out += ["", "## Confusion matrix (rows: gold, columns: predicted; – = not answered)", "",
            "| gold \\ pred | 0 | 1 | 2 | 3 | 4 | 5 | – |", "|---|---|---|---|---|---|---|---|"]
    out += [f"| {g} | " + " | ".join(str(v) for v in row) + " |" for g, row in enumerate(m["confusion"])]
    out += ["", "![confusion matrix](confusion.png)", "", "## Interviews", "",
            "| interview | exact | answered | total (gold → predicted) | level (gold → predicted) |", "|---|---|---|---|---|"]
    for it in sorted(results["items"], key=lambda x: x["exact"]):
        lvl = "—" if it["predicted_level"] is None else it["predicted_level"]
        out.append(f"| {it['id']} | {it['exact']}/12 | {it['answered']}/12 | {it['expected_total']} → "
                   f"{it['predicted_total']} | {it['expected_level']} → {lvl} |")
    return "\n".join(out) + "\n"


def confusion_png(matrix: list[list[int]], path: Path, title: str) -> None:
    """The confusion matrix as a heat map (matplotlib, no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 5.2), dpi=110)
    ax.imshow(matrix, cmap="Blues")
    cols = ["0", "1", "2", "3", "4", "5", "none"]
    ax.set_xticks(range(7), cols)
    ax.set_yticks(range(6), cols[:6])
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    ax.set_title(title, fontsize=10)
    peak = max((v for row in matrix for v in row), default=0) or 1
    for i, row in enumerate(matrix):
        for j, v in enumerate(row):
            if v:
                ax.text(j, i, str(v), ha="center", va="center", color="white" if v > peak / 2 else "black")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write_outputs(results: dict, out_dir: Path) -> list[Path]:
    """results.json, report.md and confusion.png in `out_dir` (created)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / "results.json", out_dir / "report.md", out_dir / "confusion.png"]
    paths[0].write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    paths[1].write_text(render_report(results), encoding="utf-8")
    m = results["metrics"]
    confusion_png(m["confusion"], paths[2],
                  f"{results['model']} · {results['mode']} · exact {_pct(m['exact_accuracy'])} · QWK {m['qwk']:.2f}")
    return paths
