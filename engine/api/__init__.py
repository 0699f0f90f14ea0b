"""The engine's API: the async Python `Engine`, and the local REST + WebSocket server."""

from engine.api._engine import AlgoHandle, Engine
from engine.api._keys import ApiKeys, hash_key
from engine.api._payloads import AlgoPayload, OrderPayload
from engine.api._server import ApiServer

__all__ = ["AlgoHandle", "AlgoPayload", "ApiKeys", "ApiServer", "Engine", "OrderPayload",
           "hash_key"]
