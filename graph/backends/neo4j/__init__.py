"""The Neo4j backend: the only package that imports the ``neo4j`` driver."""
