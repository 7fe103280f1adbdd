"""Identity and entity resolution: stable uids, name analysis, gazetteers, the Resolver.

* :func:`make_uid`: the order-independent uid of a node (credit code, 学校标识码,
  or kind + normalised name, plus the employer for a person).
* :func:`validate_credit_code`: GB 32100-2015 check of a 统一社会信用代码.
* :func:`compare_names` / :func:`are_variants`: are two names one entity, by name alone.
* :class:`Resolver`: which known entity a name denotes, from a store, the alias table
  and the MoE list of universities, with fuzzy candidates for review.

Data (word lists, gazetteers, aliases) lives in ``ingest/resolve/data``.
"""

from ingest.resolve.codes import (
    credit_code_check_char,
    credit_code_problem,
    is_valid_credit_code,
    validate_credit_code,
    validate_moe_code,
)
from ingest.resolve.errors import (
    GazetteerError,
    InvalidCreditCode,
    InvalidIdentifier,
    InvalidMoeCode,
    ResolveError,
    UidError,
)
from ingest.resolve.gazetteer import AliasEntry, Gazetteer, MoeUniversity, default_gazetteer
from ingest.resolve.names import (
    Comparison,
    NameParts,
    NameRules,
    are_variants,
    compare_names,
    comparison_key,
    default_rules,
    guess_label,
    parse_name,
)
from ingest.resolve.resolver import Candidate, Resolution, Resolver
from ingest.resolve.uids import UID_PREFIXES, make_uid, split_uid

__all__ = [
    "UID_PREFIXES",
    "AliasEntry",
    "Candidate",
    "Comparison",
    "Gazetteer",
    "GazetteerError",
    "InvalidCreditCode",
    "InvalidIdentifier",
    "InvalidMoeCode",
    "MoeUniversity",
    "NameParts",
    "NameRules",
    "Resolution",
    "ResolveError",
    "Resolver",
    "UidError",
    "are_variants",
    "compare_names",
    "comparison_key",
    "credit_code_check_char",
    "credit_code_problem",
    "default_gazetteer",
    "default_rules",
    "guess_label",
    "is_valid_credit_code",
    "make_uid",
    "parse_name",
    "split_uid",
    "validate_credit_code",
    "validate_moe_code",
]
