"""An organization's round as JSON and CSV (one row per respondent × question, for spreadsheets and
BI tools), and its history as JSON."""

from __future__ import annotations

import csv
import io
import json

from agent.core.rubric import Rubric
from agent.reporting.org.view import OrgHistory, OrgRoundView

CSV_COLUMNS = ["organization", "round", "respondent", "role", "session", "question", "dimension",
               "topic", "score", "aggregate", "low", "high", "disagreement", "settled_score", "settled_by",
               "settlement_note", "quote", "read_as", "model"]


def round_json(view: OrgRoundView) -> str:
    """The round with every respondent's answers, the aggregates, the change and the actions."""
    data = view.model_dump(mode="json")
    agg = view.aggregate
    data["summary"] = {
        "level": agg.assessment.level, "level_range": agg.assessment.level_range,
        "level_range_with_disagreements": agg.level_range, "total": agg.assessment.total,
        "disagreements": [q.question for q in agg.disagreements],
        "change": view.change.headline() if view.change else None,
    }
    return json.dumps(data, indent=2, ensure_ascii=False)


def history_json(history: OrgHistory) -> str:
    data = history.model_dump(mode="json")
    data["headlines"] = [c.headline() for c in history.changes]
    return json.dumps(data, indent=2, ensure_ascii=False)


def _cell(value: object) -> object:
    # A spreadsheet runs a cell that starts with =, +, - or @ as a formula: quotes are the
    # respondents' own words, so such a cell is prefixed with an apostrophe (OWASP's advice).
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def round_csv(rubric: Rubric, views: list[OrgRoundView]) -> str:
    """One row per respondent × question they answered (each respondent's latest session in the
    round; a question nobody answered: one row without a respondent, so every question appears)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for view in views:
        for q in view.aggregate.questions:
            s = q.settlement
            common = [q.question, q.dimension, q.topic]
            agg = [q.median, q.low, q.high, q.disagreement, s.score if s else None, s.by if s else None,
                   s.note if s else None]
            if not q.answers:
                w.writerow([_cell(v) for v in [view.organization.name, view.round, None, None, None,
                                               *common, None, *agg, None, None, None]])
            for a in q.answers:
                w.writerow([_cell(v) for v in [view.organization.name, view.round, a.respondent, a.role, a.session,
                                               *common, a.score, *agg, a.quote, a.source, a.model]])
    return buf.getvalue()
