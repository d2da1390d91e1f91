"""Tracing, the step-by-step story, layout and export: no Qt here."""
