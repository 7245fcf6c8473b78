# NOT BUILT on the project's machines (no container engine runs there): tests/deploy/
# test_compose.py checks its fixed points. The dialer from its wheel, with the pinned
# runtime dependencies only (requirements.lock; the development tools are in
# requirements-dev.lock), run as the unprivileged user `dialer` (10001).
# The phone in the agent's page: JsSIP from web/package-lock.json, bundled as `make
# web-vendor` does, into the package's static files (nothing fetched when the service runs).
FROM node:22-bookworm-slim AS web-vendor
WORKDIR /src/web
COPY web/package.json web/package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && node_modules/.bin/esbuild node_modules/jssip/lib/JsSIP.js --bundle --format=iife \
      --global-name=JsSIP --minify --target=es2019 --legal-comments=inline \
      --outfile=/vendor/jssip.min.js

FROM python:3.11-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY dialer ./dialer
COPY --from=web-vendor /vendor ./dialer/web/static/vendor
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim-bookworm
RUN groupadd --system --gid 10001 dialer \
 && useradd --system --uid 10001 --gid dialer --home-dir /var/lib/dialer --create-home \
      --shell /usr/sbin/nologin dialer
COPY requirements.lock /tmp/requirements.lock
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --require-hashes -r /tmp/requirements.lock \
 && pip install --no-cache-dir --no-deps /wheels/*.whl \
 && rm -rf /wheels /tmp/requirements.lock
USER dialer
WORKDIR /var/lib/dialer
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/readyz', timeout=3)"]
ENTRYPOINT ["dialer"]
CMD ["serve"]
