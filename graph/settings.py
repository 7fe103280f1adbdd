"""The one settings object, read from the environment (and .env) when an entry point asks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
LOCAL_NEO4J = REPO_ROOT / ".neo4j" / "connection.json"


class Settings(BaseSettings):
    """innograph settings.

    Environment variables: ``INNOGRAPH_STORE`` (embedded|neo4j), ``INNOGRAPH_HOME``
    (where the embedded store lives), ``NEO4J_URI``, ``NEO4J_USER``,
    ``NEO4J_PASSWORD``, ``NEO4J_DATABASE``. With ``INNOGRAPH_STORE=neo4j`` and no
    ``NEO4J_URI``, the local server started by ``innograph neo4j start`` is used.
    """

    # read by their INNOGRAPH_/NEO4J_ names alone: a field's own name is no variable of
    # ours (HOME, STORE or ROLE in the environment say nothing about innograph)
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    store: Literal["embedded", "neo4j"] = Field(default="embedded",
                                                validation_alias="INNOGRAPH_STORE")
    home: Path = Field(default=Path.home() / ".innograph", validation_alias="INNOGRAPH_HOME")
    neo4j_uri: str | None = Field(default=None, validation_alias="NEO4J_URI")
    neo4j_user: str = Field(default="neo4j", validation_alias="NEO4J_USER")
    neo4j_password: SecretStr | None = Field(default=None, validation_alias="NEO4J_PASSWORD")
    neo4j_database: str = Field(default="neo4j", validation_alias="NEO4J_DATABASE")
    threads: int = Field(default=200, ge=1, le=10_000, validation_alias="INNOGRAPH_THREADS",
                         description="threads a server process runs requests in: at least "
                                     "the concurrent clients expected")
    role: Literal["analyst", "talent_office", "admin"] | None = Field(
        default=None, validation_alias="INNOGRAPH_ROLE",
        description="the role of the command line (default admin: whoever runs it on "
                    "the store's machine can read the store's files), and of every "
                    "request and notebook when authentication is off (default analyst); "
                    "only talent_office and admin see talents' personal data")
    heavy: int = Field(default=4, ge=1, le=1000, validation_alias="INNOGRAPH_HEAVY",
                       description="whole-graph requests (matching, recommendations, gaps, "
                                   "graph views) a server runs at once; the others wait")
    fresh_wait: float = Field(
        default=1.0, ge=0, le=3600, validation_alias="INNOGRAPH_FRESH_WAIT",
        description="seconds a server's request waits for the whole-graph results of a "
                    "newer store version (after an ingest) before it is answered from "
                    "the previous version's, which stay in use until the new ones are "
                    "built")
    match_retrieval: Literal["index", "store"] = Field(
        default="index", validation_alias="INNOGRAPH_MATCH_RETRIEVAL",
        description="where matchmaking takes its candidate pool from: the in-process index "
                    "(index, the faster: see BENCHMARKS.md) or the database's indexes "
                    "(store: on Neo4j one Cypher query over the match terms that analyse "
                    "writes back); the answers are the same")
    auth: bool = Field(default=True, validation_alias="INNOGRAPH_AUTH",
                       description="HTTP requests need an API key (innograph users add); "
                                   "off only for a local demo")

    @property
    def cli_role(self) -> str:
        """The role of a local command: INNOGRAPH_ROLE, else admin."""
        return self.role or "admin"

    @property
    def demo_role(self) -> str:
        """The role of every request when authentication is off, and of the notebooks'
        helpers: INNOGRAPH_ROLE, else analyst (no personal data)."""
        return self.role or "analyst"

    def with_local_neo4j(self) -> Settings:
        """Fill the Neo4j connection from ``.neo4j/connection.json`` when none is set."""
        if self.neo4j_uri or not LOCAL_NEO4J.exists():
            return self
        info = json.loads(LOCAL_NEO4J.read_text())
        return self.model_copy(update={
            "neo4j_uri": info["uri"], "neo4j_user": info.get("user", "neo4j"),
            "neo4j_password": SecretStr(info["password"]),
            "neo4j_database": info.get("database", "neo4j")})
