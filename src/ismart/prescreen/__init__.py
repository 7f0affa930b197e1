"""Cohort pre-screening: cBioPortal-format studies in, per-sample candidate sub-protocols out."""
