"""``python -m vibe_export``: see cli.py and docs/exporter.md."""

from .cli import main

raise SystemExit(main())
