"""Trial conduct after registration: adverse events against the CTCAE v5.0 term list, SAE clocks,
DLT evaluation and evaluability, and the dose-finding state derived from recorded data.

Everything in this package is pure (records in, values out); the registry tables and services that
store the records are in ``ismart.registry.conduct``.
"""

__all__: list[str] = []  # ctcae_terms, sae, dlt, history, reports: imported by module
