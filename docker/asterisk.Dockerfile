# NOT TESTED here. Asterisk 22 from Debian unstable's packages, as on the test rig.
FROM debian:sid-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends asterisk asterisk-modules \
 && rm -rf /var/lib/apt/lists/*
CMD ["asterisk", "-f", "-U", "asterisk", "-G", "asterisk"]
