"""Extraction of innovation actors, relations and targets from Chinese text.

Offline: a blank Chinese spaCy pipeline (jieba segmenter) with components
registered by name (:mod:`ingest.extract.pipeline`), whose patterns, suffixes and
gazetteers are data files under ``ingest/extract/data``. The rule logic itself is plain
Python (:mod:`ingest.extract.core`) and is importable without spaCy; importing this
package does not import spaCy either (the CLI stays quick for other commands).

A statistical NER model (a character CRF, :mod:`ingest.extract.statistical` and
:mod:`ingest.extract.crf`, shipped in ``ingest/extract/model``, on by default) proposes
unsuffixed organisation and person names; a gate built from the rules keeps categories
and fragments out, and the rules win where both find something unless the model is
sure (see the model card).

Entry points:

* :func:`ingest.extract.pipeline.build_pipeline` - the spaCy pipeline;
* :class:`ingest.extract.core.Rules` - the same steps without spaCy;
* :func:`ingest.extract.graph.document_graph` - an extraction as schema nodes and
  relationships;
* :mod:`ingest.extract.evaluate` - span-level precision, recall and F1.
"""

from ingest.extract.core import Extraction, Rules
from ingest.extract.errors import ExtractError
from ingest.extract.lexicon import LABELS, ORG_LABELS

__all__ = ["LABELS", "ORG_LABELS", "ExtractError", "Extraction", "Rules"]
