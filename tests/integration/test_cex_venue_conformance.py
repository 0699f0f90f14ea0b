"""The CEX venue over ccxt against simex passes the same Venue conformance suite as the AMM
pool venues (tests/venue_conformance.py), in both dialects: Binance's own API and ccxt's
unified API."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import pytest

from connectors.cex import CexVenue, CexVenueConfig
from connectors.simex import DEFAULT_API_KEY, DEFAULT_API_SECRET
from connectors.simex.makers import SymbolMaker

from venue_conformance import check_venue_conforms

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("dialect", ["binance", "ccxt"])
async def test_cex_venue_on_simex_when_checked_then_conforms_to_the_venue_protocol(
    simex: Any, dialect: str,
) -> None:
    maker = simex.engine.add_account("conformance-maker", "x", {})
    SymbolMaker(simex, simex.config.symbols[0], maker, random.Random(1)).requote()
    config = CexVenueConfig("simex", DEFAULT_API_KEY, DEFAULT_API_SECRET,
                            urls=simex.ccxt_urls(), dialect=dialect)
    async with CexVenue(config) as venue:
        await check_venue_conforms(venue, "WETH/USDC", [Decimal("0.5"), Decimal(2),
                                                        Decimal(10), Decimal(30)])
