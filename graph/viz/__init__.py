"""Views and exports: pyvis, GraphML, GEXF."""
