"""Answering follow-up questions about next steps, from retrieved passages and the assessment.

`answer_followup` recognises what is asked (why a score, which KPIs, what first, how to reach a
level, or anything else), gathers the passages that answer it, drafts an extractive answer, lets the
model rewrite it from the same passages (the offline engine returns the draft), and checks that
every citation is one of those passages. A question the passages do not cover gets an honest
"the model doesn't say".
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agent.common.datafile import DataFileError, load_yaml_model
from agent.common.paths import KNOWLEDGE_DIR
from agent.common.strict import ModelOutput
from agent.common.text import stems, whole_sentences
from agent.core.rubric import Rubric
from agent.core.schemas import AnswerRecord
from agent.core.scoring import Assessment
from agent.reporting.advice import Advice
from agent.retrieval.chunks import Chunk
from agent.retrieval.expansion import mentioned_levels

Intent = Literal["why_score", "kpis", "first_steps", "transition", "general"]
FOLLOWUP_PATH = KNOWLEDGE_DIR / "followup.yaml"
_CITE = re.compile(r"\[([a-z0-9][a-z0-9\-]*)\]")
# A general question is answered from passages only if at least this share of its topic words is
# known to the corpus or the thesaurus (chosen on evals/retrieval.yaml: no answerable query there
# falls below 0.67, 4 of 10 out-of-scope ones do; see docs/benchmarks.md).
MIN_COVERAGE = 0.6
NOT_COVERED = (
    "The AI Operations Maturity Model doesn't say — it covers gateways, observability, memory, "
    "orchestration, cost and security, the six levels, the transition guides and their KPIs. "
    "Ask me about those, or about your own results."
)


class FollowupRules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int
    intents: dict[Intent, list[str]]
    dimensions: dict[str, list[str]]
    term_asks: list[str] = Field(default_factory=list)
    term_bare: str | None = None
    results: dict[str, list[str]] = Field(default_factory=dict)


class FollowupRulesError(DataFileError):
    """knowledge/followup.yaml is missing or invalid."""


@lru_cache(maxsize=2)
def load_rules(path: Path | str = FOLLOWUP_PATH) -> FollowupRules:
    return load_yaml_model(path, FollowupRules, "follow-up rules", FollowupRulesError)


class Question(BaseModel):
    """What a follow-up question asks for."""

    text: str
    intent: Intent
    dimension: str | None = None
    question_id: str | None = None
    step: tuple[int, int] | None = None
    dimension_named: bool = False  # the dimension itself was named ("cost"), not one of its topics
    said_score: int | None = None  # "why did I get a 1 ...": the score the user thinks they got


class FollowupDraft(ModelOutput):
    """The follow-up task's structured output."""

    answer: str = Field(description="The answer, citing passage ids in square brackets.")
    cites: list[str] = Field(default_factory=list, description="Ids of the passages the answer uses.")
    covered: bool = Field(True, description="False when the passages do not answer the question.")


class FollowupContext(BaseModel):
    """Input of the follow-up task (prompts/followup.md)."""

    task: Literal["followup"] = "followup"
    question: str
    intent: Intent
    assessment: dict
    passages: list[dict]
    draft: FollowupDraft


class FollowupAnswer(BaseModel):
    question: str
    answer: str
    cites: list[str]
    sources: list[str]  # the cited passages' section paths
    covered: bool
    written_by: str = "extractive"
    topic: Any = None  # the followup_route.Topic it was routed to (kind, id, how)


def parse_question(text: str, rubric: Rubric, rules: FollowupRules | None = None) -> Question:
    """Intent, dimension, question and level step a follow-up question names (pure)."""
    rules = rules or load_rules()
    low = " ".join(text.lower().split())
    intent: Intent = next(
        (name for name, pats in rules.intents.items() if any(re.search(p, low) for p in pats)), "general"
    )
    toks = set(stems(low))
    dimension, named = None, False
    for dim in rubric.dimensions:
        words = [dim.id, dim.name, *rules.dimensions.get(dim.id, [])]
        if any(set(stems(w)) and set(stems(w)) <= toks for w in words):
            dimension = dim.id
            named = any(set(stems(w)) <= toks for w in (dim.id, dim.name))
            break
    said = re.search(r"\b(?:a|an|only|just|score of|scored|got)\s+(zero|[0-5])\b", low)
    said_score = None if not said else (0 if said.group(1) == "zero" else int(said.group(1)))
    qid = None
    m = re.search(r"\bq(1[0-2]|[1-9])\b", low)
    if m:
        qid = f"q{m.group(1)}"
        dimension = dimension or rubric.question(qid).dimension
    _, step = mentioned_levels(low)
    return Question(text=text, intent=intent, dimension=dimension, question_id=qid, step=step,
                    dimension_named=named, said_score=said_score)


def _lines(chunk: Chunk) -> list[str]:
    return [ln.lstrip("- ").strip() for ln in chunk.text.splitlines()[1:] if ln.strip()]


