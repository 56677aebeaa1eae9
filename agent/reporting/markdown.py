"""The assessment report in Markdown, following the AI Operations Maturity Model's "Detailed
Assessment Report Template", led by the decisions: a plain-language summary and the three things
to do first, then the template's sections with the full plan by dimension.

Rendering is pure: it receives the rubric, the transition guides and a result, and never calls
models (the executive-summary prose, if a model wrote one, is already in `result.summary`); its
wording comes from knowledge/report.yaml. Lines are wrapped at 80 columns, so the Markdown printed
by `aiops-assess report` reads in a terminal as it does rendered on the web page.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from agent.common.providers import is_offline
from agent.common.safe_text import md_cell, md_safe, md_text
from agent.core.attachment import in_scope
from agent.core.rubric import Rubric
from agent.core.scoring import Assessment, DimensionScore, level_text
from agent.core.transitions import Transitions
from agent.reporting.advice import Action, Advice
from agent.reporting.result import ATTRIBUTION, AssessmentResult, advice_of
from agent.reporting.summary_text import action_groups, dimension_of, gap_text, horizons, plan_intro, situation
from agent.reporting.wording import ReportWording, load_report_wording, lower_first

WIDTH = 80
# A wrapped line must not start with what Markdown would read as a list item, heading, quote,
# table row, code fence or heading underline: it would change the document's structure.
_BLOCK_START = re.compile(r"^(?:[-+*]|#{1,6}|\d{1,9}[.)]|[-=]+|[>|].*|`{3,}.*|~{3,}.*)$")

# -- formatting helpers -------------------------------------------------------------------------


def wrap(text: str, first: str = "", rest: str = "", width: int = WIDTH) -> list[str]:
    """`text` on lines of at most `width` characters (a longer word stays whole), the first starting
    with `first`, the others with `rest`. A line never starts with a word Markdown would read as the
    start of a block ("3." or "-"): that word's predecessor moves down with it."""
    lines: list[list[str]] = [[]]
    for word in text.split():
        line = lines[-1]
        used = len(first if len(lines) == 1 else rest) + len(" ".join([*line, word]))
        if not line or used <= width:
            line.append(word)
        elif _BLOCK_START.match(word) and len(line) > 1:
            lines.append([line.pop(), word])
        elif _BLOCK_START.match(word):
            line.append(word)
        else:
            lines.append([word])
    return [(first if i == 0 else rest) + " ".join(words) for i, words in enumerate(lines)]


def _cell(text: object) -> str:
    """Table-safe text: a raw `|` would split the cell, a newline would end the row."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _said(text: object) -> str:
    """Someone's words (a reply, their organization's name or documents) on one line, shown as
    typed: never Markdown or HTML of their own."""
    return md_text(" ".join(str(text).split()))


def _cut(text: str, chars: int) -> tuple[str, bool]:
    """`text` on one line, cut at a word with "…" when longer than `chars`; and whether it was cut."""
    words = " ".join(text.split())
    return (words, False) if len(words) <= chars else (words[:chars].rsplit(" ", 1)[0] + "…", True)


def num(x: float | None) -> str:
    """A score with one decimal, or "—" when there is none."""
    return "—" if x is None else f"{x:.1f}"


def partial_banner(rubric: Rubric, a: Assessment, scope: Sequence[str] | None = None) -> str:
    """The partial-assessment notice shown at the top of the report; for a respondent asked about
    some dimensions only (`scope`), about those (the rest is not theirs to answer)."""
    h = load_report_wording().header
    if scope:
        asked = in_scope(rubric, scope)
        missing = [q for q in a.missing if q in asked]
        names = ", ".join(d.name for d in rubric.dimensions if d.id in scope)
        listed = "; missing: " + "; ".join(f"{q} ({rubric.question(q).text})" for q in missing) if missing else ""
        return h.partial_scoped.format(dimensions=names, answered=len(asked) - len(missing), count=len(asked),
                                       missing=listed)
    missing_text = "; ".join(f"{q} ({rubric.question(q).text})" for q in a.missing)
    return h.partial.format(answered=len(rubric.questions) - len(a.missing), count=len(rubric.questions),
                            missing=missing_text)


def _summary(rubric: Rubric, result: AssessmentResult, advice: Advice, w: ReportWording) -> list[str]:
    """The summary paragraph (written by the model when an LLM was used; the offline engine's would
    only repeat the scores, so the plain-words one is used then) and where to start."""
    model_wrote = result.summary and result.summary.strip() and not is_offline(result.model)
    paragraph = result.summary.strip() if model_wrote and result.summary else situation(rubric, result.assessment, result.organization, advice, w, _said)
    out = [*wrap(" ".join(paragraph.split())), ""]
    if advice.first_steps:
        items = "; ".join(lower_first(s.action.text) for s in advice.first_steps)
        out += [*wrap(w.summary.first.format(items=items)), ""]
    return out


def _step_text(a: Action, w: ReportWording) -> str:
    """The action, labelled when it is the questionnaire's next option rather than a guide item."""
    return f"{w.first.next_option}: {lower_first(a.text)}" if a.next_option else a.text


