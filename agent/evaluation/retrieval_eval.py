"""Retrieval evaluation: labelled queries → recall@1, recall@5, MRR (and abstention, if scored).

The query file format is documented in evals/retrieval.yaml. Recall@k here is the share of
answerable queries with at least one expected chunk among the first k results; MRR averages
1/rank of the first expected chunk (0 when it is not in the first 10).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from agent.common.datafile import DataFileError, load_yaml_model
from agent.common.paths import PROJECT_ROOT

RETRIEVAL_SET = PROJECT_ROOT / "evals" / "retrieval.yaml"
MRR_DEPTH = 10
Style = Literal["keyword", "question", "paraphrase", "situational", "out_of_scope"]


class RetrievalQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    query: str = Field(min_length=1)
    expected: list[str] = Field(default_factory=list)  # empty: out of scope
    style: Style
    split: Literal["dev", "test", "holdout"]

    @model_validator(mode="after")
    def _style_matches(self) -> RetrievalQuery:
        if (self.style == "out_of_scope") != (not self.expected):
            raise ValueError(f"{self.id}: out_of_scope queries (and only they) have no expected chunks")
        return self


class RetrievalSet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int
    queries: list[RetrievalQuery] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> RetrievalSet:
        ids = [q.id for q in self.queries]
        if len(ids) != len(set(ids)):
            raise ValueError("query ids must be unique")
        return self


class RetrievalSetError(DataFileError):
    """The retrieval query file is missing or invalid."""


def load_retrieval_set(path: Path | str = RETRIEVAL_SET) -> RetrievalSet:
    return load_yaml_model(path, RetrievalSet, "retrieval evaluation set", RetrievalSetError)


class QueryResult(BaseModel):
    id: str
    query: str
    style: Style
    split: str
    expected: list[str]
    retrieved: list[str]
    rank: int | None  # 1-based rank of the first expected chunk within MRR_DEPTH
    milliseconds: float
    abstained: bool | None = None  # the answerer would say "the model doesn't say"


class RetrievalMetrics(BaseModel):
    queries: int
    recall_at_1: float
    recall_at_5: float
    mrr: float
    by_style: dict[str, dict[str, float]]
    latency_ms_p50: float
    latency_ms_p95: float
    out_of_scope: int = 0
    out_of_scope_recognised: int = 0  # out-of-scope queries the answerer declines
    answerable_declined: int = 0  # answerable queries it would wrongly decline


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    idx = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[idx]


def _scores(results: Sequence[QueryResult]) -> dict[str, float]:
    n = len(results) or 1
    return {
        "queries": len(results),
        "recall_at_1": round(sum(1 for r in results if r.rank == 1) / n, 3),
        "recall_at_5": round(sum(1 for r in results if r.rank is not None and r.rank <= 5) / n, 3),
        "mrr": round(sum(1 / r.rank for r in results if r.rank) / n, 3),
    }


def metrics(results: Sequence[QueryResult]) -> RetrievalMetrics:
    """Aggregate over answerable queries, overall and per style."""
    answerable = [r for r in results if r.expected]
    styles = sorted({r.style for r in answerable})
    lat = [r.milliseconds for r in results] or [0.0]
    oos = [r for r in results if not r.expected]
    return RetrievalMetrics.model_validate({
        **_scores(answerable),
        "out_of_scope": len(oos),
        "out_of_scope_recognised": sum(1 for r in oos if r.abstained),
        "answerable_declined": sum(1 for r in answerable if r.abstained),
        "by_style": {s: _scores([r for r in answerable if r.style == s]) for s in styles},
        "latency_ms_p50": round(percentile(lat, 50), 2),
        "latency_ms_p95": round(percentile(lat, 95), 2),
    })


def run(
    queries: Sequence[RetrievalQuery],
    search: Callable[[str], list[str]],
    on_done: Callable[[QueryResult], None] | None = None,
    abstains: Callable[[str], bool] | None = None,
) -> list[QueryResult]:
    """Run every query through `search` (query → ranked chunk ids); `abstains` says whether the
    answerer would decline the question as not covered."""
    out = []
    for q in queries:
        t0 = time.perf_counter()
        ids = search(q.query)[:MRR_DEPTH]
        ms = (time.perf_counter() - t0) * 1000
        rank = next((i + 1 for i, cid in enumerate(ids) if cid in q.expected), None)
        res = QueryResult(
            id=q.id, query=q.query, style=q.style, split=q.split, expected=q.expected, retrieved=ids,
            rank=rank, milliseconds=round(ms, 2), abstained=abstains(q.query) if abstains else None,
        )
        out.append(res)
        if on_done:
            on_done(res)
    return out


def unknown_ids(queries: Sequence[RetrievalQuery], known: set[str]) -> list[str]:
    """Expected chunk ids that the index does not have (a stale query file)."""
    return sorted({cid for q in queries for cid in q.expected if cid not in known})
