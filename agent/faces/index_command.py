"""`aiops-assess index build|status|add|remove` and `aiops-assess eval-retrieval`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from agent.common.config import Settings
from agent.common.hints import command
from agent.faces.exits import EXIT_FAILED, EXIT_OK

if TYPE_CHECKING:
    from agent.retrieval.retriever import IndexStatus, Retriever


def _retriever(settings: Settings, quiet: bool = False) -> Retriever:
    from agent.retrieval.retriever import Retriever

    if quiet:  # the notices are still in the status
        return Retriever(settings, notice=lambda msg: None)
    return Retriever(settings, notice=lambda msg: print(f"note: {msg}", file=sys.stderr))


def index_status(settings: Settings, *, build: bool = True, quiet: bool = False) -> IndexStatus:
    """The status `index status` shows. `build=False` builds, downloads and creates nothing
    (`aiops-assess doctor`); `quiet` keeps the notices in the status instead of printing them."""
    return _retriever(settings, quiet=quiet).status(build=build)


def print_status(settings: Settings, as_json: bool = False) -> int:
    """Where the index is, what it holds, which embedder built it."""
    st = index_status(settings)
    if as_json:
        print(st.model_dump_json(indent=2))
        return EXIT_OK
    print(f"Index:      {st.location} ({st.backend})")
    fallback = "" if st.embedder.startswith(st.embedder_configured) or st.embedder_configured in st.embedder else (
        f" (configured: {st.embedder_configured}; unavailable, see note)"
    )
    print(f"Embedder:   {st.embedder}{fallback}; keyword ranking (BM25): {'on' if st.lexical else 'off'}")
    state = "built just now" if st.framework_collection in st.built_now else "current"
    print(f"Framework:  {st.framework_chunks} chunks in {st.framework_collection} ({state})")
    if st.documents:
        print(f"Your documents: {st.organization_chunks} chunks in {st.organization_collection}")
        for d in st.documents:
            print(f"  - {d['name']}: {d['chunks']} chunks, {d['size']:,} bytes, added {d['added_at']} from {d['source']}")
    else:
        print(f"Your documents: none (add Markdown or text with `{command('index add PATH...')}`)")
    if st.built_now:
        print(f"Built in {st.build_seconds:.2f} s.")
    return EXIT_OK


def build(settings: Settings, force: bool) -> int:
    r = _retriever(settings)
    if force:
        r.rebuild()
    st = r.status()
    what = "Rebuilt" if force or st.built_now else "Up to date:"
    print(
        f"{what} {st.framework_chunks} framework chunks"
        + (f" and {st.organization_chunks} chunks of your documents" if st.documents else "")
        + f" with {st.embedder} ({st.build_seconds:.2f} s) in {st.location}"
    )
    return EXIT_OK


def add(settings: Settings, paths: list[str]) -> int:
    r = _retriever(settings)
    results = r.add_documents([Path(p) for p in paths])
    failed = 0
    for path, err in results:
        if err:
            failed += 1
            print(f"skipped {err}", file=sys.stderr)
        else:
            name = next((d["name"] for d in r.status().documents if Path(d["source"]) == path.resolve()), path.name)
            n = sum(1 for c in r.organization if c.document == name)
            print(f"added {path} as {name} ({n} chunks)")
    ok = len(results) - failed
    print(f"{ok} of {len(results)} file(s) added; cited in answers as your organization's documents.")
    return EXIT_OK if ok else EXIT_FAILED


def remove(settings: Settings, name: str) -> int:
    if _retriever(settings).remove_document(name):
        print(f"removed {name}")
        return EXIT_OK
    print(f"aiops-assess: no added document named {name!r}; see `{command('index status')}`", file=sys.stderr)
    return EXIT_FAILED


def eval_retrieval(
    settings: Settings, path: str | None, split: str | None, as_json: bool, verbose: bool,
) -> int:
    """Recall@1, recall@5 and MRR of the configured retrieval on a labelled query set."""
    from agent.evaluation.retrieval_eval import RETRIEVAL_SET, load_retrieval_set, metrics, run, unknown_ids

    qs = load_retrieval_set(path or RETRIEVAL_SET).queries
    if split:
        qs = [q for q in qs if q.split == split]
    r = _retriever(settings).open()
    missing = unknown_ids(qs, {c.id for c in r.framework + r.organization})
    if missing:
        print(f"aiops-assess: the query file expects chunks the index does not have: {', '.join(missing)}", file=sys.stderr)
        return EXIT_FAILED
    r.search("warm-up")
    from agent.reporting.followup import MIN_COVERAGE

    results = run(qs, lambda q: [h.chunk.id for h in r.search(q, k=10)],
                  abstains=lambda q: r.coverage(q) < MIN_COVERAGE)
    m = metrics(results)
    if as_json:
        print(json.dumps({"embedder": r.embedder.fingerprint, "lexical": settings.retrieval.lexical,
                          "metrics": m.model_dump(), "items": [x.model_dump() for x in results]}, indent=2))
        return EXIT_OK
    print(f"Retrieval: {r.embedder.fingerprint}, BM25 {'on' if settings.retrieval.lexical else 'off'}; "
          f"{m.queries} answerable queries{f' ({split} split)' if split else ''}")
    print(f"  recall@1 {m.recall_at_1:.3f}   recall@5 {m.recall_at_5:.3f}   MRR {m.mrr:.3f}   "
          f"latency p50 {m.latency_ms_p50:.1f} ms, p95 {m.latency_ms_p95:.1f} ms")
    if m.out_of_scope:
        print(f"  out of scope: {m.out_of_scope_recognised} of {m.out_of_scope} declined as not covered; "
              f"answerable wrongly declined: {m.answerable_declined} of {m.queries}")
    for style, s in m.by_style.items():
        print(f"  {style:12} n={int(s['queries']):3}  r@1 {s['recall_at_1']:.3f}  r@5 {s['recall_at_5']:.3f}  MRR {s['mrr']:.3f}")
    if verbose:
        for x in results:
            if x.expected and (x.rank is None or x.rank > 5):
                print(f"  miss {x.id} [{x.style}] {x.query!r}: expected {x.expected[0]}, got {x.retrieved[:3]}")
    return EXIT_OK
