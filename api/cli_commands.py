"""Registers the command modules of later features on the main CLI app."""
