"""The four-valued criterion logic, as the eligibility package names it.

The logic itself lives in :mod:`ismart.logic`, below both ``molecular`` and ``eligibility``, so
that matching a profile does not import the eligibility package; this module keeps the old import
path working for rules and callers.
"""

from ismart.logic import Outcome, Status, Verdict, all_of, any_of, decided, negate, verdict_of

__all__ = ["Outcome", "Status", "Verdict", "all_of", "any_of", "decided", "negate", "verdict_of"]
