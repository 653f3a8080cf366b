"""Readers and writers. Every reader returns a Network or raises NetworkFileError."""

from __future__ import annotations

from .errors import MissingExtraError, NetworkFileError
from .files import atomic_write_text
from .json_format import network_from_json, parse_json_text, read_json_network
from .json_writer import dumps_network, write_json_network
from .loading import load_network, supported_extensions

__all__ = [
    "MissingExtraError",
    "NetworkFileError",
    "atomic_write_text",
    "dumps_network",
    "load_network",
    "network_from_json",
    "parse_json_text",
    "read_json_network",
    "supported_extensions",
    "write_json_network",
]
