"""What people type at the review step (not a test): confirm, show the list, correct in plain
words, or name a direction without a value. Each item of the file is {id, answers: {qN: score},
utterance, phase: confirm|interview, current?, expect: {action, changes?, questions?}}; the
session is put at that step with those answers, the utterance is sent, and the effect compared.

Run: uv run python benchmarks/bench_review.py evals/blind/review_utterances.yaml
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import yaml
from langgraph.checkpoint.memory import InMemorySaver

os.environ.setdefault("AIOPS_DATA_DIR", tempfile.mkdtemp())
os.environ["AIOPS_MODEL"] = "offline/rubric"

from agent.app import App  # after the environment it reads
from agent.common.config import load_settings


def main(path: str) -> None:
    app = App(load_settings())
    right: dict[str, int] = {}
    total: dict[str, int] = {}
    for it in yaml.safe_load(Path(path).read_text()):
        iv = app.interview(f"r-{it['id']}", InMemorySaver())
        iv.start()
        before = {q: int(s) for q, s in it["answers"].items()}
        answers = {q: {"question_id": q, "score": s, "confidence": 0.9, "evidence": f"(about {q})", "turn": 1}
                   for q, s in before.items()}
        phase = it.get("phase", "confirm")
        values: dict = {"answers": answers, "phase": phase}
        if phase == "interview" and it.get("current"):
            values |= {"current": it["current"], "asking": [it["current"]]}
        iv.graph.update_state(iv.config, values, as_node="confirm" if phase == "confirm" else "ask")
        iv.refresh()
        said = iv.reply(it["utterance"])
        st = iv.state
        diff = {q: a["score"] for q, a in st.get("answers", {}).items() if before.get(q) != a["score"]}
        expect, pending = it["expect"], st.get("pending") or {}
        action = expect["action"]
        if action == "confirm":
            ok = st.get("phase") == "done"
        elif action == "show_list":
            ok = bool(said) and "Here is what I understood" in said[-1] and not diff
        elif action == "correct":
            ok = diff == {q: int(s) for q, s in (expect.get("changes") or {}).items()}
        else:  # choose: options offered for the question named, nothing changed yet
            qs = expect.get("questions") or []
            ok = not diff and (pending.get("kind") == "options" and pending.get("question") in qs if qs
                               else st.get("phase") != "done")
        right[action] = right.get(action, 0) + ok
        total[action] = total.get(action, 0) + 1
    n = sum(total.values())
    print(json.dumps({"items": n, "right": sum(right.values()), "share": round(sum(right.values()) / n, 3),
                      **{a: f"{right[a]}/{total[a]}" for a in total}}, indent=1))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "evals/blind/review_utterances.yaml")
