"""What a follow-up question is about: one questionnaire question, a dimension, a part of the
result (level, total, weakest area, next level, priorities, the scores), a term, or nothing the
AI Operations Maturity Model covers. Pure: rules from knowledge/followup.yaml, the topic names of
knowledge/topics.yaml (the names the interview recognises in replies), and the glossary.

`route` answers from those rules alone; when they find nothing, the answerer asks the model (the
route task: an LLM, or the offline engine's trained reader — the same reading that maps replies
to questions) and, failing that, checks whether the model's vocabulary covers the question at all.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel

from agent.common.text import normalize
from agent.core.rubric import Rubric
from agent.core.topics import load_topics, named_questions
from agent.reporting.followup import FollowupRules, load_rules, parse_question
from agent.reporting.glossary import Glossary, find_option, find_term, load_glossary

TopicKind = Literal["question", "dimension", "result", "term", "option", "out_of_scope"]
# A model's guess of the question is used from this confidence on (the offline reader's calibrated
# relevance: 0.5 separates follow-up questions about a practice from unrelated ones on dev.yaml).
ROUTE_MIN_CONFIDENCE = 0.5


class Topic(BaseModel):
    """What a follow-up question is about; `by` says how that was found (rules, model, coverage)."""

    kind: TopicKind
    id: str
    by: Literal["rules", "model", "coverage"] = "rules"
    confidence: float = 1.0
    option: str | None = None  # "q7:2" when a term was asked about as an option's label


def asked_term(text: str, rubric: Rubric, glossary: Glossary | None = None,
               rules: FollowupRules | None = None) -> Topic | None:
    """The term a "what do you mean by X?" question asks about — a glossary term, or an option
    label (as the glossary term it contains, when it contains one) — else None."""
    glossary = glossary or load_glossary()
    rules = rules or load_rules()
    low = normalize(text)
    bare = re.search(rules.term_bare, low) if rules.term_bare else None
    if bare:
        phrase = bare.group("term").strip()
        exact = next((t for t in glossary.terms if phrase in {n.lower() for n in glossary.names(t)}), None)
        if exact is not None:
            return Topic(kind="term", id=exact)
    for pat in rules.term_asks:
        m = re.search(pat, low)
        if not m:
            continue
        # The phrase as captured, and everything after its start ("human in the loop" where the
        # pattern stopped at "human").
        for phrase in (m.group("term"), low[m.start("term"):]):
            phrase = phrase.strip(" .!?\"'“”‘’")
            option = find_option(phrase, rubric)
            if option is not None:
                qid, score = option
                inside = find_term(rubric.question(qid).label(score), glossary)
                if inside is not None:  # an option label: the term it is about, with its place on the scale
                    return Topic(kind="term", id=inside, option=f"{qid}:{score}")
                return Topic(kind="option", id=f"{qid}:{score}")
            term = find_term(phrase, glossary)
            if term is not None and len(phrase.split()) <= len(term.split()) + 4:
                return Topic(kind="term", id=term)
    return None


def _result_part(low: str, rules: FollowupRules) -> str | None:
    return next((part for part, pats in rules.results.items() if any(re.search(p, low) for p in pats)), None)


def route(text: str, rubric: Rubric, glossary: Glossary | None = None, rules: FollowupRules | None = None) -> Topic | None:
    """The topic the rules find, or None (then the model is asked)."""
    rules = rules or load_rules()
    low = normalize(text)
    asked = parse_question(text, rubric, rules)
    named = named_questions(low, rubric, load_topics())
    if asked.question_id:
        return Topic(kind="question", id=asked.question_id)
    term = asked_term(text, rubric, glossary, rules)
    if term is not None:
        return term
    part = _result_part(low, rules)
    if part == "weakest" and asked.dimension_named and asked.dimension:
        return Topic(kind="dimension", id=asked.dimension)  # "observability is our weakest: where to start?"
    whole = part in ("level", "total", "weakest", "dimension_scores")
    if part and (whole or not (named or asked.dimension)):
        return Topic(kind="result", id=part)
    if asked.intent == "first_steps" and not named:
        return Topic(kind="result", id="priorities")
    if asked.intent == "kpis" and not (named or asked.dimension):
        return Topic(kind="result", id="level")  # which KPIs: the model lists them per level
    by_dim: dict[str, list[str]] = {}
    for qid in named:
        by_dim.setdefault(rubric.question(qid).dimension, []).append(qid)
    if by_dim:
        dim, qids = next(iter(by_dim.items()))
        # The dimension itself ("security", "cost management"), not one practice of it: its name
        # is said and it stands for both of its questions ("gateway" is also q1's name: q1).
        if asked.dimension_named and (len(qids) == len(rubric.questions_in(dim)) or asked.step):
            return Topic(kind="dimension", id=dim)  # or a level step on it: "from 2 to 3 on cost"
        return Topic(kind="question", id=qids[0])
    if asked.dimension:  # a word that points at the dimension ("bill" → cost): the model may narrow it
        return Topic(kind="dimension", id=asked.dimension, confidence=0.5)
    if part:
        return Topic(kind="result", id=part)
    if asked.intent in ("transition",):
        return Topic(kind="result", id="next_level")
    return None


def explain_term(text: str, rubric: Rubric) -> str | None:
    """For a "what do you mean by X?" asked during the interview: X in plain words with an example
    (a glossary term), and where an option label sits on its scale, else None."""
    topic = asked_term(text, rubric)
    if topic is None:
        return None
    parts = []
    if topic.kind == "term":
        t = load_glossary().terms[topic.id]
        parts.append(f"**{t.title or topic.id[:1].upper() + topic.id[1:]}**: {t.definition} For example: {t.example}")
    option = topic.option or (topic.id if topic.kind == "option" else None)
    if option:
        qid, score = option.split(":")
        q, s = rubric.question(qid), int(score)
        around = [f"({x}) “{q.label(x)}”" for x in (s - 1, s + 1) if 0 <= x <= 5]
        parts.append(f"“{q.label(s)}” is option {s} of 0-5 for “{q.text}”, between " + " and ".join(around) + ".")
    return " ".join(parts)
