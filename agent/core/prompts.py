"""Prompt templates live in prompts/*.md; this module loads and fills them.

A template has a `## system` and a `## user` section. `$context` is replaced by the task's
context as JSON inside <context> tags (see agent.core.schemas), which both an LLM and the offline
engine read.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import lru_cache
from pathlib import Path
from string import Template

from pydantic import BaseModel

from agent.common.paths import PROMPTS_DIR

_SECTION = re.compile(r"^## (system|user)\s*$", re.MULTILINE)
_CONTEXT = re.compile(r"<context>\s*(\{.*\})\s*</context>", re.DOTALL)


class PromptError(Exception):
    """A prompt file is missing or malformed."""


@lru_cache(maxsize=32)
def load_template(name: str, directory: Path = PROMPTS_DIR) -> tuple[str, str]:
    """(system, user) templates of prompts/<name>.md."""
    path = directory / f"{name}.md"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PromptError(f"prompt file {path} is missing: {exc}") from exc
    parts = _SECTION.split(text)
    sections = dict(zip(parts[1::2], (p.strip() for p in parts[2::2]), strict=False))
    if set(sections) != {"system", "user"}:
        raise PromptError(f"prompt file {path} needs a '## system' and a '## user' section")
    return sections["system"], sections["user"]


@lru_cache(maxsize=4)
def prompt_versions(directory: Path = PROMPTS_DIR) -> dict[str, str]:
    """{name: the first 12 hex digits of the sha256 of prompts/<name>.md}: which wording was used."""
    return {p.stem: hashlib.sha256(p.read_bytes()).hexdigest()[:12] for p in sorted(directory.glob("*.md"))}


def render(name: str, context: BaseModel, **extra: str) -> list[dict[str, str]]:
    """Chat messages for task `name` with `context` embedded."""
    system, user = load_template(name)
    ctx = "<context>\n" + context.model_dump_json(indent=1, exclude_none=True) + "\n</context>"
    values = {"context": ctx, **extra}
    return [
        {"role": "system", "content": Template(system).safe_substitute(values)},
        {"role": "user", "content": Template(user).safe_substitute(values)},
    ]


def extract_context(messages: list[dict]) -> dict | None:
    """The JSON context embedded by `render`, from the last message that has one."""
    for msg in reversed(messages):
        content = msg.get("content")
        if isinstance(content, str):
            m = _CONTEXT.search(content)
            if m:
                try:
                    return json.loads(m.group(1))
                except json.JSONDecodeError:
                    return None
    return None
