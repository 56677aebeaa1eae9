"""What the reporting code needs at run time: the rubric and guides, a model, and the index.

The interview's `Services` extends this, so its nodes hand their run context straight to the
reporting functions; one-shot faces (`aiops-assess ask`) build one through agent.app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from agent.core.rubric import Rubric
from agent.core.transitions import Transitions
from agent.gateway.router import Gateway
from agent.retrieval.retriever import Retriever


@dataclass(kw_only=True)
class ReportingContext:
    """Run-scoped dependencies of advice and follow-up answers."""

    rubric: Rubric
    transitions: Transitions
    gateway: Gateway
    retriever: Callable[[], Retriever]  # the shared index, opened (and built if needed) on first use
    top_k: int = 4

    def get_retriever(self) -> Retriever:
        """The retrieval index, opened (and built if needed)."""
        return self.retriever().open()
