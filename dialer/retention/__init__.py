"""Retention: personal data kept only as long as needed. :mod:`.purge` deletes what is
older than the settings' retention (``dialer purge``), :mod:`.daily` runs it every day in
the service."""
