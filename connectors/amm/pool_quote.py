"""Exact quotes for one Uniswap V2 pair or V3 pool on any RPC, from state read at one block.

The pool's kind is detected from the chain (V3 pools answer `fee()` through the lens, V2 pairs
`getReserves()`); state is read through PoolLens by state override, so nothing needs deploying.
An amount the pool cannot fill completely is quoted as far as it goes and flagged `partial`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from eth_typing import ChecksumAddress
from web3 import Web3

from chain.poolstate import PoolReadFailed, V2PairState, V3PoolState, read_pools
from connectors.amm.simulate import simulate
from connectors.errors import InvalidQuoteRequest

# 128 bitmap words each side: the whole tick range for spacings >= 60, +-327k ticks at 10.
QUOTE_WORDS_EACH_SIDE = 128
_ERC20_DECIMALS_ABI = [{"name": "decimals", "type": "function", "stateMutability": "view",
                        "inputs": [], "outputs": [{"name": "", "type": "uint8"}]}]


class PoolKind(StrEnum):
    UNISWAP_V2 = "uniswap_v2"
    UNISWAP_V3 = "uniswap_v3"


@dataclass(frozen=True)
class PoolQuote:
    """An exact quote: base-unit amounts, the block it is for, and whether it fills fully."""

    pool: ChecksumAddress
    kind: PoolKind
    token_in: ChecksumAddress
    token_out: ChecksumAddress
    amount_in: int
    amount_out: int
    avg_price: Decimal  # token_out per token_in, in human units
    ticks_crossed: int
    block: int
    partial: bool

    def to_json(self) -> dict[str, object]:
        return {
            "pool": self.pool, "kind": self.kind.value, "token_in": self.token_in,
            "token_out": self.token_out, "amount_in": self.amount_in,
            "amount_out": self.amount_out, "avg_price": str(self.avg_price),
            "ticks_crossed": self.ticks_crossed, "block": self.block, "partial": self.partial,
        }


def _read_pool(w3: Web3, pool: str, block: int | None) -> tuple[V2PairState | V3PoolState, int]:
    try:
        snapshot = read_pools(w3, [], [pool], QUOTE_WORDS_EACH_SIDE, block)
        return snapshot.v3[0], snapshot.block.number
    except PoolReadFailed:
        pass
    try:
        snapshot = read_pools(w3, [pool], [], block=block)
        return snapshot.v2[0], snapshot.block.number
    except PoolReadFailed as error:
        raise InvalidQuoteRequest("pool", f"{pool} is not a Uniswap V2 pair or V3 pool") from error


def _decimals(w3: Web3, token: str, block: int) -> int:
    contract = w3.eth.contract(address=Web3.to_checksum_address(token), abi=_ERC20_DECIMALS_ABI)
    decimals: int = contract.functions.decimals().call(block_identifier=block)
    return decimals


def quote_pool(
    w3: Web3,
    pool: str,
    token_in: str,
    amount_in: int | None = None,
    amount_out: int | None = None,
    block: int | None = None,
) -> PoolQuote:
    """Quote swapping `amount_in` of `token_in` (or buying `amount_out` of the other token)."""
    if (amount_in is None) == (amount_out is None):
        raise InvalidQuoteRequest("amount", "give exactly one of amount_in and amount_out")
    amount = amount_in if amount_in is not None else amount_out
    if amount is None or amount <= 0:
        raise InvalidQuoteRequest("amount", f"must be a positive integer of base units, "
                                            f"got {amount}")
    state, block_number = _read_pool(w3, pool, block)
    token_in = Web3.to_checksum_address(token_in)
    if token_in not in (state.token0, state.token1):
        raise InvalidQuoteRequest("token_in", f"{token_in} is not one of the pool's tokens "
                                              f"{state.token0}, {state.token1}")
    zero_for_one = token_in == state.token0
    token_out = state.token1 if zero_for_one else state.token0
    result = simulate(state, zero_for_one, amount, exact_in=amount_in is not None)
    paid_in, paid_out = result.amount_in, result.amount_out
    kind = PoolKind.UNISWAP_V3 if isinstance(state, V3PoolState) else PoolKind.UNISWAP_V2
    decimals_in = _decimals(w3, token_in, block_number)
    decimals_out = _decimals(w3, token_out, block_number)
    price = (Decimal(paid_out).scaleb(-decimals_out) / Decimal(paid_in).scaleb(-decimals_in)
             if paid_in else Decimal(0))
    return PoolQuote(Web3.to_checksum_address(pool), kind, token_in, token_out, paid_in, paid_out,
                     price, result.ticks_crossed, block_number, result.partial)
