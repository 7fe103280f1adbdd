"""The statistical NER model: a character CRF (CRFsuite) with word, dictionary and
suffix features.

One label per character in the BIO scheme over ``ORG``, ``PER`` and ``LOC``. The
features of character *i* (all strings; CRFsuite weights each one):

* the character and its neighbours (−2…+2), the two bigrams around it, the character
  classes of −1…+1 (Han, digit, Latin, punctuation, other); full-width ASCII is read as
  half-width, so both spellings share weights;
* the jieba word that contains it (when it is at most six characters long) and its
  position in that word (B/M/E/S with the word's length, capped at four);
* dictionaries from the rule lexicon: an organisation-name suffix (大学, 公司, 局 …)
  ending at or covering *i*, a known place name starting at, inside or ending at *i*,
  a common surname.

The features are built with list comprehensions over the whole text (no per-character
Python function), because the model must keep the pipeline at ≥ 0.3× the speed of
``jieba.lcut``. Tagging and per-character marginals are CRFsuite's (C++).

Training is offline (``tools/train_ner.py``); this module only loads the shipped
``model/ner.crfsuite`` file and tags.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ingest.extract.lexicon import Lexicon

LABELS = ("ORG", "PER", "LOC")
"""Model labels."""

BOS, EOS = "\x02", "\x03"
BATCH_MIN = 8
"""From how many texts :meth:`CrfTagger.spans_many` decodes in numpy batches."""
_FULL = {i: i - 0xFEE0 for i in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


_CLASSES: dict[str, str] = {}


def _remember(ch: str) -> str:
    cls = _CLASSES[ch] = _class(ch)
    return cls


def _class(ch: str) -> str:
    if "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf":
        return "H"
    if ch.isdigit():
        return "D"
    if ch.isascii() and ch.isalpha():
        return "L"
    if ch in (BOS, EOS):
        return "B"
    if ch.isspace():
        return "S"
    return "P"


MARKS = ("", "S", "B", "I", "E")
"""Dictionary marks of a character, by code: none, a one-character match, the first,
inner or last character of a longer one."""


def mark_codes(rx: re.Pattern[str], text: str) -> list[int]:
    """The :data:`MARKS` code of each character of ``text`` for the matches of ``rx``
    found at every start (a later match overwrites an earlier one's marks)."""
    n = len(text)
    marks = [0] * n
    pos = 0
    while pos < n:
        m = rx.search(text, pos)
        if m is None:
            break
        a, b = m.span()
        if b == a:
            pos = a + 1
            continue
        if b - a == 1:
            marks[a] = 1
        else:
            marks[a] = 2
            marks[a + 1:b - 1] = [3] * (b - a - 2)
            marks[b - 1] = 4
        pos = a + 1
    return marks


@dataclass(frozen=True)
class Featurizer:
    """Turns a text (and its jieba words) into CRFsuite feature lists.

    Args:
        suffix_rx: Matches organisation-name suffixes (the rule lexicon's).
        place_rx: Matches known place names.
        surnames: Single-character surnames.
    """

    suffix_rx: re.Pattern[str]
    place_rx: re.Pattern[str]
    surnames: frozenset[str]

    @classmethod
    def from_lexicon(cls, lex: Lexicon) -> Featurizer:
        """The featurizer over the rule lexicon's suffixes, places and surnames."""
        return cls(lex.suffix_rx, lex.place_rx, frozenset(lex.persons.get("surnames", "")))

    def features(self, text: str, words: Sequence[str] | None = None
                 ) -> list[tuple[str, ...]]:
        """One feature list per character of ``text``.

        Args:
            text: The text as given.
            words: Its jieba words (their concatenation must be ``text``); segmented
                here when not given.
        """
        n = len(text)
        if n == 0:
            return []
        norm = text.translate(_FULL)
        s = BOS + BOS + norm + EOS + EOS
        cache = _CLASSES
        cs = "".join([cache.get(ch) or _remember(ch) for ch in s])
        if words is None:
            import jieba

            words = jieba.lcut(text, HMM=True)
        wf: list[str] = []
        wp: list[str] = []
        cached = _WORDS
        for w in words:
            got = cached.get(w)
            if got is None:
                got = _word_features(w)
                if len(cached) < _WORD_CACHE:
                    cached[w] = got
            wf += got[0]
            wp += got[1]
        if len(wf) != n:  # words that do not spell the text: no word features
            wf = ["w=?"] * n
            wp = ["wp=?"] * n
        sur = self.surnames
        sfx = mark_codes(self.suffix_rx, norm)
        plc = mark_codes(self.place_rx, norm)
        return list(zip(
            ["c=" + ch for ch in norm],
            ["p=" + ch for ch in s[1:n + 1]],
            ["n=" + ch for ch in s[3:n + 3]],
            ["bp=" + s[i:i + 2] for i in range(1, n + 1)],
            ["bn=" + s[i:i + 2] for i in range(2, n + 2)],
            ["t=" + cs[i:i + 3] for i in range(1, n + 1)],
            wf, wp,
            ["d=" + MARKS[a] + "|" + MARKS[b] + ("|s" if ch in sur else "")
             for a, b, ch in zip(sfx, plc, norm, strict=True)],
            strict=True))


_WORD_CACHE = 200_000
_WORDS: dict[str, tuple[list[str], list[str]]] = {}


def _word_features(w: str) -> tuple[list[str], list[str]]:
    """The word and word-position features of each character of the word ``w``
    (words repeat, so they are computed once per word)."""
    k = len(w)
    feat = "w=" + w if k <= 6 else "w=LONG"
    if k == 1:
        return [feat], ["wp=S"]
    size = str(min(k, 4))
    return [feat] * k, ["wp=B" + size, *(["wp=M" + size] * (k - 2)), "wp=E" + size]


def bio_tags(n: int, spans: Sequence[tuple[int, int, str]]) -> list[str]:
    """BIO tags of ``n`` characters from ``(start, end, label)`` spans (later spans do
    not overwrite earlier ones)."""
    tags = ["O"] * n
    for a, b, label in spans:
        if a < 0 or b > n or a >= b or any(t != "O" for t in tags[a:b]):
            continue
        tags[a] = "B-" + label
        for k in range(a + 1, b):
            tags[k] = "I-" + label
    return tags


def spans_of(tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """``(start, end, label)`` spans of a BIO tag sequence (an ``I`` without its ``B``
    starts a span)."""
    out: list[tuple[int, int, str]] = []
    start, label = -1, ""
    for i, t in enumerate([*tags, "O"]):
        if t == "O" or t.startswith("B-") or (t.startswith("I-") and t[2:] != label):
            if start >= 0:
                out.append((start, i, label))
            start, label = (i, t[2:]) if t != "O" else (-1, "")
    return out


class CrfTagger:
    """The shipped CRF model: spans with a confidence.

    Args:
        path: A CRFsuite model file.
        featurizer: Builds the features the model was trained with.
    """

    def __init__(self, path: str | Path, featurizer: Featurizer) -> None:
        import pycrfsuite

        self.path = str(path)
        self.featurizer = featurizer
        self._tagger = pycrfsuite.Tagger()
        self._tagger.open(self.path)
        self._compiled: CompiledCrf | None = None

    def spans_many(self, texts: Sequence[str], words: Sequence[Sequence[str]]
                   ) -> list[list[tuple[int, int, str, float]]]:
        """:meth:`spans` of many texts: the same answers, computed in batches by
        :class:`CompiledCrf` (built on first use) when there are enough texts."""
        if len(texts) < BATCH_MIN:
            return [self.spans(t, w) for t, w in zip(texts, words, strict=True)]
        if self._compiled is None:
            self._compiled = CompiledCrf(self.path, self.featurizer)
        return self._compiled.spans_many(texts, words)

    def spans(self, text: str, words: Sequence[str] | None = None
              ) -> list[tuple[int, int, str, float]]:
        """``(start, end, label, confidence)`` of the model's entities in ``text``.

        The confidence of a span is the smallest marginal probability, over its
        characters, of the tag the model gave them.
        """
        if not text:
            return []
        tagger = self._tagger
        tags = tagger.tag(self.featurizer.features(text, words))
        out = []
        for a, b, label in spans_of(tags):
            conf = min(tagger.marginal(tags[k], k) for k in range(a, b))
            out.append((a, b, label, conf))
        return out


# ---- batched inference in numpy ----------------------------------------------------

_CLASS_CODES = "HDLBSP"
_CHAR_TEMPLATES = ("c", "p", "n")
_PAIR_TEMPLATES = ("bp", "bn")
_STR_TEMPLATES = ("w", "wp", "d")


def _pair_key(a: str, b: str) -> int:
    return (ord(a) << 21) | ord(b)


def _class_key(abc: str) -> int:
    i, j, k = (_CLASS_CODES.index(x) for x in abc)
    return i * 36 + j * 6 + k


class _IntTable:
    """Weights of one template whose values are integer keys, looked up by bisection."""

    def __init__(self, rows: dict[int, np.ndarray], labels: int) -> None:
        keys = sorted(rows)
        self.keys = np.array(keys, dtype=np.int64)
        self.weights = np.zeros((len(keys) + 1, labels))  # the last row: unknown value
        for i, k in enumerate(keys):
            self.weights[i] = rows[k]

    def __call__(self, query: np.ndarray) -> np.ndarray:
        if not len(self.keys):
            return np.zeros((len(query), self.weights.shape[1]))
        pos = np.searchsorted(self.keys, query)
        pos[pos >= len(self.keys)] = len(self.keys) - 1
        pos[self.keys[pos] != query] = len(self.keys)
        return self.weights[pos]


class CompiledCrf:
    """The CRFsuite model's weights as numpy tables: the same tags and marginals as
    CRFsuite's tagger for a whole batch of texts at once.

    CRFsuite needs every feature as a string, one call per text; building and looking
    up those strings cost more than the rest of the pipeline. Here the character
    templates become integer keys computed over code-point arrays, the word templates
    come from per-word lookups, and Viterbi and forward-backward run over a batch of
    texts sorted by length. :class:`CrfTagger` remains the reference (tests compare the
    two).

    Args:
        path: A CRFsuite model trained on :class:`Featurizer`'s features.
        featurizer: Its dictionaries (suffixes, places, surnames).
    """

    def __init__(self, path: str | Path, featurizer: Featurizer) -> None:
        import pycrfsuite

        tagger = pycrfsuite.Tagger()
        tagger.open(str(path))
        info = tagger.info()
        self.path = str(path)
        self.featurizer = featurizer
        self.labels = sorted(info.labels, key=lambda k: int(info.labels[k]))
        index = {lab: i for i, lab in enumerate(self.labels)}
        n = len(self.labels)
        self.transitions = np.zeros((n, n))
        for (a, b), w in info.transitions.items():
            self.transitions[index[a], index[b]] = w
        ints: dict[str, dict[int, np.ndarray]] = {t: {} for t in (*_CHAR_TEMPLATES,
                                                                 *_PAIR_TEMPLATES, "t")}
        strs: dict[str, dict[str, np.ndarray]] = {t: {} for t in _STR_TEMPLATES}
        for (attr, label), w in info.state_features.items():
            name, _, value = attr.partition("=")
            if name in _CHAR_TEMPLATES and len(value) == 1:
                key: int | str = ord(value)
            elif name in _PAIR_TEMPLATES and len(value) == 2:
                key = _pair_key(value[0], value[1])
            elif name == "t" and len(value) == 3 and set(value) <= set(_CLASS_CODES):
                key = _class_key(value)
            elif name in _STR_TEMPLATES:
                key = attr
            else:
                continue  # a template the featurizer does not make
            if isinstance(key, int):
                row = ints[name].setdefault(key, np.zeros(n))
            else:
                row = strs[name].setdefault(key, np.zeros(n))
            row[index[label]] = w
        self._ints = {t: _IntTable(rows, n) for t, rows in ints.items()}
        self._rows: dict[str, dict[str, int]] = {}
        self._weights: dict[str, np.ndarray] = {}
        for t, rows in strs.items():
            keys = list(rows)
            self._rows[t] = {k: i for i, k in enumerate(keys)}
            w = np.zeros((len(keys) + 1, n))
            for i, k in enumerate(keys):
                w[i] = rows[k]
            self._weights[t] = w
        self._surnames = np.array(sorted(ord(c) for c in featurizer.surnames), dtype=np.int64)
        self._word_rows: dict[str, int] = {}

    # -- emissions -------------------------------------------------------------------
    def _str_row(self, template: str, attr: str) -> int:
        return self._rows[template].get(attr, len(self._rows[template]))

    def emissions(self, texts: Sequence[str], words: Sequence[Sequence[str]]
                  ) -> list[np.ndarray]:
        """State scores of each text: one row of label scores per character.

        The texts are laid end to end, each between its own padding, so that every
        template is one vectorised step over the whole batch."""
        norms = [t.translate(_FULL) for t in texts]
        joined = "".join(BOS + BOS + t + EOS + EOS for t in norms)
        codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
        sizes = np.array([len(t) for t in norms], dtype=np.int64)
        total = int(sizes.sum())
        # index of each real character in the padded string
        offsets = np.cumsum(sizes + 4) - (sizes + 4) + 2
        at = np.repeat(offsets, sizes) + (np.arange(total) - np.repeat(np.cumsum(sizes)
                                                                      - sizes, sizes))
        tables = self._ints
        here, before, after = codes[at], codes[at - 1], codes[at + 1]
        out = tables["c"](here) + tables["p"](before) + tables["n"](after)
        out += tables["bp"]((before << 21) | here)
        out += tables["bn"]((here << 21) | after)
        cache = _CLASSES
        uniq, inverse = np.unique(codes, return_inverse=True)
        kind = np.array([_CLASS_CODES.index(cache.get(chr(c)) or _remember(chr(c)))
                         for c in uniq.tolist()], dtype=np.int64)[inverse]
        out += tables["t"](kind[at - 1] * 36 + kind[at] * 6 + kind[at + 1])
        # words: per text, unless its words do not spell it
        rows = self._word_rows
        wrow: list[int] = []
        wlen: list[int] = []
        for text, ws in zip(texts, words, strict=True):
            if sum(map(len, ws)) != len(text):
                wrow.extend([-1] * len(text))
                wlen.extend([1] * len(text))
                continue
            for w in ws:
                r = rows.get(w)
                if r is None:
                    r = self._str_row("w", "w=" + w if len(w) <= 6 else "w=LONG")
                    if len(rows) < _WORD_CACHE:
                        rows[w] = r
                wrow.append(r)
                wlen.append(len(w))
        lengths = np.array(wlen, dtype=np.int64)
        row = np.repeat(np.array(wrow, dtype=np.int64), lengths)
        unknown = row < 0
        row[unknown] = self._str_row("w", "w=?")
        out += self._weights["w"][row]
        start = np.repeat(np.cumsum(lengths) - lengths, lengths)
        size = np.repeat(lengths, lengths)
        pos = np.arange(total) - start
        wp = np.where(size == 1, 0, np.where(pos == 0, 1, np.where(pos == size - 1, 3, 2)))
        wp_rows = self._wp_weights()[wp * 5 + np.minimum(size, 4)]
        wp_rows[unknown] = self._weights["wp"][self._str_row("wp", "wp=?")]
        out += wp_rows
        sf = np.array(mark_codes(self.featurizer.suffix_rx, joined), dtype=np.int64)[at]
        pl = np.array(mark_codes(self.featurizer.place_rx, joined), dtype=np.int64)[at]
        sur = np.isin(here, self._surnames).astype(np.int64)
        out += self._d_weights()[sf * 10 + pl * 2 + sur]
        return np.split(out, np.cumsum(sizes)[:-1])

    def _wp_weights(self) -> np.ndarray:
        got = getattr(self, "_wp", None)
        if got is None:
            kinds = ("S", "B", "M", "E")
            rows = []
            for kind in range(4):
                for size in range(5):
                    attr = "wp=S" if kind == 0 else f"wp={kinds[kind]}{size}"
                    rows.append(self._weights["wp"][self._str_row("wp", attr)])
            got = self._wp = np.array(rows)
        return got

    def _d_weights(self) -> np.ndarray:
        got = getattr(self, "_d", None)
        if got is None:
            rows = []
            for a in range(5):
                for b in range(5):
                    for s in range(2):
                        attr = "d=" + MARKS[a] + "|" + MARKS[b] + ("|s" if s else "")
                        rows.append(self._weights["d"][self._str_row("d", attr)])
            got = self._d = np.array(rows)
        return got

    # -- decoding ----------------------------------------------------------------------
    def spans_many(self, texts: Sequence[str], words: Sequence[Sequence[str]], *,
                   group: int = 256) -> list[list[tuple[int, int, str, float]]]:
        """:meth:`CrfTagger.spans` of many texts, decoded in groups of similar length."""
        out: list[list[tuple[int, int, str, float]]] = [[] for _ in texts]
        order = sorted((i for i, t in enumerate(texts) if t), key=lambda i: len(texts[i]))
        for g in range(0, len(order), group):
            chunk = order[g:g + group]
            ems = self.emissions([texts[i] for i in chunk], [words[i] for i in chunk])
            for i, spans in zip(chunk, self._decode(ems), strict=True):
                out[i] = spans
        return out

    def _decode(self, ems: list[np.ndarray]) -> list[list[tuple[int, int, str, float]]]:
        b, big = len(ems), max(len(e) for e in ems)
        n = len(self.labels)
        lengths = np.array([len(e) for e in ems])
        em = np.zeros((b, big, n))
        for i, e in enumerate(ems):
            em[i, :len(e)] = e
        trans = self.transitions
        # Viterbi (max-plus); a finished text keeps its last scores
        delta = em[:, 0].copy()
        back = np.zeros((b, big, n), dtype=np.int64)
        for t in range(1, big):
            scores = delta[:, :, None] + trans
            back[:, t] = best = scores.argmax(axis=1)
            new = np.take_along_axis(scores, best[:, None, :], axis=1)[:, 0] + em[:, t]
            live = t < lengths
            delta[live] = new[live]
        tags = np.zeros((b, big), dtype=np.int64)
        rows = np.arange(b)
        tags[rows, lengths - 1] = delta.argmax(axis=1)
        for t in range(big - 1, 0, -1):
            live = t < lengths
            tags[live, t - 1] = back[rows[live], t, tags[live, t]]
        # forward-backward with per-step scaling (probabilities, not logs)
        shift = em.max(axis=2, keepdims=True)
        pe = np.exp(em - shift)
        pt = np.exp(trans)
        alpha = np.zeros((b, big, n))
        a = pe[:, 0]
        a = a / a.sum(axis=1, keepdims=True)
        alpha[:, 0] = a
        for t in range(1, big):
            a = (a @ pt) * pe[:, t]
            a = a / a.sum(axis=1, keepdims=True)
            alpha[:, t] = a
        beta = np.ones((b, big, n))
        z = np.ones((b, n))
        beta[rows, lengths - 1] = 1.0
        for t in range(big - 2, -1, -1):
            nxt = (pe[:, t + 1] * z) @ pt.T
            nxt = nxt / nxt.sum(axis=1, keepdims=True)
            live = t + 1 < lengths
            z = np.where(live[:, None], nxt, 1.0)
            beta[live, t] = nxt[live]
        both = alpha * beta
        picked = np.take_along_axis(both, tags[:, :, None], axis=2)[:, :, 0]
        with np.errstate(invalid="ignore", divide="ignore"):  # padding: 0 / 0
            marginal = picked / both.sum(axis=2)
        out = []
        labels = self.labels
        for i, m in enumerate(lengths.tolist()):
            names = [labels[k] for k in tags[i, :m].tolist()]
            conf = marginal[i, :m].tolist()
            out.append([(x, y, label, min(conf[x:y])) for x, y, label in spans_of(names)])
        return out

