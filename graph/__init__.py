"""Storage and analytics: the GraphStore interface, its backends, analytics and views."""
