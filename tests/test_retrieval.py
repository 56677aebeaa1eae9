"""The retrieval index: real Chroma + WordLlama, offline.

Covers building and versioning the collections, filters, the organization's added documents
(including bad inputs), a missing corpus, a corrupt store, the network behaviour of each embedder
(offline WordLlama, Chroma's ONNX MiniLM, a LiteLLM model behind a local fake OpenAI endpoint),
a Chroma server, and the `index` / `eval-retrieval` commands.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from agent.common.config import load_settings
from agent.common.paths import KNOWLEDGE_DIR
from agent.retrieval.embeddings import (
    WORDLLAMA,
    EmbedderUnavailable,
    OnnxMiniLMEmbedder,
    WordLlamaEmbedder,
    build_embedder,
)
from agent.retrieval.framework import CorpusMissing, load_framework_chunks
from agent.retrieval.retriever import Filter, Retriever
from agent.retrieval.store import IndexUnavailable

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"
ONNX_MODEL = Path.home() / ".cache" / "chroma" / "onnx_models" / "all-MiniLM-L6-v2" / "onnx" / "model.onnx"

RUNBOOK_MD = """\
# Incident Runbook

## Escalation

Pages for the Kestrel inference cluster go to the platform on-call first; escalate to the Heron
team after fifteen minutes without acknowledgement.

## Rollback

Prompt versions are rolled back with the Osprey feature-flag service.
"""

BUDGET_TXT = """\
Budget policy for language models.

