"""chainwatch: account-takeover chain detection for Microsoft 365 and email exports."""

__version__ = "0.1.0"
