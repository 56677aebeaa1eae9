"""Two workers (separate data directories) sharing one Chroma server (`chroma.host`): the index is
built once, an organization document added by one worker is found by the other — one opened
afterwards, and one already running."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.web_helpers import free_port

pytestmark = pytest.mark.slow

DOC = """# Runbook: the Zephyrine gateway

All model traffic goes through the Zephyrine gateway, which our platform team runs in two regions.
Budget alerts from Zephyrine go to the FinOps channel at 80 % of each team's monthly budget.
"""


@pytest.fixture
def chroma_server(tmp_path):
    chroma = Path(shutil.which("chroma") or Path(os.sys.executable).parent / "chroma")
    port = free_port()
    proc = subprocess.Popen([str(chroma), "run", "--path", str(tmp_path / "chroma"), "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while True:
        try:
            urllib.request.urlopen(f"http://localhost:{port}/api/v2/heartbeat", timeout=2).close()
            break
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                pytest.fail("the Chroma server did not start")
            time.sleep(0.2)
    yield port
    proc.terminate()
    proc.wait(10)


def _worker(tmp_path: Path, name: str, port: int, monkeypatch):
    from agent.common.config import load_settings
    from agent.retrieval.retriever import Retriever

    monkeypatch.setenv("AIOPS_DATA_DIR", str(tmp_path / name))
    monkeypatch.setenv("AIOPS_CHROMA__HOST", "localhost")
    monkeypatch.setenv("AIOPS_CHROMA__PORT", str(port))
    return Retriever(load_settings())


def test_two_workers_share_one_chroma_server(tmp_path, chroma_server, monkeypatch):
    import agent.retrieval.retriever as retriever_module

    running = _worker(tmp_path, "running", chroma_server, monkeypatch).open()  # up before the document exists
    adder = _worker(tmp_path, "adder", chroma_server, monkeypatch)
    doc = tmp_path / "zephyrine-runbook.md"
    doc.write_text(DOC, encoding="utf-8")
    assert adder.add_documents([doc]) == [(doc, None)]
    assert not (tmp_path / "later" / "index" / "documents").exists()

    later = _worker(tmp_path, "later", chroma_server, monkeypatch)
    hits = later.search("Zephyrine gateway budget alerts")
    assert hits and hits[0].chunk.origin == "organization" and "Zephyrine" in hits[0].chunk.text
    import chromadb

    names = [c if isinstance(c, str) else c.name for c in
             chromadb.HttpClient(host="localhost", port=chroma_server).list_collections()]
    assert len([n for n in names if n.startswith("aiops-framework-")]) == 1  # built once, shared

    monkeypatch.setattr(retriever_module, "SHARED_REFRESH_SECONDS", 0.0)
    hits = running.search("Zephyrine gateway budget alerts")
    assert hits[0].chunk.origin == "organization"
