"""Does a protein change fit its protein? Position and reference residue against ``reference/proteins.yaml``.

A change numbered beyond the protein's length, or whose reference residue is not the protein's residue
at that position, is a probable annotation error (another isoform's numbering, a wrong transcript, a
typing error). It is not rejected: it is kept, flagged with the reason, and the rules send it to REVIEW
instead of MET. Genes without reference data, and positions whose residue is not sourced, are not checked.
"""

from __future__ import annotations

from ismart.molecular import reference
from ismart.molecular.protein import ProteinChange

__all__ = ["annotation_error"]


def annotation_error(gene: str, change: ProteinChange) -> str | None:
    """Why ``change`` cannot be a change of ``gene``'s canonical protein, or None when it fits."""
    data = reference.protein(gene)
    if data is None or change.start is None:
        return None
    where = f"{gene} has {data.length} residues, UniProt {data.uniprot}"
    if change.ref == "*":  # a stop-loss extension starts at the stop codon, one past the last residue
        if change.start != data.length + 1:
            return f"probable annotation error: the stop codon is written at {change.start}, but {where}"
        return None
    last = change.end or change.start
    if change.start > data.length or last > data.length + 1 or (last > data.length and change.end_ref):
        beyond = change.start if change.start > data.length else last
        return f"probable annotation error: position {beyond} is beyond the protein ({where})"
    for position, written in ((change.start, change.ref), (change.end, change.end_ref)):
        if position is None or not written or written == "*":
            continue
        expected = data.residue(position)
        if expected is not None and expected != written:
            return (
                f"probable annotation error: {written}{position} is written, but residue {position} of "
                f"{gene} is {expected} (UniProt {data.uniprot})"
            )
    return None
