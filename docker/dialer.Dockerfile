# NOT BUILT on the project's machines (no container engine runs there): tests/deploy/
# test_compose.py checks its fixed points. The dialer with its runtime dependencies only,
# installed as a package (not editable), run as the unprivileged user `dialer` (10001).
FROM python:3.11-slim-bookworm
RUN groupadd --system --gid 10001 dialer \
 && useradd --system --uid 10001 --gid dialer --home-dir /var/lib/dialer --create-home \
      --shell /usr/sbin/nologin dialer
WORKDIR /build
# requirements.lock: the runtime lock (the development tools are pinned apart)
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock
COPY pyproject.toml README.md ./
COPY dialer ./dialer
COPY asterisk_conf ./asterisk_conf
COPY ivr_scripts ./ivr_scripts
COPY db ./db
RUN pip install --no-cache-dir --no-deps . && rm -rf /build
USER dialer
WORKDIR /var/lib/dialer
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/readyz', timeout=3)"]
ENTRYPOINT ["dialer"]
CMD ["serve"]
