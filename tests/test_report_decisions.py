"""A report that leads with decisions (issue 14, item 3): plain language, the three things to do
first with why, every dimension with a gap covered (security and sensitive data included), "See:"
pointing only at where the listed actions come from, no organization-wide padding in a dimension,
and a report that reads in an 80-column terminal. Through the report's public functions
(`render_markdown`, `render_json`, `write_advice`) and the CLI."""

from __future__ import annotations

import json
import re

import pytest

from agent.app import build_gateway
from agent.common.config import load_settings
from agent.core.rubric import QUESTION_IDS
from agent.core.schemas import AnswerRecord
from agent.core.scoring import score
from agent.reporting.advice_writer import write_advice
from agent.reporting.context import ReportingContext
from agent.reporting.export import render_json
from agent.reporting.markdown import render_markdown
from agent.reporting.result import AssessmentResult, build_result
from agent.retrieval.retriever import Retriever
from tests.helpers import TO_REVIEW

# A vet-clinic chain at Level 1 (total 13): every app on one shared OpenAI key, a policy for client
# data, team wrapper libraries, invoices only.
VET = {"q1": 1, "q2": 1, "q3": 1, "q4": 1, "q5": 1, "q6": 2, "q7": 1, "q8": 1, "q9": 1, "q10": 1, "q11": 1, "q12": 1}
VET_SAID = {"q11": "every app uses the same shared OpenAI key",
            "q12": "staff are told not to paste client details into prompts",
            "q1": "each clinic team wrote its own little wrapper library"}
# Level 2 (total 22) as in the sample interview.
LEVEL2 = {"q1": 2, "q2": 2, "q3": 2, "q4": 2, "q5": 1, "q6": 3, "q7": 2, "q8": 1, "q9": 2, "q10": 2, "q11": 2, "q12": 1}


def records(scores: dict[str, int], said: dict[str, str] | None = None) -> dict[str, AnswerRecord]:
    said = said or {}
    return {q: AnswerRecord(question_id=q, score=s, confidence=0.9, evidence=said.get(q, f"what we do for {q}"), turn=1)
            for q, s in scores.items()}


@pytest.fixture(scope="module")
def retriever(tmp_path_factory):
    s = load_settings().model_copy(update={"data_dir": tmp_path_factory.mktemp("decisions")})
    return Retriever(s).open()


def grounded(rubric, transitions, retriever, scores, said=None, organization="Petwell Vet Clinics") -> AssessmentResult:
    """The result as the interview's report step makes it: advice from retrieved passages."""
    s = retriever.settings
    svc = ReportingContext(rubric=rubric, transitions=transitions, gateway=build_gateway(s),
                           retriever=lambda: retriever, top_k=s.retrieval.top_k)
    recs = records(scores, said)
    result = build_result(rubric, "vet", recs, model="offline/rubric", organization=organization,
                          assessed_on="2026-03-01")
    result.advice = write_advice(svc, score(rubric, scores), recs).advice
    return result


def from_guides(rubric, scores, said=None, **kw) -> AssessmentResult:
    """The result without retrieval (older sessions, or the index unavailable)."""
    kw.setdefault("model", "offline/rubric")
    return build_result(rubric, "g", records(scores, said), assessed_on="2026-03-01", **kw)


def section(md: str, heading: str) -> str:
    return md.split(f"\n{heading}\n", 1)[1].split("\n## ", 1)[0]


def unwrap(text: str) -> str:
    """Lines wrapped at 80 columns joined back into their paragraph or list item."""
    out: list[str] = []
    for line in text.splitlines():
        starts = re.match(r"^(#|\||- |\d+\. |\*\*|$)", line.lstrip() if line.startswith("   - ") else line)
        if out and out[-1].strip() and not out[-1].startswith(("#", "|")) and not starts:
            out[-1] = out[-1].rstrip() + " " + line.strip()
        else:
            out.append(line)
    return "\n".join(out)