def _first_steps(advice: Advice, w: ReportWording) -> list[str]:
    f = w.first
    out = [f"## {w.headings.first}", ""]
    if not advice.first_steps:
        return [*out, f.top if advice.guide is None else f.none, ""]
    out += [*wrap(f.intro), ""]
    for i, step in enumerate(advice.first_steps, 1):
        out += wrap(f"**{_step_text(step.action, w)}** ({step.name})", f"{i}. ", "   ")
        for label, text in zip((f.why_label, f.order_label, f.effort_label), step.why, strict=False):
            out += wrap(f"{label}: {text}", "   - ", "     ")
        out += wrap(f"{f.source_label}: {step.action.source}", "   - ", "     ")
    return [*out, ""]


# -- the plan -----------------------------------------------------------------------------------


def _action_lines(a: Action, advice: Advice, w: ReportWording) -> list[str]:
    marks = [w.plan.first_mark.format(n=i) for i, s in enumerate(advice.first_steps, 1) if s.action == a]
    note = f"; {w.plan.pending.format(questions=', '.join(a.pending))}" if a.pending else ""
    text = _step_text(a, w) + (f" — {marks[0]}" if marks else "")
    return wrap(f"{text} *({a.source}{note})*", "- [ ] ", "  ")


def _groups(rubric: Rubric, actions: list[Action], advice: Advice, w: ReportWording) -> list[str]:
    """One horizon's actions grouped by dimension (agent.reporting.summary_text.action_groups)."""
    out: list[str] = []
    for title, mine in action_groups(rubric, actions, advice, w):
        out += [f"**{title}**", ""]
        for a in mine:
            out += _action_lines(a, advice, w)
        out.append("")
    return out


def _plan(rubric: Rubric, a: Assessment, adv: Advice, w: ReportWording) -> list[str]:
    p = w.plan
    out = [f"## {w.headings.actions}", ""]
    intro = plan_intro(adv, w)
    out += [*wrap(intro), ""] if intro else []
    for title, actions, empty in horizons(a, adv, w):
        out += [f"### {title}", ""]
        out += _groups(rubric, actions, adv, w) if actions else [f"- {empty}", ""]
    if adv.already_in_place:
        done = "; ".join(x.text for x in adv.already_in_place)
        out += [*wrap(f"*{p.in_place.format(items=done)}*"), ""]
    if adv.organization_passages:
        out += [f"### {w.headings.organization_documents}", ""]
        for x in adv.organization_passages:
            excerpt, _ = _cut(x.text, 240)
            out += wrap(f"{_said(x.section)}" + (f" (for {x.for_dimension})" if x.for_dimension else "")
                        + f": {_said(excerpt)}", "- ", "  ")
        out.append("")
    return out


