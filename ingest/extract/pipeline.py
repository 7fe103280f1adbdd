"""The spaCy pipeline: Chinese with the jieba segmenter and the extractor's components.

Components (registered by name, each with a default config, so
``nlp.add_pipe("innograph_gazetteer")`` works on any blank ``zh`` pipeline):

``innograph_gazetteer``
    Known names (MoE universities, curated lists, the resolver's aliases, and whatever
    :meth:`GazetteerComponent.add_pairs` adds, e.g. the graph's entities).
``innograph_entity_rules``
    Structural rules: organisations, government bodies, zones, programmes, persons,
    places.
``innograph_statistical_ner`` (optional)
    A small character-level NER model (:mod:`ingest.extract.statistical`) proposing
    ORG, PER and LOC spans the rules cannot see (新华社, persons without a title).
``innograph_entities``
    Chooses among the candidates of the components above and writes the entities;
    rule candidates win over the model's on overlaps.
``innograph_relations``
    Sentence patterns between entities.
``innograph_targets``
    Quantified targets.

Matching and writing are separate: the first two only add candidates to
``doc._.innograph_candidates``; ``innograph_entities`` writes ``doc._.innograph_entities``
(exact character offsets) and ``doc.ents`` (the same spans widened to token
boundaries, because jieba may glue a verb to a name). Without the statistical component
the pipeline is ``spacy.blank("zh")`` plus these rules; with it, the shipped model is read
from the package directory (never downloaded).
"""

from __future__ import annotations

import bisect
import itertools
import logging
import weakref
from collections.abc import Iterable, Iterator
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from ingest.extract.core import Extraction, Rules
from ingest.extract.errors import ExtractError
from ingest.extract.lexicon import load_lexicon
from ingest.extract.matchers import Candidate, GazetteerMatcher
from ingest.extract.statistical import (
    CONFIDENCE_FLOORS,
    UNALIGNED_FLOOR,
    USE_MODEL_BY_DEFAULT,
    LabelMapper,
    ModelGate,
    boundaries,
    load_model,
    model_available,
    words_of,
)

log = logging.getLogger(__name__)

COMPONENTS = ("innograph_gazetteer", "innograph_entity_rules", "innograph_entities",
              "innograph_relations", "innograph_targets")
"""The rule pipeline, in order."""

STATISTICAL = "innograph_statistical_ner"
"""The optional model component; it goes just before ``innograph_entities``."""

for _attr in ("innograph_candidates", "innograph_entities", "innograph_relations",
              "innograph_targets"):
    if not Doc.has_extension(_attr):
        # default None, not []: a mutable default would be shared by every Doc
        Doc.set_extension(_attr, default=None)


def _text(doc: Doc) -> str:
    """``doc.text``, computed once per Doc: spaCy rebuilds it from every token on each
    access, which cost more than all the rules together."""
    text = doc.user_data.get("innograph_text")
    if text is None:
        text = doc.user_data["innograph_text"] = doc.text
    return str(text)


def _add_candidates(doc: Doc, found: list[Candidate]) -> None:
    doc._.innograph_candidates = (doc._.innograph_candidates or []) + found


_SHARED: weakref.WeakKeyDictionary[Language, Rules] = weakref.WeakKeyDictionary()


def _rules(nlp: Language) -> Rules:
    """One :class:`Rules` per pipeline, shared by its components (compiled once)."""
    if nlp not in _SHARED:
        _SHARED[nlp] = Rules(load_lexicon())
    return _SHARED[nlp]


class GazetteerComponent:
    """Marks known names; see :class:`~ingest.extract.matchers.GazetteerMatcher`."""

    def __init__(self, nlp: Language, name: str, *, universities: bool,
                 resolver_aliases: bool, min_length: int) -> None:
        self.name = name
        lex = load_lexicon(universities=universities, resolver_aliases=resolver_aliases)
        self.matcher = GazetteerMatcher(lex.gazetteer, min_length=min_length)

    def add_pairs(self, pairs: Iterable[tuple[str, str]], *, source: str = "graph") -> int:
        """Add ``(name, label)`` pairs (graph or extraction labels); returns how many."""
        return self.matcher.add_pairs(pairs, source=source)

    def __call__(self, doc: Doc) -> Doc:
        _add_candidates(doc, self.matcher.find(_text(doc)))
        return doc


