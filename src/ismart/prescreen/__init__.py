"""Cohort pre-screening: cBioPortal-format studies in, per-sample candidate sub-protocols out."""

__all__: list[str] = []  # study.prescreen, summary, classify, synthetic
