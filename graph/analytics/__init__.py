"""Pure analytics over networkx graphs and store results."""
