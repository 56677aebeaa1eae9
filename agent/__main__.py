"""`python -m agent`: the same as the `aiops-assess` command."""

import sys

from agent.faces.cli import main

sys.exit(main())
