"""Properties, checked by hypothesis on generated inputs: name normalisation, identity
by official codes, the table readers on any encoding and shape, the extractor's offsets."""

from __future__ import annotations

import csv
import io
import string
from functools import lru_cache
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.errors import SourceError
from ingest.resolve.codes import CREDIT_CODE_ALPHABET, credit_code_check_char
from ingest.resolve.uids import make_uid
from ingest.sources.base import MAX_CELL
from ingest.sources.csv_source import read_csv
from schemas.names import normalize_name

FAST = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
NAME_CHARS = st.one_of(HAN, st.sampled_from(list("（）()  ＡＢＣabc123１２３-·")))
NAMES = st.text(NAME_CHARS, min_size=1, max_size=30)


@FAST
@given(NAMES)
def test_normalisation_is_idempotent(name: str) -> None:
    once = normalize_name(name)
    assert normalize_name(once) == once
    assert " " not in once and once == once.lower()


def test_every_han_character_normalises_to_a_fixed_point() -> None:
    """Not left to chance: some characters simplify in steps (薴 -> 苧 -> 苎), which a
    single conversion left half-way, so that a stored key no longer matched itself."""
    assert normalize_name("薴麻纺织有限公司") == normalize_name("苎麻纺织有限公司")
    moved = 0
    for cp in range(0x4E00, 0x9FA6):
        once = normalize_name(chr(cp))
        assert normalize_name(once) == once, chr(cp)
        moved += once != chr(cp)
    assert moved > 2000  # the traditional characters were converted


@FAST
@given(NAMES)
def test_full_width_and_spaces_do_not_change_the_key(name: str) -> None:
    full = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in name)
    assert normalize_name(full) == normalize_name(name)
    assert normalize_name(" ".join(name)) == normalize_name(name)


def _credit_code(body: str) -> str:
    return body + credit_code_check_char(body)


_ANY = st.sampled_from(list(CREDIT_CODE_ALPHABET))
CODE_BODIES = st.builds(  # registration authority and kind, division code (digits), the rest
    lambda a, d, c: a + d + c, st.text(_ANY, min_size=2, max_size=2),
    st.text(st.sampled_from(string.digits), min_size=6, max_size=6),
    st.text(_ANY, min_size=9, max_size=9))


@FAST
@given(CODE_BODIES, CODE_BODIES, NAMES)
def test_different_credit_codes_never_share_a_uid(a: str, b: str, name: str) -> None:
    ca, cb = _credit_code(a), _credit_code(b)
    ua = make_uid("Enterprise", name, credit_code=ca)
    ub = make_uid("Enterprise", name, credit_code=cb)
    assert (ua == ub) == (ca == cb)


@FAST
@given(st.text(st.sampled_from(string.digits), min_size=10, max_size=10),
       st.text(st.sampled_from(string.digits), min_size=10, max_size=10))
def test_different_school_codes_never_share_a_uid(a: str, b: str) -> None:
    ua = make_uid("University", "某某学院", moe_code=a)
    ub = make_uid("University", "某某学院", moe_code=b)
    assert (ua == ub) == (a == b)


CELLS = st.text(st.one_of(HAN, st.sampled_from(list("abc ,\"\n\t;、123"))), max_size=12)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(CELLS, min_size=0, max_size=6), min_size=1, max_size=8),
       st.sampled_from(["utf-8", "utf-8-sig", "gbk", "gb18030"]),
       st.integers(min_value=0, max_value=3))
def test_csv_reader_accounts_for_every_line(tmp_path: Path, rows: list[list[str]],
                                            encoding: str, huge_at: int) -> None:
    header = ["名称", "地区", "类型"]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for i, r in enumerate(rows):
        cells = list(r)
        if i == huge_at and cells:
            cells[0] = "长" * (MAX_CELL + 1)
        writer.writerow(cells)
    path = tmp_path / f"t-{encoding}.csv"
    try:
        path.write_bytes(buf.getvalue().encode(encoding))
    except UnicodeEncodeError:
        return  # a character the encoding cannot hold: not a file anyone could send
    try:
        table = read_csv(path)
    except SourceError as exc:
        assert str(path.name) in str(exc) or exc.file  # a clear error naming the file
        return
    data_lines = [r for r in rows if any(c.strip() for c in r)]
    assert len(table.rows) + table.blank_lines >= len(data_lines)
    for row in table.rows:
        assert row.line is not None and row.line >= 2
        if row.defect is None:
            assert set(row.values) == set(table.columns)
            assert all(len(v) <= MAX_CELL for v in row.values.values())
        else:
            assert len(row.defect) < 300


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(st.one_of(HAN, st.sampled_from(list("，。、“”（）0123 ABab\t"))),
                        max_size=60), min_size=1, max_size=6))
def test_extractor_offsets_point_into_their_text(texts: list[str]) -> None:
    from ingest.extract.pipeline import extraction

    docs = list(_pipeline().pipe(texts))
    assert len(docs) == len(texts)  # one output per input
    for text, doc in zip(texts, docs, strict=True):
        ex = extraction(doc)
        assert ex.text == text
        for e in ex.entities:
            assert 0 <= e.start < e.end <= len(text)
            assert text[e.start:e.end] == e.text


@lru_cache(maxsize=1)
def _pipeline() -> Any:
    from ingest.extract.pipeline import build_pipeline

    return build_pipeline()
