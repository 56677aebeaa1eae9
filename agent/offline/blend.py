"""Blending the rule reader's answers with the statistical reader's (agent.offline.model).

The rules are precise where their vocabulary reaches, and handle what a sentence-level model does
not (negation scope, hedges, corrections, self-ratings); the model reaches phrasings no cue
covers. So, per question:

- the rules read it: their answer stands; where the model reads the same option with confidence
  the answer's confidence rises, and where no sentence is about the question for the model and
  the question was not asked, a weak rule reading (a word in passing) is dropped;
- only the model reads it: its answer counts when the most relevant sentence is about the
  question with at least `ASKED_RELEVANCE` (a question asked) or `OTHER_RELEVANCE` (any other);
  the evidence is that sentence, the confidence the model's calibrated probabilities;
- every question asked gets the model's likeliest options as hints, for the interviewer's
  numbered options if the answer stays open or unsure.

The thresholds were chosen on the tuned sets (tests/data, evals/interviews) and the corpus's
held-out share, never on the blind set (see docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from agent.core.schemas import ScoredAnswer, as_question_id
from agent.offline.features import tokens
from agent.offline.model import Reading
from agent.offline.votes import EVIDENCE_MAX

ASKED_RELEVANCE = 0.45
OTHER_RELEVANCE = 0.8
# Below this relevance in every sentence, a question was not what the reply was about.
ABSENT_RELEVANCE = 0.05
# A rule reading of an unasked question below this confidence is a word in passing.
WEAK_RULE = 0.85
MIN_CONFIDENCE, MAX_CONFIDENCE = 0.5, 0.95
# Where both read a question and disagree, the model's option wins when it is at least this sure
# (its option probability times the sentence's relevance).
MODEL_OVERRIDE = 0.9
# A later sentence about a question outweighs an earlier one if it is at least this share as relevant.
LAST_SHARE = 0.8
# Where the two readers differ by at least this many options, the answer is unsure (the interviewer
# then offers both readings among the options) rather than a guess.
DISAGREE_GAP = 2
DISAGREE_CONFIDENCE = 0.55
HINTS = 3


def sentence_evidence(sentence: str) -> str:
    """A sentence as evidence: whitespace squashed, end punctuation off, cut at EVIDENCE_MAX."""
    s = " ".join(sentence.split()).rstrip(".!?;, ")
    return s if len(s) <= EVIDENCE_MAX else s[:EVIDENCE_MAX].rsplit(" ", 1)[0]


def blend(rule_answers: Sequence[ScoredAnswer], sentences: Sequence[str], readings: Sequence[Reading],
          asking: Collection[str], asked: Collection[str], *, changes_course: bool = False,
          hedged: Sequence[bool] = (),
          ) -> tuple[list[ScoredAnswer], dict[str, list[int]]]:
    """(the answers, the likely options of asked questions left open). `changes_course`: the
    reply corrects itself or says a practice lapsed, so a later denial does undo a description.
    `hedged`: per sentence, whether it is about a pilot, a plan or a minority, which the rules
    weigh (production only, majority decides) and the model does not see."""
    by_q: dict[str, ScoredAnswer] = {a.question_id: a for a in rule_answers}
    negated = [any(t.startswith("~") for t in tokens(s)) for s in sentences]
    out: dict[str, ScoredAnswer] = {}
    hints: dict[str, list[int]] = {}
    for q in asked:
        rels = [r.relevance[q] for r in readings]
        best = max(range(len(rels)), key=lambda i: (rels[i], i)) if rels else None
        rel = rels[best] if best is not None else 0.0
        # The last sentence about the question decides, as people correct themselves as they go,
        # unless it is much less about the question than an earlier one ("it only remembers the
        # conversation; once the chat ends it forgets everything").
        about = [i for i, r in enumerate(rels)
                 if r >= (ASKED_RELEVANCE if q in asking else OTHER_RELEVANCE) and not (hedged and hedged[i])]
        pick = best
        if about:
            top = max(about, key=lambda i: rels[i])
            pick = about[-1] if rels[about[-1]] >= LAST_SHARE * rels[top] else top
            # A denial after a description ("agents pick tools from our registry. They cannot
            # find new tools themselves") denies a higher option; it does not undo the description.
            if negated[pick] and not changes_course:
                lower = int(readings[pick].options[q].argmax())
                stated = [i for i in about if not negated[i] and int(readings[i].options[q].argmax()) > lower]
                if stated:
                    pick = stated[-1]
        probs = readings[pick].options[q] if pick is not None else None
        sure = 0.0
        if about and probs is not None:
            option = int(probs.argmax())
            # For a question asked, the question says what the reply is about; for another, the
            # sentence must say it too.
            sure = max(float(readings[i].options[q][option]) * (1.0 if q in asking else rels[i]) for i in about
                       if int(readings[i].options[q].argmax()) == option)
        if q in asking and probs is not None:
            hints[q] = sorted(int(i) for i in probs.argsort()[::-1][:HINTS])
        rule = by_q.get(q)
        if rule is not None:
            if q not in asking and rel < ABSENT_RELEVANCE and rule.confidence < WEAK_RULE:
                continue  # a word in passing the model sees nothing of
            if probs is not None and about and pick is not None:
                model_score = int(probs.argmax())
                if model_score == rule.score:
                    rule = rule.model_copy(update={"confidence": max(rule.confidence, min(MAX_CONFIDENCE, float(probs.max())))})
                else:
                    rule_score = rule.score
                    # Lapses and self-corrections are the rules' to read: the model does not see time.
                    if sure >= MODEL_OVERRIDE and not changes_course:
                        rule = ScoredAnswer(question_id=as_question_id(q), score=model_score,
                                            confidence=round(min(MAX_CONFIDENCE, sure), 2),
                                            evidence=sentence_evidence(sentences[pick]))
                    if abs(model_score - rule_score) >= DISAGREE_GAP:
                        rule = rule.model_copy(update={"confidence": min(rule.confidence, DISAGREE_CONFIDENCE)})
                        if q in asking:
                            hints[q] = sorted({model_score, rule_score, *hints.get(q, [])[:1]})
            out[q] = rule
            continue
        if about and probs is not None and pick is not None:
            score = int(probs.argmax())
            conf = min(MAX_CONFIDENCE, max(MIN_CONFIDENCE, float(probs.max()) * readings[pick].relevance[q] ** 0.5))
            out[q] = ScoredAnswer(question_id=as_question_id(q), score=score, confidence=round(conf, 2),
                                  evidence=sentence_evidence(sentences[pick]))
    order = {q: i for i, q in enumerate(sorted(asked, key=lambda x: int(x[1:])))}
    return sorted(out.values(), key=lambda a: order.get(a.question_id, 99)), hints
