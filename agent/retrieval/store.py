"""The Chroma side of the index: clients, versioned collections, repair of a broken store.

Two collections: the bundled framework corpus and the organization's documents. Each is named by a
hash of what its vectors depend on (the chunks and the embedder), so a collection is either current
or absent — never silently stale: a changed corpus or embedder gets a new collection, built on
first use, and (in the local store) the outdated ones are deleted. We hand Chroma our own vectors,
so no process ever needs Chroma's default embedding function (which would download a model).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from agent.common.config import ChromaSettings
from agent.retrieval.chunks import Chunk

log = logging.getLogger(__name__)

# Bump when the chunk metadata layout or the id scheme changes.
LAYOUT_VERSION = "1"
PREFIX = "aiops"
_BATCH = 256
# Chroma keeps one system per path in a process-wide cache; opening it from two threads at once
# fails half-way (KeyError, missing bindings), which must never be mistaken for a corrupt store.
_CONNECT_LOCK = threading.Lock()


class IndexUnavailable(Exception):
    """The index cannot be opened or built; the message names the fix."""


def fingerprint(chunks: Sequence[Chunk], embedder_fingerprint: str) -> str:
    """Hash of everything a collection's vectors depend on."""
    h = hashlib.sha256(f"{LAYOUT_VERSION}|{embedder_fingerprint}|".encode())
    for c in chunks:
        h.update(c.model_dump_json().encode())
    return h.hexdigest()[:20]


def collection_name(family: str, chunks: Sequence[Chunk], embedder_fingerprint: str) -> str:
    """The name of the collection holding `chunks` embedded by that embedder (see the module docstring)."""
    return f"{PREFIX}-{family}-{fingerprint(chunks, embedder_fingerprint)}"


def to_metadata(c: Chunk) -> dict:
    """Chroma metadata: scalars and string lists only (no None)."""
    meta: dict = {"section": c.section, "kind": c.kind, "document": c.document, "origin": c.origin}
    for key in ("level", "from_level", "to_level"):
        val = getattr(c, key)
        if val is not None:
            meta[key] = val
    if c.dimensions:
        meta["dimensions"] = list(c.dimensions)
    return meta


def from_record(cid: str, text: str, meta: dict) -> Chunk:
    """A chunk back from Chroma's id, document and metadata."""
    return Chunk(
        id=cid, section=meta["section"], kind=meta["kind"], text=text, document=meta["document"],
        origin=meta.get("origin", "framework"), level=meta.get("level"), from_level=meta.get("from_level"),
        to_level=meta.get("to_level"), dimensions=list(meta.get("dimensions") or []),
    )


def _clear_chroma_cache(chromadb) -> None:
    # Best effort: the cache only matters within this process.
    with contextlib.suppress(Exception):
        chromadb.api.client.SharedSystemClient.clear_system_cache()


