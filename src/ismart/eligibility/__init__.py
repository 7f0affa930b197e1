"""Eligibility: per-criterion evaluation, verdicts and the earliest possible C1D1."""
