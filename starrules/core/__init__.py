"""Foundations every layer uses: source spans and diagnostics, the reporter, exact numbers, limits, bounded file reading, atomic writes, packaged resources."""
