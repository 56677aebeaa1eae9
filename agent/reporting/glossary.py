"""The terms the interview and the report use, in plain words (knowledge/glossary.yaml), and
finding the term a "what do you mean by X?" question asks about. Pure apart from loading the file.

The rubric's option labels ("Centralized gateway (LiteLLM, Portkey)") are explained from the
rubric itself: their question, and the options below and above them.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from pydantic import Field

from agent.common.datafile import DataFileError, load_yaml_model
from agent.common.paths import KNOWLEDGE_DIR
from agent.common.strict import StrictModel
from agent.common.text import normalize
from agent.core.rubric import Rubric

GLOSSARY_PATH = KNOWLEDGE_DIR / "glossary.yaml"


class Term(StrictModel):
    title: str | None = None  # how to write it when it is not just the key capitalised ("DLP")
    aliases: list[str] = Field(default_factory=list)
    definition: str
    example: str
    cites: list[str] = Field(default_factory=list)


class Glossary(StrictModel):
    version: int
    terms: dict[str, Term]

    def names(self, term: str) -> list[str]:
        """The term's name and aliases."""
        return [term, *self.terms[term].aliases]


class GlossaryError(DataFileError):
    """knowledge/glossary.yaml is missing or invalid."""


@lru_cache(maxsize=2)
def load_glossary(path: Path | str = GLOSSARY_PATH) -> Glossary:
    """The glossary (validated)."""
    return load_yaml_model(path, Glossary, "glossary", GlossaryError)


def _pattern(phrase: str) -> re.Pattern[str]:
    words = [re.escape(w) for w in re.split(r"[\s-]+", phrase.lower()) if w]
    return re.compile(r"(?<![\w])" + r"[\s-]*".join(words) + r"(?:s|es)?(?![\w])")


_COMPILED: dict[int, tuple[Glossary, list[tuple[re.Pattern[str], str, int]]]] = {}


def _compiled(glossary: Glossary) -> list[tuple[re.Pattern[str], str, int]]:
    # Cached by identity (the model holds dicts, so it is not hashable); the entry keeps it alive.
    hit = _COMPILED.get(id(glossary))
    if hit is not None and hit[0] is glossary:
        return hit[1]
    out = sorted(((_pattern(name), term, len(name)) for term in glossary.terms for name in glossary.names(term)),
                 key=lambda t: -t[2])
    if len(_COMPILED) > 8:
        _COMPILED.clear()
    _COMPILED[id(glossary)] = (glossary, out)
    return out


def find_term(text: str, glossary: Glossary) -> str | None:
    """The glossary term `text` names (its longest matching name wins), or None."""
    low = normalize(text)
    for rx, term, _ in _compiled(glossary):
        if rx.search(low):
            return term
    return None


def find_option(text: str, rubric: Rubric) -> tuple[str, int] | None:
    """(question id, option) whose label `text` is, or nearly is ("centralized gateway" for
    "Centralized gateway (LiteLLM, Portkey)"), else None."""
    want = _label_words(text)
    if not want:
        return None
    for q in rubric.questions:
        for score in range(6):
            label = _label_words(q.label(score))
            if label and (want == label or (len(want) >= 2 and want <= label and len(want) * 2 >= len(label))):
                return q.id, score
    return None


def _label_words(text: str) -> set[str]:
    base = re.sub(r"\(.*?\)", " ", text.lower())
    return {w for w in re.findall(r"[a-z0-9/+-]+", base) if w not in _FILLER}


_FILLER = frozenset({"a", "an", "the", "and", "or", "of", "to", "for", "with", "by", "in", "on", "only", "yes", "no"})
