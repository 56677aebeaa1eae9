"""Follow-up answers after the report, measured (not a test): routing, citing the right section,
and declining what the model does not cover.

Each item of the file is {id, question, topic: {kind, id}, also: [...], cites: [heading paths]}
(evals/followups/blind.yaml: written blind, by a session that read only the framework and the
rubric). The questions are asked, one by one, after the sample interview (evals/interviews/
acme-retail-l2.yaml, level 2) through `answer_followup` — what the chat and `aiops-assess ask`
use — with the configured model (the offline engine by default; AIOPS_MODEL=... for an LLM).

- routing: the topic the answer is about (question qN, dimension, a part of the result, a term,
  or out of scope) equals the label, or one of `also`;
- right section: for questions whose label cites sections, a cited passage lies in one of them
  (the same section, or inside it; "Level 1 to Level 2: Consolidation" and "Level 1 to Level 2"
  are the same heading);
- out of scope declined: the share of out-of-scope questions answered "the model doesn't say",
  and how many answerable questions were declined.

Run: uv run python benchmarks/bench_followups.py [evals/followups/blind.yaml] [-v]
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from pathlib import Path

import yaml
from langgraph.checkpoint.memory import InMemorySaver

os.environ.setdefault("AIOPS_DATA_DIR", tempfile.mkdtemp())
os.environ.setdefault("AIOPS_MODEL", "offline/rubric")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from agent.app import App  # noqa: E402 - after the environment it reads
from agent.common.config import load_settings  # noqa: E402
from agent.reporting.followup_answer import answer_followup  # noqa: E402
from agent.retrieval.chunks import SEP  # noqa: E402


def section_key(path: str) -> tuple[str, ...]:
    """A heading path compared loosely: case, spacing and a level guide's subtitle do not count."""
    parts = []
    for part in path.split(SEP.strip()):
        p = " ".join(part.strip().lower().split())
        p = re.sub(r"^(level \d to level \d):.*$", r"\1", p)
        parts.append(p)
    return tuple(x for x in parts if x)


def cites_right(sources: list[str], gold: list[str]) -> bool:
    sources = [re.sub(r"\s*\[[a-z0-9-]+\]$", "", s) for s in sources]  # "Section [chunk-id]"
    keys = [section_key(g) for g in gold]
    return any(section_key(s)[:len(k)] == k for s in sources for k in keys)


def _finished_session(app: App) -> dict:
    from helpers import TO_REVIEW

    iv = app.interview("bench-followups", InMemorySaver())
    iv.start()
    for r in [*TO_REVIEW, "yes, looks right"]:
        iv.reply(r)
    assert iv.is_done, "the sample interview did not reach the report"
    return dict(iv.state)


def _topic(ans, rubric) -> tuple[str, str]:
    topic = getattr(ans, "topic", None)
    if topic is not None:
        return topic.kind, topic.id
    # Before issue 14 answers named no topic: derive one from the old parse of the question.
    from agent.reporting.followup import parse_question

    if not ans.covered:
        return "out_of_scope", "none"
    q = parse_question(ans.question, rubric)
    if q.question_id:
        return "question", q.question_id
    if q.intent == "first_steps":
        return "result", "priorities"
    if q.intent == "transition":
        return "result", "next_level"
    if q.intent == "kpis":
        return "result", "level"
    if q.dimension:
        return "dimension", q.dimension
    return "unknown", ""


def main(path: str, verbose: bool) -> dict:
    app = App(load_settings())
    values = _finished_session(app)
    items = yaml.safe_load(Path(path).read_text())["questions"]
    routed = right = with_cites = oos = oos_declined = declined_answerable = 0
    misses = []
    for it in items:
        ans, _calls = answer_followup(app.reporting(), values, it["question"])
        kind, tid = _topic(ans, app.rubric)
        gold = (it["topic"]["kind"], str(it["topic"]["id"]).lower())
        ok_route = (kind, tid.lower()) == gold or tid.lower() in {str(a).lower() for a in it.get("also") or []}
        routed += ok_route
        if it["topic"]["kind"] == "out_of_scope":
            oos += 1
            oos_declined += not ans.covered
        elif not ans.covered:
            declined_answerable += 1
        ok_cite = None
        if it["cites"] and it["topic"]["kind"] != "out_of_scope":
            with_cites += 1
            ok_cite = cites_right(ans.sources, it["cites"])
            right += ok_cite
        if verbose and (not ok_route or ok_cite is False):
            misses.append({"id": it["id"], "q": it["question"], "gold": gold, "got": (kind, tid),
                           "covered": ans.covered, "sources": ans.sources[:3], "gold_cites": it["cites"][:2]})
    n = len(items)
    out = {"file": path, "model": app.model, "questions": n,
           "routing": round(routed / n, 3),
           "right_section": round(right / with_cites, 3) if with_cites else None,
           "out_of_scope_declined": round(oos_declined / oos, 3) if oos else None,
           "answerable_declined": declined_answerable}
    for m in misses:
        print(json.dumps(m, ensure_ascii=False))
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    main(args[0] if args else str(ROOT / "evals/followups/blind.yaml"), "-v" in sys.argv)