def first_steps(md: str) -> list[str]:
    """The three things to do first: each numbered item with its sub-items, unwrapped."""
    body = section(md, "## The three things to do first")
    return [unwrap(item) for item in re.split(r"\n(?=\d\. )", body.split("\n\n", 1)[1].strip())]


def plan_groups(md: str, horizon: str) -> dict[str, list[str]]:
    """One horizon of the plan: {group title: its checklist lines, unwrapped}."""
    body = unwrap(md.split(f"### {horizon}", 1)[1].split("\n### ", 1)[0].split("\n## ", 1)[0])
    groups: dict[str, list[str]] = {}
    title = None
    for line in body.splitlines():
        if m := re.match(r"^\*\*(.+?)\*\*$", line):
            title = re.sub(r" \(\w+ priority\)$", "", m.group(1))
            groups[title] = []
        elif line.startswith("- [ ] ") and title:
            groups[title].append(line)
    return groups


# -- (a) plain language -------------------------------------------------------------------------------


@pytest.mark.parametrize("scores", [VET, LEVEL2, dict.fromkeys(QUESTION_IDS, 5), {"q1": 2, "q3": 1, "q11": 0}])
def test_the_report_speaks_plain_language(rubric, transitions, scores):
    md = render_markdown(rubric, transitions, from_guides(rubric, scores, organization="Petwell Vet Clinics"))
    assert not re.search(r"\bseed\b", md, re.IGNORECASE), re.findall(r".*\bseed\b.*", md, re.IGNORECASE)
    assert "planned from" not in md.lower() and "chunk" not in section(md, "## Executive Summary")
    summary = unwrap(section(md, "## Executive Summary"))
    assert "of the AI Operations Maturity Model" in summary and "Petwell Vet Clinics" in summary


def test_the_summary_names_what_works_the_largest_gaps_and_where_to_start(rubric, transitions, retriever):
    md = render_markdown(rubric, transitions, grounded(rubric, transitions, retriever, LEVEL2))
    summary = unwrap(section(md, "## Executive Summary"))
    assert "Petwell Vet Clinics is at Level 2 (Organized) of the AI Operations Maturity Model, with 22 of 60 points" in summary
    assert "Largest gaps to close: Orchestration (1.5 of 3.0; tool use: “Predefined simple tools”); " \
           "Security (1.5 of 3.0; sensitive data: “Policy/training only”)" in summary
    assert "Start with: move q12 (Sensitive data)" in summary


def test_a_summary_written_by_a_model_is_kept_and_followed_by_where_to_start(rubric, transitions):
    res = from_guides(rubric, VET, model="openai/gpt-5.4-mini", summary="The clinics run AI reactively.")
    summary = unwrap(section(render_markdown(rubric, transitions, res), "## Executive Summary"))
    assert "The clinics run AI reactively." in summary and "Start with: " in summary


# -- (b) the three things to do first ------------------------------------------------------------------


def test_three_steps_come_first_each_with_why_order_effort_and_source(rubric, transitions, retriever):
    res = grounded(rubric, transitions, retriever, LEVEL2)
    md = render_markdown(rubric, transitions, res)
    headings = [line for line in md.splitlines() if line.startswith("## ")]
    assert headings[:3] == ["## Executive Summary", "## The three things to do first", "## Dimension Scores"]
    steps = first_steps(md)
    assert len(steps) == 3
    for step in steps:
        for label in ("- Why: ", "- Order: ", "- Effort: ", "- Source: "):
            assert label in step, step
    dims = [re.search(r"\*\* \((\w+)\)", s).group(1) for s in steps]
    assert len(set(dims)) == 3  # three different needs
    data = json.loads(render_json(res, rubric, transitions))
    assert [s["name"] for s in data["advice"]["first_steps"]] == dims
    short = data["advice"]["short_term"]
    assert [a["text"] for a in short[:3]] == [s["action"]["text"] for s in data["advice"]["first_steps"]]
    for n, s in enumerate(data["advice"]["first_steps"], 1):  # and marked in the full plan
        assert f"— first step {n} *(" in unwrap(md.split("## Recommended Actions")[1])
        assert s["action"]["cites"]  # still sourced


