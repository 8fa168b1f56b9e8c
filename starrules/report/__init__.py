"""Results out: JSON Lines / CSV / Parquet writers, output-path checks, workbooks, charts, scorecards, summaries and text explanations."""
