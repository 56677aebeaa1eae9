"""Benchmarks of the retrieval index (not timed tests).

1. Index build time for the bundled corpus: cold (new process state: Chroma and the embedder load)
   and warm (rebuild in a loaded process).
2. Query latency p50/p95 over every query of evals/retrieval.yaml (x3), index warm.
3. Recall@1, recall@5 and MRR per split (dev, test, holdout) for each retrieval option available
   here; options that cannot run here are listed with the reason.

Run: uv run python benchmarks/bench_retrieval.py [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agent.common.config import load_settings  # noqa: E402
from agent.evaluation.retrieval_eval import load_retrieval_set, metrics, percentile, run  # noqa: E402
from agent.reporting.followup import MIN_COVERAGE  # noqa: E402
from agent.retrieval.embeddings import EmbedderUnavailable  # noqa: E402
from agent.retrieval.retriever import Retriever  # noqa: E402

OPTIONS = {
    "wordllama + BM25 + thesaurus (default)": {},
    "wordllama + BM25, no thesaurus": {"expand_queries": False},
    "wordllama only + thesaurus": {"lexical": False},
    "wordllama only": {"lexical": False, "expand_queries": False},
    "onnx-minilm + BM25 + thesaurus": {"embedding": "onnx-minilm", "download_timeout_seconds": 10},
    "openai/text-embedding-3-small + BM25 + thesaurus": {"embedding": "openai/text-embedding-3-small"},
}


def settings_with(data_dir: Path, **retrieval):
    s = load_settings()
    return s.model_copy(update={"data_dir": data_dir, "retrieval": s.retrieval.model_copy(update=retrieval)})


def build_times(tmp: Path) -> dict:
    t0 = time.perf_counter()
    r = Retriever(settings_with(tmp / "build")).open()
    cold = time.perf_counter() - t0
    warm = []
    for _ in range(3):
        t0 = time.perf_counter()
        r.rebuild()
        warm.append(time.perf_counter() - t0)
    return {"chunks": len(r.framework), "cold_s": round(cold, 3), "warm_rebuild_s": round(min(warm), 3)}


def evaluate(tmp: Path, name: str, overrides: dict) -> dict:
    notices: list[str] = []
    r = Retriever(settings_with(tmp / name.split()[0].replace("/", "_"), **overrides), notice=notices.append)
    try:
        r.open()
    except EmbedderUnavailable as exc:
        return {"available": False, "reason": str(exc)}
    if notices and overrides.get("embedding"):
        return {"available": False, "reason": notices[0]}
    queries = load_retrieval_set().queries
    r.search("warm-up")
    out: dict = {"available": True, "embedder": r.embedder.fingerprint}
    for split in ("dev", "test", "holdout"):
        qs = [q for q in queries if q.split == split]
        m = metrics(run(qs, lambda q: [h.chunk.id for h in r.search(q, k=10)],
                        abstains=lambda q: r.coverage(q) < MIN_COVERAGE))
        out[split] = {"recall_at_1": m.recall_at_1, "recall_at_5": m.recall_at_5, "mrr": m.mrr,
                      "out_of_scope_declined": f"{m.out_of_scope_recognised}/{m.out_of_scope}",
                      "answerable_declined": m.answerable_declined}
    return out


def latency(tmp: Path) -> dict:
    r = Retriever(settings_with(tmp / "build")).open()
    qs = [q.query for q in load_retrieval_set().queries]
    r.search("warm-up")
    times = []
    for _ in range(3):
        for q in qs:
            t0 = time.perf_counter()
            r.search(q)
            times.append((time.perf_counter() - t0) * 1000)
    return {"queries": len(times), "p50_ms": round(percentile(times, 50), 2), "p95_ms": round(percentile(times, 95), 2),
            "max_ms": round(max(times), 2)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        res = {"build": build_times(tmp), "latency": latency(tmp),
               "options": {name: evaluate(tmp, name, o) for name, o in OPTIONS.items()}}
    if args.json:
        print(json.dumps(res, indent=2))
        return
    b, lat = res["build"], res["latency"]
    print(f"Index build ({b['chunks']} chunks): cold {b['cold_s']:.2f} s, warm rebuild {b['warm_rebuild_s']:.2f} s")
    print(f"Query latency over {lat['queries']} queries: p50 {lat['p50_ms']:.1f} ms, p95 {lat['p95_ms']:.1f} ms, max {lat['max_ms']:.1f} ms")
    print("| option | split | recall@1 | recall@5 | MRR | out-of-scope declined | answerable declined |")
    print("|---|---|---|---|---|---|---|")
    for name, o in res["options"].items():
        if not o["available"]:
            print(f"| {name} | — | not available here: {o['reason'][:140]} | | | | |")
            continue
        for split in ("dev", "test", "holdout"):
            m = o[split]
            print(f"| {name} | {split} | {m['recall_at_1']:.3f} | {m['recall_at_5']:.3f} | {m['mrr']:.3f} | "
                  f"{m['out_of_scope_declined']} | {m['answerable_declined']} |")


if __name__ == "__main__":
    main()
