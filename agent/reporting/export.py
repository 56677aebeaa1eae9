"""A session's report as Markdown or JSON, also while the interview is still in progress."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from agent.common.safe_text import md_safe
from agent.core.calls import Usage
from agent.core.rubric import Rubric
from agent.core.schemas import AnswerRecord
from agent.core.transitions import Transitions
from agent.reporting.html.render import render_session_html
from agent.reporting.markdown import render_markdown
from agent.reporting.result import AssessmentResult, advice_of, build_result


def render_json(result: AssessmentResult, rubric: Rubric, transitions: Transitions) -> str:
    """The whole result as JSON (indent 2) plus a computed `advice` block. The output validates
    back into `AssessmentResult` (the extra `advice` key is ignored)."""
    data = result.model_dump(mode="json")
    data["advice"] = advice_of(rubric, transitions, result).model_dump(mode="json")
    return json.dumps(data, indent=2, ensure_ascii=False)


def report_text(name: str, values: Mapping[str, Any], fmt: str, rubric: Rubric, transitions: Transitions) -> str:
    """A session's report as Markdown, JSON or HTML (the partial one while the interview is in progress)."""
    if fmt == "md" and values.get("report_md"):
        # A report saved before quotes were escaped may still carry raw HTML or images.
        return md_safe(values["report_md"])
    result = AssessmentResult.model_validate(values["result"]) if values.get("report_md") \
        else partial_result(name, values, rubric)
    if fmt == "json":
        return render_json(result, rubric, transitions)
    if fmt == "html":
        return render_session_html(result, rubric, transitions)
    return render_markdown(rubric, transitions, result)


def partial_result(name: str, values: Mapping[str, Any], rubric: Rubric) -> AssessmentResult:
    """An AssessmentResult for a session still in progress (marked partial by the scoring)."""
    return build_result(
        rubric, name,
        {k: AnswerRecord.model_validate(v) for k, v in values.get("answers", {}).items()},
        model=values.get("model", "unknown"), organization=values.get("organization"),
        assessed_by="aiops-assess interview (in progress)",
        finished_early=True, usage=Usage.of(values.get("calls", [])),
        notes=["The interview is still in progress."],
    )
