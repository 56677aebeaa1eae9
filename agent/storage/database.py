"""The organization store's database: an SQLAlchemy engine for `storage.url` (SQLite under the data
directory by default), brought to the newest schema by Alembic migrations when opened."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.exc import SQLAlchemyError

from agent.storage.schema import SCHEMA_REVISION

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
DEFAULT_FILE = "organizations.sqlite"


class StorageError(Exception):
    """The organization store cannot be used; the message says why and what to do."""


def default_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / DEFAULT_FILE}"


def _sqlite_pragmas(engine: Engine) -> None:
    # Several respondents (terminals, web workers) write at once: WAL lets readers go on while one
    # writes, the busy timeout queues writers instead of failing, and BEGIN IMMEDIATE takes the
    # write lock up front, so two transactions never deadlock upgrading a read lock.
    @event.listens_for(engine, "connect")
    def _connect(dbapi_con, _record) -> None:
        dbapi_con.isolation_level = None  # SQLAlchemy's "begin" event below says how to begin
        cur = dbapi_con.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def is_postgres(url: str | None) -> bool:
    return bool(url) and url.split(":", 1)[0].split("+", 1)[0] in ("postgresql", "postgres")  # type: ignore[union-attr]


def sqlalchemy_url(url: str) -> str:
    """The URL as SQLAlchemy takes it: Postgres through psycopg 3 (the driver installed with us,
    shared with LangGraph's Postgres checkpointer), whatever the URL's own spelling."""
    if is_postgres(url):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def libpq_url(url: str) -> str:
    """The URL as psycopg (libpq) takes it: without SQLAlchemy's driver suffix."""
    return "postgresql://" + url.split("://", 1)[1] if is_postgres(url) else url


def open_engine(url: str) -> Engine:
    """An engine for `url`, its schema migrated to SCHEMA_REVISION (StorageError when it cannot be)."""
    try:
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(sqlalchemy_url(url), connect_args={"timeout": 30} if url.startswith("sqlite") else {},
                               pool_pre_ping=is_postgres(url))
        if engine.dialect.name == "sqlite":
            _sqlite_pragmas(engine)
        if _revision(engine) != SCHEMA_REVISION:
            migrate(engine)
    except (SQLAlchemyError, OSError) as exc:
        raise StorageError(f"Cannot open the organization store at {_shown(url)} ({_reason(exc)}). Check "
                           "storage.url in config (or AIOPS_STORAGE__URL) and data_dir.") from exc
    except ImportError as exc:  # a server database whose driver is not installed
        raise StorageError(f"No database driver for {_shown(url)}: {exc}. Install it (for Postgres: "
                           "uv add 'psycopg[binary]') or use the default SQLite store.") from exc
    return engine


def _revision(engine: Engine) -> str | None:
    with engine.connect() as con:
        if "alembic_version" not in inspect(con).get_table_names():
            return None
        return con.execute(text("SELECT version_num FROM alembic_version")).scalar()


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the database's schema to `revision` with the migrations in agent/storage/migrations."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as con:
        cfg.attributes["connection"] = con
        command.upgrade(cfg, revision)


def _shown(url: str) -> str:
    """The URL without its password."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL is shown as a placeholder, never raised from here
        return "(the configured storage.url)"


def _reason(exc: BaseException) -> str:
    return str(getattr(exc, "orig", None) or exc).splitlines()[0]


class Guarded:
    """A connection context whose database errors become one StorageError naming the fix."""

    def __init__(self, cm: Any) -> None:
        self.cm = cm

    def __enter__(self) -> Any:
        try:
            return self.cm.__enter__()
        except SQLAlchemyError as exc:
            raise _storage_error(exc) from exc

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> bool | None:
        try:
            handled = self.cm.__exit__(exc_type, exc, tb)
        except SQLAlchemyError as err:
            raise _storage_error(err) from err
        # An error inside the block (a statement that failed, e.g. a unique key another worker took a
        # moment earlier) is rolled back above and reaches the caller as the same StorageError, its
        # cause kept so that a caller can tell a lost race from a broken database.
        if isinstance(exc, SQLAlchemyError) and not handled:
            raise _storage_error(exc) from exc
        return handled


def _storage_error(exc: SQLAlchemyError) -> StorageError:
    reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
    return StorageError(f"The organization store failed ({reason}). Check the disk and storage.url in config "
                        "(or AIOPS_STORAGE__URL); sessions themselves are unaffected.")
