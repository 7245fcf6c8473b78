"""The settings that point at an administrator's own files: the billing's price grid and
the campaign templates' directory (sections of :class:`dialer.settings.Settings`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict


class FileSection(BaseModel):
    """A ``[section]`` of the settings: an unknown key is an error."""

    model_config = ConfigDict(extra="forbid")


class BillingSettings(FileSection):
    """Reports' billing: the price grid (TOML). None: the grid shipped in
    ``dialer/reports/price_grid.toml``, whose comments document the format."""

    price_grid_file: Path | None = None


class TemplateSettings(FileSection):
    """Campaign templates: the shipped ones (heatwave, cold spell, epidemic, flood) and the
    administrator's ``*.yaml`` files of ``directory`` (one template each, named by its file;
    a file named like a shipped template replaces it). ``dialer template check FILE``
    checks one before use."""

    directory: Path | None = None
