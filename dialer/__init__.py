"""Outbound call-campaign dialer for welfare-check campaigns.

Layers (see docs/architecture.md):

- ``dialer.core``: pure domain rules (no I/O, ``now`` passed in);
- ``dialer.telephony``: the only package that talks AMI (panoramisk);
- ``dialer.rig``: provisions and runs the local Asterisk and the simulated world;
- ``dialer.cli``: the ``dialer`` command.

The version is the package's metadata (``pyproject.toml``), shown by ``dialer --version``.
"""
