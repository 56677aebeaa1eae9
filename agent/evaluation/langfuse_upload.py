"""`aiops-assess eval --langfuse`: the recorded interviews as a Langfuse dataset, the evaluation as
a dataset experiment run on it.

    dataset  "aiops-assess-interviews"       created when missing (GET, then POST if 404)
      item   id "aiops-assess-<interview id>" upserted (POST /api/public/dataset-items with the id),
             so uploading again updates the items instead of adding duplicates
             input = the transcript, expected_output = gold answers/total/level,
             metadata = interview id, persona, notes, rubric version
    experiment run  (SDK `run_experiment` on those items; one trace per item)
             task = the predictions already in `results` (the agent is not run again)
             item scores: exact (share of the 12 questions exact), within_one, level_correct (0/1)
             run scores:  exact_accuracy, within_one_accuracy, qwk, level_accuracy, coverage

Needs LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY (LANGFUSE_BASE_URL for a self-hosted server).
Dataset items and span data pass through `agent.common.privacy`, as traces do. Scores
travel in the background (POST /api/public/scores); `upload` flushes before it returns.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from agent.common.privacy import mask
from agent.core.rubric import QUESTION_IDS
from agent.evaluation.interviews import RecordedInterview

DATASET_NAME = "aiops-assess-interviews"
EXPERIMENT_NAME = "aiops-assess eval"
KEYS = ("LANGFUSE_PUBLIC_KEY", "LANGFUSE_SECRET_KEY")
ITEM_SCORES = ("exact", "within_one", "level_correct")
RUN_SCORES = ("exact_accuracy", "within_one_accuracy", "qwk", "level_accuracy", "coverage")


class LangfuseUploadError(Exception):
    """The upload cannot start (no keys) or Langfuse refused it; the message says what to fix."""


def item_id(interview_id: str) -> str:
    """The dataset item id of an interview: stable, so a re-upload upserts the same item."""
    return f"aiops-assess-{interview_id}"


def require_keys() -> None:
    """Raise LangfuseUploadError unless both keys are set (their values are never shown)."""
    missing = [k for k in KEYS if not os.environ.get(k)]
    if missing:
        raise LangfuseUploadError(
            f"--langfuse needs {' and '.join(missing)} in the environment (the project's API keys; "
            "LANGFUSE_BASE_URL too for a self-hosted server or another region)")


def _mask(*, data: Any, **_: Any) -> Any:
    return mask(data)


def client_from_env(**options: Any) -> Any:
    """A Langfuse client from the LANGFUSE_* variables; `options` go to `Langfuse(...)` (tests pass
    an in-memory span exporter). The SDK keeps one client per public key per process, so when
    tracing already created it, its settings stay."""
    require_keys()
    from langfuse import Langfuse

    return Langfuse(public_key=os.environ["LANGFUSE_PUBLIC_KEY"], secret_key=os.environ["LANGFUSE_SECRET_KEY"],
                    base_url=os.environ.get("LANGFUSE_BASE_URL") or None, mask=_mask, **options)


def default_run_name(results: dict, now: datetime | None = None) -> str:
    ts = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{results['model']} {results['mode']} {ts}"


# --- the evaluators: pure functions of the task output and the item's expected output -----------

def _answers(d: Any) -> dict[str, int]:
    return dict((d or {}).get("answers") or {})


def exact(*, output: Any, expected_output: Any, metadata: Any = None, **_: Any) -> dict:
    gold, pred = _answers(expected_output), _answers(output)
    n = sum(1 for q, g in gold.items() if pred.get(q) == g)
    return {"name": "exact", "value": round(n / len(gold), 4) if gold else 0.0, "data_type": "NUMERIC",
            "comment": f"{n}/{len(gold)} questions exact", "metadata": _about(metadata)}


def within_one(*, output: Any, expected_output: Any, metadata: Any = None, **_: Any) -> dict:
    gold, pred = _answers(expected_output), _answers(output)
    n = sum(1 for q, g in gold.items() if q in pred and abs(pred[q] - g) <= 1)
    return {"name": "within_one", "value": round(n / len(gold), 4) if gold else 0.0, "data_type": "NUMERIC",
            "comment": f"{n}/{len(gold)} questions within one", "metadata": _about(metadata)}


def level_correct(*, output: Any, expected_output: Any, metadata: Any = None, **_: Any) -> dict:
    gold, pred = (expected_output or {}).get("level"), (output or {}).get("level")
    ok = pred is not None and pred == gold
    shown = "no level (incomplete)" if pred is None else f"level {pred}"
    return {"name": "level_correct", "value": 1 if ok else 0, "data_type": "BOOLEAN",
            "comment": f"{shown}, gold {gold}", "metadata": _about(metadata)}


def _about(metadata: Any) -> dict | None:
    iid = (metadata or {}).get("interview_id") if isinstance(metadata, dict) else None
    return {"interview_id": iid} if iid else None


def run_metrics(results: dict):
    """The run-level evaluator: the run's aggregate metrics from `results` (all repeats)."""
    m = results["metrics"]

    def aggregate_metrics(*, item_results: Any = None, **_: Any) -> list[dict]:
        return [{"name": k, "value": float(m[k]), "data_type": "NUMERIC",
                 "comment": f"{k} over {m.get('runs', m.get('interviews'))} run(s), {results['mode']} mode"}
                for k in RUN_SCORES if m.get(k) is not None]

    return aggregate_metrics


