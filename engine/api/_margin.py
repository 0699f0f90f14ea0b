"""The engine's margin view: `risk.margin`'s engine over the desk's positions, kept current
from the OMS's fills, as the pre-trade gate's `MarginView`.

Where the positions come from:
- CEX spot balances: read from every engine venue that reports balances, at start-up;
- wallet token balances, perpetuals and options, and the index prices every held asset is
  valued at: the margin portfolio file (`crossbook risk` portfolio format, `[market]` section
  included). Its `[[spot]]` entries count only for venues the engine does not trade on (the
  live balances of the others replace them).
Fills then move the book: a spot fill adds the base bought or sold, the quote paid or
received and the fee, priced leg-only against the cached scenario totals.

Fail closed: a holding with no index price, or a fill the view cannot value, makes every
margin and Greeks check deny with `margin_unavailable` until the engine restarts with a
portfolio file that values it; nothing is guessed.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from connectors.orders import VenueBalance
from connectors.venue import Venue
from engine.model import InstrumentKind, Order, OrderEvent, OrderFilled
from risk.errors import MissingMarketData, RiskError
from risk.margin import (
    MarginEngine,
    MarginEngineConfig,
    MarketData,
    Portfolio,
    SpotBalance,
    load_portfolio,
)
from risk.margin.gate_view import (
    InstrumentBook,
    InstrumentSpec,
    MarginEngineView,
    OptionSpec,
    PerpetualSpec,
    SpotSpec,
)


@dataclass(frozen=True)
class MarginSetup:
    """How the engine's gate values margin (all optional; see the module docstring).

    Without a portfolio file there are no index prices: the gate works, but any margin or
    Greeks limit then denies with `margin_unavailable` (fail closed)."""

    portfolio_file: Path | None = None
    config: MarginEngineConfig = field(default_factory=MarginEngineConfig)
    max_margin_utilisation: float | None = None  # maintenance / equity after the trade
    min_liquidation_buffer: float | None = None  # smallest breaching move, a fraction


@runtime_checkable
class _ReportsBalances(Protocol):
    async def balances(self) -> Mapping[str, VenueBalance]: ...


class DeskMarginView(MarginEngineView):
    """The gate's margin view over one account's margin engine, moved by the OMS's fills
    (subscribe `on_event`)."""

    def __init__(self, account: str, engine: MarginEngine, instruments: InstrumentBook,
                 since_ns: int = 0) -> None:
        super().__init__({account: engine}, instruments)
        self.account = account
        self.since_ns = since_ns  # fills before this are in the balances already
        self.failure: str | None = None

    def _engine(self, account: str) -> MarginEngine:
        if self.failure is not None:
            raise MissingMarketData("margin book", self.failure)
        return super()._engine(account)

    def on_event(self, event: OrderEvent, order: Order) -> None:
        """Apply a fill to the margin book (other events do not move it)."""
        if not isinstance(event, OrderFilled) or self.failure is not None:
            return
        fill = event.fill
        if fill.ts_ns < self.since_ns:
            return
        if order.instrument.kind is not InstrumentKind.SPOT:
            self.failure = f"cannot value a {order.instrument.kind.value} fill yet"
            return
        signed = fill.qty * order.side.sign
        legs = [SpotBalance(order.venue, order.instrument.base, signed),
                SpotBalance(order.venue, order.instrument.quote, -signed * fill.price)]
        if fill.fee:
            legs.append(SpotBalance(order.venue, fill.fee_asset, -fill.fee))
        try:
            moved = self.engine(self.account).with_legs(*legs)
        except RiskError as error:
            self.failure = f"fill {fill.trade_id} on {order.venue}: {error}"
            return
        self.replace(self.account, moved)


async def desk_margin(venues: Sequence[Venue], account: str,
                      setup: MarginSetup | None = None) -> DeskMarginView:
    """The margin view of `account` over live venue balances and the portfolio file.

    With a portfolio file the book is valued here, so a holding without an index price fails
    the start (MissingMarketData names it) instead of every later order."""
    setup = setup or MarginSetup()
    held = load_portfolio(setup.portfolio_file) if setup.portfolio_file else None
    market = held.market if held is not None else MarketData({})
    since_ns = time.time_ns()
    live: list[SpotBalance] = []
    live_venues: set[str] = set()
    for venue in venues:
        if isinstance(venue, _ReportsBalances):
            live_venues.add(venue.name)
            for asset, balance in sorted((await venue.balances()).items()):
                if balance.total:
                    live.append(SpotBalance(venue.name, asset, balance.total))
    portfolio = Portfolio(spot=tuple(live))
    if held is not None:
        p = held.portfolio
        portfolio = Portfolio(
            spot=(*(s for s in p.spot if s.venue not in live_venues), *live),
            wallets=p.wallets, perpetuals=p.perpetuals, options=p.options)
    engine = MarginEngine(portfolio, market, setup.config)
    view = DeskMarginView(account, engine, instrument_book(venues, portfolio), since_ns)
    if held is not None:
        view.margin_after(account, [])  # values the book now: a gap fails the start
        view.greeks(account, "")
    return view


def instrument_book(venues: Sequence[Venue], portfolio: Portfolio) -> InstrumentBook:
    """What each instrument id is: every venue market a spot pair, the file's perpetuals and
    options as described there."""
    specs: dict[str, InstrumentSpec] = {}
    for venue in venues:
        for market in venue.markets():
            specs[market.symbol] = SpotSpec(market.base, market.quote)
    for perp in portfolio.perpetuals:
        specs[perp.symbol] = PerpetualSpec(perp.symbol, perp.underlying)
    for option in portfolio.options:
        specs[option.instrument] = OptionSpec(option.underlying, option.right, option.strike,
                                              option.expiry_days, option.vol)
    return InstrumentBook(specs)
