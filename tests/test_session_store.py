"""Session names and files: what a user can type is checked, and nothing they type splits a listing."""

from __future__ import annotations

import pytest

from agent.interview.store import SessionError, check_name


@pytest.mark.parametrize("name", ["nl\n", "a\nb", "tab\t", "", " lead", "../up", "a" * 65, "x/y", "é"])
def test_names_that_would_split_a_listing_or_escape_the_directory_are_refused(name):
    with pytest.raises(SessionError, match="Invalid session name"):
        check_name(name)


def test_ordinary_names_are_accepted():
    for name in ("acme-2026", "web-3f9a1c2b7d4e", "Q4.review_2", "a" * 64):
        assert check_name(name) == name


def test_the_command_line_refuses_a_name_with_a_newline(aiops):
    r = aiops(["chat", "--session", "nl\n"], "hello\n")
    assert r.returncode == 2
    assert "Invalid session name" in r.stdout + r.stderr and "Traceback" not in r.stdout + r.stderr
