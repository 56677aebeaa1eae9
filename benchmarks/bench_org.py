"""Organizations: (1) how well the offline engine's readings of recorded respondents aggregate to the
gold round (evals/organizations/, written blind), and (2) how long `org show` takes for a large
organization (50 respondents × 8 rounds).

    uv run python benchmarks/bench_org.py [--model offline/rubric] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def reading_accuracy(model: str) -> dict:
    """Per round: the engine's aggregate against the gold aggregate."""
    os.environ.setdefault("AIOPS_DATA_DIR", tempfile.mkdtemp())
    os.environ["AIOPS_MODEL"] = model
    from agent.app import App
    from agent.common.config import load_settings
    from agent.core.aggregation import aggregate_round
    from agent.evaluation.organizations import gold_aggregate, load_organizations, replay
    from agent.evaluation.runner import read_transcript
    from agent.storage.organizations import OrgStore

    app = App(load_settings())
    orgs = load_organizations(ROOT / "evals" / "organizations")
    store = OrgStore(f"sqlite:///{tempfile.mkdtemp()}/orgs.sqlite")
    per_answer = [0, 0, 0]  # exact, answered, gold answers

    def engine(person):
        answers, _calls, _turns = read_transcript(app.services(person.id), person.transcript)
        for q, s in person.expected.answers.items():
            per_answer[2] += 1
            if q in answers:
                per_answer[1] += 1
                per_answer[0] += answers[q]["score"] == s
        return answers

    replay(store, orgs, engine)
    exact = within = answered = total_q = 0
    flags_tp = flags_fp = flags_fn = 0
    levels = level_in_range = rounds = 0
    for org in orgs:
        o = store.org(org.name)
        for rnd in org.rounds:
            gold = gold_aggregate(app.rubric, rnd)
            data = store.round_data(o, rnd.name)
            got = aggregate_round(app.rubric, data.answers)
            rounds += 1
            for g in gold.questions:
                if g.median is None:
                    continue
                total_q += 1
                p = got.question(g.question)
                if p.median is not None:
                    answered += 1
                    exact += p.median == g.median
                    within += abs(p.median - g.median) <= 1
                flags_tp += g.disagreement and p.disagreement
                flags_fn += g.disagreement and not p.disagreement
            flags_fp += sum(1 for p in got.questions if p.disagreement and not gold.question(p.question).disagreement)
            gl = gold.assessment.level if gold.assessment.level is not None else gold.level_range[0]
            levels += got.assessment.level == gl
            level_in_range += got.level_range[0] <= gl <= got.level_range[1]
    return {
        "model": model, "organizations": len(orgs), "rounds": rounds,
        "respondent_answers_exact": round(per_answer[0] / per_answer[2], 3),
        "respondent_answers_coverage": round(per_answer[1] / per_answer[2], 3),
        "aggregate_exact": round(exact / total_q, 3), "aggregate_within_one": round(within / total_q, 3),
        "aggregate_coverage": round(answered / total_q, 3),
        "disagreements_found": f"{flags_tp}/{flags_tp + flags_fn}", "disagreements_false": flags_fp,
        "level_exact": f"{levels}/{rounds}", "gold_level_in_range": f"{level_in_range}/{rounds}",
    }


def org_show_timing(respondents: int = 50, rounds: int = 8) -> dict:
    """Fill a store with a large organization, then time `org show` (each format) in a new process."""
    data_dir = Path(tempfile.mkdtemp())
    env = {**os.environ, "AIOPS_DATA_DIR": str(data_dir), "AIOPS_MODEL": "offline/rubric"}
    from agent.storage.organizations import OrgStore

    store = OrgStore(f"sqlite:///{data_dir}/organizations.sqlite")
    rng = random.Random(7)
    for r in range(rounds):
        rnd = f"{2025 + r // 4}-Q{r % 4 + 1}"
        for i in range(respondents):
            session = f"big-{r}-{i}"
            store.attach(session, "Big Bank", rnd, respondent=f"person {i}", role=rng.choice(["Platform", "Security", "Finance"]))
            base = min(5, r // 2 + rng.randint(0, 2))
            store.record(session, "done", {f"q{q}": {"score": max(0, min(5, base + rng.randint(-1, 1))),
                                                     "evidence": f"person {i} on q{q} in {rnd}", "source": "direct"}
                                           for q in range(1, 13)})
    out = {}
    for fmt in ("md", "json", "html"):
        times = []
        for _ in range(3):
            t = time.perf_counter()
            subprocess.run([sys.executable, "-m", "agent", "org", "show", "big-bank", "--format", fmt, "--out",
                            str(data_dir / f"show.{fmt}")], check=True, env=env, cwd=ROOT, capture_output=True)
            times.append(time.perf_counter() - t)
        out[f"org_show_{fmt}_s"] = round(statistics.median(times), 3)
    # in-process (the web page's cost): build the view and render it, warm
    from agent.core.rubric import load_rubric
    from agent.core.transitions import load_transitions
    from agent.reporting.org.markdown import render_round
    from agent.reporting.org.view import build_round_view

    rubric, transitions = load_rubric(), load_transitions()
    build_round_view(store, rubric, transitions, "big-bank")
    t = time.perf_counter()
    for _ in range(5):
        render_round(rubric, build_round_view(store, rubric, transitions, "big-bank"))
    out["view_and_markdown_in_process_s"] = round((time.perf_counter() - t) / 5, 3)
    out["respondents"], out["rounds"] = respondents, rounds
    return out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="offline/rubric")
    p.add_argument("--json", action="store_true")
    p.add_argument("--skip-timing", action="store_true")
    args = p.parse_args()
    result = {"reading": reading_accuracy(args.model)}
    if not args.skip_timing:
        result["timing"] = org_show_timing()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
