"""Sources to Dataset: built-in tables, file readers, formulas and designs, weights."""
