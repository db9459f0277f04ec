#!/bin/sh
# Container entry point: as `make run` does, create an admin key on the first start (printed once,
# to the container's log) before gunicorn; any other command runs as given.
set -eu
if [ "${1:-}" = "gunicorn" ]; then
    python -m compliance keys bootstrap
fi
exec "$@"
