"""The live dashboard (``/tableau-de-bord``, served by :mod:`dialer.web.dashboard`): the
engine's live counts and the current campaign's figures, with the forecast."""
