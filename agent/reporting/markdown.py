"""The assessment report in Markdown, following the seed's "Detailed Assessment Report Template".

Rendering is pure: it receives the rubric, the transition guides and a result, and never reads
files or calls models (the executive-summary prose, if any, is already in `result.summary`).
"""

from __future__ import annotations

from agent.core.rubric import Rubric
from agent.core.scoring import Assessment, DimensionScore, level_text
from agent.core.transitions import Transitions
from agent.reporting.advice import Action, Advice, planning_level
from agent.reporting.result import ATTRIBUTION, AssessmentResult, advice_of

# -- formatting helpers -------------------------------------------------------------------------


def _cell(text: object) -> str:
    """Table-safe text: a raw `|` would split the cell, a newline would end the row."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _num(x: float | None) -> str:
    return "—" if x is None else f"{x:.1f}"


def partial_banner(rubric: Rubric, a: Assessment) -> str:
    """The partial-assessment notice shown at the top of the report."""
    answered = len(rubric.questions) - len(a.missing)
    missing = "; ".join(f"{q} ({rubric.question(q).text})" for q in a.missing)
    return f"Partial assessment: {answered} of {len(rubric.questions)} questions answered; missing: {missing}"


def _gap_text(rubric: Rubric, a: Assessment, advice: Advice) -> str:
    if advice.guide is None:
        return "None: Level 5 is the top of the model."
    band = next(b for b in rubric.bands if b.level == a.target_level)
    big = sorted((d for d in a.dimensions if d.gap), key=lambda d: -(d.gap or 0))[:3]
    gaps = ", ".join(f"{d.name} ({d.gap:.1f})" for d in big) or "none by dimension"
    if a.level is None:
        lo, hi = a.level_range
        return (
            f"Not final: the {len(a.missing)} missing answers could place the organization anywhere "
            f"from Level {lo} to Level {hi}. Planned from Level {lo} toward Level {a.target_level} "
            f"({a.target_level_name}); largest gaps so far: {gaps}."
        )
    need = max(0, band.min - a.total)
    return (
        f"One level ({advice.guide}): {need} more points on the questionnaire (total {a.total}/60; "
        f"Level {a.target_level} starts at {band.min}). Largest gaps: {gaps}."
    )


def _default_summary(rubric: Rubric, result: AssessmentResult, advice: Advice) -> str:
    a = result.assessment
    who = result.organization or "the organization"
    strong = ", ".join(s.name for s in advice.strengths) or "no dimension yet"
    weak = ", ".join(i.name for i in advice.improvement_areas[:3]) or "no dimension"
    if a.level is None:
        lo, hi = a.level_range
        head = (
            f"Based on {len(rubric.questions) - len(a.missing)} of {len(rubric.questions)} answers, "
            f"{who} is provisionally between Level {lo} and Level {hi}."
        )
    else:
        head = f"{who[:1].upper()}{who[1:]} operates at {level_text(rubric, a)}, with a total of {a.total}/60."
    return f"{head} Strongest: {strong}. Most to gain toward Level {a.target_level} ({a.target_level_name}): {weak}."


def _current_cell(d: DimensionScore) -> str:
    if d.score is not None and d.missing:
        return f"{_num(d.score)} ({', '.join(d.answered)} only)"
    return _num(d.score)


def _action_line(a: Action) -> str:
    note = f"; may already be in place: {', '.join(a.pending)} not answered" if a.pending else ""
    return f"- [ ] {a.text} *({a.source}{note})*"


def _actions(title: str, actions: list[Action], empty: str) -> list[str]:
    return [f"### {title}", *([_action_line(a) for a in actions] or [f"- {empty}"]), ""]


# -- Markdown -----------------------------------------------------------------------------------


def render_markdown(rubric: Rubric, transitions: Transitions, result: AssessmentResult) -> str:
    """The report in Markdown: the seed's template headings in order, then KPIs, the answers with
    their evidence, and an appendix with usage and attribution."""
    a = result.assessment
    adv = advice_of(rubric, transitions, result)
    out = ["# AI Operations Maturity Assessment Report", ""]
    if not a.complete:
        out += [f"> **{partial_banner(rubric, a)}**", ""]
    out += [
        f"**Organization:** {result.organization or 'Not given'}  ",
        f"**Assessment Date:** {result.assessed_on}  ",
        f"**Assessed By:** {result.assessed_by}",
        "",
        "## Executive Summary",
        "",
        f"**Current Maturity Level:** {level_text(rubric, a)}  ",
        f"**Target Maturity Level:** Level {a.target_level} ({a.target_level_name})"
        + (", provisional" if a.level is None else "")
        + "  ",
        f"**Gap:** {_gap_text(rubric, a, adv)}",
        "",
        result.summary.strip() if result.summary else _default_summary(rubric, result, adv),
        "",
        "## Dimension Scores",
        "",
        "| Dimension | Current | Target | Gap |",
        "|-----------|---------|--------|-----|",
    ]
    out += [f"| {d.name} | {_current_cell(d)} | {_num(d.target)} | {_num(d.gap)} |" for d in a.dimensions]
    if a.missing:
        out += ["", "“—”: not scored, its questions were not answered (missing answers are not counted as 0)."]
    out += ["", "## Strengths", ""]
    for i, s in enumerate(adv.strengths, 1):
        kind = "at or above target" if s.at_target else "highest score so far, below target"
        quote = f" — you said: “{' '.join(s.evidence.split())}”" if s.evidence else ""
        out.append(f"{i}. **{s.name}** ({s.score:.1f}, {kind}): {s.question} “{s.label}”{quote}")
    if not adv.strengths:
        out.append("No dimension has reached its target or scored above 0 yet.")
    out += ["", "## Improvement Areas", ""]
    for i, x in enumerate(adv.improvement_areas, 1):
        seen = [p.section for p in adv.passages if p.for_dimension == x.dimension and p.origin == "framework"]
        see = f" See: {'; '.join(dict.fromkeys(seen))}." if seen else ""
        out.append(f"{i}. {x.name} - Priority: {x.priority} — {x.reason}.{see}")
    if not adv.improvement_areas:
        out.append("No scored dimension is below its target.")
    out += ["", "## Recommended Actions", ""]
    if adv.grounded:
        who = "selected verbatim from" if adv.written_by == "extractive" else f"written by {adv.written_by} from"
        out += [f"Actions {who} the transition-guide passages retrieved for your improvement areas "
                "(sources listed in the appendix); what your answers show is in place is left out.", ""]
    elif adv.guide:
        out += [f"From the seed's transition guide {adv.guide}, focused on the improvement areas.", ""]
    out += _actions("Short-term (0-3 months)", adv.short_term, "Nothing open in the guide for this period.")
    out += _actions("Medium-term (3-6 months)", adv.medium_term, "Nothing further open in the guide.")
    out += _actions("Long-term (6-12 months)", adv.long_term, "No further transition guide (Level 5 is the top).")
    if adv.already_in_place:
        done = "; ".join(x.text for x in adv.already_in_place)
        out += [f"*Already in place according to your answers, so not listed: {done}.*", ""]
    if adv.organization_passages:
        out += ["### From your organization's documents", ""]
        for p in adv.organization_passages:
            excerpt = " ".join(p.text.split())
            excerpt = excerpt if len(excerpt) <= 240 else excerpt[:237].rsplit(" ", 1)[0] + "…"
            out.append(f"- {p.section}" + (f" (for {p.for_dimension})" if p.for_dimension else "") + f": {excerpt}")
        out.append("")
    out += ["## Resource Requirements", ""]
    if adv.resources:
        r = adv.resources
        out += [f"- **People:** {r.people}", f"- **Technology:** {r.technology}",
                f"- **Budget:** {r.budget}", f"- **Timeline:** {r.timeline}"]
    else:
        out.append("No transition ahead; sustain the Level 5 practices.")
    out += ["", "## Expected Outcomes", ""]
    if adv.expected_outcomes:
        out.append(f"By achieving Level {a.target_level} ({a.target_level_name}), the organization will meet the seed's success criteria:")
        out += [f"- {c}" for c in adv.expected_outcomes]
    else:
        out.append("Level 5 is already reached; the seed describes no further level.")
    out += ["", f"## KPIs to track at Level {adv.kpi_level}", ""]
    if adv.kpis:
        out += ["| Metric | Target | Frequency |", "|--------|--------|-----------|"]
        out += [f"| {_cell(k.name)} | {_cell(k.target)} | {_cell(k.frequency)} |" for k in adv.kpis]
        out.append("")
    out += [f"Tracking: {adv.kpi_tracking}", "", "## Answers and evidence", ""]
    out += ["| Q | Question | Answer | Score | Confidence | Evidence |", "|---|---|---|---|---|---|"]
    for q in rubric.questions:
        rec = result.answers.get(q.id)
        if q.id in a.answers:
            chosen = a.answers[q.id]
            conf = f"{rec.confidence:.2f}" if rec else "—"
            ev = f"“{_cell(rec.evidence)}”" if rec and rec.evidence.strip() else "—"
            out.append(f"| {q.id} | {_cell(q.text)} | {_cell(q.label(chosen))} | {chosen}/5 | {conf} | {ev} |")
        else:
            out.append(f"| {q.id} | {_cell(q.text)} | not answered | — | — | — |")
    out += ["", "## Appendix", ""]
    total = f"{a.total}/60"
    if not a.complete:
        total = f"{a.total} from {len(a.answers)} answered questions (final total between {a.total} and {a.max_total} of 60)"
    u = result.usage
    out += [
        f"- Total score: {total}",
        f"- Level: {level_text(rubric, a)}; planned from Level {planning_level(a)}",
        f"- Finished early: {'yes' if result.finished_early else 'no'}",
        f"- Session: {result.session}",
        f"- Model: {result.model}",
        f"- Model calls: {u.model_calls}",
        f"- Tokens: {u.prompt_tokens} prompt, {u.completion_tokens} completion",
        f"- Cost: ${u.cost_usd:.4f}",
        f"- Rubric version: {result.rubric_version}",
    ]
    out += [f"- Note: {n}" for n in [*adv.notes, *result.notes]]
    if adv.passages:
        out += ["", "### Sources", "", "Passages retrieved for the advice (index chunk ids):", ""]
        out += [f"- `{p.id}` — {p.section}" for p in adv.passages]
    out += ["", ATTRIBUTION, ""]
    return "\n".join(out)


