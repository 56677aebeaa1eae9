"""The report: template headings, scores, partial handling, action selection, JSON export."""

from __future__ import annotations

import json
import re

import pytest

from agent.core.calls import Usage
from agent.core.schemas import AnswerRecord
from agent.core.scoring import score
from agent.core.understanding import understanding_lines
from agent.reporting.advice import select_actions
from agent.reporting.export import render_json
from agent.reporting.markdown import render_markdown
from agent.reporting.result import ATTRIBUTION, AssessmentResult, advice_of, build_result

TEMPLATE_HEADINGS = [
    "# AI Operations Maturity Assessment Report",
    "## Executive Summary",
    "## Dimension Scores",
    "## Strengths",
    "## Improvement Areas",
    "## Recommended Actions",
    "### Short-term (0-3 months)",
    "### Medium-term (3-6 months)",
    "### Long-term (6-12 months)",
    "## Resource Requirements",
    "## Expected Outcomes",
]

# Level 1 (total 17): gateway weakest, security strongest.
SCORES = {"q1": 1, "q2": 0, "q3": 2, "q4": 1, "q5": 1, "q6": 2, "q7": 2, "q8": 1,
          "q9": 1, "q10": 1, "q11": 3, "q12": 2}


def records(scores: dict[str, int]) -> dict[str, AnswerRecord]:
    return {
        q: AnswerRecord(question_id=q, score=s, confidence=0.8, evidence=f"evidence for {q}", turn=i)
        for i, (q, s) in enumerate(scores.items())
    }


def make(rubric, scores, **kw) -> AssessmentResult:
    kw.setdefault("model", "offline-test")
    kw.setdefault("assessed_on", "2026-02-01")
    return build_result(rubric, "sess-1", records(scores), **kw)


@pytest.fixture()
def complete(rubric):
    recs = records(SCORES)
    recs["q11"] = recs["q11"].model_copy(update={"evidence": "keys | roles per team"})
    return build_result(
        rubric, "sess-1", recs, model="offline-test", organization="Acme",
        assessed_on="2026-02-01",
        usage=Usage(model_calls=7, prompt_tokens=1234, completion_tokens=321, cost_usd=0.0123),
    )


@pytest.fixture()
def partial(rubric):
    scores = {q: s for q, s in SCORES.items() if q not in ("q5", "q6", "q9")}
    return make(rubric, scores, finished_early=True)


def unwrap(md: str) -> str:
    """The report with its lines wrapped at 80 columns joined back: a list item's indented
    continuation lines, a quote's following lines and a paragraph's following lines."""
    out: list[str] = []
    block = re.compile(r"^(#|\||- |\d+\. |> |\*\*|$)")
    for line in md.splitlines():
        prev = out[-1] if out else ""
        joins = prev.strip() and not prev.startswith(("#", "|")) and (
            (line.startswith("  ") and not line.lstrip().startswith("- "))
            or (line.startswith("> ") and prev.startswith("> "))
            or not block.match(line))
        if joins:
            out[-1] = prev.rstrip() + " " + line.removeprefix("> ").strip()
        else:
            out.append(line)
    return "\n".join(out)


def heading_positions(md: str, headings: list[str]) -> list[int]:
    lines = md.splitlines()
    return [lines.index(h) for h in headings]


# -- rendering ----------------------------------------------------------------------------------


def test_template_headings_in_order(rubric, transitions, complete):
    md = render_markdown(rubric, transitions, complete)
    pos = heading_positions(md, TEMPLATE_HEADINGS)
    assert pos == sorted(pos)
    extra = heading_positions(md, ["## KPIs to track at Level 2", "## Answers and evidence", "## Appendix"])
    assert extra == sorted(extra) and extra[0] > pos[-1]


def test_header_and_levels(rubric, transitions, complete):
    md = render_markdown(rubric, transitions, complete)
    assert "**Organization:** Acme" in md
    assert "**Assessment Date:** 2026-02-01" in md
    assert "**Assessed By:** aiops-assess interview" in md
    assert "**Current Maturity Level:** Level 1 (Reactive)" in md
    assert "**Target Maturity Level:** Level 2 (Organized)" in md
    assert "**Gap:**" in md and "Partial assessment" not in md


def test_dimension_table_values(rubric, transitions, complete):
    md = render_markdown(rubric, transitions, complete)
    assert "| Dimension | Current | Target | Gap |" in md
    assert "| Gateway | 0.5 | 2.0 | 1.5 |" in md
    assert "| Security | 2.5 | 2.0 | 0.0 |" in md
    assert "| Cost | 1.0 | 2.0 | 1.0 |" in md


def test_strengths_and_improvement_areas(rubric, transitions, complete):
    md = render_markdown(rubric, transitions, complete)
    strengths = md.split("## Strengths")[1].split("## Improvement Areas")[0]
    assert "**Security**" in strengths and "keys | roles per team" in strengths
    areas = md.split("## Improvement Areas")[1].split("## Recommended Actions")[0]
    assert re.search(r"^1\. Gateway - Priority: High — ", areas, re.M)
    assert "Cost - Priority: Medium" in areas
    assert "Security" not in areas


