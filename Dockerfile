# Mirrors `make run`: the pinned requirements, the bundled lists, an admin key bootstrapped on the
# first start, then gunicorn with gunicorn.conf.py (app preloaded, a worker per core) and the
# batch workers inside the service.
# The compiled retrieval (compliance/matching/_speedups.c) is built where there is a compiler,
# for the same Python minor version, and only the module is copied into the slim image.
FROM python:3.11 AS speedups
WORKDIR /app
COPY compliance/matching/_speedups.c compliance/matching/
COPY scripts/build_speedups.py scripts/
RUN python scripts/build_speedups.py

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    COMPLIANCE_INSTANCE_DIR=/var/lib/compliance \
    COMPLIANCE_BATCH_WORKERS=auto

WORKDIR /app
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt

COPY app.py gunicorn.conf.py ./
COPY compliance ./compliance
COPY --from=speedups /app/compliance/matching/_speedups.*.so ./compliance/matching/
COPY watchlists ./watchlists
COPY scripts/docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh

# State (SQLite store, parse cache, refreshed lists) lives in the volume, owned by the service user.
RUN useradd --system --uid 10001 --home-dir /nonexistent --shell /usr/sbin/nologin compliance \
    && mkdir -p /var/lib/compliance \
    && chown compliance /var/lib/compliance
VOLUME ["/var/lib/compliance"]
USER compliance

EXPOSE 8000
# /readyz: 200 once the lists are loaded (the first start parses them: allow a minute).
HEALTHCHECK --interval=30s --timeout=3s --start-period=60s \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=2).status == 200 else 1)"
ENTRYPOINT ["sh", "/usr/local/bin/docker-entrypoint.sh"]
# The control socket goes to /tmp: the user has no home directory.
CMD ["gunicorn", "--config", "gunicorn.conf.py", "--bind", "0.0.0.0:8000", "--control-socket", "/tmp/gunicorn.ctl", "app:app"]
