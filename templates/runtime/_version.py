"""The package version: sent as `sdk_version` when a session is created."""

__version__ = "0.2.0"
