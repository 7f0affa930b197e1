"""Readers of laboratory profile files, each giving the dossier's own models.

Every reader streams its file and raises :class:`~ismart.errors.ProfileFileError` naming the file and
line of anything malformed; the format details and the choices made where a format is ambiguous are in
each module's notes.
"""

from ismart.profiles.cnv import read_cna, read_seg
from ismart.profiles.drug_response import read_ic50
from ismart.profiles.fusions import read_arriba, read_star_fusion
from ismart.profiles.maf import read_maf
from ismart.profiles.vcf import read_vcf

__all__ = ["read_arriba", "read_cna", "read_ic50", "read_maf", "read_seg", "read_star_fusion", "read_vcf"]