def _areas(adv: Advice, w: ReportWording) -> list[str]:
    """Improvement areas, each pointing to the sections its listed actions come from."""
    out = [f"## {w.headings.areas}", ""]
    planned = adv.short_term + adv.medium_term + adv.long_term
    for i, x in enumerate(adv.improvement_areas, 1):
        sections = [s for act in planned if dimension_of(act) == x.dimension for s in act.source.split("; ")]
        see = w.areas.see.format(sections="; ".join(dict.fromkeys(sections))) if sections else ""
        out += wrap(w.areas.line.format(n=i, name=x.name, priority=x.priority, reason=x.reason, see=see), "", "   ")
    if not adv.improvement_areas:
        out.append(w.areas.none)
    return [*out, ""]


# -- the rest -----------------------------------------------------------------------------------


def _current_cell(d: DimensionScore, w: ReportWording) -> str:
    if d.score is not None and d.missing:
        return w.scores.only.format(score=num(d.score), questions=", ".join(d.answered))
    return num(d.score)


def _table(columns: list[str]) -> list[str]:
    return ["| " + " | ".join(columns) + " |", "|" + "|".join("-" * (len(c) + 2) for c in columns) + "|"]


def _evidence(rubric: Rubric, result: AssessmentResult, w: ReportWording) -> list[str]:
    """Every answer in a table narrow enough for an 80-column terminal, then their words, wrapped
    (quotes past `quote_chars` are cut here and kept whole in the JSON export)."""
    a, e = result.assessment, w.evidence
    out = [f"## {w.headings.evidence}", "", *_table(e.columns)]
    for q in rubric.questions:
        if q.id in a.answers:
            out.append(f"| {q.id} | {_cell(q.topic)} | {_cell(q.label(a.answers[q.id]))} | {a.answers[q.id]}/5 |")
        else:
            out.append(f"| {q.id} | {_cell(q.topic)} | {e.not_answered} | — |")
    said = [(q, result.answers.get(q.id)) for q in rubric.questions if q.id in a.answers]
    if not said:
        return [*out, ""]
    out += ["", *wrap(e.said_intro), ""]
    cut_any = False
    for q, rec in said:
        conf = f"{rec.confidence:.2f}" if rec else "—"
        if rec and rec.evidence.strip():
            quote, cut = _cut(rec.evidence, e.quote_chars)
            cut_any |= cut
            out += wrap(e.said_item.format(qid=q.id, quote=md_cell(quote), confidence=conf), "- ", "  ")
        else:
            out += wrap(e.no_quote.format(qid=q.id, confidence=conf), "- ", "  ")
    if cut_any:
        out += ["", *wrap(e.cut_note.format(chars=e.quote_chars))]
    return [*out, ""]


def _resources_and_outcomes(a: Assessment, adv: Advice, w: ReportWording) -> list[str]:
    r = w.resources
    out = [f"## {w.headings.resources}", ""]
    if adv.resources:
        x = adv.resources
        for label, text in ((r.people, x.people), (r.technology, x.technology), (r.budget, x.budget),
                            (r.timeline, x.timeline)):
            out += wrap(f"**{label}:** {text}", "- ", "  ")
    else:
        out.append(r.none)
    out += ["", f"## {w.headings.outcomes}", ""]
    if adv.expected_outcomes:
        out += wrap(w.outcomes.intro.format(level=a.target_level, name=a.target_level_name))
        out += [f"- {c}" for c in adv.expected_outcomes]
    else:
        out.append(w.outcomes.top)
    out += ["", f"## {w.headings.kpis.format(level=adv.kpi_level)}", ""]
    if adv.kpis:
        out += _table(w.kpis.columns)
        out += [f"| {_cell(k.name)} | {_cell(k.target)} | {_cell(k.frequency)} |" for k in adv.kpis]
        out.append("")
    return [*out, w.kpis.tracking.format(tracking=adv.kpi_tracking), ""]


