"""Multi-hop quotes (token A -> WETH -> token B): each hop's output is the next hop's input.

All hops are quoted at one block, so the path is consistent; a partial fill on any hop makes
the whole path partial.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from eth_typing import ChecksumAddress
from web3 import Web3

from connectors.amm.pool_quote import PoolQuote, quote_pool
from connectors.errors import InvalidQuoteRequest


@dataclass(frozen=True)
class PathQuote:
    """A quote through several pools: the hops in order and the end-to-end amounts."""

    hops: tuple[PoolQuote, ...]
    token_in: ChecksumAddress
    token_out: ChecksumAddress
    amount_in: int
    amount_out: int
    block: int
    partial: bool

    @property
    def avg_price(self) -> Decimal:
        """token_out per token_in in human units: the product of the hops' prices."""
        price = Decimal(1)
        for hop in self.hops:
            price *= hop.avg_price
        return price


def quote_path(
    w3: Web3, pools: list[str], token_in: str, amount_in: int | None = None,
    amount_out: int | None = None, block: int | None = None,
) -> PathQuote:
    """Quote along `pools`, entering the first with `token_in`; exact in or exact out."""
    if not pools:
        raise InvalidQuoteRequest("pools", "a path needs at least one pool")
    block = block if block is not None else w3.eth.block_number
    if amount_in is not None:
        hops = _forward(w3, pools, token_in, amount_in, block)
    elif amount_out is not None:
        hops = _backward(w3, pools, token_in, amount_out, block)
    else:
        raise InvalidQuoteRequest("amount", "give exactly one of amount_in and amount_out")
    return PathQuote(tuple(hops), hops[0].token_in, hops[-1].token_out, hops[0].amount_in,
                     hops[-1].amount_out, block, any(h.partial for h in hops))


def _forward(w3: Web3, pools: list[str], token: str, amount: int, block: int) -> list[PoolQuote]:
    hops: list[PoolQuote] = []
    for pool in pools:
        hop = quote_pool(w3, pool, token, amount_in=amount, block=block)
        hops.append(hop)
        token, amount = hop.token_out, hop.amount_out
    return hops


def _backward(w3: Web3, pools: list[str], token_in: str, amount: int,
              block: int) -> list[PoolQuote]:
    # The token entering each hop is known only going forward; find them first.
    entering = [Web3.to_checksum_address(token_in)]
    for pool in pools[:-1]:
        entering.append(quote_pool(w3, pool, entering[-1], amount_in=1, block=block).token_out)
    hops: list[PoolQuote] = []
    for pool, token in zip(reversed(pools), reversed(entering), strict=True):
        hop = quote_pool(w3, pool, token, amount_out=amount, block=block)
        hops.insert(0, hop)
        amount = hop.amount_in
    return hops
