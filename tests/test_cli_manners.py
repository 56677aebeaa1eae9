"""CLI manners (issue 14, item 5): a bare command shows the help, `sessions` fits an 80-column
terminal without losing what tells sessions apart, and an empty session name is an error."""

from __future__ import annotations

import pytest


def test_bare_command_prints_the_help_not_an_argparse_error(aiops):
    r = aiops([])
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("usage: aiops-assess") and "error:" not in r.stdout + r.stderr
    for command in ("chat", "sessions", "report", "ask", "index", "web", "doctor"):
        assert f"\n    {command} " in r.stdout, command
    index = aiops(["index"])
    assert index.returncode == 0 and index.stdout.startswith("usage: aiops-assess index")
    assert "status" in index.stdout and "error:" not in index.stderr


@pytest.mark.parametrize("args", [
    ["chat", "--session", ""],
    ["chat", "--session", "   "],
    ["report", "--session", ""],
    ["ask", "what first?", "--session", " "],
    ["web", "--session", ""],
])
def test_an_empty_session_name_is_a_clear_error_and_starts_nothing(aiops, settings, args):
    r = aiops(args, "Everything goes through our LiteLLM proxy.\n")
    assert r.returncode == 2, r.stdout
    assert "--session needs a name" in r.stderr and "Traceback" not in r.stderr
    assert r.stderr.count("\n") == 1 and "Session " not in r.stdout
    assert not list(settings.sessions_dir.glob("*.sqlite"))  # no session was started


GENERATED = ["web-3f9a1c2b7d4e", "session-20261202-a1b2c3d4e5f6", "session-20261202-0f0e0d0c0b0a"]
LONG = "acme-retail-assessment-for-the-board-of-directors-2026-q4-final2"  # 64 characters, the longest allowed


def _width(text: str) -> int:
    return max(len(line) for line in text.splitlines())


def test_sessions_fit_80_columns_and_keep_the_end_of_each_name(aiops, monkeypatch):
    for name in [*GENERATED, LONG, "acme"]:
        assert aiops(["chat", "--session", name], "/quit\n").returncode == 0
    monkeypatch.setenv("COLUMNS", "80")
    r = aiops(["sessions"])
    assert r.returncode == 0, r.stderr
    assert _width(r.stdout) <= 80, r.stdout
    rows = [line for line in r.stdout.splitlines() if "/12" in line]
    assert len(rows) == 5  # one line per session: nothing wrapped
    for name in [*GENERATED, LONG]:
        [row] = [line for line in rows if name[-12:] in line]  # the random tail stays whole
        shown = row.split()[0]
        head, _, tail = shown.partition("…")
        assert shown == name or (name.startswith(head) and name.endswith(tail) and len(tail) >= 12), shown
    assert any(line.split()[0] == "acme" for line in rows)
    assert "web-3f9a1c2b7d4e " in r.stdout  # short names are never cut
    assert "shortened to fit" in r.stdout
    monkeypatch.setenv("COLUMNS", "200")
    wide = aiops(["sessions"]).stdout
    assert all(name in wide for name in [*GENERATED, LONG]) and "shortened" not in wide


def test_names_that_would_look_alike_when_shortened_wrap_instead(aiops, monkeypatch):
    a = "project-" + "x" * 20 + "-alpha-" + "y" * 20 + "-end1"
    b = "project-" + "x" * 20 + "-omega-" + "y" * 20 + "-end1"  # same start and end, different middle
    for name in (a, b):
        assert aiops(["chat", "--session", name], "/quit\n").returncode == 0
    monkeypatch.setenv("COLUMNS", "80")
    r = aiops(["sessions"])
    assert r.returncode == 0 and _width(r.stdout) <= 80, r.stdout
    flat = "".join(line.split()[0] for line in r.stdout.splitlines()[3:] if line.strip())
    assert "-alpha-" in flat and "-omega-" in flat and "…" not in r.stdout
