"""Moving the organization store to another database (`aiops-assess storage migrate`): every row of
every table, ids kept, into a target brought to the same schema first."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import func, insert, select, text

from agent.storage.database import StorageError, open_engine
from agent.storage.schema import metadata


class StoreTransfer(BaseModel):
    rows: dict[str, int]


def copy_store(source_url: str, target_url: str) -> StoreTransfer:
    """Copy the organization store at `source_url` into the one at `target_url`, which must be empty."""
    src, dst = open_engine(source_url), open_engine(target_url)
    with dst.connect() as con:
        used = [t.name for t in metadata.sorted_tables if con.execute(select(func.count()).select_from(t)).scalar()]
    if used:
        raise StorageError(f"The target organization store already has data (tables {', '.join(used)}); "
                           "migrate into an empty database.")
    counts: dict[str, int] = {}
    with src.connect() as read, dst.begin() as write:
        for table in metadata.sorted_tables:  # parents before children
            rows = [dict(r._mapping) for r in read.execute(select(table))]
            if rows:
                write.execute(insert(table), rows)
            counts[table.name] = len(rows)
        if dst.dialect.name == "postgresql":
            # Rows kept their ids: move each id sequence past them, or the next insert collides.
            for table in metadata.sorted_tables:
                if "id" in table.c and counts[table.name]:
                    write.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                       f"(SELECT max(id) FROM {table.name}))"))
    return StoreTransfer(rows=counts)
