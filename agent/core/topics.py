"""What people call each question in plain words (knowledge/topics.yaml), and finding the
questions a message names ("tracing should be higher" → q3). Pure apart from loading the file."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from pydantic import Field

from agent.common.datafile import load_yaml_model
from agent.common.paths import KNOWLEDGE_DIR
from agent.common.strict import StrictModel
from agent.core.rubric import Rubric

TOPICS_PATH = KNOWLEDGE_DIR / "topics.yaml"
_QREF = re.compile(r"\b(?:q|question\s*#?\s*|no\.?\s*)(1[0-2]|[1-9])\b", re.IGNORECASE)


class Topics(StrictModel):
    version: int
    questions: dict[str, list[str]]
    dimensions: dict[str, list[str]] = Field(default_factory=dict)


@lru_cache(maxsize=2)
def load_topics(path: Path | str = TOPICS_PATH) -> Topics:
    """The topic names (validated)."""
    return load_yaml_model(path, Topics, "topics")


def _pattern(phrase: str) -> re.Pattern[str]:
    words = [re.escape(w) for w in phrase.lower().split()]
    return re.compile(r"(?<![\w-])" + r"[\s-]+".join(words) + r"(?:s|es)?(?![\w-])")


_COMPILED: dict[tuple[int, int], tuple[Topics, Rubric, list[tuple[re.Pattern[str], tuple[str, ...], int]]]] = {}


def _compiled(topics: Topics, rubric: Rubric) -> list[tuple[re.Pattern[str], tuple[str, ...], int]]:
    """(pattern, question ids, phrase length) for every name, longest first (cached per pair;
    keyed by identity, as the models hold dicts; the entry keeps them alive so ids stay valid)."""
    hit = _COMPILED.get((id(topics), id(rubric)))
    if hit is not None and hit[0] is topics and hit[1] is rubric:
        return hit[2]
    out: list[tuple[re.Pattern[str], tuple[str, ...], int]] = []
    for q in rubric.questions:
        for name in [q.topic, *topics.questions.get(q.id, [])]:
            out.append((_pattern(name), (q.id,), len(name)))
    for d in rubric.dimensions:
        qids = tuple(q.id for q in rubric.questions_in(d.id))
        for name in [d.name, *topics.dimensions.get(d.id, [])]:
            out.append((_pattern(name), qids, len(name)))
    compiled = sorted(out, key=lambda t: -t[2])
    if len(_COMPILED) > 8:
        _COMPILED.clear()
    _COMPILED[(id(topics), id(rubric))] = (topics, rubric, compiled)
    return compiled


def named_questions(text: str, rubric: Rubric, topics: Topics | None = None) -> list[str]:
    """The questions a message names, by number ("q3", "question 7") or by topic, in the order
    they are named. A name inside a longer name counts once ("access control" is not "access")."""
    low = text.lower()
    found: list[tuple[int, str]] = [(m.start(), f"q{m.group(1)}") for m in _QREF.finditer(low)]
    taken: list[tuple[int, int]] = [m.span() for m in _QREF.finditer(low)]
    for rx, qids, _ in _compiled(topics or load_topics(), rubric):
        for m in rx.finditer(low):
            a, b = m.span()
            if any(a < y and x < b for x, y in taken):
                continue
            taken.append((a, b))
            found += [(a, q) for q in qids]
    return list(dict.fromkeys(q for _, q in sorted(found)))
