"""Driving interviews in tests: the recorded sample interview, in-memory sessions on the offline
engine, and the CLI as a subprocess (for the tests where a real process is the point)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml
from langgraph.checkpoint.memory import InMemorySaver

from agent.app import App
from agent.common.config import load_settings
from agent.interview.session import Interview

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = yaml.safe_load((ROOT / "evals/interviews/acme-retail-l2.yaml").read_text())
FULL = [t["content"] for t in SAMPLE["transcript"] if t["role"] == "user"]
# The sample's twelve replies, then "yes" to the one turn where the agent checks the answers it
# inferred from replies about other questions (access control and sensitive data): up to the review.
TO_REVIEW = [*FULL, "Yes, that's right."]


def new_interview(name: str = "t", saver=None, settings=None, app: App | None = None,
                  stream_tokens: bool = False) -> Interview:
    """A session on an in-memory checkpointer (or `saver`)."""
    app = app or App(settings or load_settings())
    return app.interview(name, saver or InMemorySaver(), stream_tokens=stream_tokens)


def run_script(iv: Interview, replies: list[str]) -> list[str]:
    """Start the interview and feed replies; all assistant messages."""
    out = list(iv.start())
    for r in replies:
        out.extend(iv.reply(r))
    return out


def cli_env(tmp_path: Path) -> dict[str, str]:
    """Environment for running the CLI as a user would: no keys, a hosted model configured (so the
    offline fallback notice shows), an isolated data dir."""
    e = {k: v for k, v in os.environ.items()
         if not k.endswith("_API_KEY") and not k.startswith("AIOPS_") and k != "UV"}
    e.update(AIOPS_DATA_DIR=str(tmp_path / "data"), AIOPS_MODEL="openai/gpt-5.4-mini",
             LITELLM_LOCAL_MODEL_COST_MAP="True", COLUMNS="120")
    return e


def cli(args: list[str], env: dict[str, str], stdin: str = "", timeout: float = 120) -> subprocess.CompletedProcess:
    """Run `aiops-assess ARGS` in a subprocess with piped stdin."""
    return subprocess.run([sys.executable, "-m", "agent", *args], input=stdin, capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=timeout)
