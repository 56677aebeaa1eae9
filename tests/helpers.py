"""Driving interviews in tests: an in-memory session on the offline engine."""

from __future__ import annotations

from langgraph.checkpoint.memory import InMemorySaver

from agent.config import load_settings
from agent.interview import Interview
from agent.llm import Gateway


def new_interview(name: str = "t", saver=None, settings=None) -> Interview:
    settings = settings or load_settings()
    return Interview(settings, name, saver or InMemorySaver(), Gateway(settings))


def run_script(iv: Interview, replies: list[str]) -> list[str]:
    """Start the interview and feed replies; all assistant messages."""
    out = list(iv.start())
    for r in replies:
        out.extend(iv.reply(r))
    return out
