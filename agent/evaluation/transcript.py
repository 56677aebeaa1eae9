"""Which questionnaire question a recorded interviewer turn asks (pure apart from the data files).

Recorded interviews carry the interviewer's words, not question ids; the agent's interpretation
needs to know the question just asked (as it does in a live interview). The guess ranks the
questions by the IDF-weighted word stems they share with the turn: each question's text, topic,
dimension, options, table rows and the agent's own wordings of it (knowledge/phrasing.yaml), with
the turn expanded by the retrieval thesaurus first ("caps on spend" also says "budget").
"""

from __future__ import annotations

import math
from collections import Counter

from agent.core.phrasing import load_phrasing
from agent.core.rubric import Rubric
from agent.retrieval.expansion import content_stems, load_expander

_GENERIC = set(content_stems("ai model models team teams organization organisation application applications "
                             "today currently use using system systems"))


class QuestionGuesser:
    """Guesses the question an interviewer turn asks; None when nothing points at one."""

    def __init__(self, rubric: Rubric) -> None:
        phrasing = load_phrasing()
        self._bags: dict[str, Counter] = {}
        for q in rubric.questions:
            texts = [q.text, q.topic, rubric.dimension(q.dimension).name, *q.table_rows, *[o.label for o in q.options]]
            wording = phrasing.questions.get(q.id)
            if wording is not None:
                texts += [wording.ask, wording.reask, wording.clarify]
            self._bags[q.id] = Counter(t for t in content_stems(" ".join(texts)) if t not in _GENERIC)
        docs = len(self._bags)
        df = Counter(t for bag in self._bags.values() for t in set(bag))
        self._idf = {t: math.log(1 + docs / n) for t, n in df.items()}

    def scores(self, text: str) -> dict[str, float]:
        """How strongly the turn points at each question (IDF-weighted shared stems)."""
        toks = set(content_stems(load_expander().expand(text))) - _GENERIC
        return {qid: sum(self._idf[t] for t in toks if t in bag) for qid, bag in self._bags.items()}

    def guess(self, text: str) -> str | None:
        """The question the turn asks most clearly, or None."""
        scored = self.scores(text)
        best = max(scored, key=lambda q: (scored[q], -int(q[1:])))
        return best if scored[best] > 0 else None

    def guess_all(self, text: str, share: float = 0.6) -> list[str]:
        """Every question the turn asks: the clearest, and those pointed at nearly as strongly
        (an interviewer often asks two things at once), in questionnaire order."""
        scored = self.scores(text)
        top = max(scored.values(), default=0.0)
        return [q for q, v in scored.items() if top > 0 and v >= share * top]


_GUESSERS: dict[int, QuestionGuesser] = {}


def guesser(rubric: Rubric) -> QuestionGuesser:
    """The guesser for a rubric (built once per rubric object)."""
    if id(rubric) not in _GUESSERS:
        _GUESSERS[id(rubric)] = QuestionGuesser(rubric)
    return _GUESSERS[id(rubric)]
