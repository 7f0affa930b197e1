"""Molecular profile: gene names, protein changes, alterations and rule matching."""

__all__: list[str] = []  # profile, protein, genes, matching, triage, reference