def test_evidence_pipes_escaped_in_tables(rubric, transitions, complete):
    md = render_markdown(rubric, transitions, complete)
    row = next(line for line in md.splitlines() if line.startswith("| q11 |"))
    assert row == "| q11 | Access control | Fine-grained access control | 3/5 |"
    said = next(line for line in unwrap(md).splitlines() if line.startswith("- **q11**"))
    assert "keys \\| roles per team" in said


def test_actions_are_checklists_with_sources(rubric, transitions, complete):
    md = unwrap(render_markdown(rubric, transitions, complete))
    short = md.split("### Short-term (0-3 months)")[1].split("### Medium-term")[0]
    assert "- [ ] Deploy LiteLLM (start with Docker) — first step 1 *(Transition Guides › Level 1 to Level 2 › Week 1-2: Gateway Setup)*" in short
    for line in md.splitlines():
        if line.startswith("- [ ] "):
            assert re.search(r"\*\((Transition Guides|Self-Assessment Tool) › .+\)\*$", line), line


def test_resources_outcomes_kpis_appendix(rubric, transitions, complete):
    md = render_markdown(rubric, transitions, complete)
    res = md.split("## Resource Requirements")[1].split("## Expected Outcomes")[0]
    for label in ("**People:**", "**Technology:**", "**Budget:**"):
        assert label in res
    assert "Part-time AI operations role" in res and "4-8 weeks" in res
    outcomes = md.split("## Expected Outcomes")[1].split("## KPIs")[0]
    assert "By achieving Level 2" in outcomes and "- 100% of AI traffic through gateway" in outcomes
    kpis = md.split("## KPIs to track at Level 2")[1].split("## Answers and evidence")[0]
    assert "| Gateway Latency P50 | < 500ms | Real-time |" in kpis and "Tracking: Dashboard" in kpis
    appendix = md.split("## Appendix")[1]
    for text in ("17/60", "offline-test", "Model calls: 7", "1234 prompt", "321 completion", "$0.0123", "1.0.0"):
        assert text in appendix
    assert md.rstrip().endswith(ATTRIBUTION)


def test_model_summary_used_when_given(rubric, transitions):
    res = make(rubric, SCORES, summary="A written summary from the model.")
    md = render_markdown(rubric, transitions, res)
    exec_summary = md.split("## Executive Summary")[1].split("## Dimension Scores")[0]
    assert "A written summary from the model." in exec_summary
    default = unwrap(render_markdown(rubric, transitions, make(rubric, SCORES, model="offline/rubric",
                                                               summary="The organization is at Level 1.")))
    assert "The organization is at Level 1 (Reactive) of the AI Operations Maturity Model, with 17 of 60 points" in default


def test_partial_is_prominent_and_never_zero(rubric, transitions, partial):
    md = unwrap(render_markdown(rubric, transitions, partial))
    lines = md.splitlines()
    banner = next(i for i, line in enumerate(lines) if "Partial assessment: 9 of 12 questions answered" in line)
    assert banner < lines.index("## Executive Summary")
    assert "q5 (Does your AI remember context between sessions?)" in lines[banner]
    assert "q9 (How well do you understand your AI costs?)" in lines[banner]
    assert "**Current Maturity Level:** Level 1–2, provisional" in md
    assert "| Memory | — | 2.0 | — |" in md
    assert "| Cost | 1.0 (q10 only) | 2.0 | 1.0 |" in md
    assert "| q5 | Memory between sessions | not answered | — |" in md
    for q in ("q5", "q6", "q9"):
        row = next(line for line in lines if line.startswith(f"| {q} |"))
        assert "0/5" not in row and "0.0" not in row
    assert "Memory" not in md.split("## Improvement Areas")[1].split("## Recommended Actions")[0]
    assert "Finished early: yes" in md
    assert "final total between 13 and 28 of 60" in md


def test_partial_action_on_unanswered_question_is_flagged(rubric, transitions, partial):
    md = unwrap(render_markdown(rubric, transitions, partial))
    line = next(line for line in md.splitlines() if line.startswith("- [ ] Create basic cost dashboard"))
    assert "may already be in place: q9 not answered" in line


def test_level_five_renders(rubric, transitions):
    md = render_markdown(rubric, transitions, make(rubric, {f"q{i}": 5 for i in range(1, 13)}))
    assert "**Current Maturity Level:** Level 5 (Autonomous)" in md
    assert "## KPIs to track at Level 5" in md
    assert "- [ ]" not in md


# -- action selection ---------------------------------------------------------------------------


def texts(actions):
    return [a.text for a in actions]


def test_satisfied_items_are_skipped(rubric, transitions):
    with_gateway = score(rubric, SCORES | {"q1": 2})  # still Level 1
    assert with_gateway.level == 1
    adv = select_actions(rubric, transitions, with_gateway)
    planned = texts(adv.short_term + adv.medium_term + adv.long_term)
    assert "Deploy LiteLLM (start with Docker)" not in planned
    assert "Deploy LiteLLM (start with Docker)" in texts(adv.already_in_place)
    assert "Add fallback provider" in planned  # q2 is still 0
    without = select_actions(rubric, transitions, score(rubric, SCORES))
    assert "Deploy LiteLLM (start with Docker)" in texts(without.short_term)
    assert "Set up basic authentication" not in texts(without.short_term)  # q11 = 3


