"""Offline engine: deterministic stand-ins for the model calls (no network, no API keys)."""
