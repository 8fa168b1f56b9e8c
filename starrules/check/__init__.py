"""Syntax tree → checked rubric: names, types, ranges and the static checks (LANGUAGE.md §6), schemes resolved for a rubric; `CheckedRubric` is plain data."""
