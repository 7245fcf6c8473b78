"""Campaign and cycle reports, billing, and their exports (CSV, XLSX, PDF).

- :mod:`dialer.storage.report_rows`: the rows a report is computed from (plain dataclasses)
  and the repository that loads them from the database;
- :mod:`dialer.reports.figures`: the figures (pure: rows in, figures out);
- :mod:`dialer.reports.price_grid`: reads the billing price grid (TOML);
  :mod:`dialer.core.billing` prices and reconciles (pure);
- :mod:`dialer.reports.tables`: every table of the report, ready for any format;
- :mod:`dialer.reports.exports` (CSV, XLSX) and :mod:`dialer.reports.pdf` (PDF + charts);
- :mod:`dialer.reports.service`: one call builds a whole report.
"""