def draft_why(q: Question, rubric: Rubric, assessment: Assessment, records: Mapping[str, AnswerRecord],
              chunks: Sequence[Chunk]) -> FollowupDraft:
    """Why a question (or a dimension's questions) got its score: the answer, the words, the option."""
    qids = [q.question_id] if q.question_id else [x.id for x in rubric.questions_in(q.dimension)] if q.dimension else []
    parts, cites = [], []
    for qid in qids:
        question = rubric.question(qid)
        cid = f"questionnaire-{qid}"
        if qid not in assessment.answers:
            parts.append(f"{qid} (“{question.text}”) was not answered, so it has no score yet.")
            continue
        s = assessment.answers[qid]
        if q.said_score is not None and q.said_score != s and len(qids) == 1:
            parts.append(f"You scored {s} on this, not {q.said_score}.")
        rec = records.get(qid)
        said = f" You said: “{' '.join(rec.evidence.split())}”." if rec and rec.evidence.strip() else ""
        nxt = f" The next option is ({s + 1}) “{question.label(s + 1)}”." if s < 5 else ""
        parts.append(f"{qid} (“{question.text}”): {s}/5, option ({s}) “{question.label(s)}”.{said}{nxt} [{cid}]")
        if any(c.id == cid for c in chunks):
            cites.append(cid)
    if not parts:
        return FollowupDraft(answer="Which score do you mean? Name the topic (e.g. tracing, budgets) or the question (q1-q12).",
                             cites=[], covered=True)
    return FollowupDraft(answer="\n".join(parts), cites=cites, covered=True)


def draft_kpis(level: int, chunk: Chunk | None) -> FollowupDraft:
    if chunk is None:
        return FollowupDraft(answer=NOT_COVERED, covered=False)
    lines = "\n".join(f"- {ln}" for ln in _lines(chunk))
    head = chunk.text.splitlines()[0]
    return FollowupDraft(
        answer=f"For your target, Level {level}, the model lists these KPIs ({head.split(', ', 1)[-1]}):\n{lines} [{chunk.id}]",
        cites=[chunk.id],
    )


def draft_first_steps(advice: Advice | None) -> FollowupDraft:
    """The report's first actions: short-term, then medium- and long-term while fewer than five."""
    ordered = (advice.short_term + advice.medium_term + advice.long_term) if advice else []
    if advice is None or not ordered:
        return FollowupDraft(answer="Your report has no open actions: you are at the top of the model or at "
                             "target everywhere.", cites=[], covered=True)
    first = ordered[:5]
    when = {"short": "0-3 months", "medium": "3-6 months", "long": "6-12 months"}
    lines = [
        f"{i}. {a.text}" + (f" ({when[a.term]})" if a.term else "") + (f" [{', '.join(a.cites)}]" if a.cites else "")
        for i, a in enumerate(first, 1)
    ]
    areas = ", ".join(f"{x.name} ({x.priority})" for x in advice.improvement_areas[:3])
    lead = f"Start with your highest-priority areas: {areas}. " if areas else ""
    return FollowupDraft(
        answer=f"{lead}The first actions in your report:\n" + "\n".join(lines),
        cites=list(dict.fromkeys(c for a in first for c in a.cites)),
    )


def draft_from_passages(
    q: Question, chunks: Sequence[Chunk], answers: Mapping[str, int], transitions=None,
) -> FollowupDraft:
    """Quote the passages, best first; for transition blocks, mark what the answers show is done."""
    parts, cites = [], []
    for c in chunks:
        body = _lines(c) if c.kind in ("transition", "kpi") else [whole_sentences(c.text, 400)]
        done = set()
        if transitions is not None and c.kind == "transition" and c.from_level is not None:
            guide = transitions.guide(c.from_level)
            for b in guide.blocks if guide else []:
                for it in b.items:
                    if it.satisfied(answers) is True:
                        done.add(it.text)
        shown = [f"- {ln}" + (" (already in place, per your answers)" if ln in done else "") for ln in body]
        parts.append(f"{c.cite()} [{c.id}]:\n" + "\n".join(shown))
        cites.append(c.id)
    return FollowupDraft(answer="\n\n".join(parts), cites=cites, covered=bool(parts))


def check_draft(draft: FollowupDraft, allowed: Sequence[str]) -> tuple[FollowupDraft | None, str | None]:
    """The model's answer if its citations are all among the passages it was given, else the problem."""
    if not draft.covered:
        return draft, None
    inline = _CITE.findall(draft.answer)
    cited = list(dict.fromkeys([*draft.cites, *inline]))
    bad = [c for c in cited if c not in allowed]
    if bad:
        return None, f"cites passages it was not given: {', '.join(bad)}"
    if allowed and not cited:
        return None, "cites no passage"
    return draft.model_copy(update={"cites": cited}), None


def render_answer(ans: FollowupAnswer) -> str:
    """The answer as shown in the chat: text, then the sources it cites."""
    if not ans.covered or not ans.sources:
        return ans.answer
    return ans.answer + "\n\nSources:\n" + "\n".join(f"- {s}" for s in ans.sources)
