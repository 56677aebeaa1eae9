"""Retrieval over the maturity model and the organization's documents.

`Retriever.search` ranks chunks by vector similarity (Chroma, our embedder) fused with a BM25
keyword ranking (reciprocal rank fusion), under a metadata filter (kind, dimension, levels,
origin). Opening a retriever builds whatever collection is missing or outdated (see
`agent.retrieval.store`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from agent.common.config import Settings
from agent.common.datafile import DataFileError
from agent.common.text import stems
from agent.core.rubric import Rubric
from agent.core.transitions import Transitions
from agent.retrieval.chunks import Chunk, Kind, Origin
from agent.retrieval.documents import DocumentError, OrgDocuments
from agent.retrieval.embeddings import WORDLLAMA, Embedder, EmbedderUnavailable, build_embedder, probe
from agent.retrieval.expansion import coverage, load_expander, mentioned_levels
from agent.retrieval.framework import CorpusMissing, load_framework_chunks
from agent.retrieval.lexical import Lexical
from agent.retrieval.store import ChromaStore, IndexUnavailable, collection_name

log = logging.getLogger(__name__)

# Reciprocal rank fusion constant: small, because the corpus is small and the top ranks matter
# (chosen on the dev split of evals/retrieval.yaml, see docs/benchmarks.md).
RRF_K = 5
DENSE_WEIGHT = 1.0
LEXICAL_WEIGHT = 1.0
# A chunk about a level the query names ("at level 3", "from 2 to 3") counts this much more.
LEVEL_BOOST = 2.0
# A chunk of the kind the query is after ("which KPIs..." -> kpi) counts this much more.
KIND_BOOST = 2.0


# A worker on a shared Chroma server looks for documents other workers added this often (seconds).
SHARED_REFRESH_SECONDS = 30.0

class Filter(BaseModel):
    """Metadata a chunk must have to be returned; unset fields do not filter."""

    model_config = ConfigDict(frozen=True)

    kinds: tuple[Kind, ...] | None = None
    dimension: str | None = None
    from_level: int | None = None
    level: int | None = None
    origin: Origin | None = None

    def where(self) -> dict | None:
        """The same filter as a Chroma `where` clause."""
        parts: list[dict] = []
        if self.kinds:
            parts.append({"kind": {"$in": list(self.kinds)}})
        if self.dimension:
            parts.append({"dimensions": {"$contains": self.dimension}})
        for key in ("from_level", "level"):
            val = getattr(self, key)
            if val is not None:
                parts.append({key: val})
        if self.origin:
            parts.append({"origin": self.origin})
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else {"$and": parts}

    def matches(self, c: Chunk) -> bool:
        return (
            (not self.kinds or c.kind in self.kinds)
            and (not self.dimension or self.dimension in c.dimensions)
            and (self.from_level is None or c.from_level == self.from_level)
            and (self.level is None or c.level == self.level)
            and (not self.origin or c.origin == self.origin)
        )


class Hit(BaseModel):
    chunk: Chunk
    score: float  # fused rank score (higher is better)
    similarity: float | None  # cosine similarity of the vectors, when ranked by vector
    lexical: float  # BM25 score (0: no query word in the chunk)


class IndexStatus(BaseModel):
    location: str
    backend: str  # "local" or "server"
    embedder: str
    embedder_configured: str
    lexical: bool
    framework_collection: str
    framework_chunks: int
    organization_collection: str | None
    organization_chunks: int
    documents: list[dict]
    built_now: list[str]
    build_seconds: float
    notices: list[str]
    # Collections this configuration needs that are absent or incomplete: built on first use.
    # Only a status taken without building (`status(build=False)`) can list any.
    missing: list[str] = []


def _about_levels(c: Chunk, levels: set[int], step: tuple[int, int] | None) -> bool:
    """Whether a chunk is about the levels a query names (a named step picks its guide)."""
    if c.level in levels:
        return True
    if step:
        return c.from_level == step[0]
    return c.from_level in levels or c.to_level in levels


def _rank(ids: Iterable[str]) -> dict[str, int]:
    return {cid: i for i, cid in enumerate(ids)}


class Retriever:
    """The index as the agent uses it. `open()` once (it builds what is missing), then `search`."""

    def __init__(
        self,
        settings: Settings,
        *,
        embedder: Embedder | None = None,
        rubric: Rubric | None = None,
        transitions: Transitions | None = None,
        notice: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = settings
        self.cfg = settings.retrieval
        self.notices: list[str] = []
        self._notice_cb = notice
        self._embedder = embedder
        self._rubric, self._transitions = rubric, transitions
        self.store = ChromaStore(settings.index_dir / "chroma", settings.chroma, notice=self._notice)
        self.documents = OrgDocuments(settings.index_dir / "documents")
        self._opened = False
        self._lock = threading.Lock()
        self.framework: list[Chunk] = []
        self.organization: list[Chunk] = []
        self._names: dict[str, str | None] = {}
        self._built: list[str] = []
        self._build_seconds = 0.0
        self._lexical: Lexical | None = None
        self._vocabulary: set[str] = set()
        self._checked = 0.0

    def _notice(self, msg: str) -> None:
        self.notices.append(msg)
        if self._notice_cb:
            self._notice_cb(msg)
        else:
            log.warning(msg)

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = self._make_embedder()
        return self._embedder

    def _make_embedder(self, run: bool = True) -> Embedder:
        """The configured embedder (WordLlama when it is unavailable). `run=False` does not try it,
        so nothing is downloaded and no provider is called: a missing key is still noticed."""
        spec = self.cfg.embedding
        try:
            emb = build_embedder(
                spec, dim=self.cfg.embedding_dim, api_base=self.settings.api_base,
                timeout_seconds=self.cfg.download_timeout_seconds,
            )
            if run and spec != WORDLLAMA:
                probe(emb)
            return emb
        except EmbedderUnavailable as exc:
            if spec == WORDLLAMA:
                raise
            self._notice(f"Retrieval falls back to {WORDLLAMA} (offline): {exc}")
            return build_embedder(WORDLLAMA, dim=self.cfg.embedding_dim)

    def open(self) -> Retriever:
        """Load the corpus and make sure both collections are current (building them if not)."""
        with self._lock:
            if not self._opened:
                self._open()
                self._opened = True
        return self

    def _open(self) -> None:
        self.framework = load_framework_chunks(self.cfg.corpus_dir, self._rubric, self._transitions)
        self.organization = self.documents.chunks()
        if not self.organization and not self.store.local:
            # A worker sharing a Chroma server: the documents another worker added live there.
            _, self.organization = self.store.newest("organization", self.embedder.fingerprint)
        self._checked = time.monotonic()
        self._sync()

    def _refresh_shared(self) -> None:
        """On a shared Chroma server, take up (at most every SHARED_REFRESH_SECONDS) documents another
        worker added or removed since this one opened the index."""
        if self.store.local or time.monotonic() - self._checked < SHARED_REFRESH_SECONDS or self.documents.chunks():
            return
        with self._lock:
            self._checked = time.monotonic()
            name, chunks = self.store.newest("organization", self.embedder.fingerprint)
            if name and name != self._names.get("organization"):
                self.organization = chunks
                self._sync()

    def _sync(self) -> None:
        t0 = time.perf_counter()
        self._built = []
        name, built, _ = self.store.ensure("framework", self.framework, self.embedder, "bundled corpus")
        self._names = {"framework": name, "organization": None}
        if built:
            self._built.append(name)
        if self.organization:
            oname, obuilt, _ = self.store.ensure("organization", self.organization, self.embedder, "added documents")
            self._names["organization"] = oname
            if obuilt:
                self._built.append(oname)
        elif self.store.local:
            for other in self.store.names():
                if other.startswith("aiops-organization-"):
                    self.store.client().delete_collection(other)
        self._lexical = Lexical(self.framework + self.organization) if self.cfg.lexical else None
        self._vocabulary = load_expander().vocabulary | {
            t for c in self.framework + self.organization for t in stems(c.embed_text())
        }
        self._build_seconds = time.perf_counter() - t0

    def rebuild(self) -> Retriever:
        """Drop this index's collections and build them again."""
        self.open()
        with self._lock:
            for name in filter(None, self._names.values()):
                self.store.client().delete_collection(name)
            self._sync()
        return self

    def add_documents(self, paths: Sequence[Path]) -> list[tuple[Path, str | None]]:
        """Add files; returns (path, error message or None) per file. Good files are indexed even if others fail."""
        self.open()
        results: list[tuple[Path, str | None]] = []
        added: list[str] = []
        for p in paths:
            try:
                doc, new = self.documents.add(Path(p), self.cfg.max_document_bytes)
                if new:
                    added.append(doc.name)
                results.append((Path(p), None))
            except DocumentError as exc:
                results.append((Path(p), str(exc)))
        if added:
            with self._lock:
                try:
                    self.organization = self.documents.chunks()
                    self._sync()
                except Exception as exc:
                    # Never leave a document in the manifest that the index cannot take: every
                    # later start would fail on it.
                    for name in added:
                        self.documents.remove(name)
                    self.organization = self.documents.chunks()
                    self._sync()
                    raise IndexUnavailable(f"could not index {', '.join(added)}: {exc}") from exc
        return results

    def remove_document(self, name: str) -> bool:
        self.open()
        if not self.documents.remove(name):
            return False
        with self._lock:
            self.organization = self.documents.chunks()
            self._sync()
        return True

    def chunk(self, cid: str) -> Chunk | None:
        """A chunk by id (framework or organization)."""
        self.open()
        return next((c for c in self.framework + self.organization if c.id == cid), None)

    def search(self, query: str, flt: Filter | None = None, k: int | None = None) -> list[Hit]:
        """The best chunks for a query under a filter, best first (at most k, default retrieval.top_k)."""
        self.open()
        self._refresh_shared()
        k = k or self.cfg.top_k
        flt = flt or Filter()
        pool = max(4 * k, 24)
        levels, step = mentioned_levels(query)
        expander = load_expander()
        kinds = expander.kinds(query)
        if self.cfg.expand_queries:
            query = expander.expand(query)
        vector = self.embedder.embed([query])[0]
        dense: list[tuple[Chunk, float]] = []
        for family in ("framework", "organization"):
            name = self._names.get(family)
            if name is None or (flt.origin and flt.origin != ("framework" if family == "framework" else "organization")):
                continue
            dense += self.store.query(name, vector, pool, flt.where())
        dense.sort(key=lambda cs: -cs[1])
        by_id = {c.id: c for c, _ in dense}
        sims = {c.id: s for c, s in dense}
        lex: dict[str, float] = {}
        if self._lexical is not None:
            lex = {
                cid: s for cid, s in self._lexical.scores(query).items()
                if flt.matches(self._lexical_chunk(cid))
            }
            for cid in lex:
                by_id.setdefault(cid, self._lexical_chunk(cid))
        d_rank = _rank(c.id for c, _ in dense)
        l_rank = _rank(sorted(lex, key=lambda cid: -lex[cid]))
        fused = {
            cid: (DENSE_WEIGHT / (RRF_K + d_rank[cid] + 1) if cid in d_rank else 0.0)
            + (LEXICAL_WEIGHT / (RRF_K + l_rank[cid] + 1) if cid in l_rank else 0.0)
            for cid in by_id
        }
        for cid, c in by_id.items():
            if levels and _about_levels(c, levels, step):
                fused[cid] *= LEVEL_BOOST
            if c.kind in kinds:
                fused[cid] *= KIND_BOOST
        best = sorted(fused, key=lambda cid: (-fused[cid], -sims.get(cid, 0.0)))[:k]
        return [Hit(chunk=by_id[cid], score=fused[cid], similarity=sims.get(cid), lexical=lex.get(cid, 0.0)) for cid in best]

    def coverage(self, query: str) -> float:
        """Share of the query's topic words that the indexed documents or the thesaurus know.

        Low for questions about something else entirely (the weather, GPUs, a data warehouse):
        the follow-up answerer uses it to say "the model doesn't say" instead of quoting passages.
        """
        self.open()
        return coverage(query, self._vocabulary)

    def _lexical_chunk(self, cid: str) -> Chunk:
        assert self._lexical is not None  # only BM25's own hits are looked up
        return self._lexical.by_id[cid]

    def status(self, build: bool = True) -> IndexStatus:
        """What is indexed where, with which embedder. Opening builds anything missing; with
        `build=False` (`aiops-assess doctor`) nothing is built, downloaded or created, and what
        would be built on first use is listed in `missing`."""
        if not build and not self._opened:
            return self._inspect()
        self.open()
        oname = self._names.get("organization")
        fname = self._names.get("framework") or ""
        return IndexStatus(
            location=self.store.location,
            backend="local" if self.store.local else "server",
            embedder=self.embedder.fingerprint,
            embedder_configured=self.cfg.embedding,
            lexical=self.cfg.lexical,
            framework_collection=fname,
            framework_chunks=self.store.info(fname).get("count", 0),
            organization_collection=oname,
            organization_chunks=self.store.info(oname).get("count", 0) if oname else 0,
            documents=self._documents(self.organization),
            built_now=list(self._built),
            build_seconds=round(self._build_seconds, 3),
            notices=list(self.notices),
        )

    def _inspect(self) -> IndexStatus:
        """The status without building: the collections `open()` would use, and their counts if
        they exist. A local store that was never created is not created (nor Chroma imported)."""
        framework = load_framework_chunks(self.cfg.corpus_dir, self._rubric, self._transitions)
        organization = self.documents.chunks()
        # Not cached as self.embedder: it was not tried, and open() must still try it.
        embedder = self._embedder or self._make_embedder(run=False)
        wanted = {"framework": framework, "organization": organization}
        names = {family: collection_name(family, chunks, embedder.fingerprint)
                 for family, chunks in wanted.items() if chunks}
        counts = {family: (self.store.info(name).get("count", 0) if self.store.created else 0)
                  for family, name in names.items()}
        return IndexStatus(
            location=self.store.location,
            backend="local" if self.store.local else "server",
            embedder=embedder.fingerprint,
            embedder_configured=self.cfg.embedding,
            lexical=self.cfg.lexical,
            framework_collection=names["framework"],
            framework_chunks=counts["framework"],
            organization_collection=names.get("organization"),
            organization_chunks=counts.get("organization", 0),
            documents=self._documents(organization),
            built_now=[],
            build_seconds=0.0,
            notices=list(self.notices),
            missing=[names[f] for f, chunks in wanted.items() if chunks and counts[f] != len(chunks)],
        )

    def _documents(self, organization: list[Chunk]) -> list[dict]:
        """The added documents as the status lists them, with their chunk counts."""
        return [
            {"name": d.name, "source": d.source, "size": d.size, "added_at": d.added_at,
             "chunks": sum(1 for c in organization if c.document == d.name)}
            for d in self.documents.manifest().documents
        ]


__all__ = [
    "CorpusMissing", "Filter", "Hit", "IndexStatus", "IndexUnavailable", "Retriever", "load_framework_chunks",
]

_SHARED: dict[str, Retriever] = {}
_SHARED_LOCK = threading.Lock()


def shared_retriever(settings: Settings) -> Retriever:
    """One retriever per index location and retrieval settings in this process (interviews running
    side by side, e.g. in a batch evaluation, must not open the same Chroma store twice)."""
    key = f"{settings.index_dir}|{settings.retrieval.model_dump_json()}|{settings.chroma.model_dump_json()}"
    with _SHARED_LOCK:
        if key not in _SHARED:
            _SHARED[key] = Retriever(settings)
        return _SHARED[key]


# Failures of the index a user can cause or fix; the agent reports them and carries on without it.
RETRIEVAL_ERRORS: tuple[type[Exception], ...] = (CorpusMissing, IndexUnavailable, EmbedderUnavailable)
# ... and with a data file the index is built from (rubric, guides, thesaurus) unreadable.
INDEX_UNAVAILABLE: tuple[type[Exception], ...] = (*RETRIEVAL_ERRORS, DataFileError)
