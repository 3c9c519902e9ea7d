"""Operator commands, registered on `flask --app trace_service`."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    pass


def main() -> None:
    pass
