"""Batch screening: durable jobs over account files of millions of rows. Framework-free.

A file is copied once, as UTF-8, into the instance dir and cut into chunks of rows by byte
offset (`intake`); workers lease chunks from the store (`queue`), screen their rows with the
Screener (`worker`) and commit each chunk's results, audit records and completion in one
transaction, so a killed worker loses and duplicates nothing. `service.BatchService` is what
the API and the CLI call.
"""
