"""Scores → levels: schemes graded, the gap to the next level, cohort rules (ranking, quotas, forced shares)."""
