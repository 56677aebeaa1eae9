"""The offline engine's interviewer messages: an `ask` context in the wording of
knowledge/phrasing.yaml (what an LLM writes in its own words from the same context)."""

from __future__ import annotations

import hashlib

from agent.core.phrasing import Phrasing
from agent.core.rubric import Question, Rubric
from agent.core.schemas import AskContext, Choice, KnownAnswer
from agent.core.topics import named_questions


def _pick(options: list[str], seed: str) -> str:
    # Deterministic variety: the same context always gets the same wording.
    h = int(hashlib.sha1(seed.encode()).hexdigest(), 16)
    return options[h % len(options)]


def _short(label: str) -> str:
    """Lower-case the first letter for use mid-sentence, unless it starts an acronym ("AI")."""
    return label[0].lower() + label[1:] if label[:2] != label[:2].upper() else label


def _said(text: str, limit: int = 140) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def asked_about(rubric: Rubric, text: str) -> Question | None:
    """The question a question-back names ("what do you mean by quality?" -> q4), or None."""
    named = named_questions(text, rubric)
    return rubric.question(named[0]) if named else None


def _acknowledge(ctx: AskContext, rubric: Rubric, phrasing: Phrasing) -> list[str]:
    """One line for the answers the last reply changed; a short 'got it' for new ones."""
    out: list[str] = []
    changed = [c for c in ctx.changes if c.old is not None]
    changed_ids = {c.question_id for c in changed}
    new = [a for a in ctx.understood if a.question_id not in changed_ids]
    if new:
        items = "; ".join(f"{_short(rubric.question(a.question_id).topic)} — {_short(a.label)}" for a in new)
        key = "one" if len(new) == 1 else "many"
        out.append(phrasing.acknowledge[key].format(items=items))
    out += [phrasing.acknowledge["changed"].format(topic=_short(c.topic), old=_short(c.old or ""), new=_short(c.new),
                                                   said=_said(c.said)) for c in changed]
    return out


def _verify(answers: list[KnownAnswer], rubric: Rubric, phrasing: Phrasing) -> str:
    lines = [phrasing.verify["one"].format(said=_said(a.evidence), topic=_short(rubric.question(a.question_id).topic),
                                           plain=phrasing.plain_option(a.question_id, a.score)) for a in answers]
    return " ".join([*lines, phrasing.verify["end"]])


def _numbered(choices: list[Choice], phrasing: Phrasing) -> list[str]:
    rows = [f"{c.number}. {c.plain or c.label[:1].upper() + c.label[1:]}" for c in choices]
    return [*rows, f"{len(choices) + 1}. {phrasing.options['other']}"]


def _options(ctx: AskContext, q: Question, phrasing: Phrasing, conflict: bool) -> str:
    if len(ctx.choice_sets) > 1:
        count = len(ctx.choice_sets)
        blocks = [phrasing.options["several"].format(count=count)]
        for cs in ctx.choice_sets:
            blocks.append("\n".join([phrasing.options["for"].format(topic=_short(cs.topic)),
                                      *_numbered(cs.choices, phrasing)]))
        example = ", ".join(str(n) for n in (2, 1, 3, 1)[:count])
        return "\n\n".join([*blocks, phrasing.options["end_several"].format(example=example)])
    lead = phrasing.options["conflict" if conflict else "lead"].format(topic=_short(q.topic))
    return "\n".join([lead, *_numbered(ctx.choices, phrasing), phrasing.options["end"]])


def _respond(ctx: AskContext, rubric: Rubric, phrasing: Phrasing) -> list[str]:
    """The answer to a question the interviewee asked back."""
    q = ctx.question
    kind = ctx.respond_to.kind if ctx.respond_to is not None else None
    if q is not None and (kind == "options" or ctx.show_options):
        opts = "\n".join(f"- ({i}) {label}" for i, label in enumerate(q.options))
        return [phrasing.respond["options"].format(question=q.text, options=opts)]
    if q is not None and kind == "why":
        return [phrasing.respond["why"].format(why=ctx.question_why or "")]
    if q is not None and kind == "clarify" and ctx.respond_to is not None:
        about = asked_about(rubric, ctx.respond_to.text) or rubric.question(q.id)
        return [phrasing.respond["clarify"].format(topic=about.topic, question=about.text, why=about.why)]
    if kind == "scores":
        return [phrasing.respond["scores"].format(progress=ctx.progress)]
    return [phrasing.respond["other"]] if kind is not None else []


def _question(ctx: AskContext, rubric: Rubric, phrasing: Phrasing) -> list[str]:
    q = ctx.question
    if ctx.mode == "options" and q is not None and ctx.choices:
        return [_options(ctx, rubric.question(q.id), phrasing, ctx.conflict)]
    if ctx.mode == "verify" or (ctx.verify and not ctx.questions):
        return [_verify(ctx.verify, rubric, phrasing)]
    out: list[str] = []
    if ctx.verify:  # asked together with a question of the same dimension
        out.append(_verify(ctx.verify, rubric, phrasing))
    if ctx.mode == "dimension" and ctx.questions:
        return [*out, phrasing.dimensions[ctx.questions[0].dimension]]
    if q is None:
        return out
    wording = phrasing.questions[q.id]
    if ctx.mode in ("clarify", "reask"):
        lead = _pick(phrasing.lead_in[ctx.mode], q.id + ctx.mode)
        out.append(f"{lead} {getattr(wording, ctx.mode)}")
    elif ctx.mode == "back":
        out.append(f"{_pick(phrasing.lead_in['back'], q.id)} {wording.ask}")
    elif ctx.mode == "first" or ctx.respond_to is not None or ctx.same_dimension or ctx.verify:
        out.append(wording.ask)
    else:
        dim = rubric.dimension(q.dimension).name.lower()
        out.append(f"{_pick(phrasing.lead_in['next'], q.id).format(dimension=dim)} {wording.ask}")
    return out


def phrase_ask(ctx: AskContext, rubric: Rubric, phrasing: Phrasing) -> str:
    """The interviewer's next message for an `ask` context."""
    parts = [*_acknowledge(ctx, rubric, phrasing), *ctx.notices, *_respond(ctx, rubric, phrasing),
             *_question(ctx, rubric, phrasing)]
    return "\n\n".join(p for p in parts if p)
