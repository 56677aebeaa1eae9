"""Scoring predicted answers against gold labels (pure).

Definitions (also in evals/README.md):
- exact / within-one accuracy: over every gold question of every interview; an unanswered
  question counts as wrong. `answered_exact_accuracy` is the same over answered questions only.
- coverage: the share of gold questions the agent answered.
- MAE and quadratic weighted kappa (QWK): over answered questions, scores 0-5.
- total MAE: |predicted total − gold total| per interview, an unanswered question adding 0.
- level accuracy: the predicted level equals the gold level; an incomplete assessment has no
  level and counts as wrong (`level_in_range` credits a gold level inside its provisional range).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import BaseModel

from agent.core.rubric import QUESTION_IDS, Rubric
from agent.core.scoring import score

SCORES = range(6)


def qwk(pairs: Sequence[tuple[int, int]], categories: int = 6) -> float:
    """Quadratic weighted kappa of (gold, predicted) pairs over 0..categories-1.

    1.0 is perfect agreement, 0 chance level. When both raters use a single category throughout
    the expected disagreement is 0: then 1.0 if they agree everywhere, else 0.0.
    """
    n = len(pairs)
    if n == 0:
        return 0.0
    observed = [[0.0] * categories for _ in range(categories)]
    for g, p in pairs:
        observed[g][p] += 1
    gold_hist = [sum(row) for row in observed]
    pred_hist = [sum(observed[i][j] for i in range(categories)) for j in range(categories)]
    denom_w = (categories - 1) ** 2
    num = den = 0.0
    for i in range(categories):
        for j in range(categories):
            w = (i - j) ** 2 / denom_w
            num += w * observed[i][j]
            den += w * gold_hist[i] * pred_hist[j] / n
    if den == 0:
        return 1.0 if num == 0 else 0.0
    return 1.0 - num / den


class ItemScore(BaseModel):
    """One interview's predicted answers against its gold."""

    id: str
    expected: dict[str, int]
    predicted: dict[str, int]
    expected_total: int
    predicted_total: int
    expected_level: int
    predicted_level: int | None
    level_range: tuple[int, int]
    exact: int
    within_one: int
    answered: int


def score_item(rubric: Rubric, iid: str, expected: Mapping[str, int], predicted: Mapping[str, int]) -> ItemScore:
    a = score(rubric, dict(predicted))
    gold_total = sum(expected.values())
    return ItemScore(
        id=iid, expected=dict(expected), predicted=dict(predicted),
        expected_total=gold_total, predicted_total=sum(predicted.values()),
        expected_level=rubric.level_for_total(gold_total), predicted_level=a.level, level_range=a.level_range,
        exact=sum(1 for q, g in expected.items() if predicted.get(q) == g),
        within_one=sum(1 for q, g in expected.items() if q in predicted and abs(predicted[q] - g) <= 1),
        answered=sum(1 for q in expected if q in predicted),
    )


def _share(num: float, den: float) -> float:
    return round(num / den, 4) if den else 0.0


def _block(items: Sequence[ItemScore], qids: Sequence[str]) -> dict[str, float | None]:
    """Accuracy figures restricted to some questions."""
    gold = [(it.expected[q], it.predicted.get(q)) for it in items for q in qids if q in it.expected]
    answered = [(g, p) for g, p in gold if p is not None]
    out: dict[str, float | None] = {
        "n": len(gold),
        "exact_accuracy": _share(sum(1 for g, p in gold if p == g), len(gold)),
        "within_one_accuracy": _share(sum(1 for g, p in answered if abs(p - g) <= 1), len(gold)),
        "coverage": _share(len(answered), len(gold)),
        "mae": round(sum(abs(p - g) for g, p in answered) / len(answered), 4) if answered else None,
    }
    return out


def confusion(items: Sequence[ItemScore]) -> list[list[int]]:
    """Rows gold 0..5; columns predicted 0..5 and a last column for "not answered"."""
    m = [[0] * 7 for _ in SCORES]
    for it in items:
        for q, g in it.expected.items():
            p = it.predicted.get(q)
            m[g][6 if p is None else p] += 1
    return m


def aggregate(rubric: Rubric, items: Sequence[ItemScore]) -> dict:
    """Every metric of the run (see the module docstring), with per-question and per-dimension breakdowns."""
    overall = _block(items, QUESTION_IDS)
    pairs = [(it.expected[q], it.predicted[q]) for it in items for q in QUESTION_IDS if q in it.predicted]
    n = len(items)
    return {
        "interviews": n,
        "exact_accuracy": overall["exact_accuracy"],
        "within_one_accuracy": overall["within_one_accuracy"],
        "answered_exact_accuracy": _share(sum(1 for g, p in pairs if g == p), len(pairs)),
        "mae": overall["mae"],
        "qwk": round(qwk(pairs), 4),
        "coverage": overall["coverage"],
        "total_mae": round(sum(abs(it.predicted_total - it.expected_total) for it in items) / n, 3) if n else None,
        "level_accuracy": _share(sum(1 for it in items if it.predicted_level == it.expected_level), n),
        "level_in_range": _share(
            sum(1 for it in items if it.level_range[0] <= it.expected_level <= it.level_range[1]), n),
        "complete": _share(sum(1 for it in items if it.answered == len(it.expected)), n),
        "per_question": {q: _block(items, [q]) for q in QUESTION_IDS},
        "per_dimension": {d.id: _block(items, [q.id for q in rubric.questions_in(d.id)]) for d in rubric.dimensions},
        "confusion": confusion(items),
    }


def stability(runs: Sequence[Sequence[Mapping[str, int]]]) -> float:
    """Share of (interview, question) cells scored identically in every run (unanswered is a value).

    `runs[k][i]` is run k's predicted answers for interview i.
    """
    if not runs or not runs[0]:
        return 1.0
    same = total = 0
    for i in range(len(runs[0])):
        for q in QUESTION_IDS:
            values = {r[i].get(q) for r in runs}
            total += 1
            same += len(values) == 1
    return round(same / total, 4)
