"""Recorded organizations: several respondents' interviews over assessment rounds, with gold labels
(evals/organizations/), loaded, replayed into an organization store, and scored.

Layout: `<org>/org.yaml` (name, rounds oldest first, notes) and `<org>/<round>/<respondent>.yaml`
(a recorded interview with `respondent: {name, role}`; `expected.answers` holds only the questions
that person answered)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError, field_validator

from agent.core.aggregation import RoundAggregate, aggregate_round
from agent.core.rubric import Rubric
from agent.core.schemas import QUESTION_ID_SET
from agent.evaluation.interviews import InterviewFileError, TranscriptTurn
from agent.storage.organizations import OrgStore


class Respondent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    role: str = Field(min_length=1)


class PartialExpected(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answers: dict[str, StrictInt]

    @field_validator("answers")
    @classmethod
    def _known(cls, v: dict[str, int]) -> dict[str, int]:
        bad = [f"{q}={s}" for q, s in v.items() if q not in QUESTION_ID_SET or not 0 <= s <= 5]
        if bad:
            raise ValueError(f"answers must be q1..q12 → 0..5, got {', '.join(bad)}")
        return v


class RecordedRespondent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    respondent: Respondent
    persona: str | None = None
    transcript: list[TranscriptTurn] = Field(min_length=2)
    expected: PartialExpected
    notes: str | None = None


class RecordedRound(BaseModel):
    name: str
    respondents: list[RecordedRespondent]


class RecordedOrganization(BaseModel):
    slug: str  # the folder's name
    name: str
    rounds: list[RecordedRound]
    notes: str | None = None


def _load(path: Path, model: type[BaseModel]) -> BaseModel:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return model.model_validate(data)
    except (OSError, yaml.YAMLError) as exc:
        raise InterviewFileError(f"{path}: cannot read ({exc})") from exc
    except ValidationError as exc:
        err = exc.errors()[0]
        raise InterviewFileError(f"{path}: {'.'.join(map(str, err['loc']))}: {err['msg']}") from exc


class _OrgFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    rounds: list[str] = Field(min_length=1)
    notes: str | None = None


def load_organizations(root: Path) -> list[RecordedOrganization]:
    """Every recorded organization under `root` (InterviewFileError naming the file and field)."""
    orgs = []
    for org_file in sorted(root.glob("*/org.yaml")):
        head = _load(org_file, _OrgFile)
        assert isinstance(head, _OrgFile)
        rounds = []
        for rnd in head.rounds:
            folder = org_file.parent / rnd
            files = sorted(folder.glob("*.yaml"))
            if not files:
                raise InterviewFileError(f"{folder}: round {rnd} listed in org.yaml has no interviews")
            people = [_load(f, RecordedRespondent) for f in files]
            rounds.append(RecordedRound(name=rnd, respondents=people))  # type: ignore[arg-type]
        orgs.append(RecordedOrganization(slug=org_file.parent.name, name=head.name, rounds=rounds, notes=head.notes))
    return orgs


Reader = Callable[[RecordedRespondent], dict[str, dict]]


def gold_reader(person: RecordedRespondent) -> dict[str, dict]:
    """The gold labels as a session's answers (the quote: the respondent's last words)."""
    said = [t.content for t in person.transcript if t.role == "user"]
    return {q: {"score": s, "evidence": said[-1][:200], "source": "direct", "model": None}
            for q, s in person.expected.answers.items()}


def replay(store: OrgStore, orgs: Iterable[RecordedOrganization], reader: Reader = gold_reader) -> None:
    """Attach every recorded respondent's session to its round and record what `reader` makes of
    their interview (the gold labels by default)."""
    for org in orgs:
        for rnd in org.rounds:
            for person in rnd.respondents:
                store.attach(person.id, org.name, rnd.name, respondent=person.respondent.name,
                             role=person.respondent.role)
                store.record(person.id, "done", reader(person))


def gold_aggregate(rubric: Rubric, rnd: RecordedRound) -> RoundAggregate:
    """The round aggregated from its gold labels."""
    store_free = [
        {"question": q, "score": s, "respondent": p.respondent.name, "role": p.respondent.role, "session": p.id}
        for p in rnd.respondents for q, s in p.expected.answers.items()]
    from agent.core.aggregation import RespondentAnswer

    return aggregate_round(rubric, [RespondentAnswer.model_validate(a) for a in store_free])
