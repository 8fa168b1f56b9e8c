"""Evidence in: JSON Lines, CSV, Parquet / Arrow, filled-in workbooks; record ids; the fill-in form's layout and the evidence JSON Schema."""
