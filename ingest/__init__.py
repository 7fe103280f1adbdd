"""Ingest: read registries and texts, map them to the schema, resolve identities, write."""
