"""Outcome documents: texts negotiated, adopted by a procedure, and signed by every party."""
