"""Interviewer wording from knowledge/phrasing.yaml: the opening message (used by every model) and
the offline engine's messages and report prose (pure, apart from loading the file)."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel

from agent.common.datafile import load_yaml_model
from agent.common.paths import KNOWLEDGE_DIR
from agent.core.rubric import Rubric
from agent.core.schemas import AskContext, SummaryContext


class QuestionWording(BaseModel):
    ask: str
    reask: str
    clarify: str


class Phrasing(BaseModel):
    greeting: str
    acknowledge: dict[str, str]
    lead_in: dict[str, list[str]]
    questions: dict[str, QuestionWording]
    respond: dict[str, str]
    confirm_changes: str
    english_only: str


@lru_cache(maxsize=2)
def load_phrasing(path: Path = KNOWLEDGE_DIR / "phrasing.yaml") -> Phrasing:
    """The offline engine's templates (validated)."""
    return load_yaml_model(path, Phrasing, "phrasing")


def _pick(options: list[str], seed: str) -> str:
    # Deterministic variety: the same context always gets the same wording.
    h = int(hashlib.sha1(seed.encode()).hexdigest(), 16)
    return options[h % len(options)]


def _short(label: str) -> str:
    """Lower-case the first letter for use mid-sentence, unless it starts an acronym ("AI")."""
    return label[0].lower() + label[1:] if label[:2] != label[:2].upper() else label


def opening_message(rubric: Rubric, phrasing: Phrasing, notice: str | None = None) -> str:
    """The greeting and the first question: fixed text, so it can be shown before any model loads."""
    parts = [phrasing.greeting.strip()]
    if notice:
        parts.append(f"_{notice}_")
    parts.append(phrasing.questions[rubric.questions[0].id].ask)
    return "\n\n".join(parts)


def asked_about(rubric: Rubric, text: str):
    """The question whose topic or dimension a question-back names ("what do you mean by
    quality?" -> q4), or None."""
    words = set(re.findall(r"[a-z]+", text.lower()))
    best, best_hits = None, 0
    for q in rubric.questions:
        vocab = set(re.findall(r"[a-z]{4,}", f"{q.topic} {q.dimension}".lower()))
        hits = len(words & vocab)
        if hits > best_hits:
            best, best_hits = q, hits
    return best


def phrase_ask(ctx: AskContext, rubric: Rubric, phrasing: Phrasing) -> str:
    """The interviewer's next message for an `ask` context."""
    parts: list[str] = []
    if ctx.understood:
        items = "; ".join(f"{_short(rubric.question(a.question_id).topic)} — {_short(a.label)}"
                          for a in ctx.understood)
        key = "one" if len(ctx.understood) == 1 else "many"
        if ctx.mode == "confirm_changes":
            key = "correction"
        parts.append(phrasing.acknowledge[key].format(items=items))
    parts.extend(ctx.notices)
    q = ctx.question
    kind = ctx.respond_to.kind if ctx.respond_to is not None else None
    if q is not None and (kind == "options" or ctx.show_options):
        opts = "\n".join(f"- ({i}) {label}" for i, label in enumerate(q.options))
        parts.append(phrasing.respond["options"].format(question=q.text, options=opts))
    elif q is not None and kind == "why":
        parts.append(phrasing.respond["why"].format(why=ctx.question_why or ""))
    elif q is not None and kind == "clarify" and ctx.respond_to is not None:
        about = asked_about(rubric, ctx.respond_to.text) or rubric.question(q.id)
        parts.append(phrasing.respond["clarify"].format(topic=about.topic, question=about.text, why=about.why))
    elif kind == "scores":
        parts.append(phrasing.respond["scores"].format(progress=ctx.progress))
    elif kind is not None:
        parts.append(phrasing.respond["other"])
    if q is not None:
        wording = phrasing.questions[q.id]
        if ctx.mode in ("clarify", "reask"):
            lead = _pick(phrasing.lead_in[ctx.mode], q.id + ctx.mode)
            parts.append(f"{lead} {getattr(wording, ctx.mode)}")
        elif ctx.mode == "back":
            parts.append(f"{_pick(phrasing.lead_in['back'], q.id)} {wording.ask}")
        elif ctx.mode == "first" or ctx.respond_to is not None or ctx.same_dimension:
            parts.append(wording.ask)
        else:
            dim = rubric.dimension(q.dimension).name.lower()
            lead = _pick(phrasing.lead_in["next"], q.id).format(dimension=dim)
            parts.append(f"{lead} {wording.ask}")
    return "\n\n".join(p for p in parts if p)


def write_summary(ctx: SummaryContext) -> str:
    """Executive summary prose from the scored facts."""
    if ctx.level is None:
        lo, hi = ctx.level_range
        head = (f"With {len(ctx.missing)} of 12 questions unanswered, the result is provisional: "
                f"the answers so far place the organization between Level {lo} and Level {hi} "
                f"(total {ctx.total} so far).")
    else:
        head = f"The organization is at Level {ctx.level} ({ctx.level_name}) with a total of {ctx.total}/60."
        if ctx.missing:
            head += f" {len(ctx.missing)} question(s) were not answered, so the result is provisional."
    parts = [head]
    if ctx.strengths:
        parts.append("Its strongest areas are " + _join(ctx.strengths) + ".")
    if ctx.gaps:
        parts.append(f"To reach Level {ctx.target_level} ({ctx.target_level_name}), the largest gaps are in "
                     + _join(ctx.gaps) + ".")
    else:
        parts.append(f"The next step is Level {ctx.target_level} ({ctx.target_level_name}).")
    return " ".join(parts)


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
