"""The course's maintenance commands (run from the repository root: python -m tools.NAME)."""
