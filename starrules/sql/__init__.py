"""The scoring plan compiled to one SQL query (sqlglot expressions), run on DuckDB: docs/sql.md."""
