"""The local Asterisk rig: Asterisk 22 in a Debian sid chroot, plus the simulated world
(sipp playing the called people, baresip playing the agents' softphones), all on loopback.

Used by the real-Asterisk tests, ``make demo`` and ``dialer rig ...``. Production does not
use this package: it points the dialer at its own Asterisk (see README).
"""
