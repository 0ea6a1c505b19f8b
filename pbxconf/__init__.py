"""pbxconf: configuration as code for the cloud PBX (API v1.1.0)."""

__version__ = "0.1.0"
