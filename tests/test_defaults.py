"""The default and suggested models exist: known to the installed litellm's model map, priced,
and not deprecated (nor deprecated within 60 days) — so a first run does not meet a retired model."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import litellm
import pytest
import yaml

from agent.common.providers import DEFAULT_MODELS, OLLAMA, provider_of

ROOT = Path(__file__).resolve().parent.parent
NOTICE_DAYS = 60


def _entry(model: str) -> dict | None:
    """The model's litellm.model_cost entry (Ollama chat models are listed under ollama/)."""
    bare = model.split("/", 1)[1]
    if provider_of(model) in OLLAMA:
        return litellm.model_cost.get(f"ollama/{bare}")
    return litellm.model_cost.get(bare) or litellm.model_cost.get(model)


DEFAULTS = sorted({*DEFAULT_MODELS.values(), yaml.safe_load((ROOT / "config.yaml").read_text())["model"]})


@pytest.mark.parametrize("model", DEFAULTS)
def test_default_model_is_in_litellms_map_and_not_retiring(model):
    entry = _entry(model)
    assert entry is not None, f"{model} is not in litellm's model map: pick a current model"
    deprecation = entry.get("deprecation_date")
    if deprecation:
        left = (dt.date.fromisoformat(deprecation) - dt.date.today()).days
        assert left > NOTICE_DAYS, f"{model} is deprecated on {deprecation} ({left} days): pick a newer model"
    if provider_of(model) not in OLLAMA:  # local models cost nothing
        assert entry.get("input_cost_per_token") and entry.get("output_cost_per_token"), f"{model} has no price"


def test_the_check_catches_a_retired_model():
    # The previous Anthropic default: retired, and gone from litellm's map.
    assert _entry("anthropic/claude-3-5-haiku-latest") is None
    deprecation = litellm.model_cost["gpt-4o-mini"]["deprecation_date"]
    assert (dt.date.fromisoformat(deprecation) - dt.date(2026, 12, 2)).days <= NOTICE_DAYS
