"""The API answers 503 while Neo4j is unreachable and recovers without a restart.

A TCP relay stands between the API's driver and the real Neo4j; closing the relay
is an outage, reopening it on the same port is the server coming back.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.conftest import neo4j_settings

pytestmark = pytest.mark.neo4j


class Relay:
    """Forwards 127.0.0.1:port to the Neo4j Bolt port until stopped."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self._server: socket.socket | None = None
        self._conns: list[socket.socket] = []

    def start(self) -> None:
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.port))
        server.listen()
        self._server = server
        threading.Thread(target=self._accept, args=(server,), daemon=True).start()

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def stop(self) -> None:
        if self._server is not None:
            # shutdown wakes the thread blocked in accept(); close() alone does not on Linux
            with contextlib.suppress(OSError):
                self._server.shutdown(socket.SHUT_RDWR)
            self._server.close()
            self._server = None
        for c in self._conns:
            with contextlib.suppress(OSError):
                c.shutdown(socket.SHUT_RDWR)
            c.close()
        self._conns.clear()


@pytest.fixture
def relay() -> Iterator[tuple[Relay, object]]:
    settings = neo4j_settings()
    assert settings.neo4j_uri is not None
    host, port = settings.neo4j_uri.split("//", 1)[1].rsplit(":", 1)
    r = Relay((host, int(port)))
    yield r, settings.model_copy(update={"store": "neo4j", "auth": False,
                                         "neo4j_uri": f"bolt://127.0.0.1:{r.port}"})
    r.stop()


def _stats(client: TestClient) -> tuple[int, dict[str, object]]:
    started = time.monotonic()
    resp = client.get("/stats")
    assert time.monotonic() - started < 30, "an outage must not hang requests"
    return resp.status_code, resp.json()


def test_outage_gives_503_and_service_recovers(relay: tuple[Relay, object]) -> None:
    r, settings = relay
    r.start()
    with TestClient(create_app(settings)) as client:  # type: ignore[arg-type]
        assert _stats(client)[0] == 200
        r.stop()
        code, body = _stats(client)
        assert code == 503 and "Neo4j" in str(body["detail"])
        r.start()
        assert _stats(client)[0] == 200


def test_down_at_start_up_then_recovers(relay: tuple[Relay, object]) -> None:
    r, settings = relay
    with TestClient(create_app(settings)) as client:  # type: ignore[arg-type]
        code, body = _stats(client)
        assert code == 503 and "Neo4j" in str(body["detail"])
        r.start()
        assert _stats(client)[0] == 200


def test_a_read_past_its_timeout_is_ended_by_neo4j(
        _neo4j_session: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every read transaction carries a timeout: Neo4j ends a runaway query and the caller
    gets a clear QueryLimitError (422 over HTTP), not a hang."""
    from graph.backends.neo4j import store as neo4j_store
    from graph.errors import QueryLimitError

    store = _neo4j_session
    monkeypatch.setattr(neo4j_store, "READ_TIMEOUT", 0.2)
    started = time.perf_counter()
    with pytest.raises(QueryLimitError, match="查询超时"):
        store._read("UNWIND range(1, 400000000) AS x "  # type: ignore[attr-defined]
                    "WITH x WHERE x % 7 = 3 RETURN count(x) AS n")
    assert time.perf_counter() - started < 20
    assert store._read("RETURN 1 AS one")[0]["one"] == 1  # type: ignore[attr-defined]
