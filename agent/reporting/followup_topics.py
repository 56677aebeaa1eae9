"""Answers to follow-up questions by topic, in full sentences (pure): one practice (the person's
own answer, the next option up, and the transition guide's checklist items for that step), a
dimension, the result (level, total, weakest area, next level, scores), a term (the glossary, with
the model's own words), or an option label. Passages are quoted as whole lines or sentences,
never cut mid-word; every quote names the passage it comes from.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from agent.common.text import whole_sentences
from agent.core.rubric import Rubric
from agent.core.schemas import AnswerRecord
from agent.core.scoring import Assessment
from agent.core.transitions import Transitions
from agent.reporting.followup import FollowupDraft
from agent.reporting.glossary import Glossary
from agent.retrieval.chunks import Chunk

ChunkOf = Callable[[str], Chunk | None]  # a passage by id (None when the index lacks it)
MAX_ITEMS = 4  # checklist items quoted for one practice: the next steps, not the whole guide


def block_id(from_level: int, weeks: tuple[int, int]) -> str:
    """The index id of a transition guide's week block ("transition-l1-l2-week-1-2")."""
    return f"transition-l{from_level}-l{from_level + 1}-week-{weeks[0]}-{weeks[1]}"


def _said(rec: AnswerRecord | None) -> str:
    return f" — you said “{' '.join(rec.evidence.split())}”" if rec and rec.evidence.strip() else ""


REACH = 2  # guides looked at: the current step and the one after; later ones are not "next"


def _open_items(transitions: Transitions, start: int, wants: Callable[[list[str], list[str]], bool],
                answers: Mapping[str, int]) -> list[tuple[str, str, str]]:
    """(item, block title with its guide, chunk id) not yet done, from the guide at `start` up."""
    out = []
    for lvl in range(start, min(start + REACH, 5)):
        guide = transitions.guide(lvl)
        if guide is None:
            continue
        for block in guide.blocks:
            for item in block.items:
                if wants(item.questions(), item.dimensions) and item.satisfied(answers) is not True:
                    out.append((item.text, f"{guide.heading} › {block.title}", block_id(lvl, block.weeks)))
        if out:
            return out  # the nearest guide that has open steps for it: the next step, not all of them
    return out


def _items_text(items: list[tuple[str, str, str]], chunk_of: ChunkOf) -> tuple[list[str], list[str]]:
    lines, cites = [], []
    by_block: dict[str, list[str]] = {}
    where: dict[str, str] = {}
    for text, title, cid in items[:MAX_ITEMS]:
        if chunk_of(cid) is None:
            continue
        by_block.setdefault(cid, []).append(text)
        where[cid] = title
    for cid, texts in by_block.items():
        lines.append(f"The transition guide's next steps ({where[cid]}): " + "; ".join(texts) + f". [{cid}]")
        cites.append(cid)
    return lines, cites


def _start(assessment: Assessment, step_from: int | None) -> int:
    if step_from is not None:  # "how do we get from level 2 to 3 on cost": the step asked about
        return step_from
    return assessment.level if assessment.level is not None else assessment.level_range[0]


