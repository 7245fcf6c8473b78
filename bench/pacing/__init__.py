"""The pacing bench: a discrete-event simulator of calling days that drives the engine's own
pacing decisions (:mod:`dialer.core.pacing`) against a model of the people called and the
agents, with VICIdial's adaptive dial level as a baseline. Run ``python -m bench.pacing``."""
