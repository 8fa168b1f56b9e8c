"""Text → syntax tree: the grammar-driven parser, the typed AST, keywords, the nesting pre-scan, the formatter and the loader that follows imports."""
