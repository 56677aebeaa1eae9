"""An organization's round and history as reports: the view built from the store, Markdown, JSON
and CSV (HTML: agent.reporting.html)."""
