"""Decoding a pool's Swap event data into the base that changed hands (the tape is read from a
real devnet in tests/integration/test_vwap_venue_volume.py)."""

from __future__ import annotations

from connectors.amm import PoolKind
from connectors.amm.tape import V2_SWAP, V3_SWAP, base_delta_raw


def words(*values: int) -> bytes:
    return b"".join(v.to_bytes(32, "big", signed=True) for v in values)


def test_v2_swap_when_base_is_either_token_then_its_in_or_out_amount() -> None:
    # amount0In, amount1In, amount0Out, amount1Out: token0 paid in, token1 paid out
    data = words(5 * 10**17, 0, 0, 1_500 * 10**6)
    assert base_delta_raw(PoolKind.UNISWAP_V2, data, base_is_token0=True) == 5 * 10**17
    assert base_delta_raw(PoolKind.UNISWAP_V2, data, base_is_token0=False) == 1_500 * 10**6


def test_v3_swap_when_amounts_are_signed_then_base_is_the_absolute_delta() -> None:
    # amount0 (pool received, +), amount1 (pool paid, -), sqrtPriceX96, liquidity, tick
    data = words(7 * 10**17, -2_100 * 10**6, 2**96, 10**18, -200)
    assert base_delta_raw(PoolKind.UNISWAP_V3, data, base_is_token0=True) == 7 * 10**17
    assert base_delta_raw(PoolKind.UNISWAP_V3, data, base_is_token0=False) == 2_100 * 10**6


def test_swap_topics_are_the_uniswap_event_signatures() -> None:
    # keccak256 of the canonical signatures, as in Uniswap's v2-core / v3-core event logs
    assert V2_SWAP.hex().removeprefix("0x") == \
        "d78ad95fa46c994b6551d0da85fc275fe613ce37657fb8d5e3d130840159d822"
    assert V3_SWAP.hex().removeprefix("0x") == \
        "c42079f94a6350d7e6235f29174924f928cc2ac818eb64fed8004e115fbcca67"