def test_the_gateway_comes_before_the_cost_controls_that_need_it(rubric, transitions, retriever):
    # Cost is the weakest (High priority), but its dashboard and alerts need the gateway first.
    scores = VET | {"q9": 0, "q10": 0, "q3": 2}
    md = render_markdown(rubric, transitions, grounded(rubric, transitions, retriever, scores))
    first = first_steps(md)[0]
    assert first.startswith("1. **Deploy LiteLLM (start with Docker)** (Gateway)")
    assert "cost understanding (q9)" in first and "cost per application is read from the gateway" in first
    assert "That also serves Cost, High priority." in first
    cost = plan_groups(md, "Short-term (0-3 months)")["Cost"]
    assert any(x.startswith("- [ ] Create basic cost dashboard") for x in cost)
    actions = unwrap(md.split("## Recommended Actions")[1])
    assert actions.index("Deploy LiteLLM") < actions.index("Create basic cost dashboard")


def test_tracing_comes_before_the_evaluation_that_scores_traces(rubric, transitions, retriever):
    md = render_markdown(rubric, transitions, grounded(rubric, transitions, retriever, LEVEL2 | {"q5": 2, "q8": 2, "q12": 2}))
    steps = first_steps(md)
    tracing = next(s for s in steps if "(Observability)" in s)
    assert tracing.startswith(("1. **Deploy Langfuse", "2. **Deploy Langfuse", "3. **Deploy Langfuse"))
    assert "output quality (q4)" in tracing and "automated evaluation scores traced requests" in tracing
    obs = plan_groups(md, "Short-term (0-3 months)")["Observability"]
    assert obs[0].startswith("- [ ] Deploy Langfuse")
    assert max(i for i, x in enumerate(obs) if "Langfuse" in x or "trace" in x) < \
        min(i for i, x in enumerate(obs) if "evaluation" in x)


@pytest.mark.parametrize("weakest, expected", [
    ("security", "Security"), ("memory", "Memory"), ("orchestration", "Orchestration"), ("observability", "Observability"),
])
def test_the_first_step_follows_this_organizations_largest_gap(rubric, transitions, retriever, weakest, expected):
    scores = dict(LEVEL2 | {"q5": 2, "q8": 2, "q12": 2, "q6": 2})  # every dimension at 2.0
    q1, q2 = (q.id for q in rubric.questions_in(weakest))
    scores[q1], scores[q2] = 1, 1  # ... but this one
    steps = first_steps(render_markdown(rubric, transitions, grounded(rubric, transitions, retriever, scores)))
    assert f"({expected})" in steps[0].splitlines()[0] or f"{expected}, High priority" in steps[0]
    assert f"{expected} is your largest gap" in steps[0] or f"serves {expected}" in steps[0]


# -- (c) every dimension with a gap gets an action, security and sensitive data included ---------------


def test_security_gets_its_actions_from_the_passages_and_the_next_option_for_pii(rubric, transitions, retriever):
    # Security is a High-priority area here, and the "Week 1-2: Gateway Setup" passage retrieved for
    # the gateway holds "Set up basic authentication": it used to get no action at all.
    res = grounded(rubric, transitions, retriever, VET, VET_SAID)
    advice = json.loads(render_json(res, rubric, transitions))["advice"]
    assert any(a["name"] == "Security" for a in advice["improvement_areas"])
    near = [a for a in advice["short_term"] + advice["medium_term"] if a["dimensions"][0] == "security"]
    assert [a["text"] for a in near if a["text"] == "Set up basic authentication"], near
    assert [a for a in near if a["reaches"] == {"q12": 2} and a["next_option"]], near  # sensitive data
    md = render_markdown(rubric, transitions, res)
    security = plan_groups(md, "Short-term (0-3 months)")["Security"]
    assert any(x.startswith("- [ ] Set up basic authentication") and "Week 1-2: Gateway Setup" in x for x in security)
    pii = next(x for x in security if "q12" in x)
    assert pii.startswith("- [ ] The framework's next option: move q12 (Sensitive data) from “Policy/training "
                          "only” to “Manual review for sensitive cases”")
    assert "Quick Assessment Questionnaire › Question 12" in pii


