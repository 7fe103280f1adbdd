"""Entry points: the HTTP service, the CLI. They compose ingest, graph and schemas."""
