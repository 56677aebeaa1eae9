"""Reports as one self-contained HTML file (no scripts, no fonts or images fetched, printable to PDF):
a session's report and an organization's round, rendered with Jinja2 templates (templates/) and an
inline SVG chart drawn by matplotlib (chart.py)."""
