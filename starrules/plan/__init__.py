"""Checked rubric → what every engine runs: the evaluation graph, expression meaning, what evidence each fact kind accepts, and the lowered grading plan."""
