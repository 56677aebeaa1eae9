"""Where the bundled data lives: knowledge/ and prompts/ at the project root."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
KNOWLEDGE_DIR = PROJECT_ROOT / "knowledge"
PROMPTS_DIR = PROJECT_ROOT / "prompts"
RUBRIC_PATH = KNOWLEDGE_DIR / "rubric.yaml"
DEFAULT_CONFIG_PATH = PROJECT_ROOT / "config.yaml"