@pytest.mark.parametrize("seed", range(12))
def test_every_dimension_with_a_gap_has_a_near_term_action(rubric, transitions, retriever, seed):
    import random

    rng = random.Random(seed)
    scores = {q: rng.randint(0, 4) for q in QUESTION_IDS}
    for res in (grounded(rubric, transitions, retriever, scores), from_guides(rubric, scores)):
        data = json.loads(render_json(res, rubric, transitions))["advice"]
        near = data["short_term"] + data["medium_term"]
        for area in data["improvement_areas"]:
            mine = [a for a in near if a["dimensions"][0] == area["dimension"]]
            assert mine, (area["name"], scores)
            # its weakest answers are each moved by some action
            answers = {q.id: scores[q.id] for q in rubric.questions_in(area["dimension"])}
            for qid in (q for q, s in answers.items() if s == min(answers.values())):
                assert any(a["reaches"].get(qid, 0) > scores[qid] for a in near), (qid, scores)
        for a in near + data["long_term"]:
            assert a["cites"] and a["source"]
            if a["next_option"]:
                assert a["cites"][0].startswith("questionnaire-q") and a["text"].startswith("Move q")


# -- (d) "See:" and (e) no padding ----------------------------------------------------------------------


@pytest.mark.parametrize("scores", [VET, LEVEL2, VET | {"q9": 0, "q10": 0}])
def test_see_lists_only_the_sections_the_listed_actions_come_from(rubric, transitions, retriever, scores):
    res = grounded(rubric, transitions, retriever, scores)
    md = render_markdown(rubric, transitions, res)
    advice = json.loads(render_json(res, rubric, transitions))["advice"]
    planned = advice["short_term"] + advice["medium_term"] + advice["long_term"]
    areas = unwrap(section(md, "## Improvement Areas")).splitlines()
    for area in advice["improvement_areas"]:
        line = next(x for x in areas if f". {area['name']} - Priority:" in x)
        listed = set(line.split(" See: ", 1)[1].rstrip(".").split("; ")) if " See: " in line else set()
        sources = {s for a in planned if a["dimensions"][0] == area["dimension"] for s in a["source"].split("; ")}
        assert listed == sources, area["name"]
        assert "Goal and Success Criteria" not in line


def test_a_dimension_lists_only_actions_about_it(rubric, transitions, retriever):
    md = render_markdown(rubric, transitions, grounded(rubric, transitions, retriever, VET | {"q9": 0, "q10": 0}))
    dims_of = {it.text: it.dimensions for g in transitions.guides for b in g.blocks for it in b.items}
    names = {d.name: d.id for d in rubric.dimensions}
    for horizon in ("Short-term (0-3 months)", "Medium-term (3-6 months)", "Long-term (6-12 months)"):
        for title, lines in plan_groups(md, horizon).items():
            for line in lines:
                text = re.sub(r" — first step \d", "", line.removeprefix("- [ ] ").split(" *(", 1)[0])
                if text.startswith("The framework's next option: move "):
                    qid = text.split()[5]
                    assert rubric.question(qid).dimension == names[title], line
                elif title == "Across the organization":
                    assert dims_of[text] == ["general"], line
                else:
                    assert names[title] in dims_of[text], line  # no runbooks or documentation under Cost
    cost = [x.split(" *(")[0] for x in plan_groups(md, "Short-term (0-3 months)")["Cost"]]
    assert cost and not any("runbook" in x.lower() or "Document" in x for x in cost), cost
    assert any("Create runbooks for common issues" in x for x in plan_groups(md, "Short-term (0-3 months)")
               .get("Across the organization", [])) or "runbooks" not in md


# -- (f) 80 columns ------------------------------------------------------------------------------------


