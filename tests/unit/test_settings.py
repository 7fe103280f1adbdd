"""Settings come from innograph's own environment variables, never from others."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.settings import Settings


def test_variables_named_like_fields_are_not_ours(monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    """HOME (every shell has it), STORE, ROLE or THREADS are not innograph's settings:
    with INNOGRAPH_HOME unset the store lives in ~/.innograph, not in the home folder
    itself, and the other fields keep their defaults."""
    for name in ("INNOGRAPH_HOME", "INNOGRAPH_STORE", "INNOGRAPH_ROLE", "INNOGRAPH_THREADS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env file
    monkeypatch.setenv("HOME", str(tmp_path / "someone"))
    monkeypatch.setenv("STORE", "neo4j")
    monkeypatch.setenv("ROLE", "admin")
    monkeypatch.setenv("THREADS", "not a number")
    settings = Settings()
    assert settings.home.name == ".innograph"  # ~/.innograph, whatever HOME says now
    assert (settings.store, settings.role, settings.threads) == ("embedded", None, 200)
    monkeypatch.setenv("INNOGRAPH_HOME", str(tmp_path / "h"))
    monkeypatch.setenv("INNOGRAPH_STORE", "neo4j")
    monkeypatch.setenv("INNOGRAPH_ROLE", "talent_office")
    assert (Settings().home, Settings().store, Settings().role) == (
        tmp_path / "h", "neo4j", "talent_office")
