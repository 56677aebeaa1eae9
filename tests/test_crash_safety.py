"""Crash safety: no reply lost when a process is killed or the disk fills, one writer per session,
a read-only data directory read but not written. Real processes, real SIGKILLs (tests/crash_driver.py)."""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import ROOT, TO_REVIEW, cli, cli_env

from agent.app import App
from agent.common.config import load_settings
from agent.interview.store import SessionBusy

DRIVER = ROOT / "tests" / "crash_driver.py"


def _drive(tmp_path: Path, *args: str, timeout: float = 900) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIOPS_")}
    run = subprocess.run([sys.executable, str(DRIVER), "--data", str(tmp_path / "data"), *args], capture_output=True,
                         text=True, env=env, cwd=ROOT, timeout=timeout)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_fifty_random_kills_lose_nothing(tmp_path):
    """SIGKILL at random graph steps (before and after each step's work) and random moments, and a
    full disk at random sizes, through the review, the report and follow-ups: each resumed run
    ends exactly like the uninterrupted one."""
    summary = _drive(tmp_path, "--trials", "50", "--seed", "13")
    assert summary["trials"] == 50
    assert summary["failures"] == [], json.dumps(summary["failures"], indent=1)[:4000]
    assert all(summary["kinds"][k] >= 4 for k in ("step", "time", "disk")), summary["kinds"]
    assert summary["resumed_twice"] == 0


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_kills_at_the_review_and_during_a_follow_up_are_finished_on_resume(tmp_path):
    """The reported cases: a reply being handled at the review step (it was consumed by the next
    line typed), and a follow-up answer (the session then said "complete" for ever)."""
    plans = [{"kind": "step", "node": "confirm", "n": 1, "where": "before"},
             {"kind": "step", "node": "listen", "n": 28, "where": "after"},
             {"kind": "step", "node": "followup", "n": 1, "where": "before"},
             {"kind": "step", "node": "followup", "n": 2, "where": "after"},
             {"kind": "step", "node": "report", "n": 1, "where": "after"}]
    summary = _drive(tmp_path, "--plans", json.dumps(plans))
    assert summary["failures"] == [], json.dumps(summary["failures"], indent=1)[:4000]


