"""Supervision services: the live dashboard (figures from the engine and the ledger)."""
