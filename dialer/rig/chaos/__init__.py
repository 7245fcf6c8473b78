"""``make chaos``: faults at seeded random instants during a real campaign on the rig.

A predictive campaign of simulated people (sipp) with robot agents at the web screens runs
while the controller (a subprocess serving :func:`dialer.service.running_service`) is
SIGKILLed and restarted, frozen with SIGSTOP longer than its AMI keep-alive, its AMI
connection cut through a TCP relay of our own (:mod:`.processes`), Asterisk restarted, an
agent's softphone killed mid-call, and the database made unavailable (a throwaway
PostgreSQL restarted, or the SQLite file's small tmpfs filled up). :mod:`.faults` injects
them; :mod:`.witnesses` records what the controller does not write (Asterisk's CDR, the
channels seen over AMI, the robots' submitted sheets, a webhook receiver's deliveries);
:mod:`.verdict` checks the ledger against them and :mod:`.report` writes
``docs/reliability.md``. :mod:`.run` puts it together; ``python -m dialer.rig.chaos``
(the Makefile's ``chaos``) and ``tests/asterisk/test_chaos_short.py`` call it.

Test rig only: production code never imports this package.
"""
