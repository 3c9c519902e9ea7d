"""Shared fixtures: a fresh database per test, on SQLite or on PostgreSQL when TEST_DATABASE_URL is set."""