class EntityRulesComponent:
    """Adds the structural rules' candidates."""

    def __init__(self, nlp: Language, name: str, *, orgs: bool, programs: bool, persons: bool,
                 places: bool) -> None:
        self.name = name
        self.rules = _rules(nlp)
        self.enabled = {"orgs": orgs, "programs": programs, "persons": persons,
                        "places": places}

    def __call__(self, doc: Doc) -> Doc:
        text = _text(doc)
        r = self.rules
        found: list[Candidate] = []
        if self.enabled["orgs"]:
            found += r.orgs.find(text)
        if self.enabled["programs"]:
            found += r.programs.find(text)
        if self.enabled["persons"]:
            found += r.persons.find(text)
        if self.enabled["places"]:
            found += r.places.find(text)
        _add_candidates(doc, found)
        return doc


class StatisticalNerComponent:
    """Adds the statistical model's candidates that pass its gate (labels mapped, see
    :class:`~ingest.extract.statistical.LabelMapper` and
    :class:`~ingest.extract.statistical.ModelGate`).

    The model reads the Doc's text and its jieba words (the tokens).
    """

    def __init__(self, nlp: Language, name: str, *, model_path: str, labels: list[str],
                 min_length: int, floors: dict[str, float], unaligned: float,
                 batch_size: int) -> None:
        self.name = name
        self.batch_size = batch_size
        self.model = load_model(model_path)
        rules = _rules(nlp)
        self.mapper = LabelMapper(rules.lex, labels=labels, min_length=min_length)
        self.gate = ModelGate(rules.orgs, {**CONFIDENCE_FLOORS, **floors}, unaligned)

    def __call__(self, doc: Doc) -> Doc:
        text = _text(doc)
        words = words_of(doc, text)
        self._add(doc, text, words, self.model.spans(text, words))
        return doc

    def pipe(self, docs: Iterable[Doc], batch_size: int | None = None) -> Iterator[Doc]:
        """Process Docs in batches: the model decodes a whole batch at once (see
        :class:`~ingest.extract.crf.CompiledCrf`), with the same result as one by one."""
        stream = iter(docs)
        while batch := list(itertools.islice(stream, batch_size or self.batch_size)):
            texts = [_text(d) for d in batch]
            words = [words_of(d, t) for d, t in zip(batch, texts, strict=True)]
            found = self.model.spans_many(texts, words)
            for doc, text, ws, spans in zip(batch, texts, words, found, strict=True):
                self._add(doc, text, ws, spans)
                yield doc

    def _add(self, doc: Doc, text: str, words: list[str],
             spans: list[tuple[int, int, str, float]]) -> None:
        if spans:
            _add_candidates(doc, self.mapper.candidates(text, spans, gate=self.gate,
                                                        bounds=boundaries(words)))


class EntitiesComponent:
    """Chooses entities among the candidates and writes them onto the Doc."""

    def __init__(self, nlp: Language, name: str, *, propagate: bool) -> None:
        self.name = name
        self.rules = _rules(nlp)
        self.propagate = propagate

    def __call__(self, doc: Doc) -> Doc:
        ents = self.rules.select(_text(doc), doc._.innograph_candidates or [],
                                 propagate=self.propagate)
        doc._.innograph_entities = ents
        if not ents or not len(doc):
            return doc
        # Token start offsets once per Doc, then a bisection per entity: the same result
        # as doc.char_span(..., alignment_mode="expand"), which walks the whole Doc on
        # every call and was the slowest step of the pipeline.
        starts = doc.to_array("IDX").tolist()
        spans: list[Span] = []
        for e in ents:
            first = bisect.bisect_right(starts, e.start) - 1
            last = bisect.bisect_left(starts, e.end)
            if first >= 0 and last > first:
                spans.append(Span(doc, first, last, label=e.label))
        # widened spans may now overlap; doc.ents needs them disjoint
        doc.ents = filter_spans(spans)
        return doc


