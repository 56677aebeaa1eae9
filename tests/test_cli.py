"""The terminal face, run as a user would: subprocesses with piped stdin."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import cli, cli_env
from tests.test_interview_graph import FULL

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def env(tmp_path):
    return cli_env(tmp_path)


def test_piped_interview_end_to_end_and_report(env):
    r = cli(["chat", "--session", "acme", "--org", "Acme Retail"], env, "\n".join([*FULL, "yes"]) + "\n")
    assert r.returncode == 0, r.stderr
    assert "offline engine" in r.stdout and "OPENAI_API_KEY" in r.stdout  # one-line notice
    assert "Assessment complete" in r.stdout
    md = cli(["report", "--session", "acme"], env)
    assert md.returncode == 0 and "# AI Operations Maturity Assessment Report" in md.stdout
    assert "**Organization:** Acme Retail" in md.stdout
    js = cli(["report", "--session", "acme", "--format", "json"], env)
    data = json.loads(js.stdout)
    assert data["assessment"]["level"] == 2 and data["model"] == "offline/rubric"
    assert len(data["answers"]) == 12 and data["rubric_version"]
    s = cli(["sessions"], env)
    assert "acme" in s.stdout and "12/12" in s.stdout and "L2" in s.stdout


def test_end_of_input_saves_and_resume_continues(env):
    r = cli(["chat", "--session", "part"], env, "\n".join(FULL[:3]) + "\n")
    assert r.returncode == 0 and "Resume with: aiops-assess chat --session part" in r.stdout
    r = cli(["chat", "--session", "part"], env, "\n".join(FULL[3:]) + "\nyes\n")
    assert r.returncode == 0 and "resumed" in r.stdout and "Assessment complete" in r.stdout


def test_slash_commands(env):
    r = cli(["chat", "--session", "cmds"], env, "/help\n/status\nEverything goes through LiteLLM.\n/skip\n/quit\n")
    assert r.returncode == 0, r.stderr
    assert "/finish" in r.stdout  # help text
    assert "0/12 answered" in r.stdout  # status before answering
    assert "Progress saved" in r.stdout
    s = cli(["sessions"], env)
    assert "1/12" in s.stdout


def test_killed_mid_interview_resumes_where_it_stopped(env):
    proc = subprocess.Popen([sys.executable, "-m", "agent.faces.cli", "chat", "--session", "kill"], cwd=ROOT,
                            env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    for line in FULL[:4]:
        proc.stdin.write(line + "\n")
    proc.stdin.flush()
    # Wait until the fourth answer is stored, then kill without any chance to clean up.
    db = Path(env["AIOPS_DATA_DIR"]) / "sessions" / "kill.sqlite"
    deadline = time.time() + 90
    while time.time() < deadline:
        out = cli(["sessions"], env).stdout
        if "4/12" in out:
            break
        time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert db.exists()
    r = cli(["chat", "--session", "kill"], env, "\n".join(FULL[4:]) + "\nyes\n")
    assert r.returncode == 0, r.stderr
    assert "Assessment complete" in r.stdout
    data = json.loads(cli(["report", "--session", "kill", "--format", "json"], env).stdout)
    assert len(data["answers"]) == 12


def test_unknown_session_and_corrupt_session(env):
    r = cli(["report", "--session", "nope"], env)
    assert r.returncode == 2 and "No session named 'nope'" in r.stderr and "Traceback" not in r.stderr
    cli(["chat", "--session", "good"], env, "Everything goes through LiteLLM.\n")
    sessions = Path(env["AIOPS_DATA_DIR"]) / "sessions"
    (sessions / "bad.sqlite").write_bytes(b"this is not a database" * 100)
    r = cli(["chat", "--session", "bad"], env, "hello\n")
    assert r.returncode == 2 and "damaged" in r.stderr and "Traceback" not in r.stderr
    s = cli(["sessions"], env)
    assert "good" in s.stdout and "unreadable" in s.stdout
    r = cli(["report", "--session", "good"], env)
    assert r.returncode == 0 and "Partial assessment" in r.stdout


def test_bad_config_and_invalid_session_name(env, tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("confidence_threshold: 7\n")
    r = cli(["--config", str(cfg), "chat"], env)
    assert r.returncode == 2 and "confidence_threshold" in r.stderr and "Traceback" not in r.stderr
    r = cli(["chat", "--session", "../etc"], env)
    assert r.returncode == 2 and "Invalid session name" in r.stderr


def test_missing_key_without_fallback_is_a_clear_error(env):
    env["AIOPS_OFFLINE_FALLBACK"] = "false"
    r = cli(["chat", "--session", "x"], env, "hi\n")
    assert r.returncode == 2 and "OPENAI_API_KEY" in r.stderr and "Traceback" not in r.stderr


def test_huge_paste_and_invalid_utf8(env):
    big = ("We log every request and response. " * 2000).encode()
    raw = b"Everything goes through our LiteLLM proxy \xff\xfe.\n" + big + b"\n"
    r = subprocess.run([sys.executable, "-m", "agent.faces.cli", "chat", "--session", "big"], input=raw,
                       capture_output=True, env=env, cwd=ROOT, timeout=120)
    out = r.stdout.decode()
    assert r.returncode == 0, r.stderr.decode()
    assert "limit is 4,000" in out
    assert "not valid text" in out


def test_corrupted_db_does_not_affect_others(env):
    cli(["chat", "--session", "one"], env, "Everything goes through LiteLLM.\n")
    sessions = Path(env["AIOPS_DATA_DIR"]) / "sessions"
    con = sqlite3.connect(sessions / "two.sqlite")
    con.execute("create table unrelated (x)")
    con.commit()
    con.close()
    r = cli(["chat", "--session", "two"], env, "hi\n")
    assert r.returncode == 2 and "not an aiops-assess session file" in r.stderr
    assert cli(["report", "--session", "one"], env).returncode == 0


@pytest.mark.timeout(300)  # four CLI processes in a row; under a loaded CI machine 120 s was tight
def test_unknown_model_string(env):
    env["AIOPS_MODEL"] = "nosuchprovider/model-x"
    r = cli(["chat", "--session", "unk"], env, "Everything goes through our LiteLLM proxy.\n")
    assert r.returncode == 0, r.stderr
    assert "does not know the model 'nosuchprovider/model-x'" in r.stdout
    data = json.loads(cli(["report", "--session", "unk", "--format", "json"], env).stdout)
    assert data["model"] == "offline/rubric" and data["answers"]["q1"]["score"] == 2
    env["AIOPS_OFFLINE_FALLBACK"] = "false"
    r = cli(["chat", "--session", "unk2"], env, "hi\n")
    assert r.returncode == 2 and "does not know the model" in r.stderr and "Traceback" not in r.stderr


def test_ctrl_c_keeps_progress_and_says_how_to_resume(env):
    proc = subprocess.Popen([sys.executable, "-m", "agent.faces.cli", "chat", "--session", "intr"], cwd=ROOT, env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.stdin.write(FULL[0] + "\n")
    proc.stdin.flush()
    db_ready = time.time() + 90
    while time.time() < db_ready and "1/12" not in cli(["sessions"], env).stdout:
        time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and "Resume with: aiops-assess chat --session intr" in out
    assert "Traceback" not in err
    assert "1/12" in cli(["sessions"], env).stdout
