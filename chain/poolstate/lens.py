"""Read many pools' state in one `eth_call` through PoolLens, pinned to one block.

The lens is not deployed: its runtime code is injected at `LENS_ADDRESS` with an `eth_call`
state override, so this works against any RPC that supports overrides (anvil, forks, most
nodes). Every result carries the block number and hash it reflects, for caching and reorg checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_typing import ChecksumAddress
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import ContractLogicError, Web3Exception

from chain.compile import Artifact, load_artifact
from chain.errors import RpcUnreachable, TerminalChainError
from chain.uniswap.v3 import V3Pool

# An address no one controls: the first 20 bytes of keccak256("crossbook.pool-lens").
LENS_ADDRESS: ChecksumAddress = Web3.to_checksum_address(
    Web3.keccak(text="crossbook.pool-lens")[:20]
)
DEFAULT_WORDS_EACH_SIDE = 4


class PoolReadFailed(TerminalChainError):
    """The lens could not read a pool: not a pool of that kind, or the RPC refused overrides."""


@dataclass(frozen=True)
class BlockRef:
    """The block a piece of state reflects."""

    number: int
    hash: HexBytes


@dataclass(frozen=True)
class V2PairState:
    address: ChecksumAddress
    token0: ChecksumAddress
    token1: ChecksumAddress
    reserve0: int
    reserve1: int


@dataclass(frozen=True)
class V3PoolState:
    """A V3 pool's quoting state; `ticks` maps each initialized tick in the window to its
    liquidityNet, and the window is the bitmap words `word_low..word_high` inclusive."""

    address: ChecksumAddress
    token0: ChecksumAddress
    token1: ChecksumAddress
    fee: int
    tick_spacing: int
    sqrt_price_x96: int
    tick: int
    liquidity: int
    word_low: int
    word_high: int
    ticks: tuple[tuple[int, int], ...]


def to_v3_pool(state: V3PoolState) -> V3Pool:
    """The swap simulator's view of a pool read through the lens."""
    return V3Pool(
        sqrt_price_x96=state.sqrt_price_x96, tick=state.tick, liquidity=state.liquidity,
        fee_pips=state.fee, tick_spacing=state.tick_spacing, liquidity_net=dict(state.ticks),
        word_low=state.word_low, word_high=state.word_high,
    )


@dataclass(frozen=True)
class PoolSnapshot:
    """Every requested pool as of one block."""

    block: BlockRef
    v2: tuple[V2PairState, ...]
    v3: tuple[V3PoolState, ...]


@cache
def _lens_artifact() -> Artifact:
    # Once per process: load_artifact re-reads and re-hashes every source to validate its
    # cache, which is start-up work, not work for each pool read.
    return load_artifact("PoolLens")


def _lens(w3: Web3) -> Any:
    return w3.eth.contract(address=LENS_ADDRESS, abi=_lens_artifact().abi)


def _call(w3: Web3, function: Any, block: int) -> Any:
    override = {LENS_ADDRESS: {"code": HexBytes(_lens_artifact().deployed_bytecode)}}
    try:
        return function.call(block_identifier=block, state_override=override)
    except ContractLogicError as error:
        reason = _decode_custom_error(error.data) or str(error)
        raise PoolReadFailed(f"the lens could not read these pools: {reason}") from error
    except (Web3Exception, OSError) as error:
        raise RpcUnreachable(str(w3.provider), str(error)) from error


def _decode_custom_error(data: Any) -> str | None:
    """`Name(arg, ...)` for a revert carrying one of the lens's custom errors."""
    if not isinstance(data, str) or len(data) < 10:
        return None
    for entry in _lens_artifact().abi:
        if entry["type"] != "error":
            continue
        types = [parameter["type"] for parameter in entry["inputs"]]
        if Web3.keccak(text=f"{entry['name']}({','.join(types)})")[:4].hex() == data[2:10]:
            values = abi_decode(types, bytes.fromhex(data[10:]))
            return f"{entry['name']}({', '.join(str(v) for v in values)})"
    return None


def read_pools(
    w3: Web3,
    v2_pairs: list[str],
    v3_pools: list[str],
    words_each_side: int = DEFAULT_WORDS_EACH_SIDE,
    block: int | None = None,
) -> PoolSnapshot:
    """Read V2 pairs and V3 pools at one block (the latest unless given), two calls in all."""
    try:
        header = w3.eth.get_block(block if block is not None else "latest")
    except (Web3Exception, OSError) as error:
        raise RpcUnreachable(str(w3.provider), str(error)) from error
    ref = BlockRef(number=header["number"], hash=HexBytes(header["hash"]))
    lens = _lens(w3)
    v2 = _call(w3, lens.functions.v2States([Web3.to_checksum_address(a) for a in v2_pairs]),
               ref.number) if v2_pairs else []
    v3 = _call(w3, lens.functions.v3States([Web3.to_checksum_address(a) for a in v3_pools],
                                           words_each_side), ref.number) if v3_pools else []
    return PoolSnapshot(
        block=ref,
        v2=tuple(V2PairState(*row) for row in v2),
        v3=tuple(_v3_state(row) for row in v3),
    )


def _v3_state(row: Any) -> V3PoolState:
    (address, token0, token1, fee, spacing, sqrt_price_x96, tick, liquidity, word_low,
     word_high, ticks) = row
    return V3PoolState(address, token0, token1, fee, spacing, sqrt_price_x96, tick, liquidity,
                       word_low, word_high, tuple((index, net) for index, net in ticks))
