"""The derivatives simulator's state and messages: accounts, positions, orders, trades.

`fill_position` is the one rule for how a fill changes a position: entry prices average
arithmetically for options (coin prices) and harmonically for inverse futures (USD prices
of USD amounts, i.e. by coin value), and a fill against the position realises PnL in coin.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from connectors.simex.deribit.instruments import Instrument

_ZERO = Decimal(0)
_COIN = Decimal("0.0000000001")  # coin amounts are kept to 1e-10


@dataclass
class Position:
    instrument: Instrument
    size: Decimal = _ZERO  # options: coin; futures: USD; signed (negative: short)
    average_price: Decimal = _ZERO
    realized: Decimal = _ZERO  # coin
    funding: Decimal = _ZERO  # coin received (negative: paid)


@dataclass
class DerivAccount:
    api_key: str
    secret: bytes
    cash: dict[str, Decimal] = field(default_factory=dict)
    positions: dict[str, Position] = field(default_factory=dict)
    unlimited: bool = False  # the market makers' account: no margin check

    def __repr__(self) -> str:  # never show the secret
        return f"DerivAccount(api_key={self.api_key!r})"

    def position(self, instrument: Instrument) -> Position:
        return self.positions.setdefault(instrument.name, Position(instrument))


@dataclass
class DerivOrder:
    order_id: str
    account: DerivAccount
    instrument: Instrument
    direction: str  # buy | sell
    order_type: str  # limit | market
    time_in_force: str
    price: Decimal | None
    amount: Decimal
    label: str
    post_only: bool
    reduce_only: bool
    created_ms: int
    updated_ms: int
    filled: Decimal = _ZERO
    filled_value: Decimal = _ZERO  # sum of price x amount
    commission: Decimal = _ZERO
    profit_loss: Decimal = _ZERO
    state: str = "open"
    on_book: bool = False
    replaced: bool = False
    cancel_reason: str = ""

    @property
    def remaining(self) -> Decimal:
        return self.amount - self.filled

    @property
    def average(self) -> Decimal:
        return self.filled_value / self.filled if self.filled else _ZERO


@dataclass(frozen=True, slots=True)
class UserTrade:
    api_key: str
    trade_id: str
    trade_seq: int
    order: DerivOrder  # a snapshot after this trade
    amount: Decimal
    price: Decimal
    fee: Decimal
    liquidity: str  # M | T
    timestamp: int
    index_price: Decimal
    mark_price: Decimal
    profit_loss: Decimal


@dataclass(frozen=True, slots=True)
class PublicTrade:
    trade_id: str
    trade_seq: int
    instrument: str
    direction: str  # the taker's
    amount: Decimal
    price: Decimal
    timestamp: int
    index_price: Decimal
    mark_price: Decimal


@dataclass
class Changes:
    orders: list[DerivOrder] = field(default_factory=list)  # snapshots
    trades: list[UserTrade] = field(default_factory=list)
    public: list[PublicTrade] = field(default_factory=list)
    books: dict[str, tuple[int, int, list[tuple[str, Decimal, Decimal]]]] = field(
        default_factory=dict)
    funding: list[tuple[str, str, Decimal]] = field(default_factory=list)  # key, inst, coin


@dataclass(frozen=True, slots=True)
class OrderRequest:
    api_key: str
    instrument: str
    direction: str
    amount: Decimal
    order_type: str
    price: Decimal | None
    label: str
    time_in_force: str
    post_only: bool
    reduce_only: bool


@dataclass(frozen=True, slots=True)
class Summary:
    currency: str
    balance: Decimal
    equity: Decimal
    margin_balance: Decimal
    initial_margin: Decimal
    maintenance_margin: Decimal
    available_funds: Decimal
    futures_upl: Decimal
    options_value: Decimal
    options_upl: Decimal
    futures_realized: Decimal
    options_realized: Decimal
    delta_total: Decimal


def fill_position(position: Position, signed_qty: Decimal, price: Decimal,
                   inverse: bool) -> Decimal:
    """Add a fill to a position; the PnL it realises (coin). Entry prices average
    arithmetically for options and harmonically (by coin value) for inverse futures."""
    size, qty = position.size, abs(signed_qty)
    if size == 0 or (size > 0) == (signed_qty > 0):
        held = abs(size)
        if inverse:
            coin = (held / position.average_price if held else _ZERO) + qty / price
            position.average_price = (held + qty) / coin
        else:
            position.average_price = (held * position.average_price + qty * price) / (held + qty)
        position.size = size + signed_qty
        return _ZERO
    closing = min(qty, abs(size))
    direction = 1 if size > 0 else -1
    if inverse:
        pnl = direction * closing * (1 / position.average_price - 1 / price)
    else:
        pnl = direction * closing * (price - position.average_price)
    position.size = size + signed_qty
    if position.size == 0:
        position.average_price = _ZERO
    elif (position.size > 0) != (size > 0):
        position.average_price = price  # flipped: the rest opened at this price
    return pnl.quantize(_COIN)

