"""What is traded and where: assets, instruments, and each venue's price and size rules."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum

from eth_typing import ChecksumAddress
from pydantic import Field, field_validator, model_validator

from engine.errors import InvalidValue
from engine.model._base import DomainModel
from engine.model._ids import ChainId, InstrumentId, checksum_address
from engine.model._values import MAX_DECIMALS, Money, quantize_down, quantize_up

# Symbols as venues and token contracts spell them: WETH, USDC, 1INCH, USDC.e, BTC-PERP parts.
_SYMBOL_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._]{0,31}$"


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
        """+1 for a buy, -1 for a sell: the sign of the position change."""
        return 1 if self is Side.BUY else -1


class Asset(DomainModel):
    """A token or coin: its symbol, decimals and EIP-55 address on each chain, by chain id."""

    symbol: str = Field(pattern=_SYMBOL_PATTERN)
    decimals: int = Field(ge=0, le=MAX_DECIMALS)
    addresses: dict[ChainId, ChecksumAddress] = Field(default_factory=dict)

    @field_validator("addresses", mode="after")
    @classmethod
    def _checksummed(cls, addresses: dict[ChainId, str]) -> dict[ChainId, ChecksumAddress]:
        for chain_id in addresses:
            if chain_id <= 0:
                raise InvalidValue("addresses", f"chain id {chain_id} must be > 0")
        return {
            chain_id: checksum_address(address, f"addresses.{chain_id}")
            for chain_id, address in addresses.items()
        }

    def address_on(self, chain_id: ChainId) -> ChecksumAddress:
        """The asset's contract on `chain_id`; InvalidValue if it has none there."""
        if chain_id not in self.addresses:
            raise InvalidValue("chain_id", f"{self.symbol} has no address on chain {chain_id}")
        return self.addresses[chain_id]


class Instrument(DomainModel):
    """A tradable thing: spot pair, perpetual, dated future or option on base/quote.

    Options need strike, right and expiry; futures need expiry; none of them is allowed on a
    kind that does not use it, so an id never carries terms that mean nothing.
    """

    base: str = Field(pattern=_SYMBOL_PATTERN)
    quote: str = Field(pattern=_SYMBOL_PATTERN)
    kind: InstrumentKind = InstrumentKind.SPOT
    expiry_ts_ns: int | None = Field(default=None, gt=0)
    strike: Money | None = Field(default=None, gt=0)
    right: OptionRight | None = None

    @model_validator(mode="after")
    def _terms_match_kind(self) -> Instrument:
        is_option = self.kind is InstrumentKind.OPTION
        dated = self.kind in (InstrumentKind.OPTION, InstrumentKind.FUTURE)
        for field, value in (("strike", self.strike), ("right", self.right)):
            if is_option and value is None:
                raise InvalidValue(field, "is required for options")
            if not is_option and value is not None:
                raise InvalidValue(field, f"is only for options, not {self.kind.value}")
        if dated and self.expiry_ts_ns is None:
            raise InvalidValue("expiry_ts_ns", f"is required for {self.kind.value}")
        if not dated and self.expiry_ts_ns is not None:
            raise InvalidValue("expiry_ts_ns", f"is not allowed for {self.kind.value}")
        return self

    @property
    def id(self) -> InstrumentId:
        """A readable id: WETH/USDC, BTC/USD-PERP, BTC/USD-20261225, BTC/USD-20261225-90000-C."""
        text = f"{self.base}/{self.quote}"
        if self.kind is InstrumentKind.PERPETUAL:
            text += "-PERP"
        if self.expiry_ts_ns is not None:
            expiry = datetime.fromtimestamp(self.expiry_ts_ns // 1_000_000_000, UTC)
            text += f"-{expiry:%Y%m%d}"
        if self.strike is not None and self.right is not None:
            text += f"-{self.strike.normalize():f}-{self.right.value[0].upper()}"
        return InstrumentId(text)


class VenueFilters(DomainModel):
    """A venue's rules for one instrument: price tick, lot size, minimum size and notional.

    Binance calls these PRICE_FILTER, LOT_SIZE, MIN_NOTIONAL; other venues have the same four.
    """

    tick_size: Money = Field(gt=0)
    lot_size: Money = Field(gt=0)
    min_qty: Money = Field(default=Decimal(0), ge=0)
    min_notional: Money = Field(default=Decimal(0), ge=0)

    def quantize_price(self, price: Decimal, side: Side) -> Decimal:
        """Onto the tick, never to a worse limit for us: buys round down, sells round up."""
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
        if price != quantize_down(price, self.tick_size):
            raise InvalidValue("price", f"{price} is not on the tick size {self.tick_size}")
        if qty < self.min_qty:
            raise InvalidValue("qty", f"{qty} is below the minimum {self.min_qty}")
        if qty * price < self.min_notional:
            raise InvalidValue(
                "notional", f"{qty * price} is below the minimum {self.min_notional}"
            )
