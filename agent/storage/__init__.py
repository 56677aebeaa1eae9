"""The organization store: organizations, assessment rounds, respondents' sessions and their answers,
settlements — in a SQL database with migrations (SQLite under the data directory by default; any
SQLAlchemy URL, e.g. Postgres, in `storage.url`)."""