def test_the_report_reads_in_an_80_column_terminal_and_json_keeps_every_word(rubric, transitions, retriever):
    long_quote = ("We have a policy that says not to paste customer data, and a training every spring, and "
                  "a poster in the kitchen, and the legal team reviews the policy once a year, but nothing "
                  "technical stops anyone from pasting a client's file into a prompt if they want to, really")
    said = VET_SAID | {"q12": long_quote}
    res = grounded(rubric, transitions, retriever, VET, said, organization="Petwell Vet Clinics " + "and Partners " * 8)
    md = render_markdown(rubric, transitions, res)
    too_wide = [line for line in md.splitlines() if len(line) > 80]
    assert not too_wide, too_wide
    evidence = section(md, "## Answers and evidence")
    assert len([line for line in evidence.splitlines() if re.match(r"^\| q\d+ \|", line)]) == 12
    assert "| q12 | Sensitive data | Policy/training only | 1/5 |" in evidence
    said_q12 = next(x for x in unwrap(evidence).splitlines() if x.startswith("- **q12**"))
    assert said_q12.endswith("…” (0.90)") and long_quote not in unwrap(evidence)
    assert "`report --format json` has them whole" in unwrap(evidence)
    data = json.loads(render_json(res, rubric, transitions))
    assert data["answers"]["q12"]["evidence"] == long_quote


def test_partial_and_top_level_reports_fit_80_columns_too(rubric, transitions):
    for scores in ({"q1": 1, "q12": 0}, dict.fromkeys(QUESTION_IDS, 5), {}):
        md = render_markdown(rubric, transitions, from_guides(rubric, scores))
        assert all(len(line) <= 80 for line in md.splitlines()), scores


def test_json_keeps_its_keys_and_adds_the_first_steps(rubric, transitions, retriever):
    data = json.loads(render_json(grounded(rubric, transitions, retriever, VET), rubric, transitions))
    assert {"session", "organization", "assessed_on", "assessed_by", "model", "rubric_version", "assessment",
            "answers", "finished_early", "summary", "usage", "notes", "advice"} <= set(data)
    assert {"current_level", "target_level", "guide", "strengths", "improvement_areas", "short_term", "medium_term",
            "long_term", "already_in_place", "resources", "expected_outcomes", "kpi_level", "kpi_tracking", "kpis",
            "notes", "grounded", "written_by", "passages", "organization_passages", "first_steps"} <= set(data["advice"])
    step = data["advice"]["first_steps"][0]
    assert {"action", "dimension", "name", "why", "unlocks"} <= set(step) and len(step["why"]) == 3
    assert {"text", "source", "dimensions", "pending", "cites", "term", "next_option", "reaches", "weeks"} <= set(step["action"])


# -- through the CLI ------------------------------------------------------------------------------------


def test_the_sample_interviews_report_leads_with_decisions(aiops, monkeypatch):
    r = aiops(["chat", "--session", "acme", "--org", "Acme Retail"], "\n".join([*TO_REVIEW, "yes"]) + "\n")
    assert r.returncode == 0, r.stderr
    monkeypatch.setenv("COLUMNS", "80")
    md = aiops(["report", "--session", "acme"]).stdout
    assert not re.search(r"\bseed\b", md, re.IGNORECASE) and "planned from" not in md.lower()
    assert all(len(line) <= 80 for line in md.splitlines())
    assert md.index("## The three things to do first") < md.index("## Dimension Scores")
    steps = first_steps(md)
    assert len(steps) == 3 and "q12 (Sensitive data)" in steps[0]  # the sample only has a policy for PII
    security = plan_groups(md, "Short-term (0-3 months)")["Security"]
    assert security and all("Question 1" in x for x in security)  # the questionnaire's next options, sourced
    area = next(x for x in unwrap(section(md, "## Improvement Areas")).splitlines() if ". Security - Priority" in x)
    assert "See: Self-Assessment Tool › Quick Assessment Questionnaire › Question 12" in area
    assert "Transition Guides" not in area  # no guide passage gave security an action here
    js = json.loads(aiops(["report", "--session", "acme", "--format", "json"]).stdout)
    assert len(js["advice"]["first_steps"]) == 3 and js["organization"] == "Acme Retail"