def draft_question(qid: str, rubric: Rubric, transitions: Transitions, assessment: Assessment,
                   records: Mapping[str, AnswerRecord], chunk_of: ChunkOf,
                   step_from: int | None = None) -> FollowupDraft:
    """One practice: where the person stands (their words), the next option up, the guide's steps
    (from their level's guide, or from the step the question names)."""
    q = rubric.question(qid)
    cid = f"questionnaire-{qid}"
    s = assessment.answers.get(qid)
    parts, cites = [], []
    if s is None:
        parts.append(f"You did not answer {q.topic.lower()} ({qid}: “{q.text}”), so there is no score to build on; "
                     f"the options run from (0) “{q.label(0)}” to (5) “{q.label(5)}”. [{cid}]")
    else:
        nxt = (f" The next step up is ({s + 1}) “{q.label(s + 1)}”." if s < 5 else
               " That is the top of the scale.")
        parts.append(f"On {q.topic.lower()} ({qid}: “{q.text}”) you are at ({s}) “{q.label(s)}”{_said(records.get(qid))}."
                     f"{nxt} [{cid}]")
    cites.append(cid)
    start = _start(assessment, step_from)
    items = _open_items(transitions, start, lambda qs, _dims: qid in qs, assessment.answers)
    if not items:  # no checklist item answers this question directly: the dimension's items
        items = _open_items(transitions, start, lambda _qs, dims: q.dimension in dims, assessment.answers)
    lines, more = _items_text(items, chunk_of)
    if not lines and s is not None and s < 5:
        reach = start + REACH
        lines = [f"The transition guides have no checklist step for this up to Level {min(reach, 5)}: the "
                 f"questionnaire's next option is the step to take."]
    parts += lines
    cites += more
    for line in (_table_line(rubric, qid, chunk_of), _ladder_line(rubric, q.dimension, s, chunk_of)):
        if line:
            parts.append(line[0])
            cites.append(line[1])
    return FollowupDraft(answer="\n\n".join(parts), cites=list(dict.fromkeys(cites)))


def _table_line(rubric: Rubric, qid: str, chunk_of: ChunkOf) -> tuple[str, str] | None:
    """The model's per-dimension table row(s) for a question: how the practice reads at each level."""
    q = rubric.question(qid)
    cid = f"questions-{q.dimension}"
    rows = [r for r in rubric.dimension(q.dimension).table if r.question in q.table_rows]
    if not rows or chunk_of(cid) is None:
        return None
    said = "; ".join(f"“{r.question}” goes " + " → ".join(r.descriptors) for r in rows)
    return f"The model's {rubric.dimension(q.dimension).name} table, level 0 to 5: {said}. [{cid}]", cid


def _ladder_line(rubric: Rubric, dim: str, score: int | None, chunk_of: ChunkOf) -> tuple[str, str] | None:
    cid = f"ladder-{dim}"
    if chunk_of(cid) is None:
        return None
    d = rubric.dimension(dim)
    nxt = 0 if score is None else min(score + 1, 5)
    return (f"Across the {d.name} dimension the model's ladder runs {' → '.join(d.ladder)}; "
            f"level {nxt} there is “{d.ladder[nxt]}”. [{cid}]", cid)


def draft_dimension(dim: str, rubric: Rubric, transitions: Transitions, assessment: Assessment,
                    records: Mapping[str, AnswerRecord], chunk_of: ChunkOf,
                    step_from: int | None = None) -> FollowupDraft:
    """A whole dimension: its score, both practices, and the guide's next steps for it."""
    d = rubric.dimension(dim)
    score = next((x for x in assessment.dimensions if x.dimension == dim), None)
    head = (f"{d.name} scores {score.score:.1f} of 5 (target {score.target:.1f}):"
            if score is not None and score.score is not None else f"{d.name}:")
    bullets, cites = [], []
    for q in rubric.questions_in(dim):
        s = assessment.answers.get(q.id)
        where = f"({s}) “{q.label(s)}”{_said(records.get(q.id))}" if s is not None else "not answered"
        nxt = f"; next: ({s + 1}) “{q.label(s + 1)}”" if s is not None and s < 5 else ""
        bullets.append(f"- {q.topic} ({q.id}): {where}{nxt}. [questionnaire-{q.id}]")
        cites.append(f"questionnaire-{q.id}")
    start = _start(assessment, step_from)
    lines, more = _items_text(_open_items(transitions, start, lambda _qs, dims: dim in dims, assessment.answers),
                              chunk_of)
    cites += more
    if chunk_of(f"questions-{dim}") is not None:
        rows = "; ".join(f"“{r.question}” goes " + " → ".join(r.descriptors) for r in d.table)
        lines.append(f"The model's {d.name} table, level 0 to 5: {rows}. [questions-{dim}]")
        cites.append(f"questions-{dim}")
    ladder = _ladder_line(rubric, dim, None if score is None or score.score is None else int(score.score), chunk_of)
    if ladder:
        lines.append(ladder[0])
        cites.append(ladder[1])
    return FollowupDraft(answer="\n\n".join(["\n".join([head, *bullets]), *lines]), cites=list(dict.fromkeys(cites)))


