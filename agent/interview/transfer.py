"""Moving sessions from one storage to another (`aiops-assess storage migrate`): every checkpoint of
a session, oldest first, with the writes pending on it, so a session moved mid-interview resumes
exactly where it stopped — including a turn a crash cut off."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from pydantic import BaseModel, Field

from agent.interview.backends import Sessions


class SessionTransfer(BaseModel):
    copied: list[str] = Field(default_factory=list)
    checkpoints: int = 0
    skipped: list[str] = Field(default_factory=list)  # already in the destination: left as they are


def copy_sessions(source: Sessions, target: Sessions, names: Iterable[str] | None = None) -> SessionTransfer:
    """Copy the named sessions (default: all) from `source` to `target`; a session the target already
    has is skipped, never overwritten."""
    out = SessionTransfer()
    for name in (list(names) if names is not None else [n for n, _ in source.names()]):
        if target.exists(name):
            out.skipped.append(name)
            continue
        thread = {"configurable": {"thread_id": name, "checkpoint_ns": ""}}
        with source.checkpointer(name, read_only=True) as src, target.checkpointer(name) as dst:
            for saved in reversed(list(src.list(thread))):  # list() gives the newest first
                parent = saved.parent_config or thread
                dst.put(parent, saved.checkpoint, saved.metadata, dict(saved.checkpoint["channel_versions"]))
                by_task: dict[str, list[tuple[str, object]]] = defaultdict(list)
                for task_id, channel, value in saved.pending_writes or ():
                    by_task[task_id].append((channel, value))
                for task_id, writes in by_task.items():
                    dst.put_writes(saved.config, writes, task_id)
                out.checkpoints += 1
        out.copied.append(name)
    return out
