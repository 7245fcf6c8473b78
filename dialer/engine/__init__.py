"""The dialing engine: the asyncio service that paces calls, places them through the
telephony port, joins answered people to agents, and keeps the ledger true."""
