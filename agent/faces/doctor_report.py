"""What `aiops-assess doctor` found, as data: the report `--json` prints and the terminal view
(agent.faces.doctor_view) draws."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from agent.faces.doctor_models import ChatPlan, Finding, ModelCheck, Status


class ConfigCheck(BaseModel):
    path: str
    exists: bool
    valid: bool
    env_overrides: list[str]  # AIOPS_* variables in effect (names only: values may be secrets)


class TracingCheck(BaseModel):
    enabled: bool
    host: str | None
    reachable: bool | None  # None: not tried (tracing off, or no --online)


class IndexCheck(BaseModel):
    state: Literal["current", "not built", "not checked", "unavailable"]
    location: str | None = None
    embedder: str | None = None
    framework_chunks: int = 0
    organization_chunks: int = 0
    documents: int = 0
    missing: list[str] = []  # collections built on first use


class DataDirCheck(BaseModel):
    path: str
    exists: bool
    writable: bool
    sessions: int


class WebAuthCheck(BaseModel):
    configured: bool  # AIOPS_WEB_AUTH is set (its value is never shown)
    valid: bool | None  # None when not set


class DoctorReport(BaseModel):
    """Everything `aiops-assess doctor --json` prints."""

    status: Status  # the worst finding
    problems: int
    warnings: int
    online: bool
    config: ConfigCheck
    chat: ChatPlan | None  # None when the config cannot be read
    models: list[ModelCheck]
    tracing: TracingCheck | None
    index: IndexCheck | None
    data_dir: DataDirCheck | None
    web_auth: WebAuthCheck
    findings: list[Finding]
