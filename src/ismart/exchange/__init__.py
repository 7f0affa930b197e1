"""Exchange formats: FHIR R4 import and export, CDISC ODM 1.3.2 export, MatchMiner CTML both ways.

The mapping modules (``fhir_import``, ``fhir_export``, ``ctml``, ``odm`` metadata) are pure: plain data
in, plain data out, with a mapping report of what could not be carried over. Reading files and
zip archives lives in ``fhir_io``.
"""