def test_a_second_window_on_a_session_is_refused_and_nothing_is_lost(tmp_path, monkeypatch):
    """A terminal holds its session: a second terminal is refused at once; a turn from elsewhere (a
    web worker) waits, then says why; the first window's replies all count."""
    monkeypatch.setenv("AIOPS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("AIOPS_MODEL", "offline/rubric")
    monkeypatch.setenv("AIOPS_SESSION_WAIT_SECONDS", "0.3")
    app = App(load_settings())
    with app.open_session("shared", exclusive=True) as first:
        first.start()
        first.reply(TO_REVIEW[0])
        with pytest.raises(SessionBusy, match="open in another window"), app.open_session("shared", exclusive=True):
            pass
        with app.open_session("shared") as web:
            started = time.monotonic()
            with pytest.raises(SessionBusy):
                web.reply(TO_REVIEW[1])
            assert time.monotonic() - started >= 0.3
        for reply in TO_REVIEW[1:4]:
            first.reply(reply)
    with app.open_session("shared") as later:  # once the terminal closed, another window goes on
        later.reply(TO_REVIEW[4])
        users = [m["content"] for m in later.refresh()["messages"] if m["role"] == "user"]
    assert users == TO_REVIEW[:5]


@pytest.mark.slow
def test_two_terminals_on_one_session(tmp_path):
    """The reported loss: two processes answering one session kept half the replies. Now the
    second is refused with a message, and the first keeps every reply."""
    env = cli_env(tmp_path)
    first = subprocess.Popen([sys.executable, "-m", "agent", "chat", "--session", "both"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT)
    assert first.stdin and first.stdout
    first.stdin.write(TO_REVIEW[0] + "\n")
    first.stdin.flush()
    deadline = time.monotonic() + 60
    while "you ›" not in first.stdout.readline():  # the first reply was taken: the session is held
        assert time.monotonic() < deadline
    second = cli(["chat", "--session", "both"], env, stdin="\n".join(TO_REVIEW[1:4]) + "\n")
    assert second.returncode == 2, second.stdout + second.stderr
    assert "open in another window" in second.stdout + second.stderr
    assert "Traceback" not in second.stdout + second.stderr
    out, _ = first.communicate("\n".join(TO_REVIEW[1:4]) + "\n", timeout=120)
    assert first.returncode == 0, out
    report = cli(["report", "--session", "both", "--format", "json"], env)
    answered = json.loads(report.stdout)
    assert len(answered["answers"]) >= 4


def _limit_file_size(limit: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail, as on a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


@pytest.mark.slow
def test_a_full_disk_says_so_and_the_session_resumes(tmp_path):
    env = cli_env(tmp_path)
    base = subprocess.run([sys.executable, "-m", "agent", "chat", "--session", "disk"], input=TO_REVIEW[0] + "\n",
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert base.returncode == 0, base.stdout + base.stderr
    size = (tmp_path / "data/sessions/disk.sqlite").stat().st_size
    full = subprocess.run([sys.executable, "-m", "agent", "chat", "--session", "disk"],
                          input="\n".join(TO_REVIEW[1:6]) + "\n", capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=120, preexec_fn=_limit_file_size(size + 4096))
    said = full.stdout + full.stderr
    assert "disk is probably full" in said and "chat --session disk" in said, said
    assert "Traceback" not in said and "damaged" not in said
    resumed = cli(["chat", "--session", "disk"], env, stdin="\n".join(TO_REVIEW[1:6]) + "\n")
    assert resumed.returncode == 0, resumed.stdout
    users = json.loads(cli(["report", "--session", "disk", "--format", "json"], env).stdout)
    assert len(users["answers"]) >= 5


def _read_only_prefix(data: Path) -> list[str]:
    """A command prefix that runs a program with `data` read-only. Root ignores file permissions,
    so as root the directory is bind-mounted read-only in a private mount namespace (EROFS, as on
    a read-only share); otherwise taking the write permission away is enough."""
    if os.geteuid() != 0:
        for p in [data, *data.rglob("*")]:
            p.chmod(p.stat().st_mode & ~0o222)
        return []
    prefix = ["unshare", "-m", "sh", "-c", 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"',
              str(data)]
    if shutil.which("unshare") is None or subprocess.run([*prefix, "true"], capture_output=True).returncode != 0:
        pytest.skip("running as root without the right to mount: a read-only directory cannot be made here")
    return prefix


@pytest.mark.slow
def test_a_read_only_data_directory_is_read_not_reported_damaged(tmp_path):
    """A read-only data directory (e.g. an archived share): `report` and `sessions` read it; `chat`
    says it cannot go on there and why, instead of calling the session damaged."""
    data = tmp_path / "data"
    env = cli_env(tmp_path)
    done = cli(["chat", "--session", "archived"], env, stdin="\n".join(TO_REVIEW[:3]) + "\n")
    assert done.returncode == 0, done.stdout
    prefix = _read_only_prefix(data)
    try:
        runs = {cmd: subprocess.run([*prefix, sys.executable, "-m", "agent", *cmd.split()], input="More replies\n",
                                    capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
                for cmd in ("report --session archived", "sessions", "chat --session archived")}
    finally:
        for p in [data, *data.rglob("*")]:
            p.chmod(p.stat().st_mode | 0o200)
    report = runs["report --session archived"]
    assert report.returncode == 0 and "Answers and evidence" in report.stdout, report.stdout + report.stderr
    assert "archived" in runs["sessions"].stdout and "unreadable" not in runs["sessions"].stdout
    chat = runs["chat --session archived"]
    said = chat.stdout + chat.stderr
    assert "read-only" in said and "damaged" not in said and "Traceback" not in said, said
