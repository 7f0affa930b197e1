"""Protocol data: typed models and the loader."""

from ismart.protocol.loader import load_protocol
from ismart.protocol.model import Criterion, Protocol, SubProtocol

__all__ = ["Criterion", "Protocol", "SubProtocol", "load_protocol"]
