"""Edgeway: the gateway core that runs inside every gateway Lambda container."""

from edgeway.errors import ConfigError, EdgewayError, HttpError
from edgeway.http import Principal, Request, Response

__all__ = ["ConfigError", "EdgewayError", "HttpError", "Principal", "Request", "Response"]
__version__ = "0.1.0"
