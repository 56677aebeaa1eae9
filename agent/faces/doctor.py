"""`aiops-assess doctor`: what will happen when an interview starts, and what to fix first.

It looks at the config file, the model chain (agent.faces.doctor_models), Langfuse tracing, the
retrieval index (without building it), the data directory and the web login; the terminal view is
agent.faces.doctor_view. Each finding is ok,
a warning or a problem, with one sentence naming the fix; the exit code is 1 when there is a
problem. Without `--online` nothing leaves the machine: the models and Langfuse are contacted
only with it.
"""

from __future__ import annotations

import os
import tempfile
import threading
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path

from agent.common.config import ConfigError, Settings, config_file, load_settings
from agent.common.hints import command
from agent.common.providers import is_offline
from agent.faces import doctor_models as models
from agent.faces.doctor_models import ChatPlan, Finding, ModelCheck, Status
from agent.faces.doctor_report import (
    ConfigCheck,
    DataDirCheck,
    DoctorReport,
    IndexCheck,
    TracingCheck,
    WebAuthCheck,
)
from agent.faces.exits import EXIT_FAILED, EXIT_OK
from agent.observability import tracing

HEALTH_PATH = "/api/public/health"  # Langfuse's unauthenticated health endpoint
HEALTH_TIMEOUT_SECONDS = 5.0


def run_doctor(config: str | None, online: bool = False, as_json: bool = False) -> int:
    """Print the report (a table, or JSON); 1 when there is a problem, else 0."""
    report = diagnose(config, online)
    if as_json:
        print(report.model_dump_json(indent=2))
    else:
        from agent.faces.doctor_view import render

        render(report)
    return EXIT_FAILED if report.problems else EXIT_OK


def diagnose(config: str | None, online: bool = False, today: date | None = None) -> DoctorReport:
    """Run every check. The index is looked at in a thread while litellm imports (both take
    seconds, mostly waiting on imports), so the whole takes about as long as litellm's import."""
    today = today or date.today()
    found: list[Finding] = []
    web, web_findings = _web_auth()
    try:
        settings = load_settings(config)
    except ConfigError as exc:
        cfg = ConfigCheck(path=str(config_file(config)), exists=config_file(config).exists(), valid=False,
                          env_overrides=_overrides())
        found.append(Finding(area="config", subject=cfg.path, status="problem", message=str(exc),
                             fix="Fix that key; nothing else can be checked until the config reads."))
        return _report(online, cfg, None, [], None, None, None, web, [*found, *web_findings])
    data, data_findings = _data_dir(settings.data_dir)
    index_result: list[tuple[IndexCheck, list[Finding]]] = []
    worker = threading.Thread(target=lambda: index_result.append(_index(settings, online, data.writable)),
                              name="doctor-index", daemon=True)
    worker.start()
    cfg, cfg_findings = _config(config)
    chain = models.chain(settings)
    litellm = models.litellm_module() if not all(is_offline(m) for m, _ in chain) else None
    plan = models.plan(settings, litellm)
    checks = [models.facts(litellm, m, role, settings) for m, role in chain]
    if online:
        for c in checks:
            if c.known_to_litellm and c.key_set is not False:
                c.probe = models.probe(settings, c)
    found += _chat(plan, settings)
    for c in checks:
        found += models.findings(c, settings, today)
    trace, trace_findings = _tracing(online)
    worker.join()  # _index reports every failure as a finding, so it always leaves a result
    index, index_findings = index_result[0]
    found += [*trace_findings, *index_findings, *data_findings, *web_findings, *cfg_findings]
    return _report(online, cfg, plan, checks, trace, index, data, web, found)


def _report(online: bool, cfg: ConfigCheck, plan: ChatPlan | None, checks: list[ModelCheck],
            trace: TracingCheck | None, index: IndexCheck | None, data: DataDirCheck | None,
            web: WebAuthCheck, found: list[Finding]) -> DoctorReport:
    problems = sum(f.status == "problem" for f in found)
    warnings = sum(f.status == "warning" for f in found)
    status: Status = "problem" if problems else "warning" if warnings else "ok"
    return DoctorReport(status=status, problems=problems, warnings=warnings, online=online, config=cfg, chat=plan,
                        models=checks, tracing=trace, index=index, data_dir=data, web_auth=web, findings=found)


# -- the checks ------------------------------------------------------------------------------


