"""The deployment kit's tests (marker ``deploy``): the compose file's fixed points, and
the systemd unit and the nginx example run for real (``test_systemd_proxy.py``, on the
real-Asterisk rig, so also marked ``asterisk``). They need Debian's nginx and systemd
(``systemd-analyze``) packages, which ``scripts/install-debian-packages`` installs: a
missing one fails the test, it is never skipped."""

from __future__ import annotations

from pathlib import Path

import pytest

# the real-Asterisk rig of tests/asterisk (one for the session), for the systemd test
from tests.asterisk.conftest import rig, rig_settings  # noqa: F401


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.deploy)