class RelationsComponent:
    """Reads relations between the Doc's entities."""

    def __init__(self, nlp: Language, name: str) -> None:
        self.name = name
        self.rules = _rules(nlp)

    def __call__(self, doc: Doc) -> Doc:
        doc._.innograph_relations = self.rules.relation_matcher.find(
            _text(doc), doc._.innograph_entities or [])
        return doc


class TargetsComponent:
    """Reads quantified targets; ``year`` 0 means: guess it from the document."""

    def __init__(self, nlp: Language, name: str, *, year: int) -> None:
        self.name = name
        self.rules = _rules(nlp)
        self.year = year or None

    def __call__(self, doc: Doc) -> Doc:
        doc._.innograph_targets = self.rules.target_matcher.find(_text(doc), year=self.year)
        return doc


@Language.factory("innograph_gazetteer",
                  default_config={"universities": True, "resolver_aliases": True,
                                  "min_length": 2})
def make_gazetteer(nlp: Language, name: str, universities: bool, resolver_aliases: bool,
                   min_length: int) -> GazetteerComponent:
    """Factory of :class:`GazetteerComponent`."""
    return GazetteerComponent(nlp, name, universities=universities,
                              resolver_aliases=resolver_aliases, min_length=min_length)


@Language.factory("innograph_entity_rules",
                  default_config={"orgs": True, "programs": True, "persons": True,
                                  "places": True})
def make_entity_rules(nlp: Language, name: str, orgs: bool, programs: bool, persons: bool,
                      places: bool) -> EntityRulesComponent:
    """Factory of :class:`EntityRulesComponent`."""
    return EntityRulesComponent(nlp, name, orgs=orgs, programs=programs, persons=persons,
                                places=places)


@Language.factory(STATISTICAL,
                  default_config={"model_path": "", "labels": ["ORG", "PER", "LOC"],
                                  "min_length": 2, "floors": {},
                                  "unaligned": UNALIGNED_FLOOR, "batch_size": 256})
def make_statistical_ner(nlp: Language, name: str, model_path: str, labels: list[str],
                         min_length: int, floors: dict[str, float], unaligned: float,
                         batch_size: int) -> StatisticalNerComponent:
    """Factory of :class:`StatisticalNerComponent` (``model_path`` "": the shipped model;
    ``floors``: confidence floors per model label over
    :data:`~ingest.extract.statistical.CONFIDENCE_FLOORS`)."""
    return StatisticalNerComponent(nlp, name, model_path=model_path, labels=labels,
                                   min_length=min_length, floors=floors, unaligned=unaligned,
                                   batch_size=batch_size)


@Language.factory("innograph_entities", default_config={"propagate": True})
def make_entities(nlp: Language, name: str, propagate: bool) -> EntitiesComponent:
    """Factory of :class:`EntitiesComponent`."""
    return EntitiesComponent(nlp, name, propagate=propagate)


@Language.factory("innograph_relations", default_config={})
def make_relations(nlp: Language, name: str) -> RelationsComponent:
    """Factory of :class:`RelationsComponent`."""
    return RelationsComponent(nlp, name)


@Language.factory("innograph_targets", default_config={"year": 0})
def make_targets(nlp: Language, name: str, year: int) -> TargetsComponent:
    """Factory of :class:`TargetsComponent`."""
    return TargetsComponent(nlp, name, year=year)


