"""What the graph's nodes need at run time but must not store in state (LangGraph context)."""

from __future__ import annotations

from dataclasses import dataclass

from agent.common.config import Settings
from agent.reporting.context import ReportingContext


@dataclass(kw_only=True)
class Services(ReportingContext):
    """Run-scoped services handed to every node through `Runtime.context`; built by agent.app.

    `stream_tokens`: the face shows the model's text as it arrives, so the nodes that write to the
    user stream it through LangGraph's stream writer (the face reads `stream_mode="custom"`).
    """

    settings: Settings
    session: str = "default"
    organization: str | None = None
    # The organization round this session answers for (agent.core.attachment.Attachment, resolved:
    # organization = the stored name, round = the stored round name); None: a session on its own.
    attachment: dict | None = None
    stream_tokens: bool = False
