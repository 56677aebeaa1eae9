"""aiops-assess: a chat-based assessment agent for the AI Operations Maturity Model.

The package's layers and their import rules are in docs/architecture.md.
"""

import sys

# Where PYTHONDONTWRITEBYTECODE is set (some CI and sandbox images set it), every run would compile
# pydantic, langgraph and litellm from source again: seconds before the first question. Instead the
# bytecode of what this program imports is cached in the environment's __pycache__ folders on the
# first run. (Compiling the whole environment at install time, uv's compile-bytecode, cost ~70 s on
# a first run and ~1 s on every later `uv run`.)
sys.dont_write_bytecode = False