def _words_and_spaces(words: list[str], text: str) -> tuple[list[str], list[bool]]:
    """``spacy.util.get_words_and_spaces`` for words that spell ``text`` exactly: the
    same tokens (whitespace words dropped, one space after a word as its trailing
    space, other whitespace as tokens), found by offset instead of by search."""
    out: list[str] = []
    spaces: list[bool] = []
    pos = 0
    for w in words:
        if w.isspace():
            continue
        start = text.find(w, pos)
        if start > pos:
            out.append(text[pos:start])
            spaces.append(False)
        out.append(w)
        spaces.append(False)
        pos = start + len(w)
        if pos < len(text) and text[pos] == " ":
            spaces[-1] = True
            pos += 1
    if pos < len(text):
        out.append(text[pos:])
        spaces.append(False)
    return out, spaces


class _TextKeepingTokenizer:
    """Wraps the Chinese tokenizer to remember each Doc's input text (see :func:`_text`).

    Everything else (serialisation, the segmenter setting) is delegated.
    """

    def __init__(self, tokenizer: Any) -> None:
        self._tokenizer = tokenizer

    def __call__(self, text: str) -> Doc:
        tok = self._tokenizer
        seg = getattr(tok, "jieba_seg", None)
        words = [w for w in seg.cut(text, cut_all=False) if w] if seg is not None else None
        if words is not None and "".join(words) == text:
            # spaCy's own alignment slices the rest of the text for every word (quadratic
            # in the line's length); jieba's words spell the text, so offsets suffice
            doc = Doc(tok.vocab, *_words_and_spaces(words, text))
        else:
            doc = tok(text)
        doc.user_data["innograph_text"] = text
        return doc

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tokenizer, name)


def blank_chinese() -> Language:
    """``spacy.blank("zh")`` with the jieba segmenter (no model, nothing downloaded)."""
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    nlp.tokenizer = _TextKeepingTokenizer(nlp.tokenizer)
    return nlp


def build_pipeline(*, graph_entities: Iterable[tuple[str, str]] = (),
                   config: dict[str, dict[str, Any]] | None = None,
                   rules_only: bool | None = None) -> Language:
    """The extraction pipeline.

    Args:
        graph_entities: ``(name, label)`` pairs of entities already in the graph, added
            to the gazetteer (e.g. ``[(n.name, n.label) for n in store.find_nodes()]``).
        config: Per-component config overrides, by component name.
        rules_only: True: rules only; False: with the statistical model (an error if it
            is missing); None: the shipped default
            (:data:`~ingest.extract.statistical.USE_MODEL_BY_DEFAULT`), rules only with a
            warning when the model is missing.

    Returns:
        A spaCy ``Language`` whose Docs carry ``doc._.innograph_entities``,
        ``doc._.innograph_relations`` and ``doc._.innograph_targets``.

    Raises:
        ExtractError: If the model was asked for and cannot be loaded.
    """
    use_model = not rules_only if rules_only is not None else USE_MODEL_BY_DEFAULT
    if use_model and rules_only is None and not model_available(
            (config or {}).get(STATISTICAL, {}).get("model_path")):
        log.warning("找不到统计实体识别模型:只用规则抽取")
        use_model = False
    nlp = blank_chinese()
    for name in COMPONENTS:
        if use_model and name == "innograph_entities":
            nlp.add_pipe(STATISTICAL, config=(config or {}).get(STATISTICAL, {}))
        nlp.add_pipe(name, config=(config or {}).get(name, {}))
    pairs = list(graph_entities)
    if pairs:
        gazetteer = nlp.get_pipe("innograph_gazetteer")
        if not isinstance(gazetteer, GazetteerComponent):
            raise ExtractError("innograph_gazetteer 组件不是抽取器自己的词典组件")
        gazetteer.add_pairs(pairs)
    return nlp


def extraction(doc: Doc, doc_id: str | None = None) -> Extraction:
    """The :class:`~ingest.extract.core.Extraction` a processed Doc carries."""
    return Extraction(doc_id, _text(doc), list(doc._.innograph_entities or []),
                      list(doc._.innograph_relations or []), list(doc._.innograph_targets or []))


def extract_texts(nlp: Language, texts: Iterable[str]) -> Iterable[Extraction]:
    """Run the pipeline over texts, one :class:`Extraction` each, in order."""
    for doc in nlp.pipe(texts):
        yield extraction(doc)
