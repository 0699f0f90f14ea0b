"""Deribit's JSON-RPC errors: the codes and messages its API answers with.

Source: Deribit API v2 documentation, "Error Codes" (docs.deribit.com), as ccxt 4.5.90's
`deribit.exceptions` table maps them. Every refusal of the simulator is one of these, with
`data` naming the parameter and the reason where Deribit does.
"""

from __future__ import annotations

from typing import Any


class DeribitApiError(Exception):
    """A refusal as Deribit sends it: `{"code", "message", "data"}` in the `error` member."""

    def __init__(self, code: int, message: str, data: dict[str, Any] | None = None,
                 http_status: int = 400) -> None:
        self.code, self.message, self.data = code, message, data
        self.http_status = http_status
        super().__init__(f"{code} {message}")

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error


def invalid_params(param: str, reason: str) -> DeribitApiError:
    return DeribitApiError(-32602, "Invalid params", {"param": param, "reason": reason})


def method_not_found(method: str) -> DeribitApiError:
    return DeribitApiError(-32601, "Method not found", {"method": method}, http_status=404)


def parse_error() -> DeribitApiError:
    return DeribitApiError(-32700, "Parse error")


def unauthorized(reason: str = "") -> DeribitApiError:
    data = {"reason": reason} if reason else None
    return DeribitApiError(13009, "unauthorized", data, http_status=401)


def invalid_credentials() -> DeribitApiError:
    return DeribitApiError(13004, "invalid_credentials", http_status=401)


def not_enough_funds() -> DeribitApiError:
    return DeribitApiError(10009, "not_enough_funds")


def order_not_found() -> DeribitApiError:
    return DeribitApiError(10004, "order_not_found")


def not_open_order() -> DeribitApiError:
    return DeribitApiError(11044, "not_open_order")


def instrument_not_found(name: str) -> DeribitApiError:
    """An unknown instrument: Deribit answers -32602 naming the parameter."""
    return invalid_params("instrument_name", f"instrument not found: {name}")


def price_wrong_tick(tick: str) -> DeribitApiError:
    return DeribitApiError(10043, "price_wrong_tick", {"tick_size": tick})


def invalid_amount(reason: str) -> DeribitApiError:
    return DeribitApiError(10021, "invalid_amount", {"param": "amount", "reason": reason})


def qty_too_low(minimum: str) -> DeribitApiError:
    return DeribitApiError(10002, "qty_too_low", {"min_trade_amount": minimum})


def post_only_reject() -> DeribitApiError:
    return DeribitApiError(11054, "post_only_reject")


def already_filled() -> DeribitApiError:
    return DeribitApiError(11008, "already_filled")


def not_implemented(method: str) -> DeribitApiError:
    return DeribitApiError(10033, "not_implemented", {"method": method})


def book_closed() -> DeribitApiError:
    """An order for an instrument that has expired and been delivered."""
    return DeribitApiError(10012, "book_closed")