Each product team has a monthly LLM spend cap of 4,000 euros, set and reviewed by the Plover
FinOps guild.
"""


# --- helpers ----------------------------------------------------------------------------------


def with_retrieval(settings, **changes):
    return settings.model_copy(update={"retrieval": settings.retrieval.model_copy(update=changes)})


def with_chroma(settings, **changes):
    return settings.model_copy(update={"chroma": settings.chroma.model_copy(update=changes)})


def clear_chroma_cache() -> None:
    """Chroma keeps one client system per path in the process; forget them between phases."""
    import chromadb

    chromadb.api.client.SharedSystemClient.clear_system_cache()


def framework_count() -> int:
    return len(load_framework_chunks())


def write_org_docs(folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    md, txt = folder / "Runbook.md", folder / "budget.txt"
    md.write_text(RUNBOOK_MD, encoding="utf-8")
    txt.write_text(BUDGET_TXT, encoding="utf-8")
    return md, txt


def found(hits, document: str):
    """The first hit from an added document (a query naming its content finds it in the top k)."""
    chunk = next((h.chunk for h in hits if h.chunk.document == document), None)
    assert chunk is not None, f"{document} not in {[h.chunk.id for h in hits]}"
    return chunk


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RenamedWordLlama:
    """WordLlama under another fingerprint: stands for "the configured embedder changed"."""

    name = WORDLLAMA
    fingerprint = "wordllama-test-variant"

    def __init__(self) -> None:
        self._inner = WordLlamaEmbedder()

    def embed(self, texts):
        return self._inner.embed(texts)


@pytest.fixture(scope="module")
def built_index(tmp_path_factory):
    """Settings of a data dir whose framework index is built once for the read-only tests."""
    with pytest.MonkeyPatch.context() as mp:
        for key in list(os.environ):
            if key.startswith("AIOPS_") or key.endswith("_API_KEY"):
                mp.delenv(key, raising=False)
        mp.setenv("AIOPS_DATA_DIR", str(tmp_path_factory.mktemp("shared-index") / "data"))
        mp.setenv("AIOPS_MODEL", "offline/rubric")
        s = load_settings()
    Retriever(s).open()
    return s


@pytest.fixture
def shared(built_index):
    """A fresh Retriever on the shared, already built index (opening it builds nothing)."""
    r = Retriever(built_index, notice=lambda m: None)
    assert r.status().built_now == []
    return r


@pytest.fixture
def no_network(monkeypatch):
    """Every outgoing connection fails (and is recorded)."""
    attempts: list[tuple] = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network access is blocked in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


# --- building and versioning ------------------------------------------------------------------


def test_first_use_builds_and_a_second_retriever_reuses_the_collection(settings):
    notices: list[str] = []
    st1 = Retriever(settings, notice=notices.append).status()
    assert st1.built_now == [st1.framework_collection]
    assert st1.framework_chunks == framework_count()
    assert st1.backend == "local"
    assert Path(st1.location).is_relative_to(settings.data_dir)
    assert st1.embedder.startswith("wordllama")
    assert st1.organization_collection is None and st1.documents == []
    assert notices == []

    r2 = Retriever(settings)
    st2 = r2.status()
    assert st2.built_now == []
    assert st2.framework_collection == st1.framework_collection
    assert st2.framework_chunks == st1.framework_chunks
    assert r2.store.names() == [st1.framework_collection]


def test_a_changed_embedder_builds_a_new_collection_and_deletes_the_old(settings):
    old = Retriever(settings).status().framework_collection
    r = Retriever(settings, embedder=RenamedWordLlama())
    st = r.status()
    assert st.framework_collection != old
    assert st.built_now == [st.framework_collection]
    assert st.framework_chunks == framework_count()
    assert r.store.names() == [st.framework_collection]  # the outdated one is gone
    assert r.search("unified gateway provider abstraction", k=3)


def test_a_changed_embedding_dim_builds_a_new_collection_and_keeps_added_documents(settings, tmp_path):
    md, _ = write_org_docs(tmp_path / "src")
    r1 = Retriever(settings)
    assert r1.add_documents([md]) == [(md, None)]
    st1 = r1.status()

    s128 = with_retrieval(settings, embedding_dim=128)
    r2 = Retriever(s128, notice=lambda m: None)
    st2 = r2.status()
    assert st2.embedder != st1.embedder
    assert st2.framework_collection != st1.framework_collection
    assert st2.organization_collection not in (None, st1.organization_collection)
    assert set(st2.built_now) == {st2.framework_collection, st2.organization_collection}
    assert set(r2.store.names()) == {st2.framework_collection, st2.organization_collection}
    assert st2.organization_chunks == st1.organization_chunks > 0
    assert found(r2.search("escalate the Kestrel inference cluster pages", k=3), "runbook.md")


def test_a_changed_corpus_builds_a_new_collection(settings, tmp_path):
    original = Retriever(settings).status().framework_collection

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for p in KNOWLEDGE_DIR.glob("*.md"):
        shutil.copy(p, corpus / p.name)
    # An identical copy elsewhere is the same corpus: nothing to rebuild.
    same = Retriever(with_retrieval(settings, corpus_dir=corpus)).status()
    assert same.framework_collection == original and same.built_now == []

    seed = corpus / "AI_OPS_MATURITY_MODEL.md"
    text = seed.read_text(encoding="utf-8")
    line = "**Goal:** Establish basic structure and awareness"
    assert text.count(line) == 1
    seed.write_text(text.replace(line, "**Goal:** Establish basic structure and a zebrafish awareness drill"),
                    encoding="utf-8")

    r = Retriever(with_retrieval(settings, corpus_dir=corpus))
    st = r.status()
    assert st.framework_collection != original
    assert st.built_now == [st.framework_collection]
    assert original not in r.store.names()
    hits = {h.chunk.id: h.chunk for h in r.search("zebrafish awareness drill", k=4)}
    assert "transition-l0-l1-goal" in hits
    assert "zebrafish awareness drill" in hits["transition-l0-l1-goal"].text
    assert "zebrafish" in r.chunk("transition-l0-l1-goal").text


# --- filters ----------------------------------------------------------------------------------


def test_filter_on_kind_from_level_and_dimension(shared):
    flt = Filter(kinds=("transition",), from_level=2, dimension="cost")
    expected = {
        c.id for c in load_framework_chunks()
        if c.kind == "transition" and c.from_level == 2 and "cost" in c.dimensions
    }
    assert len(expected) >= 2
    # a query whose words are all over non-matching chunks (KPIs, levels, questionnaire)
    hits = shared.search("monthly cost review spreadsheet dashboard budget alerts", flt, k=20)
    for h in hits:
        c = h.chunk
        assert c.kind == "transition" and c.from_level == 2 and "cost" in c.dimensions, c.id
    assert {h.chunk.id for h in hits} == expected  # fewer matches than k: all of them


def test_filter_on_level_and_kind_puts_that_level_s_kpis_first(shared):
    hits = shared.search("which metrics should we track and how often", Filter(level=3, kinds=("kpi",)))
    assert hits, "no hit"
    assert hits[0].chunk.id == "kpi-level-3"
    assert all(h.chunk.kind == "kpi" and h.chunk.level == 3 for h in hits)


def test_unfiltered_search_ranks_the_obvious_chunk_first(shared):
    hits = shared.search("Level 2 to Level 3 evaluation pipeline weeks 5-8", k=4)
    assert len(hits) == 4
    assert hits[0].chunk.id == "transition-l2-l3-week-5-8"
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


# --- organization documents -------------------------------------------------------------------


def test_added_documents_are_indexed_found_and_cited(settings, tmp_path):
    md, txt = write_org_docs(tmp_path / "src")
    r = Retriever(settings)
    results = r.add_documents([md, txt])
    assert results == [(md, None), (txt, None)]
    st = r.status()
    assert [d["name"] for d in st.documents] == ["runbook.md", "budget.txt"]
    assert all(d["chunks"] > 0 for d in st.documents)
    assert st.organization_chunks == sum(d["chunks"] for d in st.documents)
    assert st.organization_collection in st.built_now

    top = found(r.search("who do we escalate Kestrel inference cluster pages to", k=3), "runbook.md")
    assert top.origin == "organization"
    assert "Heron" in top.text
    assert top.cite().startswith("Your organization's document")
    assert "runbook.md" in top.cite()

    top = found(r.search("what is our monthly LLM spend cap per team (Plover guild)", k=3), "budget.txt")
    assert top.origin == "organization" and top.kind == "organization"
    assert "4,000 euros" in top.text
    assert top.cite().startswith("Your organization's document budget.txt")

    org_only = r.search("gateway", Filter(origin="organization"), k=10)
    assert org_only and all(h.chunk.origin == "organization" for h in org_only)
    framework_only = r.search("Kestrel inference cluster Heron", Filter(origin="framework"), k=10)
    assert all(h.chunk.origin == "framework" for h in framework_only)

    # a new process (Retriever) sees them without re-adding or rebuilding
    st2 = Retriever(settings).status()
    assert st2.built_now == [] and st2.organization_chunks == st.organization_chunks


def test_added_documents_survive_rebuild_and_an_embedder_change(settings, tmp_path):
    md, txt = write_org_docs(tmp_path / "src")
    r = Retriever(settings)
    r.add_documents([md, txt])
    before = r.status()

    r.rebuild()
    st = r.status()
    assert set(st.built_now) == {st.framework_collection, st.organization_collection}
    assert st.organization_chunks == before.organization_chunks > 0
    assert found(r.search("Osprey feature-flag rollback", k=3), "runbook.md")

    r2 = Retriever(settings, embedder=RenamedWordLlama())  # re-embedded from the kept sources
    st2 = r2.status()
    assert st2.organization_collection not in (None, before.organization_collection)
    assert st2.organization_collection in st2.built_now
    assert st2.organization_chunks == before.organization_chunks
    assert set(r2.store.names()) == {st2.framework_collection, st2.organization_collection}
    assert found(r2.search("Plover FinOps guild spend cap", k=3), "budget.txt")


def test_remove_document(settings, tmp_path):
    md, txt = write_org_docs(tmp_path / "src")
    r = Retriever(settings)
    r.add_documents([md, txt])
    assert r.remove_document("runbook.md") is True
    st = r.status()
    assert [d["name"] for d in st.documents] == ["budget.txt"]
    assert all(h.chunk.document != "runbook.md"
               for h in r.search("Kestrel inference cluster Heron escalation", k=10))
    assert not (settings.index_dir / "documents" / "runbook.md").exists()

    assert r.remove_document("runbook.md") is False  # already gone
    assert r.remove_document("budget.txt") is True
    st = r.status()
    assert st.documents == [] and st.organization_collection is None and st.organization_chunks == 0
    assert r.search("Plover FinOps guild", Filter(origin="organization"), k=5) == []
    assert not any(n.startswith("aiops-organization-") for n in r.store.names())
    # and in a fresh Retriever too
    assert Retriever(settings).status().documents == []


def test_a_document_with_repeated_numbered_headings_can_be_added_and_removed(settings, tmp_path):
    doc = tmp_path / "minutes.md"
    doc.write_text("## Notes\n\nalpha\n\n## Notes\n\nbeta\n\n## Notes 2\n\ngamma\n", encoding="utf-8")
    r = Retriever(settings)
    [(_, err)] = r.add_documents([doc])
    assert err is None
    assert Retriever(settings).status().documents[0]["chunks"] == 3
    assert Retriever(settings).remove_document("minutes.md") is True


def test_bad_inputs_each_get_their_own_error_and_the_good_file_is_added(monkeypatch, tmp_path):
    monkeypatch.setenv("AIOPS_RETRIEVAL__MAX_DOCUMENT_BYTES", "1000")  # the nested env override
    s = load_settings()
    assert s.retrieval.max_document_bytes == 1_000
    assert s.retrieval.embedding == "wordllama"  # the other retrieval keys still come from config
    src = tmp_path / "src"
    src.mkdir()
    good = src / "Runbook.md"
    good.write_text(RUNBOOK_MD, encoding="utf-8")
    assert good.stat().st_size < 1_000
    empty = src / "empty.md"
    empty.write_bytes(b"")
    blank = src / "blank.txt"
    blank.write_text("  \n\n \t\n", encoding="utf-8")
    binary = src / "data.txt"
    binary.write_bytes(b"PK\x03\x04\x00\x00binary\x00stuff" * 10)
    big = src / "big.md"
    big.write_text("A long line of text.\n" * 300, encoding="utf-8")
    pdf = src / "report.pdf"
    pdf.write_text("plain words in a file named .pdf", encoding="utf-8")
    missing = src / "missing.md"
    folder = src / "folder.md"
    folder.mkdir()
    (folder / "inside.md").write_text("text", encoding="utf-8")
    latin1 = src / "cafe.txt"
    latin1.write_bytes("Caf\xe9 cr\xe8me policy".encode("latin-1"))

    expect = {  # path -> words the error must contain
        empty: ["empty"],
        blank: ["empty"],
        binary: ["binary"],
        big: ["max_document_bytes"],
        pdf: ["markdown", "text"],
        missing: ["no such file"],
        folder: ["folder"],
        latin1: ["utf-8"],
    }
    paths = [empty, blank, binary, good, big, pdf, missing, folder, latin1]
    r = Retriever(s)
    results = r.add_documents(paths)

    assert [p for p, _ in results] == paths
    errors = dict(results)
    assert errors[good] is None
    for p, words in expect.items():
        err = errors[p]
        assert err, f"{p.name} was accepted"
        assert str(p) in err, err
        for w in words:
            assert w in err.lower(), (p.name, err)
    reasons = [errors[p].replace(str(p), "") for p in expect if p not in (empty, blank)]
    assert len(set(reasons)) == len(reasons), "each problem has its own message"

    st = r.status()
    assert [d["name"] for d in st.documents] == ["runbook.md"]
    assert st.organization_chunks > 0
    assert found(r.search("Kestrel inference cluster escalation", k=3), "runbook.md")
    stored = sorted(p.name for p in (s.index_dir / "documents").iterdir())
    assert stored == ["manifest.json", "runbook.md"]


# --- a missing corpus ---------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["missing", "empty", "readme-only"])
def test_missing_or_empty_corpus_folder_says_which_folder(settings, tmp_path, state):
    folder = tmp_path / "no-corpus-here"
    if state != "missing":
        folder.mkdir()
    if state == "readme-only":
        (folder / "README.md").write_text("# About\n\nNot the corpus.\n", encoding="utf-8")
    r = Retriever(with_retrieval(settings, corpus_dir=folder))
    t0 = time.perf_counter()
    with pytest.raises(CorpusMissing) as info:
        r.status()
    assert time.perf_counter() - t0 < 5
    msg = str(info.value)
    assert str(folder) in msg
    assert "retrieval.corpus_dir" in msg


# --- a corrupt store ----------------------------------------------------------------------------


def test_a_corrupt_store_is_moved_aside_and_rebuilt_with_the_added_documents(settings, tmp_path):
    md, _ = write_org_docs(tmp_path / "src")
    r1 = Retriever(settings)
    assert r1.add_documents([md]) == [(md, None)]
    before = r1.status()
    assert before.organization_chunks > 0
    del r1
    clear_chroma_cache()

    store = settings.index_dir / "chroma"
    files = [p for p in store.rglob("*") if p.is_file()]
    assert any(p.name == "chroma.sqlite3" for p in files)
    for p in files:
        p.write_bytes(b"\x13\x37 this is not a database " * 64)

    notices: list[str] = []
    r2 = Retriever(settings, notice=notices.append)
    st = r2.status()
    assert notices, "no notice about the broken store"
    assert any("moved" in n and "rebuilt" in n for n in notices), notices
    assert any(str(store) in n for n in notices), notices
    assert set(st.built_now) == {st.framework_collection, st.organization_collection}
    assert st.framework_chunks == framework_count()
    assert st.organization_chunks == before.organization_chunks
    assert [d["name"] for d in st.documents] == ["runbook.md"]
    assert found(r2.search("escalate Kestrel inference cluster pages", k=3), "runbook.md")
    assert list(store.parent.glob("chroma.broken-*")), "the broken store was not kept aside"

    # the repaired store opens cleanly afterwards
    r3 = Retriever(settings, notice=notices.append)
    n = len(notices)
    assert r3.status().built_now == []
    assert len(notices) == n


# --- embedders and the network ------------------------------------------------------------------


def test_the_offline_embedder_builds_and_searches_without_network(settings, no_network):
    r = Retriever(settings)
    st = r.status()
    assert st.built_now and st.embedder.startswith("wordllama")
    hits = r.search("how do we control AI spend", k=3)
    assert hits
    assert no_network == [], f"network connections attempted: {no_network}"


@pytest.mark.skipif(ONNX_MODEL.exists(), reason="the ONNX MiniLM model is already downloaded here")
def test_onnx_minilm_offline_falls_back_to_wordllama_quickly(settings, no_network):
    notices: list[str] = []
    r = Retriever(with_retrieval(settings, embedding="onnx-minilm"), notice=notices.append)
    t0 = time.perf_counter()
    st = r.status()
    assert time.perf_counter() - t0 < 10
    assert st.embedder.startswith("wordllama")
    assert st.embedder_configured == "onnx-minilm"
    assert any("wordllama" in n and "retrieval.embedding" in n for n in notices), notices
    assert st.notices == notices
    assert r.search("gateway", k=2)


def test_an_onnx_download_that_hangs_gives_up_after_the_timeout(monkeypatch):
    from chromadb.utils.embedding_functions import ONNXMiniLM_L6_V2

    release = threading.Event()

    def hang(self, input):
        release.wait(30)
        return []

    monkeypatch.setattr(ONNXMiniLM_L6_V2, "__call__", hang)
    emb = OnnxMiniLMEmbedder(timeout_seconds=0.5)
    t0 = time.perf_counter()
    try:
        with pytest.raises(EmbedderUnavailable) as info:
            emb.embed(["hello"])
        assert time.perf_counter() - t0 < 2
        assert "retrieval.embedding" in str(info.value)
    finally:
        release.set()


def test_a_litellm_embedding_model_without_its_key_names_the_key(settings):
    with pytest.raises(EmbedderUnavailable) as info:
        build_embedder("openai/text-embedding-3-small")
    assert "OPENAI_API_KEY" in str(info.value)

    # a Retriever configured with it says so and carries on offline
    notices: list[str] = []
    r = Retriever(with_retrieval(settings, embedding="openai/text-embedding-3-small"), notice=notices.append)
    assert r.embedder.fingerprint.startswith("wordllama")
    assert any("OPENAI_API_KEY" in n and "retrieval.embedding" in n for n in notices), notices


class _FakeOpenAIEmbeddings(BaseHTTPRequestHandler):
    """POST /embeddings in OpenAI's wire format, with deterministic vectors."""

    requests: ClassVar[list[dict]] = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append({"path": self.path, "authorization": self.headers.get("Authorization"),
                                    "body": body})
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        if self.path.rstrip("/").endswith("/embeddings"):
            payload = {
                "object": "list",
                "data": [{"object": "embedding", "index": i, "embedding": _vector(t)} for i, t in enumerate(texts)],
                "model": "text-embedding-3-small",
                "usage": {"prompt_tokens": len(texts), "total_tokens": len(texts)},
            }
            status = 200
        else:
            payload, status = {"error": {"message": f"unknown path {self.path}"}}, 404
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def _vector(text: str, dim: int = 32) -> list[float]:
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
    return np.random.default_rng(seed).standard_normal(dim).round(6).tolist()