def draft_result(part: str, rubric: Rubric, transitions: Transitions, assessment: Assessment,
                 chunk_of: ChunkOf) -> FollowupDraft:
    """The result itself: level, total, weakest area, the way to the next level, the scores."""
    a = assessment
    cur = a.level if a.level is not None else a.level_range[0]
    level = (f"Level {a.level} ({a.level_name})" if a.level is not None else
             f"between Level {a.level_range[0]} and {a.level_range[1]} (not all questions answered)")
    band = next(b for b in rubric.bands if b.level == cur)
    nxt = next((b for b in rubric.bands if b.level == cur + 1), None)
    scoring = "questionnaire-scoring" if chunk_of("questionnaire-scoring") else None
    level_id = f"level-{cur}" if chunk_of(f"level-{cur}") else None
    cites = [c for c in (scoring, level_id) if c]
    ref = f" [{', '.join(cites)}]" if cites else ""
    scored = [d for d in a.dimensions if d.score is not None]
    if part in ("level", "total"):
        to_next = f" Level {cur + 1} starts at {nxt.min}: {nxt.min - a.total} more points." if nxt else ""
        text = (f"You are at {level}, with a total of {a.total}/60 (Level {cur} is {band.min}-{band.max})."
                f"{to_next} {rubric.level(cur).summary}{ref}")
        return FollowupDraft(answer=text, cites=cites)
    if part == "weakest":
        low = sorted(scored, key=lambda d: (d.score, d.dimension))[:2]
        if not low:
            return FollowupDraft(answer="No dimension has a score yet.", cites=[])
        lines = []
        for d in low:
            qs = "; ".join(f"{q.topic} ({q.id}) {a.answers[q.id]}/5 “{q.label(a.answers[q.id])}”"
                           for q in rubric.questions_in(d.dimension) if q.id in a.answers)
            lines.append(f"- {d.name}: {d.score:.1f} of 5 — {qs}.")
        cites_w = [c for c in (f"ladder-{low[0].dimension}",) if chunk_of(c)]
        tail = f" [{', '.join(cites_w)}]" if cites_w else ""
        return FollowupDraft(answer=f"Your weakest areas are {low[0].name}" +
                             (f" and {low[1].name}" if len(low) > 1 else "") + ":\n" + "\n".join(lines) +
                             f"\nRaising them lifts your total fastest.{tail}", cites=cites_w)
    if part == "dimension_scores":
        lines = [f"- {d.name}: {d.score:.1f} of 5 (target {d.target:.1f})" if d.score is not None else
                 f"- {d.name}: not answered" for d in a.dimensions]
        return FollowupDraft(answer=f"Your scores by dimension ({level}, {a.total}/60):\n" + "\n".join(lines) + ref,
                             cites=cites)
    # next_level
    if cur >= 5 or nxt is None:
        return FollowupDraft(answer=f"You are at {level}, the top of the model.{ref}", cites=cites)
    guide = transitions.guide(cur)
    goal_id = f"transition-l{cur}-l{cur + 1}-goal"
    gaps = sorted((d for d in scored if d.gap), key=lambda d: -(d.gap or 0))[:3]
    gap_text = ", ".join(f"{d.name} ({d.score:.1f} of {d.target:.1f})" for d in gaps)
    text = (f"You are at {level} with {a.total}/60; Level {cur + 1} ({rubric.level(cur + 1).name}) starts at "
            f"{nxt.min}, so {max(nxt.min - a.total, 0)} more points.")
    if gap_text:
        text += f" The largest gaps: {gap_text}."
    new_cites = list(cites)
    if guide is not None and chunk_of(goal_id):
        text += (f" The transition guide ({guide.heading}: {guide.title}) takes {guide.timeline}; its goal: "
                 f"“{guide.goal}”. It is done when: " + "; ".join(guide.success_criteria) + f". [{goal_id}]")
        new_cites.append(goal_id)
    return FollowupDraft(answer=text, cites=new_cites)


