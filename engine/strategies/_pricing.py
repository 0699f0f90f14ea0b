"""The package before it is sent: each leg's market, the net premium, Greeks, and the margin of
the account before and after the whole group.

    preview = await price_package(condor, board, account, now_ns, venue="deribit")
    preview.net_premium_coin     # + paid, - received (coin-settled options: in the coin)
    preview.greeks.delta         # per Deribit's conventions (risk.margin.black76)
    preview.margin_after         # the margin engine's scenario margin with every leg added

Legs are priced where they would execute: a buy at the best ask, a sell at the best bid (the
mark when that side of the book is empty, and the leg says it is not executable). Greeks are
Black-76 on each expiry's forward at the mark IV: delta per coin, gamma per coin per USD, vega
USD per vol point, theta USD per calendar day. Margin comes from `risk.margin.MarginEngine`:
the account's positions now, and with the legs added (only the legs are priced), the premium
paid or received included.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from engine.errors import CrossbookError
from engine.model import InstrumentKind, OptionRight, Side
from engine.strategies._board import OptionBoard, OptionTicker
from engine.strategies._builders import LegRole, Strategy, StrategyLeg
from engine.strategies._errors import InvalidStrategy
from engine.strategies._names import days_to_expiry, is_expired
from risk.margin import (
    MarginEngine,
    MarginEngineConfig,
    MarketData,
    OptionPosition,
    PerpetualPosition,
    Portfolio,
    PortfolioMargin,
    Position,
    SpotBalance,
    black76,
)
from risk.margin import OptionRight as RiskRight

_CENT = Decimal("0.01")


def _quantized(value: float, places: int) -> Decimal:
    return Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-places), ROUND_HALF_EVEN)


@dataclass(frozen=True, slots=True)
class LegGreeks:
    """Greeks of a leg's whole position (signed: a short leg has negative delta and vega...)."""

    delta: float = 0.0
    gamma: float = 0.0
    vega: float = 0.0
    theta: float = 0.0

    def __add__(self, other: LegGreeks) -> LegGreeks:
        return LegGreeks(self.delta + other.delta, self.gamma + other.gamma,
                         self.vega + other.vega, self.theta + other.theta)

    def to_json(self) -> dict[str, Decimal]:
        return {"delta": _quantized(self.delta, 6), "gamma": _quantized(self.gamma, 10),
                "vega": _quantized(self.vega, 4), "theta": _quantized(self.theta, 4)}


@dataclass(frozen=True, slots=True)
class LegQuote:
    """One leg as it would trade: its market, price, premium and Greeks."""

    leg: StrategyLeg
    qty: Decimal
    bid: Decimal | None
    ask: Decimal | None
    mark: Decimal
    iv: Decimal | None  # None for a hedge leg
    price: Decimal  # ask for a buy, bid for a sell; the mark when that side is empty
    executable: bool
    premium_coin: Decimal  # + paid, - received; 0 for a hedge leg (no premium)
    greeks: LegGreeks

    def to_json(self, venue: str) -> dict[str, object]:
        return {"instrument": self.leg.name, "venue": venue, "role": self.leg.role.value,
                "side": self.leg.side.value, "ratio": self.leg.ratio, "qty": self.qty,
                "bid": self.bid, "ask": self.ask, "mark": self.mark, "iv": self.iv,
                "price": self.price, "executable": self.executable,
                "premium_coin": self.premium_coin, "greeks": self.greeks.to_json()}


@dataclass(frozen=True, slots=True)
class MarginSummary:
    """Scenario margin of the account, USD, and maintenance over equity."""

    initial_usd: Decimal
    maintenance_usd: Decimal
    equity_usd: Decimal
    utilisation: float

    @classmethod
    def of(cls, margin: PortfolioMargin) -> MarginSummary:
        return cls(margin.initial_margin_usd, margin.maintenance_margin_usd, margin.equity_usd,
                   margin.utilisation)

    def to_json(self) -> dict[str, object]:
        utilisation = (None if self.utilisation == float("inf")
                       else _quantized(self.utilisation, 6))
        return {"initial_usd": self.initial_usd, "maintenance_usd": self.maintenance_usd,
                "equity_usd": self.equity_usd, "utilisation": utilisation}