# --- the upload ---------------------------------------------------------------------------------

def _item_body(iv: RecordedInterview, rubric_version: str) -> dict:
    return mask({
        "input": [t.model_dump() for t in iv.transcript],
        "expected_output": {"answers": iv.expected.answers, "total": iv.expected.total, "level": iv.expected.level},
        "metadata": {"interview_id": iv.id, "persona": iv.persona, "notes": iv.notes,
                     "rubric_version": rubric_version},
    })


def _ensure_dataset(client: Any) -> Any:
    """The dataset, created if missing. Creating is an upsert on the server, so a second process
    creating it at the same moment does no harm."""
    from langfuse.api import NotFoundError

    try:
        return client.api.datasets.get(dataset_name=urllib.parse.quote(DATASET_NAME, safe=""))
    except NotFoundError:
        pass
    return client.create_dataset(
        name=DATASET_NAME,
        description="aiops-assess recorded interviews with gold labels (evals/interviews/); "
                    "uploaded by `aiops-assess eval --langfuse`",
        metadata={"source": "evals/interviews", "questions": list(QUESTION_IDS)},
    )


def _failed(what: str, exc: Exception, client: Any) -> LangfuseUploadError:
    """A readable error for an API or transport failure (the server's address, never the keys)."""
    where = getattr(client, "_base_url", None) or "Langfuse"
    status = getattr(exc, "status_code", None)
    body = getattr(exc, "body", None)
    msg = body.get("message") if isinstance(body, dict) else body if isinstance(body, str) else None
    if status in (401, 403):
        why = (f"HTTP {status}: the keys were refused (check LANGFUSE_PUBLIC_KEY, LANGFUSE_SECRET_KEY and "
               "LANGFUSE_BASE_URL)")
    elif status is not None:
        why = f"HTTP {status}" + (f": {str(msg)[:200]}" if msg else "")
    else:
        why = f"{type(exc).__name__}: {exc}"
    return LangfuseUploadError(f"{what} at {where} failed ({why})")


def upload(interviews: Sequence[RecordedInterview], results: dict, client: Any = None, *,
           run_name: str | None = None) -> str:
    """Upload the interviews as dataset items and `results` as an experiment run; a one-line
    summary (with the experiment's URL when the project is known)."""
    import httpx
    from langfuse.api.core import ApiError

    from agent.core.rubric import load_rubric

    if client is None:
        client = client_from_env()
    run_name = run_name or default_run_name(results)
    by_id = {it["id"]: it for it in results["items"]}
    todo = [iv for iv in interviews if iv.id in by_id]
    if not todo:
        raise LangfuseUploadError("nothing to upload: no evaluated interview in the results")
    rubric_version = load_rubric().version

    try:
        _ensure_dataset(client)
        items = []
        for iv in todo:
            body = _item_body(iv, rubric_version)
            items.append(client.create_dataset_item(dataset_name=DATASET_NAME, id=item_id(iv.id), **body))
    except (ApiError, httpx.HTTPError) as exc:
        raise _failed("uploading the dataset", exc, client) from exc

    predictions = {item_id(it["id"]): {"answers": it["predicted"], "total": it["predicted_total"],
                                       "level": it["predicted_level"]} for it in results["items"]}

    def task(*, item: Any, **_: Any) -> dict:
        return predictions[item.id]

    try:
        result = client.run_experiment(
            name=EXPERIMENT_NAME, run_name=run_name, data=items, task=task,
            description=f"{len(items)} recorded interviews, {results['mode']} mode, model {results['model']}",
            evaluators=[exact, within_one, level_correct], run_evaluators=[run_metrics(results)],
            max_concurrency=1,
            metadata={"model": str(results["model"]), "mode": str(results["mode"]),
                      "repeat": str(results.get("repeat", 1)), "rubric_version": rubric_version},
        )
    except (ApiError, httpx.HTTPError) as exc:
        raise _failed("the experiment run", exc, client) from exc
    finally:
        client.flush()

    failed = len(items) - len(result.item_results)
    item_scores = sum(len(r.evaluations) for r in result.item_results)
    line = (f"Langfuse: {len(items)} item(s) upserted in dataset '{DATASET_NAME}'; experiment run '{run_name}' "
            f"with {item_scores} item score(s) and {len(result.run_evaluations)} run score(s)")
    if failed:
        line += f"; {failed} item(s) failed (see the langfuse log)"
    return line + (f": {result.experiment_url}" if result.experiment_url else "")