@pytest.fixture
def openai_server():
    handler = type("Handler", (_FakeOpenAIEmbeddings,), {"requests": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server, handler.requests
    finally:
        server.shutdown()
        server.server_close()


def test_a_litellm_embedding_model_builds_and_searches(settings, monkeypatch, openai_server):
    server, requests = openai_server
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    s = with_retrieval(settings, embedding="openai/text-embedding-3-small")
    s = s.model_copy(update={"api_base": f"http://127.0.0.1:{server.server_port}"})
    notices: list[str] = []
    r = Retriever(s, notice=notices.append)
    st = r.status()
    assert notices == []
    assert st.embedder == "litellm-openai/text-embedding-3-small"
    assert st.built_now == [st.framework_collection]
    assert st.framework_chunks == framework_count()
    query = "quarterly zebra budget forecast"
    hits = r.search(query, k=3)
    assert len(hits) == 3

    assert requests, "the embedding endpoint was never called"
    assert all(q["path"].endswith("/embeddings") for q in requests)
    assert {q["authorization"] for q in requests} == {"Bearer sk-test"}
    assert all(q["body"]["model"] == "text-embedding-3-small" for q in requests)
    inputs = [t for q in requests for t in (q["body"]["input"] if isinstance(q["body"]["input"], list)
                                            else [q["body"]["input"]])]
    assert {c.embed_text() for c in load_framework_chunks()} <= set(inputs)
    assert any(query in t for t in inputs)

    # the collection is reused by the next Retriever with the same model
    assert Retriever(s).status().built_now == []


# --- a Chroma server ----------------------------------------------------------------------------


@pytest.mark.slow
def test_a_chroma_server_backend(settings, tmp_path):
    chroma = VENV_BIN / "chroma"
    if not chroma.exists():
        pytest.skip(f"{chroma} is not installed")
    port = free_port()
    log = (tmp_path / "chroma.log").open("wb")
    proc = subprocess.Popen(
        [str(chroma), "run", "--path", str(tmp_path / "server-store"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            assert proc.poll() is None, (tmp_path / "chroma.log").read_text(errors="replace")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the Chroma server did not start within 20 s"
            time.sleep(0.1)

        s = with_chroma(settings, host="127.0.0.1", port=port)
        r = Retriever(s)
        st = r.status()
        assert st.backend == "server"
        assert st.location == f"http://127.0.0.1:{port}"
        assert st.built_now == [st.framework_collection]
        assert st.framework_chunks == framework_count()
        assert not (settings.index_dir / "chroma").exists(), "a local store was created too"
        hits = r.search("Level 2 to Level 3 evaluation pipeline weeks 5-8", k=3)
        assert hits[0].chunk.id == "transition-l2-l3-week-5-8"

        st2 = Retriever(s).status()
        assert st2.built_now == []
        assert st2.framework_collection == st.framework_collection
        assert st2.framework_chunks == st.framework_chunks
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        log.close()


def test_an_unreachable_chroma_server_is_reported_with_the_fix(settings):
    port = free_port()  # nothing listens there
    r = Retriever(with_chroma(settings, host="127.0.0.1", port=port))
    t0 = time.perf_counter()
    with pytest.raises(IndexUnavailable) as info:
        r.status()
    assert time.perf_counter() - t0 < 5
    msg = str(info.value)
    assert f"127.0.0.1:{port}" in msg
    assert "chroma.host" in msg


# --- the commands -------------------------------------------------------------------------------


def run_cli(*args: str, timeout: float = 90) -> subprocess.CompletedProcess:
    exe = VENV_BIN / "aiops-assess"
    if not exe.exists():
        pytest.skip(f"{exe} is not installed")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=timeout,
                          env=dict(os.environ), cwd=ROOT)


@pytest.mark.slow
def test_cli_index_add_and_status(settings, tmp_path):
    good = tmp_path / "good.md"
    good.write_text(RUNBOOK_MD, encoding="utf-8")
    empty = tmp_path / "empty.md"
    empty.write_text("", encoding="utf-8")

    res = run_cli("index", "add", str(good), str(empty))
    assert res.returncode == 0, res.stderr
    assert "added" in res.stdout and str(good) in res.stdout
    skipped = [ln for ln in res.stderr.splitlines() if ln.startswith("skipped")]
    assert len(skipped) == 1 and str(empty) in skipped[0], res.stderr
    assert "empty" in skipped[0].replace(str(empty), "")
    assert [d["name"] for d in Retriever(settings).status().documents] == ["good.md"]

    res = run_cli("index", "add", str(empty))
    assert res.returncode == 1
    assert "skipped" in res.stderr and str(empty) in res.stderr

    res = run_cli("index", "status")
    assert res.returncode == 0, res.stderr
    assert "wordllama" in res.stdout
    assert f"{framework_count()} chunks" in res.stdout
    assert str(settings.index_dir / "chroma") in res.stdout
    assert "good.md" in res.stdout


@pytest.mark.slow
def test_cli_eval_retrieval_json():
    res = run_cli("eval-retrieval", "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    m = out["metrics"]
    assert m["queries"] > 0
    assert 0.5 <= m["recall_at_5"] <= 1.0
    assert m["recall_at_1"] <= m["recall_at_5"]
    assert out["embedder"].startswith("wordllama")


def test_documents_with_the_same_file_name_from_different_folders_are_both_kept(tmp_path):
    from agent.retrieval.documents import OrgDocuments

    docs = OrgDocuments(tmp_path / "store")
    for team in ("team-a", "team-b"):
        (tmp_path / team).mkdir()
        (tmp_path / team / "README.md").write_text(f"# {team}\n\n{team} runs its own gateway.\n")
    a, _ = docs.add(tmp_path / "team-a" / "README.md", 10_000)
    b, _ = docs.add(tmp_path / "team-b" / "README.md", 10_000)
    assert a.name != b.name
    assert len(docs.manifest().documents) == 2
    (tmp_path / "team-a" / "README.md").write_text("# team-a\n\nteam-a moved to LiteLLM.\n")
    again, changed = docs.add(tmp_path / "team-a" / "README.md", 10_000)  # same file again: an update
    assert changed and again.name == a.name and len(docs.manifest().documents) == 2
    assert any("moved to LiteLLM" in c.text for c in docs.chunks())


def test_opening_the_same_store_from_several_threads_never_repairs_it(tmp_path):
    """Interviews evaluated side by side open the index at once; that once moved a healthy store
    aside as "corrupt" (Chroma's per-process client cache fails half-way when raced)."""
    from concurrent.futures import ThreadPoolExecutor

    from agent.retrieval.retriever import shared_retriever

    notices: list[str] = []
    for n in range(3):  # a fresh store each time: the race is in the first open of a path
        s = load_settings().model_copy(update={"data_dir": tmp_path / f"d{n}"})
        separate = [Retriever(s, notice=notices.append) for _ in range(4)]
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda r: r.store.client(), separate))
        assert notices == [] and not list((tmp_path / f"d{n}" / "index").glob("chroma.broken-*"))
    shared = {id(shared_retriever(s)) for _ in range(3)}
    assert len(shared) == 1
