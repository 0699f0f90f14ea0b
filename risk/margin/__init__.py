"""The margin engine: positions from every balance sheet, Black-76 Greeks in Deribit's
conventions, Deribit-style scenario margin with additive per-instrument vectors, standard
per-venue margin and liquidation prices, VaR/ES, alerts and delta-hedge proposals."""

from risk.margin.alerts import (
    Alert,
    AlertKind,
    HedgeProposal,
    check_alerts,
    propose_delta_hedges,
)
from risk.margin.black76 import Greeks, black76, black76_price, implied_vol
from risk.margin.book import Book, GreeksTotal, compile_book, greeks_totals
from risk.margin.config import (
    AlertThresholds,
    HedgeConfig,
    HedgeInstrument,
    MarginEngineConfig,
    PerpTier,
    PortfolioMarginConfig,
    StandardMarginConfig,
    VarConfig,
)
from risk.margin.desk import MarginEngine
from risk.margin.portfolio_file import PortfolioFile, load_portfolio, parse_portfolio
from risk.margin.positions import (
    MarketData,
    OptionPosition,
    OptionRight,
    PerpetualPosition,
    Portfolio,
    Position,
    Side,
    SpotBalance,
    WalletBalance,
)
from risk.margin.scenarios import (
    LegScenario,
    PortfolioMargin,
    ScenarioBook,
    ScenarioGrid,
    UnderlyingMargin,
    scenario_grid,
)
from risk.margin.standard import (
    BreachMove,
    StandardMargin,
    breach_moves,
    liquidation_price,
    maintenance_amounts,
    perp_maintenance_margin,
    standard_margin,
)
from risk.margin.var import (
    VarMethod,
    VarResult,
    covariance_from_prices,
    historical_var,
    monte_carlo_var,
    parametric_var,
)

__all__ = [
    "Alert",
    "AlertKind",
    "AlertThresholds",
    "Book",
    "BreachMove",
    "Greeks",
    "GreeksTotal",
    "HedgeConfig",
    "HedgeInstrument",
    "HedgeProposal",
    "LegScenario",
    "MarginEngine",
    "MarginEngineConfig",
    "MarketData",
    "OptionPosition",
    "OptionRight",
    "PerpTier",
    "PerpetualPosition",
    "Portfolio",
    "PortfolioFile",
    "PortfolioMargin",
    "PortfolioMarginConfig",
    "Position",
    "ScenarioBook",
    "ScenarioGrid",
    "Side",
    "SpotBalance",
    "StandardMargin",
    "StandardMarginConfig",
    "UnderlyingMargin",
    "VarConfig",
    "VarMethod",
    "VarResult",
    "WalletBalance",
    "black76",
    "black76_price",
    "breach_moves",
    "check_alerts",
    "compile_book",
    "covariance_from_prices",
    "greeks_totals",
    "historical_var",
    "implied_vol",
    "liquidation_price",
    "load_portfolio",
    "maintenance_amounts",
    "monte_carlo_var",
    "parametric_var",
    "parse_portfolio",
    "perp_maintenance_margin",
    "propose_delta_hedges",
    "scenario_grid",
    "standard_margin",
]