@dataclass(frozen=True, slots=True)
class PackagePreview:
    """Everything shown before asking to send."""

    strategy: Strategy
    venue: str
    hedge_venue: str | None
    legs: tuple[LegQuote, ...]
    index: Decimal
    net_premium_coin: Decimal
    greeks: LegGreeks
    margin_before: MarginSummary
    margin_after: MarginSummary
    positions: tuple[Position, ...]  # what the legs add to the margin engine's portfolio
    index_prices: Mapping[str, Decimal]  # every coin the account and package hold, USD

    @property
    def net_premium_usd(self) -> Decimal:
        return (self.net_premium_coin * self.index).quantize(_CENT, ROUND_HALF_EVEN)

    @property
    def executable(self) -> bool:
        return all(q.executable for q in self.legs)

    def venue_of(self, leg: StrategyLeg) -> str:
        return self.hedge_venue or self.venue if leg.role is LegRole.HEDGE else self.venue

    def to_json(self) -> dict[str, object]:
        s = self.strategy
        premium = self.net_premium_coin
        return {
            "strategy": {"kind": s.kind.value, "label": s.label, "underlying": s.underlying,
                         "side": s.side.value, "qty": s.qty},
            "venue": self.venue, "hedge_venue": self.hedge_venue, "index_price": self.index,
            "legs": [q.to_json(self.venue_of(q.leg)) for q in self.legs],
            "net_premium": {"coin": premium, "asset": s.underlying, "usd": self.net_premium_usd,
                            "direction": "debit" if premium > 0 else
                            "credit" if premium < 0 else "flat"},
            "greeks": self.greeks.to_json(),
            "margin": {"before": self.margin_before.to_json(),
                       "after": self.margin_after.to_json(),
                       "change_usd": self.margin_after.maintenance_usd
                       - self.margin_before.maintenance_usd},
            "executable": self.executable,
        }


def option_greeks(ticker: OptionTicker, days: Decimal, quantity: Decimal) -> LegGreeks:
    """Black-76 Greeks of `quantity` (signed) options at the ticker's forward and mark IV."""
    instrument = ticker.instrument
    assert instrument.strike is not None
    g = black76(float(ticker.forward), float(instrument.strike), float(days),
                float(ticker.mark_iv), instrument.right is OptionRight.CALL)
    q = float(quantity)
    return LegGreeks(float(g.delta) * q, float(g.gamma) * q, float(g.vega) * q,
                     float(g.theta) * q)


def option_position(ticker: OptionTicker, venue: str, name: str, days: Decimal,
                    quantity: Decimal) -> OptionPosition:
    """The margin engine's position for `quantity` (signed) of the ticker's option."""
    instrument = ticker.instrument
    assert instrument.strike is not None
    right = RiskRight.CALL if instrument.right is OptionRight.CALL else RiskRight.PUT
    return OptionPosition(venue, name, instrument.base, right, instrument.strike, days,
                          quantity, ticker.mark_iv, ticker.forward)


def hedge_position(leg: StrategyLeg, venue: str, quantity: Decimal,
                   price: Decimal) -> tuple[Position, ...]:
    """A perpetual hedge is a position at `price`; a spot hedge moves both assets."""
    instrument = leg.instrument
    if instrument.kind is InstrumentKind.PERPETUAL:
        return (PerpetualPosition(venue, leg.name, instrument.base, quantity, price),)
    return (SpotBalance(venue, instrument.base, quantity),
            SpotBalance(venue, instrument.quote, -quantity * price))


