"""Routes for our SwapExecutor, and the fills its events report.

A route is the executor's `Route` struct: every leg starts with `token_in` and ends with
`token_out`; a leg is a path of hops (V2 pair or V3 pool) taken with exact input, or a single
hop with exact output. `swap_calls` makes the Safe's batch: approve the executor for at most
`max_amount_in`, execute, and set the allowance back to zero, so no allowance outlives the
transaction. The executor's `Swapped` events (one per pool) become `PoolFill`s.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from eth_typing import ChecksumAddress
from web3 import Web3
from web3.logs import DISCARD
from web3.types import TxReceipt

from chain.compile import load_artifact
from chain.wallet.multisend import Call
from chain.wallet.safe import WalletError

_ERC20_APPROVE = Web3.keccak(text="approve(address,uint256)")[:4]


class HopKind(IntEnum):
    UNISWAP_V2 = 0
    UNISWAP_V3 = 1


@dataclass(frozen=True, slots=True)
class Hop:
    kind: HopKind
    pool: ChecksumAddress


@dataclass(frozen=True, slots=True)
class Leg:
    hops: tuple[Hop, ...]
    exact_input: bool
    amount: int  # base units: the input if exact_input, else the output

    def __post_init__(self) -> None:
        if not self.hops:
            raise WalletError("a leg needs at least one hop")
        if not self.exact_input and len(self.hops) != 1:
            raise WalletError("an exact-output leg takes a single hop")
        if self.amount <= 0:
            raise WalletError(f"a leg's amount must be positive, got {self.amount}")


@dataclass(frozen=True, slots=True)
class Route:
    token_in: ChecksumAddress
    token_out: ChecksumAddress
    legs: tuple[Leg, ...]
    min_amount_out: int
    max_amount_in: int
    deadline: int

    def as_tuple(self) -> tuple[Any, ...]:
        legs = [([(int(h.kind), h.pool) for h in leg.hops], leg.exact_input, leg.amount)
                for leg in self.legs]
        return (self.token_in, self.token_out, legs, self.min_amount_out, self.max_amount_in,
                self.deadline)


@dataclass(frozen=True, slots=True)
class PoolFill:
    """What one pool took and paid in an executed route (from `Swapped`)."""

    leg: int
    pool: ChecksumAddress
    token_in: ChecksumAddress
    token_out: ChecksumAddress
    amount_in: int
    amount_out: int
    tx_hash: str
    log_index: int
    block: int


def executor_contract(w3: Web3, address: str) -> Any:
    return w3.eth.contract(address=Web3.to_checksum_address(address),
                           abi=load_artifact("SwapExecutor").abi)


def _approve(token: ChecksumAddress, spender: ChecksumAddress, amount: int) -> Call:
    data = _ERC20_APPROVE + bytes.fromhex(spender[2:]).rjust(32, b"\0") + amount.to_bytes(32, "big")
    return Call(to=token, data=data)


def swap_calls(w3: Web3, executor: ChecksumAddress, route: Route) -> list[Call]:
    """approve(executor, max_amount_in), execute(route), approve(executor, 0)."""
    contract = executor_contract(w3, executor)
    execute = bytes.fromhex(contract.encode_abi("execute", [route.as_tuple()])[2:])
    return [_approve(route.token_in, executor, route.max_amount_in),
            Call(to=executor, data=execute),
            _approve(route.token_in, executor, 0)]


def fills_from_receipt(w3: Web3, executor: str, receipt: TxReceipt) -> list[PoolFill]:
    """Every `Swapped` event of the executor in a receipt, in log order."""
    contract = executor_contract(w3, executor)
    events = contract.events.Swapped().process_receipt(receipt, errors=DISCARD)
    return [PoolFill(
        leg=e["args"]["leg"], pool=e["args"]["pool"], token_in=e["args"]["tokenIn"],
        token_out=e["args"]["tokenOut"], amount_in=e["args"]["amountIn"],
        amount_out=e["args"]["amountOut"], tx_hash=receipt["transactionHash"].hex(),
        log_index=e["logIndex"], block=receipt["blockNumber"],
    ) for e in events if e["address"] == contract.address]


def single_hop_legs(
    pools: Sequence[tuple[HopKind, str, int]], exact_input: bool,
) -> tuple[Leg, ...]:
    """Legs of a split across pools: (kind, pool, amount) each, one hop apiece."""
    return tuple(Leg((Hop(kind, Web3.to_checksum_address(pool)),), exact_input, amount)
                 for kind, pool, amount in pools)
