"""Storage: the database (engine, tables, migrations), conversation sessions, staff keys and retention."""
