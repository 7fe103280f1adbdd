"""The rule-based extractor without spaCy: matchers, selection, relations, targets.

:class:`Rules` bundles the pure steps; the spaCy components in
:mod:`ingest.extract.pipeline` call them and write the results onto a ``Doc``. Keeping
them apart means the matching can be tested and reused without a ``Doc``, and the
annotations are written in one place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ingest.extract.lexicon import Lexicon, load_lexicon
from ingest.extract.matchers import (
    Candidate,
    GazetteerMatcher,
    OrgMatcher,
    PersonMatcher,
    PlaceMatcher,
    ProgramMatcher,
)
from ingest.extract.relations import Relation, RelationMatcher
from ingest.extract.select import Entity, complete, resolve_overlaps
from ingest.extract.statistical import is_model, merge
from ingest.extract.targets import Target, TargetMatcher


@dataclass
class Extraction:
    """What was read from one document.

    Attributes:
        id: The document's id (file name or the input's ``id``).
        text: The text the offsets refer to.
        entities: Mentions sorted by start.
        relations: Relations whose ``head``/``tail`` index ``entities``.
        targets: Quantified targets.
    """

    id: str | None
    text: str
    entities: list[Entity] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)

    def to_json(self, *, details: bool = False) -> dict[str, object]:
        """The CLI contract's line; ``details`` adds rules, canonical names and targets."""
        ents: list[dict[str, object]] = []
        for e in self.entities:
            item = e.to_json()
            if details:
                item["rule"] = e.rule
                if e.canonical:
                    item["canonical"] = e.canonical
            ents.append(item)
        out: dict[str, object] = {
            "id": self.id, "entities": ents,
            "relations": [r.to_json(with_rule=details) for r in self.relations]}
        if details:
            out["targets"] = [t.to_json() for t in self.targets]
        return out


class Rules:
    """Every rule matcher over one lexicon.

    Args:
        lexicon: Compiled data files; :func:`~ingest.extract.lexicon.load_lexicon` by
            default.
        gazetteer: The gazetteer matcher to use (shared with a spaCy component); a new
            one over the lexicon's gazetteer entries by default.
    """

    def __init__(self, lexicon: Lexicon | None = None, *,
                 gazetteer: GazetteerMatcher | None = None) -> None:
        self.lex = lexicon or load_lexicon()
        self.gazetteer = gazetteer or GazetteerMatcher(self.lex.gazetteer)
        self.orgs = OrgMatcher(self.lex)
        self.programs = ProgramMatcher(self.lex, self.orgs)
        self.persons = PersonMatcher(self.lex)
        self.places = PlaceMatcher(self.lex)
        self.relation_matcher = RelationMatcher(self.lex)
        self.target_matcher = TargetMatcher(self.lex)

    def rule_candidates(self, text: str) -> list[Candidate]:
        """Candidates of the structural rules (not the gazetteer)."""
        return (self.orgs.find(text) + self.programs.find(text) + self.persons.find(text)
                + self.places.find(text))

    def plain_prefix(self, text: str) -> Callable[[int, int], bool]:
        """A predicate: is ``text[a:b]`` made only of place names and level words?"""
        def check(a: int, b: int) -> bool:
            pos, _, _, _ = self.orgs.analyse(text, a, b)
            return pos >= b
        return check

    def select(self, text: str, candidates: Iterable[Candidate], *,
               propagate: bool = True) -> list[Entity]:
        """Choose entities among candidates (and add the document-level ones).

        Candidates of the statistical model (rule ``model:…``) are merged after the
        rules' own choice, which wins on overlaps (see
        :func:`~ingest.extract.statistical.merge`).
        """
        cands = list(candidates)
        model = [c for c in cands if is_model(c)]
        chosen = resolve_overlaps([c for c in cands if not is_model(c)] if model else cands,
                                  plain_prefix=self.plain_prefix(text))
        if model:
            chosen = merge(chosen, resolve_overlaps(model))
        if propagate:
            return complete(text, chosen)
        return [Entity(c.start, c.end, text[c.start:c.end], c.label, c.rule, c.canonical)
                for c in chosen]

    def extract(self, text: str, *, doc_id: str | None = None,
                year: int | None = None) -> Extraction:
        """Run every step on ``text`` (the spaCy pipeline gives the same result)."""
        ents = self.select(text, self.gazetteer.find(text) + self.rule_candidates(text))
        return Extraction(doc_id, text, ents, self.relation_matcher.find(text, ents),
                          self.target_matcher.find(text, year=year))
