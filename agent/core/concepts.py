"""Does a quote describe the option it is evidence for? (pure, apart from loading the data)

A score may change only on evidence that describes the practice: the quoted words must mention
what the chosen option means (its concepts, knowledge/concepts.yaml) — a number, "level 5" or
the option's label recited as a claim is not enough, and neither is an earlier, genuine sentence
about something less (a quote of "we log requests and responses" cannot carry "full traces with
predictive anomaly detection"). agent.core.evidence applies this to every answer of every engine.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from agent.common.datafile import load_yaml_model
from agent.common.paths import KNOWLEDGE_DIR
from agent.common.text import stems
from agent.core.rubric import Rubric, load_rubric
from agent.core.screening import fold

CONCEPTS_PATH = KNOWLEDGE_DIR / "concepts.yaml"

Shortfall = Literal["no_concept", "recital"]


class QuestionConcepts(BaseModel):
    topic: list[str]
    options: dict[int, list[str]]


class ConceptsData(BaseModel):
    """knowledge/concepts.yaml."""

    version: int
    negations: list[str]
    negation_reach: int
    negation_exceptions: list[str]
    plans: list[str]
    foreign_words: list[str]
    recital_from: int
    claim_words: list[str]
    shared: dict[str, list[str]]
    questions: dict[str, QuestionConcepts]


_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"})
_SENTENCES = re.compile(r"(?<=[.!?;])\s+|\n+")
_CLAUSE = re.compile(r"[.;:!?,()\n]|\bbut\b|\bthough\b|\bexcept\b")


def _rx(entries: list[str]) -> re.Pattern[str] | None:
    # Every entry starts at a word boundary; most are stems, so nothing is required after them.
    return re.compile("|".join(f"(?<!\\w)(?:{e})" for e in entries)) if entries else None


@dataclass(frozen=True)
class _Option:
    specific: re.Pattern[str] | None  # the option's own words
    generic: re.Pattern[str] | None  # shared words ("itself", "predicts"), for several questions' options


class Concepts:
    """The compiled concepts of every option, and the questionnaire's own vocabulary."""

    def __init__(self, data: ConceptsData, rubric: Rubric) -> None:
        self.data = data
        # "non-critical" is not a denial: a hyphen joins the word to what follows.
        self._negation = re.compile("|".join(f"{n}(?![\\w-])" if "'" in n  # "n't" ends a word ("can't")
                                             else f"(?<![\\w-]){n}(?![\\w-])" if n[0].isalpha() else n
                                             for n in data.negations))
        self._foreign = frozenset(data.foreign_words)
        self._plan = re.compile("|".join(f"(?<!\\w)(?:{p})" for p in data.plans))
        self._exception = re.compile("|".join(data.negation_exceptions))
        self._topic = {q: _rx(c.topic) for q, c in data.questions.items()}
        self._options: dict[tuple[str, int], _Option] = {}
        for q, c in data.questions.items():
            for score, entries in c.options.items():
                own = [e for e in entries if not e.startswith("@")]
                shared = [g for e in entries if e.startswith("@") for g in data.shared[e[1:]]]
                self._options[(q, score)] = _Option(_rx(own), _rx(shared))
        # Each question's own wording (its text, its options' labels, its dimension): what a recital
        # is made of, with the plain claim words ("we have", "fully").
        claim = set(stems(" ".join(data.claim_words)))
        self._own: dict[str, set[str]] = {}
        for question in rubric.questions:
            words = [question.text, question.topic, *question.table_rows, rubric.dimension(question.dimension).name,
                     *(o.label for o in question.options)]
            self._own[question.id] = set(stems(" ".join(words))) | claim
        # The top options' labels, every question's: their words, and their phrases (word pairs).
        top = [stems(o.label) for q in rubric.questions for o in q.options if o.score >= data.recital_from]
        self._top = {w for label in top for w in label} | claim
        self._top_pairs = {p for label in top for p in pairwise(label)}

    def shortfall(self, qid: str, score: int, quote: str, *, asked: bool = False) -> Shortfall | None:
        """Why `quote` is not evidence for option `score` of `qid`, or None when it is: it mentions
        none of the option's concepts, or (for a question that was not `asked`, and for the shared
        words such as "itself") not the question's topic either ("no_concept"); or, for the top
        options, it says nothing beyond the questionnaire's own wording ("recital")."""
        if score < 1 or qid not in self.data.questions:
            return None  # option 0 (none) can only lower an answer
        text = fold(quote).translate(_QUOTES).lower()
        opt = self._options.get((qid, score))
        if opt is None:
            return "no_concept"
        # One sentence of the quote must name what the option means, and be about this question:
        # the question asked sets the topic of a terse answer ("Sometimes, with effort."); a
        # passing mention of another question, or a shared word ("itself", "nobody has to"), must
        # name it in the same sentence (a long quote cannot take its topic from one sentence and
        # its concept from another).
        topic = self._topic[qid]
        found = False
        for sentence in _SENTENCES.split(text):
            on_topic = topic is not None and topic.search(sentence) is not None  # "no personal data" is on topic
            if ((self._mentions(opt.specific, sentence) and (asked or on_topic))
                    or (self._mentions(opt.generic, sentence) and on_topic)):
                found = True
                break
        if not found:
            return "no_concept"
        if score >= self.data.recital_from and (self.recites(qid, text) or self.foreign(text)):
            return "recital"
        return None

    def foreign(self, quote: str) -> bool:
        """True when `quote` is mostly in another language than the concepts' (see the data file)."""
        letters = [c for c in quote if c.isalpha()]
        if letters and sum(not ("a" <= c.lower() <= "z") and unicodedata.name(c, "").find("LATIN") < 0
                           for c in letters) > 0.3 * len(letters):
            return True
        words = re.findall(r"[^\W\d_]+", quote.lower())
        return len(words) >= 3 and sum(w in self._foreign for w in words) >= 0.25 * len(words)

    def recites(self, qid: str, quote: str) -> bool:
        """True when every content word of `quote` is the question's own wording (its text and
        option labels) or a plain claim word ("we have self-improving quality systems" for q4), or
        when it recites another question's top option ("autonomous budget optimization — that's
        us", quoted for cost): a phrase of a top label and nothing but the questionnaire's words."""
        words = [s for s in stems(quote) if not s.isdigit() and len(s) > 1]
        if not words:
            return False
        if all(s in self._own[qid] for s in words):
            return True
        pairs = set(pairwise(words))
        return bool(pairs & self._top_pairs) and all(s in self._own[qid] or s in self._top for s in words)

    def _mentions(self, rx: re.Pattern[str] | None, text: str) -> bool:
        """True when `rx` matches `text` somewhere not denied by a negation just before it."""
        if rx is None:
            return False
        return any(not self._denied(text, m.start()) for m in rx.finditer(text))

    def _denied(self, text: str, at: int) -> bool:
        """True when the concept at `at` is denied ("no tracing") or only planned ("we're
        evaluating Lakera for automatic detection next quarter") in its clause."""
        start = 0
        for m in _CLAUSE.finditer(text, 0, at):
            start = m.end()
        after = _CLAUSE.search(text, at)
        if self._plan.search(text, start, after.start() if after else len(text)):
            return True
        before = text[start:at].split()[-(self.data.negation_reach + 1):]
        window = " ".join(before)
        if not window or self._exception.search(window):
            return False
        return bool(self._negation.search(window))


@lru_cache(maxsize=2)
def load_concepts(path: Path = CONCEPTS_PATH) -> Concepts:
    """The compiled concepts (knowledge/concepts.yaml), with the bundled questionnaire's wording."""
    return Concepts(load_yaml_model(path, ConceptsData, "option concepts"), load_rubric())