class ChromaStore:
    """A Chroma client (local persistent store, or a server when `chroma.host` is set)."""

    def __init__(self, path: Path, server: ChromaSettings, notice: Callable[[str], None] | None = None) -> None:
        self.path = path
        self.server = server
        self.notice = notice or (lambda msg: log.warning(msg))
        self._client = None

    @property
    def local(self) -> bool:
        return not self.server.host

    @property
    def location(self) -> str:
        if self.local:
            return str(self.path)
        scheme = "https" if self.server.ssl else "http"
        return f"{scheme}://{self.server.host}:{self.server.port}"

    def client(self):
        if self._client is None:
            with _CONNECT_LOCK:
                self._client = self._connect()
        return self._client

    def _connect(self):
        os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
        import chromadb

        settings = chromadb.Settings(anonymized_telemetry=False)
        if not self.local:
            try:
                client = chromadb.HttpClient(
                    host=self.server.host or "localhost", port=self.server.port, ssl=self.server.ssl, settings=settings
                )
                client.heartbeat()
                return client
            except Exception as exc:
                raise IndexUnavailable(
                    f"cannot reach the Chroma server at {self.location} ({type(exc).__name__}); start it, "
                    "fix chroma.host/chroma.port, or set chroma.host: null to use the local store"
                ) from exc
        self.path.mkdir(parents=True, exist_ok=True)
        for attempt in range(2):
            try:
                client = chromadb.PersistentClient(path=str(self.path), settings=settings)
                client.list_collections()
                return client
            except Exception as exc:  # noqa: BLE001 - a corrupt store raises whatever its parser hits
                if attempt == 1:
                    return self._repair(chromadb, settings, exc)
                _clear_chroma_cache(chromadb)  # a stale cached system: retry once before repairing

    def _repair(self, chromadb, settings, exc: Exception):
        """Move a store Chroma cannot open out of the way and start a fresh one."""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        broken = self.path.with_name(f"{self.path.name}.broken-{stamp}")
        _clear_chroma_cache(chromadb)
        shutil.move(str(self.path), str(broken))
        self.notice(
            f"The index store at {self.path} could not be opened ({type(exc).__name__}: {str(exc)[:120]}); "
            f"it was moved to {broken} and is being rebuilt. Your added documents are kept and re-indexed."
        )
        self.path.mkdir(parents=True, exist_ok=True)
        try:
            return chromadb.PersistentClient(path=str(self.path), settings=settings)
        except Exception as exc2:
            raise IndexUnavailable(f"cannot create an index store at {self.path}: {exc2}") from exc2

    @property
    def created(self) -> bool:
        """Whether there is a store to look into without creating one (a server always counts)."""
        return not self.local or self.path.is_dir()

    def names(self) -> list[str]:
        return [c if isinstance(c, str) else c.name for c in self.client().list_collections()]

    def collection(self, name: str):
        """An existing collection, or None."""
        if name not in self.names():
            return None
        return self.client().get_collection(name, embedding_function=None)

    def ensure(
        self, family: str, chunks: Sequence[Chunk], embedder, built_with: str,
    ) -> tuple[str, bool, float]:
        """The collection for these chunks and this embedder: (name, built now?, seconds spent).

        Builds it when absent or incomplete; in the local store, deletes the family's other
        (outdated) collections afterwards.
        """
        name = collection_name(family, chunks, embedder.fingerprint)
        t0 = time.perf_counter()
        col = self.collection(name)
        built = False
        if col is None or col.count() != len(chunks):
            if col is not None:
                self.client().delete_collection(name)
            self._build(name, chunks, embedder, built_with)
            built = True
        if self.local:
            for other in self.names():
                if other.startswith(f"{PREFIX}-{family}-") and other != name:
                    self.client().delete_collection(other)
        return name, built, time.perf_counter() - t0

    def _build(self, name: str, chunks: Sequence[Chunk], embedder, built_with: str) -> None:
        col = self.client().create_collection(
            name,
            embedding_function=None,
            configuration={"hnsw": {"space": "cosine"}},
            metadata={
                "embedder": embedder.fingerprint, "built_with": built_with, "chunks": len(chunks),
                "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            },
        )
        for i in range(0, len(chunks), _BATCH):
            part = chunks[i : i + _BATCH]
            vectors = embedder.embed([c.embed_text() for c in part])
            col.add(
                ids=[c.id for c in part],
                embeddings=np.asarray(vectors, dtype=np.float32),
                documents=[c.text for c in part],
                metadatas=[to_metadata(c) for c in part],
            )

    def query(self, name: str, vector: np.ndarray, n: int, where: dict | None) -> list[tuple[Chunk, float]]:
        """Nearest chunks as (chunk, cosine similarity), best first."""
        col = self.client().get_collection(name, embedding_function=None)
        total = col.count()
        if total == 0:
            return []
        res = col.query(
            query_embeddings=np.asarray([vector], dtype=np.float32), n_results=min(n, total), where=where,
            include=["documents", "metadatas", "distances"],
        )
        return [
            (from_record(cid, doc, meta), 1.0 - float(dist))
            for cid, doc, meta, dist in zip(res["ids"][0], res["documents"][0], res["metadatas"][0], res["distances"][0], strict=False)
        ]

    def newest(self, family: str, embedder_fingerprint: str) -> tuple[str | None, list[Chunk]]:
        """The family's most recently built complete collection for this embedder on the server, and
        its chunks: how a worker without the documents folder sees the organization documents
        another worker added to a shared Chroma server."""
        best, best_at, best_col = None, "", None
        for name in self.names():
            if not name.startswith(f"{PREFIX}-{family}-"):
                continue
            col = self.client().get_collection(name, embedding_function=None)
            meta = col.metadata or {}
            built_at = str(meta.get("built_at", ""))
            if meta.get("embedder") == embedder_fingerprint and col.count() == meta.get("chunks") and \
                    (best is None or built_at > best_at):
                best, best_at, best_col = name, built_at, col
        if best_col is None:
            return None, []
        got = best_col.get(include=["documents", "metadatas"])
        return best, [from_record(cid, doc, meta) for cid, doc, meta in
                      zip(got["ids"], got["documents"], got["metadatas"], strict=True)]

    def info(self, name: str) -> dict:
        """Count and metadata of a collection (empty if it does not exist)."""
        col = self.collection(name)
        if col is None:
            return {}
        return {"count": col.count(), **(col.metadata or {})}