def _appendix(rubric: Rubric, result: AssessmentResult, adv: Advice, w: ReportWording) -> list[str]:
    a, x, u = result.assessment, w.appendix, result.usage
    total = (x.total.format(total=a.total) if a.complete else
             x.total_partial.format(total=a.total, answered=len(a.answers), most=a.max_total))
    level = (x.level.format(level=level_text(rubric, a)) if a.level is not None else
             x.level_partial.format(level=level_text(rubric, a), start=adv.current_level))
    lines = [total, level,
             x.finished_early.format(answer=x.answer_yes if result.finished_early else x.answer_no),
             x.session.format(session=result.session), x.model.format(model=result.model),
             x.calls.format(calls=u.model_calls),
             x.tokens.format(prompt=u.prompt_tokens, completion=u.completion_tokens),
             x.cost.format(cost=u.cost_usd), x.rubric.format(version=result.rubric_version),
             *(x.note.format(note=n) for n in [*adv.notes, *result.notes])]
    out = [f"## {w.headings.appendix}", ""]
    for line in lines:
        out += wrap(line, "- ", "  ")
    if adv.passages:
        out += ["", f"### {w.headings.sources}", "", x.sources_intro, ""]
        for p in adv.passages:
            out += wrap(f"`{p.id}` — {p.section}", "- ", "  ")
    return [*out, "", ATTRIBUTION, ""]


# -- Markdown -----------------------------------------------------------------------------------


def render_markdown(rubric: Rubric, transitions: Transitions, result: AssessmentResult) -> str:
    """The report in Markdown: the summary and the three things to do first, then the template's
    headings in order (the plan grouped by dimension), the KPIs, the answers with their evidence,
    and an appendix with usage, sources and attribution. What people said is quoted as text, and
    the whole is passed through `md_safe`, since the summary and the actions may be written by a
    model that read their replies."""
    w = load_report_wording()
    h = w.header
    a = result.assessment
    adv = advice_of(rubric, transitions, result)
    out = [f"# {w.headings.title}", ""]
    if not a.complete:
        out += [*wrap(f"**{partial_banner(rubric, a, result.scope)}**", "> ", "> "), ""]
    org = _said(result.organization) if result.organization else h.not_given
    out += [
        *wrap(f"**{h.organization}:** {org}")[:-1], wrap(f"**{h.organization}:** {org}")[-1] + "  ",
        f"**{h.date}:** {result.assessed_on}  ",
        f"**{h.assessed_by}:** {result.assessed_by}",
        "",
        f"## {w.headings.summary}",
        "",
        f"**{h.current}:** {level_text(rubric, a)}  ",
        f"**{h.target}:** Level {a.target_level} ({a.target_level_name})"
        + (h.provisional if a.level is None else "") + "  ",
        *wrap(f"**{h.gap}:** {gap_text(rubric, a, adv, w)}"),
        "",
        *_summary(rubric, result, adv, w),
        *_first_steps(adv, w),
        f"## {w.headings.scores}",
        "",
        *_table(w.scores.columns),
    ]
    out += [f"| {d.name} | {_current_cell(d, w)} | {num(d.target)} | {num(d.gap)} |" for d in a.dimensions]
    if a.missing:
        out += ["", *wrap(w.scores.missing)]
    out += ["", f"## {w.headings.strengths}", ""]
    for i, s in enumerate(adv.strengths, 1):
        kind = w.strengths.at_target if s.at_target else w.strengths.relative
        quote = w.strengths.quote.format(said=_said(s.evidence)) if s.evidence else ""
        topic = rubric.question(s.question).topic if s.question else ""
        out += wrap(w.strengths.line.format(n=i, name=s.name, score=f"{s.score:.1f}", kind=kind, qid=s.question,
                                            topic=topic, label=s.label, quote=quote), "", "   ")
    if not adv.strengths:
        out.append(w.strengths.none)
    out += ["", *_areas(adv, w), *_plan(rubric, a, adv, w), *_resources_and_outcomes(a, adv, w),
            *_evidence(rubric, result, w), *_appendix(rubric, result, adv, w)]
    return md_safe("\n".join(out))
