"""The error answers simex gives, with the codes and messages of Binance's spot API.

Binance documents its errors as a code (universal) plus a message (which may vary); clients
such as ccxt match on both, so simex answers with the real spelling. Source: Binance spot API
"Error codes" page (developers.binance.com, `errors.md` of binance-spot-api-docs).

    code    meaning (message)
    -1003   TOO_MANY_REQUESTS: too much request weight used / IP banned until ...
    -1013   filter failure: PRICE_FILTER, LOT_SIZE, NOTIONAL, MARKET_LOT_SIZE
    -1021   INVALID_TIMESTAMP: outside of the recvWindow / ahead of the server's time
    -1022   INVALID_SIGNATURE: Signature for this request is not valid.
    -1100   ILLEGAL_CHARS in a parameter
    -1102   MANDATORY_PARAM_EMPTY_OR_MALFORMED
    -1106   PARAM_NOT_REQUIRED
    -1115   INVALID_TIF, -1116 INVALID_ORDER_TYPE, -1117 INVALID_SIDE
    -1121   BAD_SYMBOL: Invalid symbol.
    -1125   INVALID_LISTEN_KEY: This listenKey does not exist.
    -1131   BAD_RECV_WINDOW: recvWindow must be less than 60000
    -2010   NEW_ORDER_REJECTED: insufficient balance, duplicate order, would match and take
    -2011   CANCEL_REJECTED: Unknown order sent.
    -2013   NO_SUCH_ORDER: Order does not exist.
    -2014   BAD_API_KEY_FMT: API-key format invalid.
    -2015   REJECTED_MBX_KEY: Invalid API-key, IP, or permissions for action.
"""

from __future__ import annotations

from typing import Any

from connectors.errors import TerminalVenueError


class BinanceApiError(TerminalVenueError):
    """An error answer: HTTP status, Binance code and message, as the real API sends them."""

    def __init__(self, http_status: int, code: int, msg: str,
                 headers: dict[str, str] | None = None) -> None:
        self.http_status = http_status
        self.code = code
        self.msg = msg
        self.headers = headers or {}
        super().__init__(f"{code}: {msg}")

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "msg": self.msg}


INSUFFICIENT_BALANCE = "Account has insufficient balance for requested action."
DUPLICATE_ORDER = "Duplicate order sent."
WOULD_TAKE = "Order would immediately match and take."


def bad_signature() -> BinanceApiError:
    return BinanceApiError(400, -1022, "Signature for this request is not valid.")


def outside_recv_window() -> BinanceApiError:
    return BinanceApiError(400, -1021, "Timestamp for this request is outside of the recvWindow.")


def ahead_of_server() -> BinanceApiError:
    return BinanceApiError(
        400, -1021, "Timestamp for this request was 1000ms ahead of the server's time.")


def bad_recv_window() -> BinanceApiError:
    return BinanceApiError(400, -1131, "recvWindow must be less than 60000")


def mandatory(param: str) -> BinanceApiError:
    return BinanceApiError(
        400, -1102, f"Mandatory parameter '{param}' was not sent, was empty/null, or malformed.")


def not_required(param: str) -> BinanceApiError:
    return BinanceApiError(400, -1106, f"Parameter '{param}' sent when not required.")


def illegal_chars(param: str, legal: str) -> BinanceApiError:
    return BinanceApiError(
        400, -1100, f"Illegal characters found in parameter '{param}'; legal range is '{legal}'.")


def bad_symbol() -> BinanceApiError:
    return BinanceApiError(400, -1121, "Invalid symbol.")


def invalid_tif() -> BinanceApiError:
    return BinanceApiError(400, -1115, "Invalid timeInForce.")


def invalid_order_type() -> BinanceApiError:
    return BinanceApiError(400, -1116, "Invalid orderType.")


def invalid_side() -> BinanceApiError:
    return BinanceApiError(400, -1117, "Invalid side.")


def filter_failure(name: str) -> BinanceApiError:
    return BinanceApiError(400, -1013, f"Filter failure: {name}")


def order_rejected(msg: str) -> BinanceApiError:
    return BinanceApiError(400, -2010, msg)


def no_such_order() -> BinanceApiError:
    return BinanceApiError(400, -2013, "Order does not exist.")


def cancel_unknown() -> BinanceApiError:
    return BinanceApiError(400, -2011, "Unknown order sent.")


def bad_api_key_format() -> BinanceApiError:
    return BinanceApiError(401, -2014, "API-key format invalid.")


def rejected_key() -> BinanceApiError:
    return BinanceApiError(401, -2015, "Invalid API-key, IP, or permissions for action.")


def invalid_listen_key() -> BinanceApiError:
    return BinanceApiError(400, -1125, "This listenKey does not exist.")


def too_many_requests(limit: int, interval: str, retry_after_s: int) -> BinanceApiError:
    return BinanceApiError(
        429, -1003,
        f"Too much request weight used; current limit is {limit} request weight per {interval}. "
        "Please use WebSocket Streams for live updates to avoid polling the API.",
        {"Retry-After": str(retry_after_s)})


def banned(until_ms: int, retry_after_s: int) -> BinanceApiError:
    return BinanceApiError(
        418, -1003,
        f"Way too much request weight used; IP banned until {until_ms}. "
        "Please use WebSocket Streams for live updates to avoid bans.",
        {"Retry-After": str(retry_after_s)})


def internal_error() -> BinanceApiError:
    return BinanceApiError(503, -1001, "Internal error; unable to process your request. "
                                       "Please try again.")
