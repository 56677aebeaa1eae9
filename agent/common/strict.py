"""The base of every validated data file's model: unknown keys are errors, values are frozen."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """A typo in a data file fails loudly instead of being ignored; loaded data cannot be changed."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
