"""Hidden-test check functions, one module per notebook (never shipped to students)."""
