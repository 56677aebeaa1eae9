"""The organization store: organizations, their assessment rounds, the sessions attached to a round
(one per respondent and interview) with a copy of each session's answers, and facilitators'
settlements. Every round and every session is kept; a respondent's latest session in a round is the
one that counts.

The answers are copied from the session's state after each turn (agent.app wires that), so reading a
round never opens the sessions' checkpoint files."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from agent.common.hints import command
from agent.core.aggregation import RespondentAnswer, Settlement
from agent.core.org_names import OrgNameError, clean_display, org_slug, respondent_key, round_name
from agent.storage import schema as t
from agent.storage.database import Guarded, StorageError, open_engine


class Organization(BaseModel):
    slug: str
    name: str
    created_at: datetime


class Participation(BaseModel):
    """One session attached to a round: who answered, in which role, how far they got."""

    session: str
    organization: str  # slug
    organization_name: str  # as first typed
    round: str
    respondent: str | None = None
    role: str | None = None
    scope: list[str] | None = None  # the dimensions they were asked about (None: all)
    phase: str = "new"
    answered: int = 0
    started_at: datetime
    updated_at: datetime
    superseded: bool = False  # the same respondent has a later session in this round

    @property
    def who(self) -> str:
        return self.respondent or f"anonymous ({self.session})"


class RoundData(BaseModel):
    """Everything stored about one round: its sessions, the counting answers, the settlements."""

    organization: Organization
    round: str
    rounds: list[str]  # all of the organization's rounds, oldest first
    participations: list[Participation]
    answers: list[RespondentAnswer]  # of the sessions that count (not superseded)
    settlements: list[Settlement]  # every settlement, oldest first (the latest per question counts)


class OrgSummary(BaseModel):
    organization: Organization
    rounds: list[str]
    respondents: int  # in the newest round
    owners: list[str]


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    # SQLite gives timestamps back without their zone; they were written in UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class OrgStore:
    """The organization store on one database (see agent.storage.database)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = open_engine(url)

    # -- organizations and rounds ----------------------------------------------------------------
    def ensure_org(self, name: str) -> Organization:
        """The organization with this name (its slug), created on first use with the name as typed."""
        shown = clean_display(name)
        slug = self._slug(shown)
        found = self._org(slug)
        if found:
            return found
        try:
            with self.engine.begin() as con:
                con.execute(insert(t.organizations).values(slug=slug, name=shown, created_at=_now()))
        except IntegrityError:  # created by someone else just now
            pass
        org = self._org(slug)
        assert org is not None
        return org

    def org(self, ref: str) -> Organization:
        """The organization `ref` names (its name or slug); StorageError listing the known ones."""
        found = self._org(self._slug(ref))
        if found is None:
            known = ", ".join(o.organization.slug for o in self.list_orgs()) or "none yet"
            raise StorageError(f"No organization {ref!r} (organizations: {known}). Start its first interview "
                               f"with: {command('chat --org ' + json.dumps(clean_display(ref)))}")
        return found

    def _slug(self, name: str) -> str:
        try:
            return org_slug(name)
        except OrgNameError as exc:
            raise StorageError(str(exc)) from exc

    def _org(self, slug: str) -> Organization | None:
        with self._read() as con:
            row = con.execute(select(t.organizations).where(t.organizations.c.slug == slug)).first()
        return None if row is None else Organization(slug=row.slug, name=row.name, created_at=_aware(row.created_at))

    def list_orgs(self) -> list[OrgSummary]:
        with self._read() as con:
            orgs = con.execute(select(t.organizations).order_by(t.organizations.c.slug)).all()
            rounds = con.execute(select(t.rounds.c.org_id, t.rounds.c.id, t.rounds.c.name)
                                 .order_by(t.rounds.c.created_at, t.rounds.c.id)).all()
            counts = dict(con.execute(select(t.participations.c.round_id,
                                             func.count(func.distinct(t.participations.c.respondent_key)))
                                      .group_by(t.participations.c.round_id)).all())
            owners = con.execute(select(t.org_owners)).all()
        out = []
        for o in orgs:
            mine = [r for r in rounds if r.org_id == o.id]
            out.append(OrgSummary(
                organization=Organization(slug=o.slug, name=o.name, created_at=_aware(o.created_at)),
                rounds=[r.name for r in mine], respondents=counts.get(mine[-1].id, 0) if mine else 0,
                owners=sorted(w.user_name for w in owners if w.org_id == o.id)))
        return out

    def rounds(self, org: Organization) -> list[str]:
        """The organization's rounds, oldest first."""
        with self._read() as con:
            return list(con.execute(
                select(t.rounds.c.name).join(t.organizations, t.rounds.c.org_id == t.organizations.c.id)
                .where(t.organizations.c.slug == org.slug).order_by(t.rounds.c.created_at, t.rounds.c.id)).scalars())

    def round(self, org: Organization, name: str | None) -> str:
        """The stored round `name` (None: the newest); StorageError listing the rounds."""
        known = self.rounds(org)
        if not known:
            raise StorageError(f"Organization {org.name!r} has no rounds yet. Start one with: "
                               f"{command('chat --org ' + json.dumps(org.name))}")
        if name is None:
            return known[-1]
        wanted = self._round_name(name)
        if wanted not in known:
            raise StorageError(f"Organization {org.name!r} has no round {name!r} (rounds: {', '.join(known)}).")
        return wanted

    @staticmethod
    def _round_name(name: str | None) -> str:
        try:
            return round_name(name)
        except OrgNameError as exc:
            raise StorageError(str(exc)) from exc

    def _round_id(self, con: Any, org: Organization, name: str, create: bool = False) -> int:
        org_id = con.execute(select(t.organizations.c.id).where(t.organizations.c.slug == org.slug)).scalar_one()
        rid = con.execute(select(t.rounds.c.id).where(t.rounds.c.org_id == org_id, t.rounds.c.name == name)).scalar()
        if rid is None:
            if not create:
                raise StorageError(f"Organization {org.name!r} has no round {name!r}.")
            rid = con.execute(insert(t.rounds).values(org_id=org_id, name=name, created_at=_now())).inserted_primary_key[0]
        return int(rid)

    # -- owners ----------------------------------------------------------------------------------
    def add_owner(self, org: Organization, user: str) -> None:
        """`user` (a web login) may see the organization's rounds on the web page."""
        with self._write() as con:
            org_id = con.execute(select(t.organizations.c.id).where(t.organizations.c.slug == org.slug)).scalar_one()
            exists = con.execute(select(t.org_owners).where(t.org_owners.c.org_id == org_id,
                                                            t.org_owners.c.user_name == user)).first()
            if not exists:
                con.execute(insert(t.org_owners).values(org_id=org_id, user_name=user))

    def owners(self, org: Organization) -> list[str]:
        with self._read() as con:
            return sorted(con.execute(
                select(t.org_owners.c.user_name).join(t.organizations, t.org_owners.c.org_id == t.organizations.c.id)
                .where(t.organizations.c.slug == org.slug)).scalars())

    # -- sessions ---------------------------------------------------------------------------------
    def attach(self, session: str, org_name: str, round: str | None = None, *, respondent: str | None = None,
               role: str | None = None, scope: Iterable[str] | None = None) -> Participation:
        """Attach a session to an organization's round (both created on first use). Attaching it again
        to the same round updates who answered; to another round it is refused."""
        org = self.ensure_org(org_name)
        rname = self._round_name(round)
        who = clean_display(respondent) if respondent else None
        role = clean_display(role) if role else None
        scope_json = json.dumps(sorted(set(scope))) if scope else None
        current = self.participation(session)
        if current and (current.organization != org.slug or current.round != rname):
            raise StorageError(f"Session {session!r} belongs to {current.organization} round {current.round}; "
                               f"start a new session for {org.name} {rname} (leave --session out).")
        now = _now()
        try:
            self._attach_rows(session, org, rname, who, role, scope_json, current is None, now)
        except StorageError as exc:
            if not isinstance(exc.__cause__, IntegrityError):
                raise
            # A server database lets two first respondents create the round (or the session's row)
            # at once; one of them lost the race: the row is there now, so do it again once.
            self._attach_rows(session, org, rname, who, role, scope_json, self.participation(session) is None, now)
        found = self.participation(session)
        assert found is not None
        return found

    def _attach_rows(self, session: str, org: Organization, rname: str, who: str | None, role: str | None,
                     scope_json: str | None, new: bool, now: datetime) -> None:
        with self._write() as con:
            rid = self._round_id(con, org, rname, create=True)
            key = respondent_key(who, session)
            if new:
                con.execute(insert(t.participations).values(
                    round_id=rid, session=session, respondent_key=key, respondent=who, role=role, scope=scope_json,
                    phase="new", answered=0, started_at=now, updated_at=now))
            else:
                values: dict[str, Any] = {}
                if who:
                    values.update(respondent=who, respondent_key=key)
                if role:
                    values["role"] = role
                if scope_json:
                    values["scope"] = scope_json
                if values:
                    con.execute(update(t.participations).where(t.participations.c.session == session).values(**values))

    def participation(self, session: str) -> Participation | None:
        """The round a session is attached to (None: a session without an organization round)."""
        with self._read() as con:
            row = con.execute(self._participation_query().where(t.participations.c.session == session)).first()
        return None if row is None else self._participation(row)

    @staticmethod
    def _participation_query() -> Any:
        p = t.participations
        return (select(p, t.rounds.c.name.label("round_name"), t.organizations.c.slug.label("org_slug"),
                       t.organizations.c.name.label("org_name"))
                .join(t.rounds, p.c.round_id == t.rounds.c.id)
                .join(t.organizations, t.rounds.c.org_id == t.organizations.c.id))

    @staticmethod
    def _participation(row: Any, superseded: bool = False) -> Participation:
        return Participation(session=row.session, organization=row.org_slug, organization_name=row.org_name,
                             round=row.round_name,
                             respondent=row.respondent, role=row.role,
                             scope=json.loads(row.scope) if row.scope else None, phase=row.phase,
                             answered=row.answered, started_at=_aware(row.started_at),
                             updated_at=_aware(row.updated_at), superseded=superseded)

    def record(self, session: str, phase: str, answers: Mapping[str, Mapping[str, Any]]) -> bool:
        """Copy a session's answers (its state's `answers`: question → record with score, evidence,
        source, model) into the store; False when the session is not attached to a round."""
        p = t.participations
        with self._write() as con:
            pid = con.execute(select(p.c.id).where(p.c.session == session)).scalar()
            if pid is None:
                return False
            con.execute(delete(t.answers).where(t.answers.c.participation_id == pid))
            rows = [{"participation_id": pid, "question": qid, "score": int(a["score"]),
                     "quote": str(a.get("evidence") or ""), "source": a.get("source"), "model": a.get("model")}
                    for qid, a in answers.items()]
            if rows:
                con.execute(insert(t.answers), rows)
            con.execute(update(p).where(p.c.id == pid).values(phase=phase, answered=len(rows), updated_at=_now()))
        return True

    # -- settlements -------------------------------------------------------------------------------
    def settle(self, org: Organization, round: str, question: str, score: int, note: str, by: str) -> Settlement:
        """Record a facilitator's decision on a question's score for the round (kept with who and why;
        the latest settlement of a question counts)."""
        if not note.strip():
            raise StorageError("A settlement needs a note saying why (--note \"...\"): the report shows it.")
        at = _now()
        with self._write() as con:
            rid = self._round_id(con, org, round)
            con.execute(insert(t.settlements).values(round_id=rid, question=question, score=score,
                                                     note=note.strip(), settled_by=by, settled_at=at))
        return Settlement(question=question, score=score, note=note.strip(), by=by, at=at.isoformat())

    # -- reading a round ---------------------------------------------------------------------------
    def round_data(self, org: Organization, round: str) -> RoundData:
        """The round's sessions (a respondent's earlier sessions marked superseded), the answers of the
        sessions that count, and the settlements."""
        with self._read() as con:
            rid = self._round_id(con, org, round)
            rows = con.execute(self._participation_query().where(t.participations.c.round_id == rid)
                               .order_by(t.participations.c.updated_at, t.participations.c.id)).all()
            latest: dict[str, int] = {}
            for row in rows:  # ordered by last update: the last one seen per respondent counts
                latest[row.respondent_key] = row.id
            counting = set(latest.values())
            people = [self._participation(r, superseded=r.id not in counting) for r in rows]
            by_id = {r.id: r for r in rows}
            answer_rows = con.execute(select(t.answers).where(t.answers.c.participation_id.in_(counting))).all() \
                if counting else []
            settled = con.execute(select(t.settlements).where(t.settlements.c.round_id == rid)
                                  .order_by(t.settlements.c.settled_at, t.settlements.c.id)).all()
        answers = [RespondentAnswer(question=a.question, score=a.score, quote=a.quote, source=a.source, model=a.model,
                                    respondent=by_id[a.participation_id].respondent or by_id[a.participation_id].session,
                                    role=by_id[a.participation_id].role, session=by_id[a.participation_id].session)
                   for a in answer_rows]
        return RoundData(organization=org, round=round, rounds=self.rounds(org), participations=people,
                         answers=answers,
                         settlements=[Settlement(question=s.question, score=s.score, note=s.note, by=s.settled_by,
                                                 at=_aware(s.settled_at).isoformat()) for s in settled])

    # -- connections -------------------------------------------------------------------------------
    def _read(self) -> Any:
        return self._guard(self.engine.connect())

    def _write(self) -> Any:
        return self._guard(self.engine.begin())

    def _guard(self, cm: Any) -> Any:
        return Guarded(cm)
