"""`python -m course_utils doctor`: what this machine gives the course (see diagnostics.py)."""
import sys

from .machinery.diagnostics import main

sys.exit(main(sys.argv[1:]))
