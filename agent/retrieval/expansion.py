"""Query understanding for retrieval: the model's own words for what a user says, and the levels a
query names.

Static word embeddings and BM25 only see the words of a query; "our bots hand work to each other"
shares none with "multi-agent orchestration". knowledge/thesaurus.yaml maps everyday phrasings to
the model's terms, matched on Snowball word stems. Pure apart from loading that file.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from agent.common.datafile import DataFileError, load_yaml_model
from agent.common.paths import KNOWLEDGE_DIR
from agent.common.text import stems

THESAURUS_PATH = KNOWLEDGE_DIR / "thesaurus.yaml"
_LEVEL = re.compile(r"\b(?:level|lvl|l)\s*-?\s*([0-5])\b")
_FROM_TO = re.compile(r"\b(?:level\s*|l)?([0-5])\s*(?:to|->|→|-)\s*(?:level\s*|l)?([0-5])\b")


class Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    terms: list[str] = Field(min_length=1)
    says: list[str] = Field(min_length=1)


class Thesaurus(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int
    kinds: dict[str, list[str]] = Field(default_factory=dict)  # chunk kind -> regexes of queries after it
    entries: list[Entry]


class ThesaurusError(DataFileError):
    """knowledge/thesaurus.yaml is missing or invalid."""


class Expander:
    """Adds the thesaurus terms a query's phrasing calls for."""

    def __init__(self, thesaurus: Thesaurus) -> None:
        # Phrases by their first stem, so a query only checks phrases that can start at its words.
        self._by_first: dict[str, list[tuple[tuple[str, ...], int]]] = {}
        self._terms = [" ".join(e.terms) for e in thesaurus.entries]
        self._kinds = {k: [re.compile(p) for p in pats] for k, pats in thesaurus.kinds.items()}
        self.phrase_count = 0
        for i, e in enumerate(thesaurus.entries):
            for phrase in e.says:
                key = tuple(stems(phrase))
                if key:
                    self._by_first.setdefault(key[0], []).append((key, i))
                    self.phrase_count += 1
        self.vocabulary = {t for keys in self._by_first.values() for key, _ in keys for t in key}

    def expand(self, query: str) -> str:
        """The query followed by the model's terms for what it mentions (each entry once, in order)."""
        toks = stems(query)
        hit: set[int] = set()
        for i, tok in enumerate(toks):
            for key, entry in self._by_first.get(tok, ()):
                if entry not in hit and tuple(toks[i : i + len(key)]) == key:
                    hit.add(entry)
        return query if not hit else f"{query}\n{' '.join(self._terms[e] for e in sorted(hit))}"

    def kinds(self, query: str) -> set[str]:
        """The kinds of passage the query is after ("which KPIs..." -> kpi)."""
        low = " ".join(query.lower().split())
        return {k for k, pats in self._kinds.items() if any(p.search(low) for p in pats)}


def mentioned_levels(query: str) -> tuple[set[int], tuple[int, int] | None]:
    """Levels a query names ("level 3", "L2"), and a from→to step if it names one ("2 to 3")."""
    q = query.lower()
    step = None
    m = _FROM_TO.search(q)
    if m and ("level" in q or re.search(r"\bl[0-5]\b", q)):
        a, b = int(m.group(1)), int(m.group(2))
        if b == a + 1:
            step = (a, b)
    levels = {int(x) for x in _LEVEL.findall(q)}
    if step:
        levels |= set(step)
    return levels, step


@lru_cache(maxsize=2)
def load_expander(path: Path | str = THESAURUS_PATH) -> Expander:
    return Expander(load_yaml_model(path, Thesaurus, "thesaurus", ThesaurusError))


_FUNCTION_WORDS = (
    "what how why which who when where should would could can will shall may might must we our us ours "
    "you your i me my mine do does did done get got make want need is are was were be been being have "
    "has had it its there they them their this that these those one really just also very much many more "
    "most some any all the a an and or but if then so to of in on at by for with about from into over "
    "after before as than too not no yes ok okay please tell explain"
)


@lru_cache(maxsize=1)
def function_stems() -> frozenset[str]:
    """Stems of words that carry no topic (question words, pronouns, auxiliaries)."""
    return frozenset(stems(_FUNCTION_WORDS))


def content_stems(text: str) -> list[str]:
    """Stems of the topic-bearing words of a text (no function words, no bare numbers)."""
    fw = function_stems()
    return [t for t in stems(text) if t not in fw and not t.isdigit() and len(t) > 1]


def coverage(query: str, vocabulary: set[str]) -> float:
    """Share of the query's topic words the corpus (or the thesaurus) knows; 1.0 for none at all."""
    toks = content_stems(query)
    return 1.0 if not toks else sum(t in vocabulary for t in toks) / len(toks)
