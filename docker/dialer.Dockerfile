# NOT TESTED here. The dialer with the pinned dependencies.
FROM python:3.11-slim-bookworm
WORKDIR /app
COPY requirements.lock pyproject.toml README.md ./
COPY dialer ./dialer
COPY asterisk_conf ./asterisk_conf
COPY ivr_scripts ./ivr_scripts
COPY db ./db
RUN pip install --no-cache-dir --require-hashes -r requirements.lock \
 && pip install --no-cache-dir --no-deps -e .
ENTRYPOINT ["dialer"]
