"""Campaigns as a service: templates, starting a campaign (register → cycle), the dial queue
backed by the cycle schedule and the ledger, and the run that wires them to the engine."""
