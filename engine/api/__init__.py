"""The engine's API: the async Python `Engine`, and the local REST + WebSocket server."""

from engine.api._engine import AlgoHandle, Engine

__all__ = ["AlgoHandle", "Engine"]
