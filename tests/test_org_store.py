"""The organization store on a real SQLite database: identity of organizations and respondents,
rounds, every session kept, settlements, concurrent writers, migrations and failures."""

from __future__ import annotations

import multiprocessing
import sqlite3
import time
from datetime import UTC, datetime

import pytest

from agent.storage.database import StorageError
from agent.storage.organizations import OrgStore


def _ans(**scores: int) -> dict:
    return {q: {"score": s, "evidence": f"said {q}={s}", "source": "direct", "model": "offline/rubric"}
            for q, s in scores.items()}


@pytest.fixture
def store(storage_url):
    """The store on each backend: SQLite (the default) and a real Postgres."""
    return OrgStore(storage_url)


def test_names_that_differ_in_case_accents_or_punctuation_are_one_organization(store):
    store.attach("s1", "Müller & Söhne GmbH (R&D)", "2026-Q3", respondent="Ana")
    store.attach("s2", "MULLER SOHNE gmbh r&d", "2026q3", respondent="Bo")
    [org] = store.list_orgs()
    assert org.organization.name == "Müller & Söhne GmbH (R&D)"  # as first typed
    assert org.rounds == ["2026-Q3"] and org.respondents == 2


def test_control_characters_in_names_do_not_reach_the_store(store):
    p = store.attach("s1", "Acme\x1b[31m\nRetail", "2026-Q4", respondent="Ana\r\nEvil", role="Lead\x07")
    assert store.org("acme-retail").name == "Acme Retail"
    assert p.respondent == "Ana Evil" and p.role == "Lead"


def test_unknown_organization_and_round_name_what_exists(store):
    store.attach("s1", "Acme", "2026-Q3")
    with pytest.raises(StorageError, match=r"No organization 'Globex' \(organizations: acme\)"):
        store.org("Globex")
    with pytest.raises(StorageError, match=r"has no round '2025-Q1' \(rounds: 2026-Q3\)"):
        store.round(store.org("acme"), "2025-Q1")
    assert store.round(store.org("acme"), None) == "2026-Q3"


def test_a_respondents_later_session_supersedes_the_earlier_and_both_are_kept(store):
    org = "Acme"
    store.attach("first", org, "2026-Q4", respondent="Dana Okafor", role="Platform lead")
    store.record("first", "done", _ans(q1=1, q2=1))
    time.sleep(0.01)
    store.attach("second", org, "2026-Q4", respondent="dana  okafor", role="Platform lead")
    store.record("second", "interview", _ans(q1=3))
    data = store.round_data(store.org(org), "2026-Q4")
    assert [(p.session, p.superseded) for p in data.participations] == [("first", True), ("second", False)]
    assert [(a.question, a.score, a.session) for a in data.answers] == [("q1", 3, "second")]


def test_a_session_cannot_move_to_another_round(store):
    store.attach("s1", "Acme", "2026-Q3")
    store.attach("s1", "acme", "2026-q3", role="CTO")  # the same round again: updates who answered
    assert store.participation("s1").role == "CTO"
    with pytest.raises(StorageError, match="belongs to acme round 2026-Q3"):
        store.attach("s1", "Acme", "2026-Q4")


def test_recording_replaces_a_sessions_answers(store):
    store.attach("s1", "Acme", "2026-Q4", respondent="Ana")
    store.record("s1", "interview", _ans(q1=1, q2=2))
    store.record("s1", "interview", _ans(q1=3))  # a correction removed q2? no: the state is the truth
    data = store.round_data(store.org("acme"), "2026-Q4")
    assert [(a.question, a.score) for a in data.answers] == [("q1", 3)]
    assert data.participations[0].answered == 1
    assert store.record("not-attached", "done", _ans(q1=1)) is False


def test_settlements_keep_who_and_why_and_need_a_note(store):
    store.attach("s1", "Acme", "2026-Q4")
    org = store.org("acme")
    s = store.settle(org, "2026-Q4", "q1", 3, "  agreed in the review  ", "Facilitator")
    assert (s.score, s.note, s.by) == (3, "agreed in the review", "Facilitator")
    with pytest.raises(StorageError, match="needs a note"):
        store.settle(org, "2026-Q4", "q1", 3, " ", "x")
    assert store.round_data(org, "2026-Q4").settlements == [s]


def test_rounds_and_sessions_of_earlier_rounds_are_kept(store):
    for rnd in ("2026-Q2", "2026-Q3", "2026-Q4"):
        store.attach(f"s-{rnd}", "Acme", rnd, respondent="Ana")
        store.record(f"s-{rnd}", "done", _ans(q1=int(rnd[-1])))
    org = store.org("acme")
    assert store.rounds(org) == ["2026-Q2", "2026-Q3", "2026-Q4"]
    assert store.round_data(org, "2026-Q2").answers[0].score == 2


