"""Sessions and organizations on each storage backend: the embedded SQLite files (the default) and a
real PostgreSQL server (`storage.url`), as several web workers share it — a session handed from one
worker to another, one writer per session across workers, a killed worker's lock released, and the
move of existing SQLite storage into Postgres."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from agent.interview.store import SessionBusy

REPLY_1 = "Every application goes through our LiteLLM gateway, with automatic failover to a second provider."
REPLY_2 = "We trace every request end to end in Langfuse, and we run evaluations on every release."


@pytest.fixture
def backend(storage_url, monkeypatch):
    """Settings on the backend: SQLite files in the test's data dir, or storage.url on Postgres."""
    if storage_url.startswith("postgres"):
        monkeypatch.setenv("AIOPS_STORAGE__URL", storage_url)
    from agent.common.config import load_settings

    return load_settings()


def _worker(settings):
    """A web worker of its own (its own App: gateway, pools, locks)."""
    from agent.app import App

    return App(settings)


def test_a_session_continues_on_another_worker(backend):
    with _worker(backend).open_session("handover") as iv:
        iv.start()
        iv.reply(REPLY_1)
        first = set(iv.state["answers"])
    assert first
    other = _worker(backend)
    assert other.sessions.exists("handover")
    with other.open_session("handover") as iv:
        iv.start()
        iv.reply(REPLY_2)
        assert first < set(iv.state["answers"])
    values = _worker(backend).read_session("handover")
    texts = [m["content"] for m in values["messages"] if m["role"] == "user"]
    assert texts == [REPLY_1, REPLY_2]
    assert "handover" in [n for n, _ in other.sessions.names()]


def test_one_writer_per_session_across_workers(backend, monkeypatch):
    backend.session_wait_seconds = 0.3
    with _worker(backend).open_session("busy", exclusive=True) as holder:
        holder.start()
        with _worker(backend).open_session("busy") as iv:
            t = time.monotonic()
            with pytest.raises(SessionBusy, match="open in another window"):
                iv.reply(REPLY_1)
            assert time.monotonic() - t < 5
    # released: the next worker goes on
    with _worker(backend).open_session("busy") as iv:
        iv.reply(REPLY_1)
        assert iv.state["answers"]


HOLD = """
import sys, time
from agent.common.config import load_settings
from agent.app import App
with App(load_settings()).open_session("held", exclusive=True) as iv:
    iv.start()
    print("holding", flush=True)
    time.sleep(120)
"""


def test_a_killed_workers_lock_is_released(backend, tmp_path):
    env = {**os.environ, "AIOPS_DATA_DIR": str(backend.data_dir), "AIOPS_MODEL": "offline/rubric"}
    proc = subprocess.Popen([sys.executable, "-c", HOLD], env=env, stdout=subprocess.PIPE, text=True,
                            cwd=os.path.dirname(os.path.dirname(__file__)))
    try:
        assert proc.stdout.readline().strip() == "holding"
        backend.session_wait_seconds = 0.2
        with _worker(backend).open_session("held") as iv, pytest.raises(SessionBusy):
            iv.reply(REPLY_1)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        backend.session_wait_seconds = 5
        with _worker(backend).open_session("held") as iv:
            iv.reply(REPLY_1)  # the server (or the kernel) dropped the dead worker's lock
            assert iv.state["answers"]
    finally:
        if proc.poll() is None:
            proc.kill()


def test_an_organization_round_on_the_backend(backend, aiops):
    r = aiops(["chat", "--session", "r1", "--org", "Acme Retail", "--respondent", "Ana"], REPLY_1 + "\n/quit\n")
    assert r.returncode == 0, r.stderr
    shown = aiops(["org", "show", "acme-retail"])
    assert "| Ana |" in shown.stdout
    listed = aiops(["sessions"])
    assert "r1" in listed.stdout


@pytest.mark.postgres
def test_existing_sqlite_storage_moves_into_postgres(aiops, postgres_server, monkeypatch):
    from tests.pg_server import fresh_database

    # Before: the embedded default, one finished session in a round, one in the middle of the interview.
    aiops(["chat", "--session", "done", "--org", "Acme", "--respondent", "Ana"], REPLY_1 + "\n/finish\nyes\n")
    aiops(["chat", "--session", "midway"], REPLY_1 + "\n/quit\n")
    aiops(["org", "settle", "acme", "q1", "3", "--note", "agreed"])
    report_before = aiops(["report", "--session", "done", "--format", "json"]).stdout
    org_before = aiops(["org", "show", "acme", "--format", "md"]).stdout
    url = fresh_database(postgres_server)
    r = aiops(["storage", "migrate", "--to", url])
    assert r.returncode == 0, r.stderr
    assert "Sessions: 2 copied" in r.stdout and "organizations" in r.stdout
    monkeypatch.setenv("AIOPS_STORAGE__URL", url)
    assert aiops(["report", "--session", "done", "--format", "json"]).stdout == report_before
    assert aiops(["org", "show", "acme", "--format", "md"]).stdout == org_before
    cont = aiops(["chat", "--session", "midway"], REPLY_2 + "\n/quit\n")
    assert cont.returncode == 0 and "resumed" in cont.stdout
    # a new organization row after the copied ones (the id sequences were moved on)
    assert aiops(["chat", "--session", "new", "--org", "Globex"], "/quit\n").returncode == 0
    again = aiops(["storage", "migrate", "--to", url])
    assert again.returncode == 2 and "already" in again.stderr


def test_migrate_needs_a_postgres_target(aiops):
    r = aiops(["storage", "migrate", "--to", "sqlite:///x.db"])
    assert r.returncode == 2 and "postgresql://" in r.stderr


def test_an_unreachable_postgres_is_one_clear_message(aiops, monkeypatch):
    monkeypatch.setenv("AIOPS_STORAGE__URL", "postgresql://nobody@127.0.0.1:9/none?connect_timeout=2")
    r = aiops(["sessions"])
    assert r.returncode == 2
    assert "Cannot reach the session database" in r.stderr and "storage.url" in r.stderr


@pytest.mark.postgres
def test_many_turns_at_once_on_postgres_do_not_starve_the_connection_pool(postgres_server, monkeypatch):
    """More concurrent turns than the checkpoint pool has connections (the web page runs 32 at once):
    each holds its session's lock for the whole turn and still gets connections for its checkpoints.
    Before the locks had a pool of their own, 16 lock holders left none and every turn timed out."""
    import threading

    from agent.interview.backends import CHECKPOINT_CONNECTIONS
    from tests.pg_server import fresh_database

    storage_url = fresh_database(postgres_server)

    monkeypatch.setenv("AIOPS_STORAGE__URL", storage_url)
    from agent.common.config import load_settings

    app = _worker(load_settings())
    n = CHECKPOINT_CONNECTIONS + 8
    start, errors = threading.Barrier(n), []

    def turn(i: int) -> None:
        try:
            with app.open_session(f"burst-{i}") as iv:
                start.wait(30)
                iv.start()
                iv.reply(REPLY_1)
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=turn, args=(i,)) for i in range(n)]
    t = time.monotonic()
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    assert errors == []
    assert time.monotonic() - t < 60
    assert all(app.sessions.exists(f"burst-{i}") for i in range(n))
