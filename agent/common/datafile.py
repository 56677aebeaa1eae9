"""Loading a bundled YAML data file into its pydantic model, with one clear error on failure."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


class DataFileError(Exception):
    """A data file under knowledge/ is missing, unreadable or invalid; the message says which and why."""


def load_yaml_model(path: Path | str, model: type[M], what: str, error: type[DataFileError] = DataFileError) -> M:
    """Parse YAML at `path` and validate it as `model`; raises `error` naming the file and the reason."""
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise error(f"cannot read {what} {p}: {exc}") from exc
    try:
        return model.model_validate(data)
    except ValueError as exc:
        raise error(f"invalid {what} {p}: {exc}") from exc
