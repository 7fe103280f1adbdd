"""The notebooks' table helper shows personal data only to roles that may see it."""

from __future__ import annotations

from pathlib import Path

import pytest

from api import notebook as demo_store

ROW = {"label": "Talent", "name": "张三", "phone": "13800000000", "email": "z@example.com"}


@pytest.mark.parametrize(("role", "shown"), [("analyst", False), ("talent_office", True)])
def test_table_redacts_for_the_role(monkeypatch: pytest.MonkeyPatch, role: str,
                                    shown: bool) -> None:
    pytest.importorskip("IPython")
    monkeypatch.setenv("INNOGRAPH_ROLE", role)
    html = demo_store.table([ROW], ["name", "phone", "email"]).data
    assert "张三" in html
    assert ("13800000000" in html) is shown and ("z@example.com" in html) is shown


def test_without_a_store_or_the_sample_the_message_says_what_to_set(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("INNOGRAPH_HOME", raising=False)
    monkeypatch.setenv("INNOGRAPH_SAMPLE", str(tmp_path))
    with pytest.raises(demo_store.NoGraph, match="INNOGRAPH_HOME"):
        demo_store.open_graph()