def _chat(plan: ChatPlan, settings: Settings) -> list[Finding]:
    out: list[Finding] = []
    if plan.model is None:
        out.append(Finding(area="chat", subject="chat", status="problem",
                           message=f"The chat will not start: {plan.reason}.",
                           fix="Fix the model problem below, or set offline_fallback: true to go on offline."))
    if is_offline(settings.model) and settings.fallbacks:
        out.append(Finding(area="chat", subject="fallbacks", status="warning",
                           message=f"fallbacks ({', '.join(settings.fallbacks)}) are never used: the model is "
                                   "the offline engine, which does not fail over.",
                           fix="Set model to an LLM to use them, or remove fallbacks."))
    if not is_offline(settings.model) and not settings.offline_fallback:
        out.append(Finding(area="chat", subject="offline_fallback", status="ok",
                           message="offline_fallback is off: when every model fails, the chat stops (progress "
                                   "saved, exit code 3) instead of carrying on offline."))
    return out


def _config(config: str | None) -> tuple[ConfigCheck, list[Finding]]:
    path = config_file(config)
    env = _overrides()
    check = ConfigCheck(path=str(path), exists=path.exists(), valid=True, env_overrides=env)
    where = f"Read {path}" if check.exists else f"No config file at {path}: the defaults apply"
    also = f", overridden by {', '.join(env)}" if env else ""
    return check, [Finding(area="config", subject=str(path), status="ok", message=f"{where}{also}.")]


def _overrides() -> list[str]:
    skip = {"AIOPS_CONFIG", _auth_env()}  # not settings: which file, and the web login
    return sorted(k for k in os.environ if k.startswith("AIOPS_") and k not in skip)


def _auth_env() -> str:
    from agent.faces.web.serve import AUTH_ENV

    return AUTH_ENV


def _web_auth() -> tuple[WebAuthCheck, list[Finding]]:
    from agent.faces.web.serve import AUTH_ENV, parse_auth

    value = os.environ.get(AUTH_ENV)
    if not value:
        return WebAuthCheck(configured=False, valid=None), [Finding(
            area="web_auth", subject=AUTH_ENV, status="ok",
            message=f"{AUTH_ENV} is not set: `web` serves 127.0.0.1 without a login; another --host needs "
                    "--auth USER:PASSWORD (or this variable).")]
    try:
        parse_auth(value)
    except ValueError as exc:
        return WebAuthCheck(configured=True, valid=False), [Finding(
            area="web_auth", subject=AUTH_ENV, status="problem",
            message=f"{AUTH_ENV} is set but {exc}, so `web` will refuse to start.",
            fix=f"Set {AUTH_ENV}=USER:PASSWORD, or unset it.")]
    return WebAuthCheck(configured=True, valid=True), [Finding(
        area="web_auth", subject=AUTH_ENV, status="ok",
        message=f"{AUTH_ENV} is set (not shown): `web` asks for that login.")]


def _tracing(online: bool) -> tuple[TracingCheck, list[Finding]]:
    keys = [k for k in tracing.KEYS if os.environ.get(k)]
    if not tracing.enabled():
        if keys:
            missing = next(k for k in tracing.KEYS if k not in keys)
            return TracingCheck(enabled=False, host=None, reachable=None), [Finding(
                area="tracing", subject="Langfuse", status="warning",
                message=f"Only {keys[0]} is set, so tracing stays off.",
                fix=f"Set {missing} too to trace interviews, or unset {keys[0]}.")]
        return TracingCheck(enabled=False, host=None, reachable=None), [Finding(
            area="tracing", subject="Langfuse", status="ok",
            message="Tracing is off (no LANGFUSE_PUBLIC_KEY / LANGFUSE_SECRET_KEY).",
            fix="Set both keys (and LANGFUSE_BASE_URL for a self-hosted server) to trace interviews.")]
    host = tracing.base_url()
    if not online:
        return TracingCheck(enabled=True, host=host, reachable=None), [Finding(
            area="tracing", subject=host, status="ok",
            message=f"Tracing is on: interviews are traced to {host}.",
            fix="Run with --online to check that the server answers.")]
    ok, said = _health(host + HEALTH_PATH)
    if ok:
        return TracingCheck(enabled=True, host=host, reachable=True), [Finding(
            area="tracing", subject=host, status="ok",
            message=f"Tracing is on and {host} answers ({said}).")]
    return TracingCheck(enabled=True, host=host, reachable=False), [Finding(
        area="tracing", subject=host, status="problem",
        message=f"Tracing is on but {host} did not answer ({said}): traces would be lost (the chat is not affected).",
        fix="Check LANGFUSE_BASE_URL (or LANGFUSE_HOST) and the network, or unset the Langfuse keys.")]


