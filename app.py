"""WSGI entry point: `gunicorn app:app`."""
from compliance import create_app

app = create_app()
