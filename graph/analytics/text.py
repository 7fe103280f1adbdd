"""Chinese text for matchmaking: normalisation, stop-words and a jieba tokenizer
whose dictionary knows the graph's domain terms.

jieba's default dictionary cuts domain terms such as 康复医疗装备 or 外骨骼 into
pieces, so a need for 外骨骼 would match every document mentioning 骨骼. A
:class:`Tokenizer` adds the graph's field names and keywords to a private copy
of the dictionary: the terms stay whole, and search-mode cutting still emits
their known parts (康复, 医疗, 装备), so a partial query matches too.

>>> tk = Tokenizer(["外骨骼", "康复医疗装备"])
>>> tk.tokens("需要康复医疗装备方面的外骨骼技术")
['康复', '医疗', '装备', '康复医疗装备', '骨骼', '外骨骼']
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import jieba
import opencc

STOPWORDS_FILE = Path(__file__).with_name("stopwords_zh.txt")
"""The stop-word list (one a line, ``#`` comments)."""

_TOKEN = re.compile(r"^(?:[\u3400-\u9fff]{2,}|[a-z][a-z0-9+#.\-]+|[\u3400-\u9fff]+[a-z0-9]+"
                    r"|[a-z0-9]+[\u3400-\u9fff]+)$")
"""What a kept token looks like: two or more Chinese characters, or a Latin word of
two or more characters (CRISPR, 5g), possibly mixed with Chinese. Single
characters, punctuation and bare numbers carry too little meaning to match on."""

_BASE_LOCK = threading.Lock()
CUT_MEMO = 200_000
"""Distinct blocks a :class:`Tokenizer` remembers the pieces of (then starts over)."""


@lru_cache(maxsize=1)
def load_stopwords() -> frozenset[str]:
    """The stop-words of :data:`STOPWORDS_FILE`, normalised like the text they filter."""
    words = set()
    for line in STOPWORDS_FILE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            words.add(normalize_text(line))
    return frozenset(words)


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def normalize_text(text: str) -> str:
    """Fold full-width forms (NFKC), traditional characters and case.

    Unlike :func:`schemas.names.normalize_name`, spaces are kept: they separate
    Latin words and list items in descriptions.

    >>> normalize_text("ＡＩ 康復機器人")
    'ai 康复机器人'
    """
    folded: str = _t2s().convert(unicodedata.normalize("NFKC", text))
    return folded.lower()


@lru_cache(maxsize=1)
def _base_dictionary() -> tuple[dict[str, int], int]:
    """jieba's default dictionary, loaded once per process (about half a second)."""
    with _BASE_LOCK:
        base = jieba.Tokenizer()
        base.initialize()
        return base.FREQ, base.total


class Tokenizer:
    """jieba search-mode tokenizer with domain terms, stop-words removed.

    Each instance owns a copy of jieba's dictionary, so the terms of one graph
    never leak into the tokenisation of another (the global ``jieba.add_word``
    would make results depend on which graphs a process has seen before).

    Args:
        terms: Domain terms to keep whole (field names, keywords). Added in sorted
            order because jieba's suggested frequency of a term depends on the
            dictionary's total, which each addition changes.
    """

    def __init__(self, terms: Iterable[str] = ()) -> None:
        freq, total = _base_dictionary()
        self._jieba = jieba.Tokenizer()
        # Copying the loaded dictionary (~10 ms) instead of initialising a new
        # tokenizer from the dictionary file (~500 ms) keeps index builds fast.
        self._jieba.FREQ = dict(freq)
        self._jieba.total = total
        self._jieba.initialized = True
        self._stop = load_stopwords()
        kept = sorted({t for t in (normalize_text(x).strip() for x in terms)
                       if len(t) >= 2 and " " not in t})
        for term in kept:
            self._jieba.add_word(term)
        self.terms: frozenset[str] = frozenset(kept)
        self._cut: dict[tuple[str, bool], list[str]] = {}
        """Kept pieces of each block already cut (see :meth:`_pieces`)."""

    def _kept(self, pieces: Iterable[str]) -> list[str]:
        """The pieces that are tokens: stripped, not stop-words, shaped like a word."""
        out: list[str] = []
        for tok in pieces:
            tok = tok.strip()
            if tok and tok not in self._stop and _TOKEN.match(tok):
                out.append(tok)
        return out

    def words(self, text: str) -> list[str]:
        """Whole words of ``text`` (jieba's precise mode: no overlapping parts), in order,
        stop-words dropped. Domain terms come out whole; 康复机器人 is not also cut into
        机器 and 复机.

        >>> Tokenizer(["外骨骼", "康复机器人"]).words("下肢外骨骼康复机器人")
        ['下肢', '外骨骼', '康复机器人']
        """
        return self._pieces(text, search=False)

    def tokens(self, text: str) -> list[str]:
        """Search-mode tokens of ``text`` in order, repeats kept, stop-words dropped."""
        return self._pieces(text, search=True)

    def _pieces(self, text: str, *, search: bool) -> list[str]:
        """:meth:`words` or (``search``) :meth:`tokens` of ``text``, block by block.

        jieba cuts a text in blocks (runs of its ``re_han_default`` characters, and what
        lies between) and each block alone: the pieces of a text are those of its blocks
        in order. A graph's documents repeat their blocks (keywords, field names,
        descriptions: 344,000 blocks, 38,000 distinct, at 100,000 actors), so each
        distinct block is cut once (a third of the time of cutting every document).
        """
        if not text:
            return []
        memo, out = self._cut, []
        for block in jieba.re_han_default.split(normalize_text(text)):
            if not block:
                continue
            got = memo.get((block, search))
            if got is None:
                if len(memo) >= CUT_MEMO:
                    memo.clear()  # a server's queries: bounded, not kept forever
                cut = self._jieba.cut_for_search if search else self._jieba.cut
                got = memo[block, search] = self._kept(cut(block, HMM=False))
            out.extend(got)
        return out


def maximal_terms(terms: Iterable[str]) -> list[str]:
    """Drop terms contained in another term, keeping first-seen order.

    Search-mode tokens overlap (康复, 机器人, 康复机器人); people want to read the
    whole term.

    >>> maximal_terms(["康复", "外骨骼", "康复机器人", "骨骼", "机器人"])
    ['外骨骼', '康复机器人']
    """
    uniq = list(dict.fromkeys(terms))
    return [t for t in uniq if not any(t != o and t in o for o in uniq)]


__all__ = ["STOPWORDS_FILE", "Tokenizer", "load_stopwords", "maximal_terms", "normalize_text"]
