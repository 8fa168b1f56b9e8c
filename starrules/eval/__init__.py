"""One branch scored: the traced reference evaluator, the generated fast path, several raters combined, and the `Result` they give."""
