"""Shared fixtures: an isolated data dir and config for every test, the offline engine as model."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path, monkeypatch):
    for key in list(os.environ):
        if key.startswith("AIOPS_") or key.endswith("_API_KEY"):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AIOPS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("AIOPS_MODEL", "offline/rubric")


@pytest.fixture
def rubric():
    from agent.rubric import load_rubric

    return load_rubric()


@pytest.fixture
def settings():
    from agent.config import load_settings

    return load_settings()
