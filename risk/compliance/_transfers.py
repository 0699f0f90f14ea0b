"""Transfers indexed from the chain, and the graph that exposure and typologies walk.

`TransferIndexer.sync` reads ERC-20 `Transfer` logs and top-level native-coin transfers from the
last indexed block to the head, in block ranges, and stores them; it resumes from its cursor, so
calling it again only reads new blocks. Native value moved by contracts (internal calls) is not
seen: that needs a tracing node (`debug_traceBlock`), which a desk's archive node can add later.

`TransferGraph` holds transfers in memory with per-address indexes; `exposure` is a breadth-first
walk from an address to the nearest listed address, `exposure_map` a multi-source walk from the
listed set that gives the hop distance of every address within reach.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select
from web3 import Web3
from web3.exceptions import Web3Exception

from risk.compliance._tables import (
    index_cursors,
    insert_ignoring_duplicates,
    transfers,
    upsert_cursor,
)
from risk.compliance.errors import ChainReadFailed

NATIVE = "native"
ZERO_ADDRESS = "0x" + "0" * 40
# keccak256("Transfer(address,address,uint256)"), the ERC-20 event (EIP-20).
TRANSFER_TOPIC = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
# Addresses with more counterparties than this are services (pools, exchanges, routers): the
# walk reports contact with them but does not pass through, or every trader would be "exposed".
DEFAULT_HUB_DEGREE = 1_000


@dataclass(frozen=True, slots=True)
class Transfer:
    """Value moved from one address to another (lowercase addresses, base units)."""

    block: int
    block_ts: int
    tx_hash: str
    log_index: int  # -1 for the native value of a transaction
    token: str  # lowercase token address, or "native"
    sender: str
    recipient: str
    amount_raw: int


@dataclass(frozen=True)
class ExposurePath:
    """The shortest way from an address to a listed one: hops and the addresses in between."""

    hops: int
    path: tuple[str, ...]  # from the screened address to the listed one, both included

    @property
    def listed(self) -> str:
        return self.path[-1]


@dataclass(frozen=True)
class IndexProgress:
    """What one `sync` read."""

    from_block: int
    to_block: int
    transfers: int


def _hex(value: Any) -> str:
    text: str = value.hex() if isinstance(value, bytes | bytearray) else str(value)
    return text if text.startswith("0x") else "0x" + text


def _topic_address(topic: Any) -> str:
    return "0x" + _hex(topic)[-40:].lower()


class TransferIndexer:
    """Reads transfers from a chain into the store, resuming where it stopped."""

    def __init__(self, w3: Web3, engine: Engine, tokens: Sequence[str] | None = None,
                 native: bool = True, chunk_blocks: int = 2_000) -> None:
        self.w3 = w3
        self._engine = engine
        self.tokens = sorted(Web3.to_checksum_address(t) for t in tokens) if tokens else None
        self.native = native
        self.chunk_blocks = chunk_blocks

    def _read(self, what: str, call: Any) -> Any:
        try:
            return call()
        except (Web3Exception, OSError, ValueError) as error:
            raise ChainReadFailed(what, str(error)) from error

    def cursor_name(self, chain_id: int) -> str:
        scope = ",".join(self.tokens) if self.tokens else "all-tokens"
        return f"transfers:{chain_id}:{scope}:native={int(self.native)}"

    def last_indexed_block(self, chain_id: int) -> int:
        """The last block this indexer has read (-1 before the first sync)."""
        return read_cursor(self._engine, self.cursor_name(chain_id))

    def sync(self, to_block: int | None = None) -> IndexProgress:
        """Index every block after the cursor up to `to_block` (default: the head)."""
        chain_id: int = self._read("chain id", lambda: self.w3.eth.chain_id)
        head: int = to_block if to_block is not None else self._read(
            "head block", lambda: self.w3.eth.block_number)
        start = self.last_indexed_block(chain_id) + 1
        count = 0
        for low in range(start, head + 1, self.chunk_blocks):
            high = min(low + self.chunk_blocks - 1, head)
            found = self._range(low, high)
            write_transfers(self._engine, chain_id, found)
            write_cursor(self._engine, self.cursor_name(chain_id), high)
            count += len(found)
        return IndexProgress(start, head, count)

    def _range(self, low: int, high: int) -> list[Transfer]:
        params: dict[str, Any] = {"fromBlock": low, "toBlock": high, "topics": [TRANSFER_TOPIC]}
        if self.tokens:
            params["address"] = self.tokens
        logs = self._read(f"logs {low}-{high}", lambda: self.w3.eth.get_logs(params))  # type: ignore[arg-type]
        timestamps: dict[int, int] = {}
        found: list[Transfer] = []
        if self.native:
            for number in range(low, high + 1):
                block = self._read(f"block {number}", lambda n=number: self.w3.eth.get_block(
                    n, full_transactions=True))
                timestamps[number] = int(block["timestamp"])
                found += _native_transfers(block)
        for log in logs:
            if len(log["topics"]) != 3:
                continue  # ERC-721 uses the same event with the token id indexed: not value
            number = int(log["blockNumber"])
            if number not in timestamps:
                block = self._read(f"block {number}", lambda n=number: self.w3.eth.get_block(n))
                timestamps[number] = int(block["timestamp"])
            found.append(Transfer(
                block=number, block_ts=timestamps[number], tx_hash=_hex(log["transactionHash"]),
                log_index=int(log["logIndex"]), token=str(log["address"]).lower(),
                sender=_topic_address(log["topics"][1]),
                recipient=_topic_address(log["topics"][2]),
                amount_raw=int(_hex(log["data"]), 16) if _hex(log["data"]) != "0x" else 0))
        return found


def _native_transfers(block: Any) -> list[Transfer]:
    found = []
    for tx in block["transactions"]:
        if tx["value"] and tx.get("to"):
            found.append(Transfer(
                block=int(block["number"]), block_ts=int(block["timestamp"]),
                tx_hash=_hex(tx["hash"]), log_index=-1, token=NATIVE,
                sender=str(tx["from"]).lower(), recipient=str(tx["to"]).lower(),
                amount_raw=int(tx["value"])))
    return found


def read_cursor(engine: Engine, name: str) -> int:
    """The last block an indexer named `name` has read (-1 when it never ran)."""
    with engine.connect() as connection:
        value = connection.execute(
            select(index_cursors.c.last_block).where(index_cursors.c.name == name)).scalar()
    return -1 if value is None else int(value)


def write_cursor(engine: Engine, name: str, block: int) -> None:
    """Move the cursor of `name` to `block`."""
    with engine.begin() as connection:
        connection.execute(upsert_cursor(engine, name, block))


def write_transfers(engine: Engine, chain_id: int, found: Sequence[Transfer]) -> None:
    """Store transfers; ones already stored (same transaction and log index) are skipped."""
    if not found:
        return
    rows = [{"chain_id": chain_id, "block": t.block, "block_ts": t.block_ts,
             "tx_hash": t.tx_hash, "log_index": t.log_index, "token": t.token,
             "sender": t.sender, "recipient": t.recipient, "amount_raw": str(t.amount_raw)}
            for t in found]
    with engine.begin() as connection:
        connection.execute(insert_ignoring_duplicates(engine, transfers), rows)


def read_transfers(engine: Engine, after_id: int = 0) -> list[tuple[int, Transfer]]:
    """Stored transfers with their row ids, after `after_id`, in row order."""
    query = select(transfers).where(transfers.c.id > after_id).order_by(transfers.c.id)
    with engine.connect() as connection:
        return [(row.id, Transfer(row.block, row.block_ts, row.tx_hash, row.log_index, row.token,
                                  row.sender, row.recipient, int(row.amount_raw)))
                for row in connection.execute(query)]


class TransferGraph:
    """Transfers in memory, indexed by sender and recipient."""

    def __init__(self, hub_degree: int = DEFAULT_HUB_DEGREE,
                 hubs: Iterable[str] = ()) -> None:
        self.hub_degree = hub_degree
        self.hubs = frozenset(a.lower() for a in hubs) | {ZERO_ADDRESS}
        self._outgoing: defaultdict[str, list[Transfer]] = defaultdict(list)
        self._incoming: defaultdict[str, list[Transfer]] = defaultdict(list)
        self._neighbors: defaultdict[str, set[str]] = defaultdict(set)
        self.count = 0

    def add(self, transfer: Transfer) -> None:
        if transfer.sender == transfer.recipient:
            return
        self._outgoing[transfer.sender].append(transfer)
        self._incoming[transfer.recipient].append(transfer)
        self._neighbors[transfer.sender].add(transfer.recipient)
        self._neighbors[transfer.recipient].add(transfer.sender)
        self.count += 1

    def extend(self, found: Iterable[Transfer]) -> None:
        for transfer in found:
            self.add(transfer)

    def outgoing(self, address: str) -> list[Transfer]:
        return self._outgoing.get(address, [])

    def incoming(self, address: str) -> list[Transfer]:
        return self._incoming.get(address, [])

    def neighbors(self, address: str) -> set[str]:
        return self._neighbors.get(address, set())

    def _passable(self, address: str) -> bool:
        return address not in self.hubs and len(self.neighbors(address)) <= self.hub_degree

    def exposure(self, address: str, listed: frozenset[str], max_hops: int) -> ExposurePath | None:
        """The shortest path of at most `max_hops` transfers from `address` to a listed one."""
        parent: dict[str, str] = {address: address}
        frontier = deque([(address, 0)])
        while frontier:
            node, hops = frontier.popleft()
            if hops == max_hops or (node != address and not self._passable(node)):
                continue
            for neighbor in sorted(self.neighbors(node)):
                if neighbor in parent or neighbor == ZERO_ADDRESS:
                    continue
                parent[neighbor] = node
                if neighbor in listed:
                    return ExposurePath(hops + 1, self._path(parent, neighbor))
                frontier.append((neighbor, hops + 1))
        return None

    @staticmethod
    def _path(parent: dict[str, str], end: str) -> tuple[str, ...]:
        path = [end]
        while parent[path[-1]] != path[-1]:
            path.append(parent[path[-1]])
        return tuple(reversed(path))

    def exposure_map(self, listed: frozenset[str], max_hops: int) -> dict[str, int]:
        """Hop distance to the nearest listed address, for every address within `max_hops`."""
        distance = {address: 0 for address in listed}
        frontier = deque(listed)
        while frontier:
            node = frontier.popleft()
            hops = distance[node]
            if hops == max_hops or (hops > 0 and not self._passable(node)):
                continue
            for neighbor in self.neighbors(node):
                if neighbor not in distance and neighbor != ZERO_ADDRESS:
                    distance[neighbor] = hops + 1
                    frontier.append(neighbor)
        return distance
