"""What a lifecycle subject id says by itself."""

from __future__ import annotations


def item_gtin(subject: str) -> str:
    """The GTIN of an item or lot subject (`01/<gtin>/21/<serial>` or `01/<gtin>/10/<lot>`)."""
    return subject.split("/")[1]
