"""The chat's local commands, which the faces answer themselves (the graph never sees them), and
the one help text both faces show."""

from __future__ import annotations

from agent.common.hints import command

# Commands a face answers without the graph; /skip, /back and /finish are interview commands.
LOCAL = frozenset({"/status", "/report", "/help", "/quit", "/exit", "/?"})
QUIT = frozenset({"/quit", "/exit"})
HELP_COMMANDS = frozenset({"/help", "/?"})

_COMMANDS = [
    ("/status", "answered questions and scores so far"),
    ("/skip", "skip this question"),
    ("/back", "go back to the previous question"),
    ("/finish", "review my understanding and get the report now"),
    ("/report", "the report (once finished)"),
    ("/quit", "stop here; progress is saved"),
    ("/help", "this help"),
]
_WORDS = ('You can also say "skip this one", "let\'s finish", "what are the options?", '
          '"why does this matter?" or "actually, we do have X now".')


def help_text(session: str, web: bool = False) -> str:
    """The chat's help; `web` adds the page's buttons and its resume link (Markdown)."""
    lead = "Answer in your own words; I map what you say onto the questionnaire's 12 questions."
    if not web:
        rows = "\n".join(f"  {c:<9} {d}" for c, d in _COMMANDS)
        return f"{lead}\n{rows}\n{_WORDS}\nResume later with: {command(f'chat --session {session}')}"
    rows = "\n".join(f"- {c}: {d}" for c, d in _COMMANDS)
    return (f"{lead}\n\n**Skip question**, **Go back** and **Finish now** do what they say.\n\n{rows}\n\n{_WORDS}\n\n"
            "Your progress is saved after every reply: reload the page or keep its link "
            f"(…?session={session}) to come back.")
