# Mirrors the Makefile: pinned requirements, the bundled lists, gunicorn with the app preloaded.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    COMPLIANCE_INSTANCE_DIR=/var/lib/compliance

WORKDIR /app
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt

COPY app.py gunicorn.conf.py ./
COPY compliance ./compliance
COPY watchlists ./watchlists

RUN useradd --system --uid 10001 --home-dir /nonexistent compliance \
    && mkdir -p /var/lib/compliance \
    && chown compliance /var/lib/compliance
USER compliance

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=60s \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=2).status == 200 else 1)"
CMD ["gunicorn", "--config", "gunicorn.conf.py", "--bind", "0.0.0.0:8000", "app:app"]
