"""Exit codes of the `aiops-assess` commands."""

EXIT_OK = 0
EXIT_FAILED = 1  # a command ran but did not succeed (e.g. below an evaluation threshold)
EXIT_USAGE = 2  # bad arguments, configuration or session: the message names the fix
EXIT_UNAVAILABLE = 3  # no model could be reached; progress is saved
EXIT_INTERRUPTED = 130  # Ctrl-C, or a turn failed; progress up to the last reply is saved
