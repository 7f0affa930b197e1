"""Exchange formats: FHIR R4 import and export, CDISC ODM 1.3.2 export, MatchMiner CTML both ways.

The mapping modules (``fhir_import``, ``fhir_export``, ``ctml``, ``odm`` metadata) are pure: plain data
in, plain data out, with a mapping report of what could not be carried over. Reading files and
zip archives lives in ``fhir_io``.
"""

from ismart.exchange.ctml import export_subprotocol, import_trial, match_paths
from ismart.exchange.fhir_export import export_dossier, research_studies, research_subject
from ismart.exchange.fhir_import import ImportResult, import_many, import_resources
from ismart.exchange.report import Unmapped

__all__ = [
    "ImportResult",
    "Unmapped",
    "export_dossier",
    "export_subprotocol",
    "import_many",
    "import_resources",
    "import_trial",
    "match_paths",
    "research_studies",
    "research_subject",
]