def test_owners(store):
    store.attach("s1", "Acme", "2026-Q4")
    org = store.org("acme")
    store.add_owner(org, "lee")
    store.add_owner(org, "lee")
    assert store.owners(org) == ["lee"]


def _respondent(url: str, i: int) -> None:
    import traceback

    try:
        _write(url, i)
    except BaseException:
        traceback.print_exc()
        raise


def _write(url: str, i: int) -> None:
    s = OrgStore(url)
    s.attach(f"w{i}", "Acme", "2026-Q4", respondent=f"person {i}", role="Engineer")
    for turn in range(5):
        s.record(f"w{i}", "interview", _ans(q1=turn % 6, q2=i % 6, q3=(i + turn) % 6))


def test_concurrent_respondents_write_at_once_without_losing_a_write(storage_url):
    url = storage_url
    OrgStore(url).engine.dispose()  # migrated once
    # Separate processes, as terminals and web workers are: SQLite's locks do not survive a fork of a
    # process that has the database open (sqlite.org/howtocorrupt.html, 2.6).
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_respondent, args=(url, i)) for i in range(6)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0] * 6
    data = OrgStore(url).round_data(OrgStore(url).org("acme"), "2026-Q4")
    assert len(data.participations) == 6
    assert sorted(a.score for a in data.answers if a.question == "q1") == [4] * 6  # each one's last write


@pytest.mark.postgres
def test_a_first_respondent_who_loses_the_race_to_create_the_round_still_joins_it(postgres_server):
    """On a server database two first respondents of a round both see no round and both insert it:
    the second insert waits for the first transaction and then fails on the unique key. The loser
    must join the round the winner created (it used to fail with the raw database error)."""
    import threading

    from sqlalchemy import insert, select

    from agent.storage import schema as t
    from tests.pg_server import fresh_database

    url = fresh_database(postgres_server)
    store = OrgStore(url)
    org = store.ensure_org("Acme")
    outcome: list[object] = []
    with store.engine.begin() as winner:  # the winner's transaction, not yet committed
        org_id = winner.execute(select(t.organizations.c.id).where(t.organizations.c.slug == org.slug)).scalar_one()
        winner.execute(insert(t.rounds).values(org_id=org_id, name="2026-Q4", created_at=datetime.now(UTC)))
        loser = threading.Thread(target=lambda: outcome.append(_attach_or_error(url)))
        loser.start()
        time.sleep(1.0)  # the loser's insert is now waiting on the winner's row
        assert loser.is_alive()
    loser.join(30)
    assert outcome and not isinstance(outcome[0], Exception), outcome
    assert [p.session for p in store.round_data(org, "2026-Q4").participations] == ["late"]


def _attach_or_error(url: str) -> object:
    try:
        return OrgStore(url).attach("late", "Acme", "2026-Q4", respondent="Bo")
    except Exception as exc:  # reported to the test's thread
        return exc


def test_a_new_database_is_migrated_and_an_up_to_date_one_is_left_alone(tmp_path):
    from agent.storage.schema import SCHEMA_REVISION

    path = tmp_path / "orgs.sqlite"
    OrgStore(f"sqlite:///{path}")
    con = sqlite3.connect(path)
    assert con.execute("SELECT version_num FROM alembic_version").fetchone() == (SCHEMA_REVISION,)
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"organizations", "rounds", "participations", "answers", "settlements", "org_owners"} <= tables
    con.close()
    t = time.perf_counter()
    OrgStore(f"sqlite:///{path}")
    assert time.perf_counter() - t < 0.5


def test_the_newest_migration_is_the_schema_revision_the_code_expects():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from agent.storage.database import MIGRATIONS_DIR
    from agent.storage.schema import SCHEMA_REVISION

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert ScriptDirectory.from_config(cfg).get_current_head() == SCHEMA_REVISION


def test_migrations_create_exactly_the_tables_the_code_declares(storage_url):
    from sqlalchemy import create_engine, inspect

    from agent.storage.database import sqlalchemy_url
    from agent.storage.schema import metadata

    OrgStore(storage_url)
    insp = inspect(create_engine(sqlalchemy_url(storage_url)))
    for table in metadata.sorted_tables:
        assert {c["name"] for c in insp.get_columns(table.name)} == {c.name for c in table.columns}, table.name


def test_a_file_that_is_not_a_database_is_one_clear_error(tmp_path):
    path = tmp_path / "orgs.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StorageError, match=r"Cannot open the organization store .* storage\.url"):
        OrgStore(f"sqlite:///{path}")


def test_an_unsupported_url_is_one_clear_error(tmp_path):
    with pytest.raises(StorageError, match=r"storage\.url"):
        OrgStore("nosuchdb://x/y")
