"""What is traded and where: assets, instruments, and each venue's price and size rules."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from engine.errors import InvalidValue
from engine.model._values import InstrumentId, Money, quantize_down, quantize_up


class DomainModel(BaseModel):
    """Frozen, strict about unknown fields, and raising `InvalidValue` naming the field."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as error:
            first = error.errors()[0]
            field = ".".join(str(part) for part in first["loc"]) or type(self).__name__
            raise InvalidValue(field, first["msg"]) from None


class InstrumentKind(StrEnum):
    SPOT = "spot"
    PERPETUAL = "perpetual"
    FUTURE = "future"
    OPTION = "option"


class OptionRight(StrEnum):
    CALL = "call"
    PUT = "put"


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"

    @property
    def sign(self) -> int:
        return 1 if self is Side.BUY else -1


class Asset(DomainModel):
    """A token or coin: its symbol, decimals and its address on each chain (by chain id)."""

    symbol: str
    decimals: int
    addresses: dict[int, str] = {}

    @model_validator(mode="after")
    def _sane(self) -> Asset:
        if not self.symbol.isalnum():
            raise ValueError(f"symbol {self.symbol!r} must be alphanumeric")
        if not 0 <= self.decimals <= 36:
            raise ValueError("decimals must be between 0 and 36")
        return self


class Instrument(DomainModel):
    """A tradable thing: spot pair, perpetual, dated future or option on base/quote."""

    base: str
    quote: str
    kind: InstrumentKind = InstrumentKind.SPOT
    expiry: datetime | None = None
    strike: Money | None = None
    right: OptionRight | None = None

    @model_validator(mode="after")
    def _terms_match_kind(self) -> Instrument:
        is_option = self.kind is InstrumentKind.OPTION
        if is_option != (self.strike is not None and self.right is not None):
            raise ValueError("strike and right are required for options and only for options")
        if (self.kind in (InstrumentKind.OPTION, InstrumentKind.FUTURE)) != (
            self.expiry is not None
        ):
            raise ValueError("expiry is required for options and futures and only for them")
        if self.strike is not None and self.strike <= 0:
            raise ValueError("strike must be > 0")
        return self

    @property
    def id(self) -> InstrumentId:
        """A readable id: WETH/USDC, BTC/USD-PERP, BTC/USD-20261225, BTC/USD-20261225-90000-C."""
        text = f"{self.base}/{self.quote}"
        if self.kind is InstrumentKind.PERPETUAL:
            text += "-PERP"
        if self.expiry is not None:
            text += f"-{self.expiry:%Y%m%d}"
        if self.strike is not None and self.right is not None:
            text += f"-{self.strike.normalize():f}-{self.right.value[0].upper()}"
        return InstrumentId(text)


class VenueFilters(DomainModel):
    """A venue's rules for one instrument: price tick, lot size, minimum size and notional."""

    tick_size: Money
    lot_size: Money
    min_qty: Money = Decimal(0)
    min_notional: Money = Decimal(0)

    @model_validator(mode="after")
    def _positive_steps(self) -> VenueFilters:
        if self.tick_size <= 0 or self.lot_size <= 0:
            raise ValueError("tick_size and lot_size must be > 0")
        return self

    def quantize_price(self, price: Decimal, side: Side) -> Decimal:
        """Onto the tick, never to a worse price: buys round down, sells round up."""
        if side is Side.BUY:
            return quantize_down(price, self.tick_size)
        return quantize_up(price, self.tick_size)

    def quantize_qty(self, qty: Decimal) -> Decimal:
        """Down onto the lot: never more than was asked."""
        return quantize_down(qty, self.lot_size)

    def check(self, qty: Decimal, price: Decimal) -> None:
        """Raise `InvalidValue` naming the first rule the order breaks."""
        if qty != self.quantize_qty(qty):
            raise InvalidValue("qty", f"{qty} is not a multiple of the lot size {self.lot_size}")
        if price % self.tick_size != 0:
            raise InvalidValue("price", f"{price} is not on the tick size {self.tick_size}")
        if qty < self.min_qty:
            raise InvalidValue("qty", f"{qty} is below the minimum {self.min_qty}")
        if qty * price < self.min_notional:
            raise InvalidValue("notional", f"{qty * price} is below the minimum "
                                           f"{self.min_notional}")
