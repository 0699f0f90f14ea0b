"""What the API accepts, validated at the edge: unknown fields, floats for money, bad enums
and ids are refused with the field and the rule, before anything is journaled."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from engine.errors import InvalidValue
from engine.model import Money, OrderType, Side, TimeInForce

_ID = r"^[A-Za-z0-9_.:-]{1,64}$"
_SYMBOL = r"^[A-Za-z0-9._]{1,32}/[A-Za-z0-9._]{1,32}$"
Positive = Annotated[Money, Field(gt=0, max_digits=40)]


class _Payload(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=False)


class OrderPayload(_Payload):
    """POST /v1/orders. `request_id` makes the submission idempotent."""

    request_id: str = Field(pattern=_ID)
    venue: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,32}$")
    symbol: str = Field(pattern=_SYMBOL)
    side: Side
    qty: Positive
    order_type: OrderType = OrderType.MARKET
    limit_price: Positive | None = None
    time_in_force: TimeInForce = TimeInForce.IOC

    @model_validator(mode="after")
    def _consistent(self) -> OrderPayload:
        if self.order_type not in (OrderType.MARKET, OrderType.LIMIT, OrderType.LIMIT_MAKER):
            raise ValueError(f"order_type {self.order_type.value} is not supported")
        if self.order_type.has_limit_price != (self.limit_price is not None):
            raise ValueError("limit_price is required for limit orders and only for them")
        if self.time_in_force is TimeInForce.GTD:
            raise ValueError("time_in_force gtd is not supported")
        if self.order_type is OrderType.LIMIT_MAKER and self.time_in_force is not (
                TimeInForce.GTC):
            raise ValueError("a post-only order rests: time_in_force must be gtc")
        return self


class AlgoPayload(_Payload):
    """POST /v1/algos/{name}: the parent id and the algorithm's own parameters."""

    parent_id: str = Field(pattern=_ID)
    params: dict[str, Any]


class KillPayload(_Payload):
    """POST /v1/risk/kill/{engage|release}: the switch's level and, below the desk, the
    account or strategy it covers."""

    level: str = Field(pattern=r"^(desk|account|strategy)$")
    name: str | None = Field(default=None, pattern=_ID)
    reason: str = Field(default="operator", min_length=1, max_length=200)


def parse(model: type[_Payload], body: object) -> Any:
    """`body` as `model`, or InvalidValue naming the first field that broke a rule."""
    if not isinstance(body, dict):
        raise InvalidValue("body", "must be a JSON object")
    try:
        return model.model_validate(body)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "body"
        raise InvalidValue(field, first["msg"]) from None


def decimal_text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)
