"""Shared builders for the ingest tests: the messy registry directory and its workbook."""

from __future__ import annotations

import shutil
from pathlib import Path

from openpyxl import Workbook

DATA = Path(__file__).resolve().parent.parent / "data" / "ingest"
REGISTRY = DATA / "registry"

PLATFORMS = [
    ["平台名称", "平台类型", "级别", "依托单位", "批准年度", "所属领域", "研究方向"],
    ["山东省康复医疗器械工程技术研究中心", "工程技术研究中心", "省级", "泰安康复医疗器械有限公司",
     2019, "康复医疗器械", "康复机器人；运动控制"],
    ["山东省智慧康养创新创业共同体", "创新创业共同体", "省", "泰安市科学技术局", 2020, "智慧养老",
     "智慧康养"],
    [None, None, None, None, None, None, None],
    ["泰安市生物医药重点实验室", "重点实验室", "市", "泰山生物制药有限公司", 2018.0, "生物医药",
     "缓释制剂"],
    ["泰安坏类型平台", "不存在的类型", "市", "泰安市中心医院", 2020, "康复医疗器械", ""],
]
TEAMS = [
    ["团队名称", "带头人", "依托单位", "所属领域", "研究方向", "团队人数", "入选计划"],
    ["康复机器人创新团队", "张伟", "山东农业大学", "康复医疗器械", "康复机器人", 12,
     "泰山产业领军人才"],
    ["生物制药研发团队", "李娜", "泰安市产业技术创新研究院", "生物医药", "缓释制剂", "8人", None],
]


def write_platforms(path: Path) -> Path:
    """Write the two-sheet platform workbook (平台 with a blank row and a bad type)."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "平台"
    for r in PLATFORMS:
        ws.append(r)
    teams = wb.create_sheet("研究团队")
    for r in TEAMS:
        teams.append(r)
    wb.save(path)
    return path


def registry_copy(tmp: Path) -> Path:
    """A writable copy of tests/data/ingest/registry with the workbook added."""
    target = tmp / "registry"
    shutil.copytree(REGISTRY, target)
    write_platforms(target / "platforms.xlsx")
    return target


def test_registry_copy_has_every_fixture(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    d = registry_copy(tmp_path)
    wb = load_workbook(d / "platforms.xlsx", read_only=True)
    assert wb.sheetnames == ["平台", "研究团队"]
    data = sorted(p.name for p in d.iterdir() if not p.name.endswith(".mapping.yaml"))
    mapped = sorted(p.name[: -len(".mapping.yaml")] for p in d.glob("*.mapping.yaml"))
    assert data == mapped
