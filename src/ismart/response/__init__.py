"""Response assessment and the efficacy stage: classification, best response, ORR, cycle gates,
Simon's two-stage designs. Pure: plain data in, plain data out, no I/O beyond package data."""

from ismart.response.best import Assessed, Best, best_overall, is_responder, orr
from ismart.response.classify import (
    Category,
    MarrowStatus,
    MrdStatus,
    ResponseResult,
    classify_leukaemia,
    classify_lymphoma,
    marrow_status,
    mrd_status,
)
from ismart.response.components import Disease, Extramedullary, LeukaemiaAssessment, LymphomaAssessment, Mrd
from ismart.response.gates import Gate, GateDecision, may_start_cycle

__all__ = [
    "Assessed",
    "Best",
    "Category",
    "Disease",
    "Extramedullary",
    "Gate",
    "GateDecision",
    "LeukaemiaAssessment",
    "LymphomaAssessment",
    "MarrowStatus",
    "Mrd",
    "MrdStatus",
    "ResponseResult",
    "best_overall",
    "classify_leukaemia",
    "classify_lymphoma",
    "is_responder",
    "marrow_status",
    "may_start_cycle",
    "mrd_status",
    "orr",
]
