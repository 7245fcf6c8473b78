"""The pure core: domain rules with no I/O and no clock.

Every function here takes ``now`` (an aware ``datetime``) as an argument when it needs the
time, and is tested without an event loop.
"""
