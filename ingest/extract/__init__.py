"""Extraction of innovation actors, relations and targets from Chinese text.

Rules only, offline: a blank Chinese spaCy pipeline (jieba segmenter) with components
registered by name (:mod:`ingest.extract.pipeline`), whose patterns, suffixes and
gazetteers are data files under ``ingest/extract/data``. The rule logic itself is plain
Python (:mod:`ingest.extract.core`) and is importable without spaCy; importing this
package does not import spaCy either (the CLI stays quick for other commands).

An optional small statistical NER model (:mod:`ingest.extract.statistical`, shipped in
``ingest/extract/model``, off by default) proposes unsuffixed organisation and person
names; the rules win where both find something.

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
