"""ismart: screening, triage and treatment support for the HEM-iSMART master protocol."""

__version__ = "0.1.0"
ENGINE_VERSION = __version__

__all__ = ["ENGINE_VERSION", "__version__"]
