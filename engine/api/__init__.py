"""The engine's API: the async Python `Engine`, and the local REST + WebSocket server."""

from engine.api._client import DEFAULT_URL, KEY_ENV, URL_ENV, api_call
from engine.api._engine import AlgoHandle, Engine
from engine.api._keys import ApiKeys, hash_key
from engine.api._margin import DeskMarginView, MarginSetup, desk_margin
from engine.api._payloads import AlgoPayload, OrderPayload
from engine.api._server import ApiServer
from engine.api._wiring import build_engine, risk_gate, use_gate

__all__ = ["DEFAULT_URL", "KEY_ENV", "URL_ENV", "AlgoHandle", "AlgoPayload", "ApiKeys",
           "ApiServer", "DeskMarginView", "Engine", "MarginSetup", "OrderPayload", "api_call",
           "build_engine", "desk_margin", "hash_key", "risk_gate", "use_gate"]
