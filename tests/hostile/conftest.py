"""Lets the corpus tests import corpus.py whether or not tests/hostile is a package."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
