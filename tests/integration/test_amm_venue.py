"""AMM pool venues on a real anvil: exact against QuoterV2 and the pair itself, gas measured,
state stamped with its block and age, and the shared Venue conformance suite."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from web3 import Web3
from web3.exceptions import ContractLogicError

from chain.devnet import connect
from chain.uniswap.gas import GasModel, SwapKind, calldata_gas, measure_gas_model
from connectors.amm.venue import (
    AmmPoolVenue,
    AmmVenues,
    GasUnpriced,
    amm_venues_from_manifest,
    specs_from_manifest,
)
from connectors.errors import InvalidQuoteRequest
from connectors.venue import QtyBasis, Side, Venue

from cli import crossbook
from devnet_actions import router_swap
from venue_conformance import check_venue_conforms

pytestmark = pytest.mark.integration

SYMBOL = "WETH/USDC"


@pytest.fixture(scope="module")
def gas_model(devnet: dict[str, Any]) -> GasModel:
    """Measured once per module; measuring leaves the chain as it found it."""
    return measure_gas_model(connect(devnet["rpc_url"]), devnet)


def test_world_when_deployed_then_manifest_records_the_gas_model_measured_on_it(
    devnet: dict[str, Any], gas_model: GasModel,
) -> None:
    recorded = GasModel.from_json(devnet["gas_model"])
    # Same chain, same bytecode, same swaps: the measurement is reproducible to the unit.
    assert recorded == GasModel(gas_model.v2_base, gas_model.v3_base, gas_model.v3_per_tick)


@pytest.fixture
def venues(w3: Web3, devnet: dict[str, Any], gas_model: GasModel) -> Iterator[AmmVenues]:
    yield amm_venues_from_manifest(w3, devnet, gas_model)


def _quoter(w3: Web3, devnet: dict[str, Any]) -> Any:
    return w3.eth.contract(address=devnet["uniswap_v3"]["quoter_v2"],
                           abi=devnet["abis"]["QuoterV2"])


def _units(amount: Decimal, decimals: int) -> int:
    return int(amount.scaleb(decimals))


@pytest.mark.parametrize("side", list(Side))
@pytest.mark.parametrize("basis", list(QtyBasis))
@pytest.mark.parametrize("fee", [500, 3000])
def test_v3_venue_quote_when_any_side_and_basis_then_equals_quoter_v2(
    w3: Web3, devnet: dict[str, Any], venues: AmmVenues, side: Side, basis: QtyBasis, fee: int,
) -> None:
    venue = venues.by_name(f"uniswap_v3:{SYMBOL}:{fee}")
    # Large enough to cross initialized ticks on both pools.
    qty = Decimal("140") if basis is QtyBasis.BASE else Decimal("420000")
    quote = venue.quote_now(SYMBOL, side, qty, basis)
    weth, usdc = venue.spec.base, venue.spec.quote
    token_in, token_out = (usdc, weth) if side is Side.BUY else (weth, usdc)
    exact_in = (basis is QtyBasis.QUOTE) == (side is Side.BUY)
    specified = _units(qty, (usdc if basis is QtyBasis.QUOTE else weth).decimals)
    quoter = _quoter(w3, devnet).functions
    block = quote.stamp.block
    if exact_in:
        amount_out, *_ = quoter.quoteExactInputSingle(
            (token_in.address, token_out.address, specified, fee, 0)).call(
                block_identifier=block)
        amount_in = specified
    else:
        amount_in, *_ = quoter.quoteExactOutputSingle(
            (token_in.address, token_out.address, specified, fee, 0)).call(
                block_identifier=block)
        amount_out = specified
    base_raw, quote_raw = (amount_out, amount_in) if side is Side.BUY else (amount_in, amount_out)
    assert _units(quote.base_qty, weth.decimals) == base_raw
    assert _units(quote.quote_qty, usdc.decimals) == quote_raw
    assert "ticks_crossed=" in quote.detail and not quote.partial
    assert int(quote.detail.split("ticks_crossed=")[1].split()[0]) >= 1


def test_v2_venue_buy_when_pair_is_paid_the_quote_then_it_pays_out_exactly_that(
    w3: Web3, devnet: dict[str, Any], venues: AmmVenues,
) -> None:
    venue = venues.by_name(f"uniswap_v2:{SYMBOL}")
    quote = venue.quote_now(SYMBOL, Side.BUY, Decimal("7.5"))
    pair_info = devnet["uniswap_v2"]["pairs"][SYMBOL]
    pair = w3.eth.contract(address=pair_info["address"], abi=devnet["abis"]["UniswapV2Pair"])
    usdc = w3.eth.contract(address=venue.spec.quote.address, abi=devnet["abis"]["TestERC20"])
    trader = w3.eth.accounts[0]
    base_out = _units(quote.base_qty, 18)
    out0, out1 = ((base_out, 0) if pair_info["token0"] == venue.spec.base.address
                  else (0, base_out))
    usdc.functions.transfer(pair.address, _units(quote.quote_qty, 6) - 1).transact(
        {"from": trader})
    # One unit short of the quote: the pair refuses (the quote is the least it accepts) ...
    with pytest.raises(ContractLogicError, match="UniswapV2: K"):
        pair.functions.swap(out0, out1, trader, b"").call({"from": trader})
    usdc.functions.transfer(pair.address, 1).transact({"from": trader})
    # ... and with the quote paid in full it pays out exactly the base quoted.
    pair.functions.swap(out0, out1, trader, b"").transact({"from": trader})


def test_venue_gas_when_a_swap_crosses_ticks_then_model_predicts_its_gas_within_ten_percent(
    w3: Web3, devnet: dict[str, Any], venues: AmmVenues, gas_model: GasModel,
) -> None:
    assert gas_model.v3_per_tick > 10_000 and gas_model.v3_base > gas_model.v2_base > 40_000
    venue = venues.by_name(f"uniswap_v3:{SYMBOL}:3000")
    quote = venue.quote_now(SYMBOL, Side.SELL, Decimal("140"))
    crossed = int(quote.detail.split("ticks_crossed=")[1].split()[0])
    assert crossed >= 1
    block_before = w3.eth.block_number
    router_swap(w3, devnet, "WETH", "USDC", 3000, 140 * 10**18)
    receipt = w3.eth.get_block(w3.eth.block_number, full_transactions=True)
    assert receipt["number"] > block_before
    tx = receipt["transactions"][-1]
    used = w3.eth.get_transaction_receipt(tx["hash"])["gasUsed"]
    measured = used - 21_000 - calldata_gas(bytes(tx["input"]))
    predicted = gas_model.leg_gas(SwapKind.UNISWAP_V3, crossed)
    assert abs(predicted - measured) <= measured // 10, (predicted, measured)
    # The fixed cost is that gas at the chain's gas price, in USDC at the pool's ETH price.
    eth_in_usdc = venues.native_price(venue.spec.quote)
    assert Decimal(2900) < eth_in_usdc < Decimal(3100)
    expected = Decimal(predicted * venues.gas_price_wei) / Decimal(10**18) * eth_in_usdc
    assert quote.fixed_cost == expected and quote.fixed_cost > 0


def test_venue_state_when_chain_moves_then_quote_carries_new_block_and_age_grows(
    w3: Web3, devnet: dict[str, Any], venues: AmmVenues,
) -> None:
    venue = venues.by_name(f"uniswap_v3:{SYMBOL}:500")
    before = venue.quote_now(SYMBOL, Side.BUY, Decimal(5))
    assert before.stamp.block == w3.eth.block_number
    router_swap(w3, devnet, "USDC", "WETH", 500, 300_000 * 10**6)  # someone buys WETH
    stale = venue.quote_now(SYMBOL, Side.BUY, Decimal(5))
    assert stale.stamp == before.stamp and stale.quote_qty == before.quote_qty
    report = venues.refresh_now()
    assert venue.spec.address in report.reloaded
    after = venue.quote_now(SYMBOL, Side.BUY, Decimal(5))
    assert after.stamp.block == w3.eth.block_number > before.stamp.block
    assert after.quote_qty > before.quote_qty  # WETH got dearer
    assert after.stamp.observed_ns > before.stamp.observed_ns
    assert before.stamp.age_ns() >= after.stamp.age_ns()


def test_depth_when_larger_than_pool_then_curve_ends_at_partial_fill_and_matches_quotes(
    venues: AmmVenues,
) -> None:
    venue = venues.by_name("uniswap_v3:WBTC/USDC:3000")
    curve = venue.depth_now("WBTC/USDC", Side.BUY, Decimal(1_000), points=16)
    assert 1 < len(curve.points) <= 16
    whole = venue.quote_now("WBTC/USDC", Side.BUY, Decimal(1_000))
    assert whole.partial and curve.max_base == whole.base_qty < 1_000
    prices = [p.avg_price for p in curve.points]
    assert prices == sorted(prices)
    assert all(p.marginal_price >= p.avg_price for p in curve.points)
    middle = curve.points[len(curve.points) // 2]
    assert venue.quote_now("WBTC/USDC", Side.BUY, middle.base_qty).quote_qty == middle.quote_qty
    assert curve.stamp.block == whole.stamp.block


async def test_every_pool_venue_when_checked_then_conforms_to_the_venue_protocol(
    venues: AmmVenues,
) -> None:
    for venue in venues.venues:
        assert isinstance(venue, Venue)
        symbol = venue.spec.symbol
        sizes = ([Decimal("0.01"), Decimal("0.5"), Decimal(2)] if symbol.startswith("WBTC")
                 else [Decimal("0.1"), Decimal(10), Decimal(100)])
        await check_venue_conforms(venue, symbol, sizes)


def test_venue_when_quantity_finer_than_token_then_refused_naming_qty(
    venues: AmmVenues,
) -> None:
    venue = venues.by_name(f"uniswap_v3:{SYMBOL}:500")
    with pytest.raises(InvalidQuoteRequest, match="more decimal places") as refused:
        venue.quote_now(SYMBOL, Side.BUY, Decimal("100.0000001"), QtyBasis.QUOTE)
    assert refused.value.field == "qty"
    with pytest.raises(InvalidQuoteRequest) as refused:
        venue.depth_now(SYMBOL, Side.SELL, Decimal(10), points=0)
    assert refused.value.field == "points"


def test_venues_when_not_refreshed_then_quote_refused_naming_state(
    w3: Web3, devnet: dict[str, Any], gas_model: GasModel,
) -> None:
    specs, native = specs_from_manifest(devnet)
    fresh = AmmVenues(w3, specs, gas_model, native)
    with pytest.raises(InvalidQuoteRequest) as refused:
        fresh.venues[0].quote_now(fresh.venues[0].spec.symbol, Side.BUY, Decimal(1))
    assert refused.value.field == "state"


def test_venues_when_no_pool_prices_eth_in_quote_then_gas_unpriced(
    w3: Web3, devnet: dict[str, Any], gas_model: GasModel,
) -> None:
    specs, native = specs_from_manifest(devnet)
    wbtc_only = AmmVenues(w3, [s for s in specs if s.base.symbol == "WBTC"], gas_model, native)
    wbtc_only.refresh_now()
    venue: AmmPoolVenue = wbtc_only.venues[0]
    with pytest.raises(GasUnpriced, match="no pool prices WETH in USDC"):
        venue.quote_now("WBTC/USDC", Side.BUY, Decimal(1))


def test_quote_venues_cli_when_buying_then_every_pool_quoted_cheapest_all_in_first(
    devnet: dict[str, Any], venues: AmmVenues,
) -> None:
    result = crossbook("quote", "venues", "--symbol", SYMBOL, "--side", "buy", "--qty", "25",
                       "--state-dir", devnet["state_dir"], "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    quotes = document["quotes"]
    assert {q["venue"] for q in quotes} == {v.name for v in venues.for_symbol(SYMBOL)}
    all_in = [(Decimal(q["quote_qty"]) + Decimal(q["fixed_cost"])) / Decimal(q["base_qty"])
              for q in quotes]
    assert all_in == sorted(all_in)
    direct = venues.by_name(quotes[0]["venue"]).quote_now(SYMBOL, Side.BUY, Decimal(25))
    assert Decimal(quotes[0]["quote_qty"]) == direct.quote_qty
    assert quotes[0]["block"] == direct.stamp.block


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--symbol", "WETH/USDT", "--side", "buy", "--qty", "1"], 1, "no venue of the devnet"),
    (["--symbol", SYMBOL, "--side", "buy", "--qty", "1e-30"], 1, "more decimal places"),
    (["--symbol", SYMBOL, "--side", "buy", "--qty", "lots"], 2, "not a decimal number"),
    (["--symbol", SYMBOL, "--side", "hold", "--qty", "1"], 2, "hold"),
])
def test_quote_venues_cli_when_request_is_wrong_then_exit_code_and_message_say_why(
    devnet: dict[str, Any], args: list[str], code: int, message: str,
) -> None:
    result = crossbook("quote", "venues", *args, "--state-dir", devnet["state_dir"])
    assert result.returncode == code, result.stderr
    assert message in result.stderr