async def price_package(strategy: Strategy, board: OptionBoard, account: Portfolio,
                        now_ns: int, venue: str = "deribit", hedge_venue: str | None = None,
                        hedge_book: tuple[Decimal | None, Decimal | None] = (None, None),
                        config: MarginEngineConfig | None = None) -> PackagePreview:
    """Price every leg, sum premium and Greeks, and margin the account before and after."""
    index = await board.index_price(strategy.underlying)
    quotes: list[LegQuote] = []
    positions: list[Position] = []
    for leg in strategy.legs:
        qty = strategy.leg_qty(leg)
        signed = qty * leg.side.sign
        if leg.role is LegRole.HEDGE:
            quote = _hedge_quote(leg, qty, index, hedge_book)
            coins = signed if leg.contract_usd is None else signed / index
            positions += hedge_position(leg, hedge_venue or venue, coins, quote.price)
        else:
            if is_expired(leg.instrument, now_ns):
                raise InvalidStrategy("expiry", f"{leg.name} has expired")
            ticker = await board.ticker(leg.instrument)
            days = days_to_expiry(leg.instrument, now_ns)
            quote = _option_quote(leg, qty, ticker, days)
            positions.append(option_position(ticker, venue, leg.name, days, signed))
        quotes.append(quote)
    premium = sum((q.premium_coin for q in quotes), Decimal(0))
    if premium:
        positions.append(SpotBalance(venue, strategy.underlying, -premium))
    greeks = sum((q.greeks for q in quotes), LegGreeks())
    known = {strategy.underlying: index}
    hedge = strategy.hedge_leg
    if hedge is not None and hedge.instrument.base != strategy.underlying:
        # a mapped stand-in (WETH for ETH) is valued one for one at the underlying's index
        known[hedge.instrument.base] = index
    prices = await _index_prices(board, account, known)
    market = MarketData(prices)
    engine = MarginEngine(account, market, config)
    return PackagePreview(strategy, venue, hedge_venue, tuple(quotes), index, premium, greeks,
                          MarginSummary.of(engine.portfolio_margin()),
                          MarginSummary.of(engine.portfolio_margin_with(*positions)),
                          tuple(positions), prices)


def _option_quote(leg: StrategyLeg, qty: Decimal, ticker: OptionTicker,
                  days: Decimal) -> LegQuote:
    touch = ticker.ask if leg.side is Side.BUY else ticker.bid
    price = touch if touch is not None else ticker.mark
    return LegQuote(leg, qty, ticker.bid, ticker.ask, ticker.mark, ticker.mark_iv, price,
                    touch is not None, price * qty * leg.side.sign,
                    option_greeks(ticker, days, qty * leg.side.sign))


def _hedge_quote(leg: StrategyLeg, qty: Decimal, index: Decimal,
                 book: tuple[Decimal | None, Decimal | None]) -> LegQuote:
    bid, ask = book
    touch = ask if leg.side is Side.BUY else bid
    price = touch if touch is not None else index
    # no book given: the leg group prices it from the venue's quote when it sends
    executable = touch is not None or (bid is None and ask is None)
    coins = qty if leg.contract_usd is None else qty / index
    return LegQuote(leg, qty, bid, ask, index, None, price, executable, Decimal(0),
                    LegGreeks(delta=float(coins * leg.side.sign)))


async def _index_prices(board: OptionBoard, account: Portfolio,
                        known: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """The index of the package's underlying and of every coin the account holds (a coin
    the board cannot price is left out, and the margin engine then refuses it by name)."""
    prices = dict(known)
    held = {p.underlying for p in account.perpetuals} | {o.underlying for o in account.options}
    held |= {s.asset for s in account.spot if s.asset not in MarketData({}).cash_assets}
    for coin in sorted(held - set(prices)):
        try:
            prices[coin] = await board.index_price(coin)
        except (CrossbookError, LookupError, ValueError):
            continue
    return prices
