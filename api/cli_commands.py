"""Registers the command modules of later features on the main CLI app."""
from api import cli_linkpred  # noqa: F401
