"""What the graph's nodes need at run time but must not store in state (LangGraph context)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from agent.common.config import Settings
from agent.core.rubric import Rubric

if TYPE_CHECKING:
    from agent.gateway.router import Gateway
    from agent.retrieval.retriever import Retriever


@dataclass
class Services:
    """Run-scoped services handed to every node through `Runtime.context`."""

    settings: Settings
    rubric: Rubric
    gateway: "Gateway"
    session: str = "default"
    organization: str | None = None
    on_token: Callable[[str], None] | None = field(default=None)
    retriever: "Retriever | None" = None

    def get_retriever(self) -> "Retriever":
        """The retrieval index, opened (and built if needed) on first use."""
        if self.retriever is None:
            from agent.retrieval.retriever import shared_retriever

            self.retriever = shared_retriever(self.settings)
        return self.retriever.open()

    def warm_up_retriever(self) -> None:
        """Open the index in a background thread; a failure surfaces (as a message) when it is used."""
        import threading

        def run() -> None:
            try:
                self.get_retriever()
            except Exception:  # noqa: BLE001 - reported by the node that needs the index
                pass

        import atexit

        self._warm_up = threading.Thread(target=run, daemon=True, name="retriever-warm-up")
        self._warm_up.start()
        atexit.register(self.finish_warm_up)

    def finish_warm_up(self, timeout: float = 60.0) -> None:
        """Wait for the index warm-up before the process exits: a daemon thread stopped by the
        interpreter's shutdown inside Chroma's native code can hang the exit."""
        thread = getattr(self, "_warm_up", None)
        if thread is not None:
            thread.join(timeout)
