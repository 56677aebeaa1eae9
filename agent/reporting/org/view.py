"""What an organization's reports are rendered from: one round aggregated (with the change since the
round before), and the history of all rounds."""

from __future__ import annotations

import itertools
from datetime import date

from pydantic import BaseModel

from agent.core.aggregation import RoundAggregate, aggregate_round
from agent.core.history import RoundChange, compare_rounds
from agent.core.rubric import Rubric
from agent.core.transitions import Transitions
from agent.reporting.advice import Advice, select_actions
from agent.reporting.priorities import plan_advice
from agent.storage.organizations import Organization, OrgStore, Participation, RoundData


class OrgRoundView(BaseModel):
    """One round of one organization, aggregated, with the change since the round before it."""

    organization: Organization
    round: str
    rounds: list[str]  # all rounds, oldest first
    participations: list[Participation]
    aggregate: RoundAggregate
    previous: RoundAggregate | None = None
    change: RoundChange | None = None
    advice: Advice
    generated_on: str  # ISO date
    rubric_version: str

    @property
    def counting(self) -> list[Participation]:
        """The sessions whose answers count (each respondent's latest)."""
        return [p for p in self.participations if not p.superseded]


class RoundSummary(BaseModel):
    round: str
    aggregate: RoundAggregate
    respondents: int


class OrgHistory(BaseModel):
    organization: Organization
    rounds: list[RoundSummary]  # oldest first
    changes: list[RoundChange]  # each round against the one before it


def _aggregate(rubric: Rubric, data: RoundData) -> RoundAggregate:
    return aggregate_round(rubric, data.answers, data.settlements)


def build_round_view(store: OrgStore, rubric: Rubric, transitions: Transitions, org_ref: str,
                     round: str | None = None) -> OrgRoundView:
    """The round `round` (None: the newest) of the organization `org_ref` (StorageError if unknown)."""
    org = store.org(org_ref)
    name = store.round(org, round)
    data = store.round_data(org, name)
    agg = _aggregate(rubric, data)
    before = data.rounds[: data.rounds.index(name)]
    previous = _aggregate(rubric, store.round_data(org, before[-1])) if before else None
    change = compare_rounds(rubric, transitions, (before[-1], previous), (name, agg)) if previous and before else None
    advice = plan_advice(rubric, transitions, agg.assessment, select_actions(rubric, transitions, agg.assessment))
    return OrgRoundView(organization=org, round=name, rounds=data.rounds, participations=data.participations,
                        aggregate=agg, previous=previous, change=change, advice=advice,
                        generated_on=date.today().isoformat(), rubric_version=rubric.version)


def build_history(store: OrgStore, rubric: Rubric, transitions: Transitions, org_ref: str) -> OrgHistory:
    """Every round of the organization, oldest first, each compared with the one before."""
    org = store.org(org_ref)
    summaries: list[RoundSummary] = []
    for name in store.rounds(org):
        data = store.round_data(org, name)
        summaries.append(RoundSummary(round=name, aggregate=_aggregate(rubric, data),
                                      respondents=sum(1 for p in data.participations if not p.superseded)))
    changes = [compare_rounds(rubric, transitions, (a.round, a.aggregate), (b.round, b.aggregate))
               for a, b in itertools.pairwise(summaries)]
    return OrgHistory(organization=org, rounds=summaries, changes=changes)