def test_every_action_cites_an_existing_seed_section(rubric, transitions):
    sources = {g.source(b) for g in transitions.guides for b in g.blocks}
    for scores in (SCORES, {f"q{i}": 2 for i in range(1, 13)} | {"q11": 1, "q12": 1}, {f"q{i}": 0 for i in range(1, 13)}):
        adv = select_actions(rubric, transitions, score(rubric, scores))
        assert adv.short_term
        for a in adv.short_term + adv.medium_term + adv.long_term:
            assert a.source in sources or a.source.startswith("Self-Assessment Tool › Quick Assessment Questionnaire › Question ")


def test_horizons_follow_guides(rubric, transitions):
    adv = select_actions(rubric, transitions, score(rubric, SCORES))
    assert all("Level 1 to Level 2" in a.source for a in adv.short_term if a.source.startswith("Transition"))
    assert all("Level 2 to Level 3" in a.source for a in adv.long_term)
    assert adv.expected_outcomes == transitions.guide(1).success_criteria
    assert adv.kpi_level == 2 and adv.kpis == transitions.kpis_for(2).metrics


def test_weak_dimension_without_guide_items_gets_questionnaire_step(rubric, transitions):
    # Level 2 with weak security: the L2->L3 guide has no security items.
    scores = {f"q{i}": 2 for i in range(1, 13)} | {"q11": 1, "q12": 1}
    adv = select_actions(rubric, transitions, score(rubric, scores))
    sec = [a for a in adv.short_term if a.dimensions == ["security"]]
    assert sec and "q11" in sec[0].text and "Gateway authentication" in sec[0].text
    assert adv.improvement_areas[0].name == "Security" and adv.improvement_areas[0].priority == "High"


def test_strengths_fall_back_to_highest_scores(rubric, transitions):
    scores = {f"q{i}": 0 for i in range(1, 13)} | {"q3": 1}
    adv = select_actions(rubric, transitions, score(rubric, scores), records(scores))
    assert [s.name for s in adv.strengths] == ["Observability"]
    assert not adv.strengths[0].at_target and adv.strengths[0].evidence == "evidence for q3"


# -- JSON and understanding -----------------------------------------------------------------------


def test_json_round_trips(rubric, transitions, complete, partial):
    for res in (complete, partial):
        text = render_json(res, rubric, transitions)
        data = json.loads(text)
        assert "advice" in data and data["advice"]["short_term"]
        back = AssessmentResult.model_validate_json(text)
        assert back.model_copy(update={"advice": None}) == res
        assert back.advice == advice_of(rubric, transitions, res)
        assert data["advice"]["first_steps"] and len(data["advice"]["first_steps"]) <= 3


def test_understanding_lines(rubric):
    recs = {"q3": AnswerRecord(question_id="q3", score=2, confidence=0.9,
                               evidence="we log every prompt and response", turn=2)}
    lines = understanding_lines(rubric, recs, ["q4"])
    assert lines[0] == ("q3 Tracing — Yes, basic request/response logs (2/5) — "
                        "you said: “we log every prompt and response”")
    assert lines[1].startswith("q4 ") and "not answered" in lines[1]
    assert len(lines) == 2


def test_renders_any_answer_set(rubric, transitions):
    import random

    rng = random.Random(7)
    for _ in range(60):
        qs = rng.sample(sorted(SCORES), rng.randint(0, 12))
        scores = {q: rng.randint(0, 5) for q in qs}
        res = make(rubric, scores)
        md = render_markdown(rubric, transitions, res)
        assert heading_positions(md, TEMPLATE_HEADINGS) == sorted(heading_positions(md, TEMPLATE_HEADINGS))
        assert ("Partial assessment" in md) == (len(scores) < 12)
        back = AssessmentResult.model_validate_json(render_json(res, rubric, transitions))
        assert back.model_copy(update={"advice": None}) == res


def test_a_scoped_respondents_report_names_their_dimensions_not_the_others_as_missing(rubric, transitions):
    """A security lead in an organization round answers q11 and q12 only: their report says so, and
    does not list the ten questions that were never theirs as missing."""
    from agent.reporting.html.render import render_session_html

    result = build_result(rubric, "sec", records({"q11": 3}), model="offline/rubric", scope=["security"])
    md = render_markdown(rubric, transitions, result)
    banner = md.split("\n\n")[1].replace("\n> ", " ")
    assert "asked about Security only, 1 of those 2 questions answered; missing: q12" in " ".join(banner.split())
    assert "q1 (" not in banner and "Partial assessment: 1 of 12" not in md
    html = render_session_html(result, rubric, transitions)
    assert "asked about Security only" in " ".join(html.split())
    unscoped = render_markdown(rubric, transitions, build_result(rubric, "all", records({"q11": 3}),
                                                                 model="offline/rubric"))
    assert "Partial assessment: 1 of 12 questions answered" in unscoped.replace("\n> ", " ")
