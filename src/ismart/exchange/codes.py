"""The sourced code tables of ``data/fhir_codes.yaml``, read once."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from ismart import yamlio

ISMART_SYSTEM = "http://ismart.example/fhir/CodeSystem/ismart"
ISMART_EXT = "http://ismart.example/fhir/StructureDefinition/dossier-section"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10 = ("http://hl7.org/fhir/sid/icd-10", "http://hl7.org/fhir/sid/icd-10-cm")
HGNC = "http://www.genenames.org/geneId"
SO = "http://www.sequenceontology.org"
HGVS = "http://varnomen.hgvs.org"
UCUM = "http://unitsofmeasure.org"
# Sequence Ontology terms used for DNA change type (Genomics Reporting IG component 48019-4).
SO_FUSION = "SO:0001565"  # gene_fusion
SO_GAIN = "SO:0001742"  # copy_number_gain
SO_LOSS = "SO:0001743"  # copy_number_loss


@cache
def tables() -> dict[str, Any]:
    text = resources.files("ismart.exchange").joinpath("data/fhir_codes.yaml").read_text("utf-8")
    return yamlio.read_versioned(text, "fhir_codes.yaml", 1)
