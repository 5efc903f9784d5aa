"""Interpretation: booths, language channels, interpreters on air, listeners' choice."""