def _mentions(text: str, names: list[str]) -> bool:
    return any(re.search(rf"(?<!\w){re.escape(n)}", text, re.IGNORECASE) for n in names)


def _readable(line: str) -> bool:
    """A line of prose or a checklist item, not a row of an ASCII diagram or table."""
    body = line.strip(" -*+x|")
    return len(body.split()) >= 3 and "   " not in body and not body.isupper() and "|" not in body


def _model_words(cid: str, c: Chunk, names: list[str], rubric: Rubric) -> str | None:
    """The model's own words about a term in passage `c`: a whole readable line, or for a
    dimension's ladder (an ASCII diagram in the seed) the rubric's wording of that ladder step."""
    if cid.startswith("ladder-"):
        d = rubric.dimension(cid.removeprefix("ladder-"))
        step = next((i for i, x in enumerate(d.ladder) if _mentions(x, names)), None)
        return None if step is None else f"level {step} of its {d.name} ladder is “{d.ladder[step]}”"
    line = next((ln for ln in c.text.splitlines() if _readable(ln) and _mentions(ln, names)), None)
    return None if line is None else f"“{whole_sentences(line.strip(' -*+'), 200)}”"


def draft_term(term: str, glossary: Glossary, rubric: Rubric, chunk_of: ChunkOf,
               option: tuple[str, int] | None = None, assessment: Assessment | None = None) -> FollowupDraft:
    """What a term means, in plain words, with an example and the model's own words where it uses
    it; asked about as an option's label, also where that option sits on its question's scale."""
    t = glossary.terms[term]
    parts = [f"**{t.title or term[:1].upper() + term[1:]}**: {t.definition} For example: {t.example}"]
    cites = []
    if option is not None and assessment is not None:
        placed = draft_option(option[0], option[1], rubric, assessment)
        parts.append(placed.answer)
        cites += placed.cites
    names = [term, *t.aliases]
    for cid in t.cites:
        c = chunk_of(cid)
        if c is None:
            continue
        words = _model_words(cid, c, names, rubric)
        parts.append(f"The AI Operations Maturity Model uses it in {c.section}: {words}. [{cid}]" if words else
                     f"The closest passage of the AI Operations Maturity Model: {c.section}. [{cid}]")
        cites.append(cid)
        break  # one grounding passage: the definition is the answer, not a tour of the model
    cites = list(dict.fromkeys(cites))
    return FollowupDraft(answer="\n\n".join(parts), cites=cites)


def draft_option(qid: str, score: int, rubric: Rubric, assessment: Assessment) -> FollowupDraft:
    """What an option label means: its question, and the options below and above it."""
    q = rubric.question(qid)
    cid = f"questionnaire-{qid}"
    around = []
    if score > 0:
        around.append(f"below it is ({score - 1}) “{q.label(score - 1)}”")
    if score < 5:
        around.append(f"above it is ({score + 1}) “{q.label(score + 1)}”")
    yours = assessment.answers.get(qid)
    mine = f" Your answer to this question is ({yours}) “{q.label(yours)}”." if yours is not None else ""
    return FollowupDraft(
        answer=(f"“{q.label(score)}” is option {score} of 0-5 for {qid}, “{q.text}” ({q.topic.lower()}): "
                + " and ".join(around) + f".{mine} [{cid}]"),
        cites=[cid])
