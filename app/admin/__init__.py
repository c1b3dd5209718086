"""Administration of the board's reference data and accounts (admins only)."""
