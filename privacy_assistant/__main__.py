"""`python -m privacy_assistant` runs the console script."""

from privacy_assistant.cli import main

raise SystemExit(main())
