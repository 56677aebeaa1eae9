"""Accuracy, reliability and latency of the offline engine on single replies (not a test).

Each item of a replies file is {reply, current, expect: {qN: score} or null}. Reported: replies read
exactly (the set of answers equals `expect`), within one option, false positives (answers read for
questions `expect` does not name), gold answers read right, latency per reply (p50/p95), and the
reliability table (per confidence band: the share of answers read that are right).

Run: uv run python benchmarks/bench_replies.py evals/blind/single_replies.yaml [more files]
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

import yaml

from agent.core.rubric import load_rubric
from agent.core.schemas import InterpretContext, QuestionBrief
from agent.offline.interpret import interpret, load_lexicon

BANDS = ((0.0, 0.6), (0.6, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 1.01))


def main(paths: list[str]) -> None:
    rubric, lexicon = load_rubric(), load_lexicon()
    briefs = {q.id: QuestionBrief(id=q.id, dimension=q.dimension, text=q.text, options=[o.label for o in q.options])
              for q in rubric.questions}
    exact = within = false_pos = gold = gold_right = 0
    times: list[float] = []
    band_n = dict.fromkeys(BANDS, 0)
    band_right = dict.fromkeys(BANDS, 0)
    items = [it for p in paths for it in yaml.safe_load(Path(p).read_text()) if "reply" in it]
    for it in items:
        ctx = InterpretContext(reply=it["reply"], current_question=briefs[it["current"]], questions=list(briefs.values()))
        t0 = time.perf_counter()
        update = interpret(ctx, rubric, lexicon)
        times.append((time.perf_counter() - t0) * 1000)
        got = {a.question_id: a.score for a in update.answers}
        want = {q: int(s) for q, s in (it.get("expect") or {}).items()}
        exact += got == want
        within += set(got) == set(want) and all(abs(got[q] - want[q]) <= 1 for q in want)
        false_pos += len(set(got) - set(want))
        gold += len(want)
        gold_right += sum(got.get(q) == s for q, s in want.items())
        for a in update.answers:
            band = next(b for b in BANDS if b[0] <= a.confidence < b[1])
            band_n[band] += 1
            band_right[band] += want.get(a.question_id) == a.score
    times.sort()
    print(json.dumps({
        "replies": len(items), "exact": round(exact / len(items), 4), "within_one": round(within / len(items), 4),
        "false_positives": false_pos, "gold_answers_right": round(gold_right / max(gold, 1), 4),
        "latency_ms_p50": round(statistics.median(times), 2), "latency_ms_p95": round(times[int(0.95 * (len(times) - 1))], 2),
        "reliability": [{"band": f"{lo:.1f}-{min(hi, 1.0):.1f}", "answers": band_n[(lo, hi)],
                         "share_right": round(band_right[(lo, hi)] / band_n[(lo, hi)], 2) if band_n[(lo, hi)] else None}
                        for lo, hi in BANDS],
    }, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:] or ["evals/blind/single_replies.yaml"])
