"""`MarginEngine`: the margin engine's one entry point over a desk portfolio.

It compiles the portfolio once, caches its scenario totals, and answers what the pre-trade
validator and the CLI ask: Greeks totals, scenario margin and utilisation (with or without
new legs, pricing only the legs), standard margin, the liquidation buffer, alerts and
delta-hedge proposals.
"""

from __future__ import annotations

from functools import cached_property

from risk.margin.alerts import Alert, HedgeProposal, check_alerts, propose_delta_hedges
from risk.margin.book import GreeksTotal, compile_book, greeks_totals
from risk.margin.config import MarginEngineConfig
from risk.margin.positions import MarketData, Portfolio, Position
from risk.margin.scenarios import PortfolioMargin, ScenarioBook
from risk.margin.standard import BreachMove, StandardMargin, breach_moves, standard_margin


class MarginEngine:
    """Margin, Greeks and liquidation analytics of one desk portfolio at one market."""

    def __init__(self, portfolio: Portfolio, market: MarketData,
                 config: MarginEngineConfig | None = None) -> None:
        self.portfolio = portfolio
        self.market = market
        self.config = config or MarginEngineConfig()

    @cached_property
    def scenario_book(self) -> ScenarioBook:
        """Cached per-underlying scenario totals (built on first use)."""
        return ScenarioBook.build(self.portfolio, self.market, self.config.portfolio)

    @cached_property
    def greeks(self) -> tuple[GreeksTotal, ...]:
        """Delta, gamma, vega, theta and rho per underlying."""
        return greeks_totals(compile_book(self.portfolio, self.market))

    def portfolio_margin(self) -> PortfolioMargin:
        """Scenario (portfolio) margin of the desk."""
        return self.scenario_book.margin()

    def portfolio_margin_with(self, *legs: Position) -> PortfolioMargin:
        """Scenario margin if `legs` were added: only the legs are priced."""
        return self.scenario_book.margin_with(*legs)

    def liquidation_buffer_with(self, *legs: Position) -> float | None:
        """Scenario-grid estimate of the liquidation buffer after `legs` (see
        `ScenarioBook.liquidation_buffer_with`): cheap enough for every pre-trade check."""
        return self.scenario_book.liquidation_buffer_with(*legs)

    def standard_margin(self) -> StandardMargin:
        """Per-position (Deribit standard mode, tiered perpetual) margin."""
        return standard_margin(self.portfolio, self.market, self.config.standard)

    def breach_moves(self) -> tuple[BreachMove, ...]:
        """Per underlying, the smallest move down and up that breaches maintenance."""
        return breach_moves(self.portfolio, self.market, self.config.standard)

    def liquidation_buffer(self) -> float | None:
        """The smallest single-underlying move that breaches maintenance (None: none found)."""
        buffers = [b.buffer for b in self.breach_moves() if b.buffer is not None]
        return min(buffers) if buffers else None

    def alerts(self) -> tuple[Alert, ...]:
        """Thresholds the desk crosses now (scenario-margin utilisation)."""
        return check_alerts(self.config.alerts,
                            utilisation=self.portfolio_margin().utilisation,
                            liquidation_buffer=self.liquidation_buffer(), greeks=self.greeks)

    def hedge_proposals(self) -> tuple[HedgeProposal, ...]:
        """Delta hedges to route when hedging is enabled; none when it is disabled."""
        if not self.config.hedge.enabled:
            return ()
        return propose_delta_hedges(self.greeks, self.config.hedge)

    def with_legs(self, *legs: Position) -> MarginEngine:
        """The engine of the portfolio after `legs`, reusing this one's cached scenario totals."""
        portfolio = self.portfolio
        for leg in legs:
            portfolio = portfolio.with_position(leg)
        engine = MarginEngine(portfolio, self.market, self.config)
        book = self.scenario_book
        engine.__dict__["scenario_book"] = book.with_legs(*(book.leg(p) for p in legs))
        if "greeks" in self.__dict__:  # carried forward too: Greeks are sums over positions
            engine.__dict__["greeks"] = _added(self.greeks, greeks_totals(compile_book(
                Portfolio().with_positions(*legs), self.market)))
        return engine


def _added(totals: tuple[GreeksTotal, ...], more: tuple[GreeksTotal, ...]
           ) -> tuple[GreeksTotal, ...]:
    """Per-underlying Greeks totals summed (sorted by underlying, as `greeks_totals` gives)."""
    summed = {t.underlying: t for t in totals}
    for t in more:
        old = summed.get(t.underlying)
        summed[t.underlying] = t if old is None else GreeksTotal(
            t.underlying, t.index, old.delta + t.delta, old.gamma + t.gamma, old.vega + t.vega,
            old.theta + t.theta, old.rho + t.rho)
    return tuple(summed[name] for name in sorted(summed))
