"""What the graph's nodes need at run time but must not store in state (LangGraph context)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from agent.config import Settings
from agent.rubric import Rubric

if TYPE_CHECKING:
    from agent.llm import Gateway


@dataclass
class Services:
    """Run-scoped services handed to every node through `Runtime.context`."""

    settings: Settings
    rubric: Rubric
    gateway: "Gateway"
    session: str = "default"
    organization: str | None = None
    on_token: Callable[[str], None] | None = field(default=None)
