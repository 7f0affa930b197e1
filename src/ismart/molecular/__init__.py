"""Molecular profile: gene names, protein changes, alterations and rule matching."""
