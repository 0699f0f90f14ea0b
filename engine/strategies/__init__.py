"""Options strategies: packages built and validated, priced before sending (premium, Greeks,
margin before and after), and sent as one leg group, optionally delta-hedged on another venue.

    listing = Listing(await board.listing("BTC"), now_ns)
    condor = iron_condor("BTC", "27DEC26", strikes, Decimal(1), listing)
    preview = await price_package(condor, board, account, now_ns)
    report = await send(engine, "condor-1", leg_group_params(preview, DeribitSymbols()))
"""

from engine.strategies._board import OptionBoard, OptionTicker, StaticBoard
from engine.strategies._builders import (
    LegRole,
    Listing,
    Strategy,
    StrategyKind,
    StrategyLeg,
    build,
    calendar,
    iron_condor,
    risk_reversal,
    straddle,
    strangle,
    vertical,
)
from engine.strategies._errors import InvalidStrategy, NotListed, UnmappedUnderlying
from engine.strategies._execution import (
    DeribitSymbols,
    OptionSymbolGate,
    SymbolMap,
    leg_group_params,
    limit_price,
    send,
)
from engine.strategies._hedge import (
    HedgeAsset,
    HedgeAssets,
    delta_hedged,
    package_delta,
    perpetual,
    spot,
)
from engine.strategies._names import (
    days_to_expiry,
    deribit_name,
    format_expiry,
    from_deribit_name,
    option,
    parse_expiry,
)
from engine.strategies._pricing import (
    LegGreeks,
    LegQuote,
    MarginSummary,
    PackagePreview,
    option_greeks,
    option_position,
    price_package,
)

__all__ = [
    "DeribitSymbols",
    "HedgeAsset",
    "HedgeAssets",
    "InvalidStrategy",
    "LegGreeks",
    "LegQuote",
    "LegRole",
    "Listing",
    "MarginSummary",
    "NotListed",
    "OptionBoard",
    "OptionSymbolGate",
    "OptionTicker",
    "PackagePreview",
    "StaticBoard",
    "Strategy",
    "StrategyKind",
    "StrategyLeg",
    "SymbolMap",
    "UnmappedUnderlying",
    "build",
    "calendar",
    "days_to_expiry",
    "delta_hedged",
    "deribit_name",
    "format_expiry",
    "from_deribit_name",
    "iron_condor",
    "leg_group_params",
    "limit_price",
    "option",
    "option_greeks",
    "option_position",
    "package_delta",
    "parse_expiry",
    "perpetual",
    "price_package",
    "risk_reversal",
    "send",
    "spot",
    "straddle",
    "strangle",
    "vertical",
]
