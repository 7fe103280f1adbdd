"""Registers the command modules of later features on the main CLI app."""

from api import (  # noqa: F401  (importing a module registers its commands)
    cli_export,
    cli_extract,
    cli_gaps,
    cli_generate,
    cli_ingest,
    cli_ingest_text,
    cli_linkpred,
    cli_match,
    cli_query,
    cli_users,
    cli_viz,
)