def _health(url: str) -> tuple[bool, str]:
    """GET `url` with a short timeout: (answered with 2xx, what happened in a few words)."""
    request = urllib.request.Request(url, headers={"User-Agent": "aiops-assess doctor"})
    try:
        with urllib.request.urlopen(request, timeout=HEALTH_TIMEOUT_SECONDS) as resp:
            return 200 <= resp.status < 300, f"HTTP {resp.status} from {HEALTH_PATH}"
    except urllib.error.HTTPError as exc:
        return False, f"HTTP {exc.code} from {HEALTH_PATH}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        return False, f"{type(exc).__name__}: {reason}"


def _index(settings: Settings, online: bool, data_usable: bool) -> tuple[IndexCheck, list[Finding]]:
    """The index as `index status` sees it, without building it (agent.faces.index_command)."""
    from agent.faces.index_command import index_status
    from agent.retrieval.retriever import INDEX_UNAVAILABLE

    def out(status: Status, message: str, fix: str | None = None, subject: str = "index") -> Finding:
        return Finding(area="index", subject=subject, status=status, message=message, fix=fix)

    if not data_usable:  # the index and the added documents live there: the data folder's problem says it
        return IndexCheck(state="not checked"), [out(
            "warning", "Not checked: it lives in the data folder, which cannot be used.",
            "Fix the data folder first.", str(settings.index_dir))]
    if settings.chroma.host and not online:
        where = f"{settings.chroma.host}:{settings.chroma.port}"
        return IndexCheck(state="not checked", location=where), [out(
            "ok", f"The index is on the Chroma server {where}, not contacted without --online.",
            "Run with --online to check it.", where)]
    expected: tuple[type[Exception], ...] = (*INDEX_UNAVAILABLE, OSError)  # a user can cause and fix these
    try:
        st = index_status(settings, build=False, quiet=True)
    except expected as exc:
        return IndexCheck(state="unavailable"), [out(
            "problem", f"The index cannot be opened: {exc}.", "Fix what the message names; the interview "
            "works without the index, but the report's advice and follow-up answers need it.")]
    except Exception as exc:  # noqa: BLE001 - a doctor reports what it finds; it never crashes on it
        return IndexCheck(state="unavailable"), [out(
            "problem", f"The index could not be checked ({type(exc).__name__}: {exc}).",
            f"Run `{command('index status')}` to see the full error.")]
    check = IndexCheck(state="not built" if st.missing else "current", location=st.location, embedder=st.embedder,
                       framework_chunks=st.framework_chunks, organization_chunks=st.organization_chunks,
                       documents=len(st.documents), missing=st.missing)
    found = [out("warning", note, "Fix what the note names, or set retrieval.embedding: wordllama (works offline).")
             for note in st.notices]
    if st.missing:
        found.append(out("ok", f"Not built yet for this corpus and embedder ({st.embedder}) in {st.location}: "
                               "it is built on first use (about 2 s).", f"To build it now: `{command('index build')}`.",
                         st.location))
    else:
        docs = f" and {st.organization_chunks} of your documents" if st.documents else ""
        found.append(out("ok", f"Current: {st.framework_chunks} passages of the model{docs}, embedded with "
                               f"{st.embedder}, in {st.location}.", subject=st.location))
    return check, found


def _data_dir(path: Path) -> tuple[DataDirCheck, list[Finding]]:
    """Whether sessions can be saved under `path`: a temporary file is created and deleted there
    (or, if it does not exist yet, in the nearest folder that does, where it would be created)."""
    from agent.interview.store import list_sessions

    fix = f"Set data_dir (or AIOPS_DATA_DIR) to a folder you can write to, or fix the permissions of {path}."

    def out(status: Status, message: str, fix: str | None = None) -> Finding:
        return Finding(area="data_dir", subject=str(path), status=status, message=message, fix=fix)

    exists = path.is_dir()
    base = path
    while not base.exists() and base != base.parent:
        base = base.parent
    if not base.is_dir():
        why = "is not a folder" if base == path else f"cannot be created: {base} is a file"
        return DataDirCheck(path=str(path), exists=False, writable=False, sessions=0), [
            out("problem", f"The data folder {path} {why}.", fix)]
    try:
        fd, tmp = tempfile.mkstemp(dir=base, prefix=".aiops-doctor-")
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        what = "is not writable" if exists else f"cannot be created ({base} is not writable)"
        return DataDirCheck(path=str(path), exists=exists, writable=False, sessions=0), [
            out("problem", f"The data folder {path} {what}: {exc.strerror or exc}.", fix)]
    sessions = len(list_sessions(path / "sessions")) if exists else 0
    if exists:
        message = f"The data folder {path} is writable ({sessions} saved session{'s' if sessions != 1 else ''})."
    else:
        message = f"The data folder {path} does not exist yet; it is created on first use ({base} is writable)."
    return DataDirCheck(path=str(path), exists=exists, writable=True, sessions=sessions), [out("ok", message)]
