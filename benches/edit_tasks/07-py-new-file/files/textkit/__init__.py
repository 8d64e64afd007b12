"""Small text helpers."""

from .case import to_title

__all__ = ["to_title"]
