"""The lock-and-mint bridge's relayer: a process that watches every chain and completes transfers.

Run it as `python -m chain.bridge.relayer --config relayer.json`. Each round it scans every
chain's new blocks for `Locked` (on the locker) and `Burned` (on the minter) events, records them
with the advanced cursor in SQLite (`RelayerStore`), and completes each transfer whose source block
is `confirmations` deep: a lock becomes a `mint` on the destination's minter, a burn a `release`
on the destination's locker. Before minting it checks the lock's details hash on the source
locker, so a lock that vanished (a reorg) or a forged log is never minted.

Surviving a kill: the cursor and the transfers of a scan are one SQLite transaction; a transfer
is marked `submitted` before its transaction is sent; and on every attempt the relayer first asks
the destination contract whether the transfer was completed, while the contract itself refuses a
second mint or release of the same transfer id. A relayer killed at any instant and started
again therefore loses nothing and completes nothing twice.

Reorgs: every transfer keeps its event's block hash. Before completing one, the relayer checks
that this block is still the canonical block at its height; if not, the transfer is `reorged`
and never relayed from that block, and the chain's cursor is rewound to it, so an event
re-included in another block is seen again there and relayed once *that* block is
`confirmations` deep. Each round also checks that the last block it scanned is still canonical
and, if not, rescans the last `REORG_REWIND_BLOCKS`. A reorg deeper than `confirmations`, after
a transfer was completed, is beyond what any confirmation count protects against: choose
`confirmations` for the chain's finality.

Faults are injectable for tests: `release_delay_s` holds every transfer back after it is confirmed
(a slow relayer), and `--crash-at before-send|after-send` makes the process exit abruptly at that
point of its first completion (a crash, as SIGKILL would).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

from eth_abi.abi import encode
from eth_typing import ChecksumAddress
from pydantic import BaseModel, ConfigDict, Field
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import BlockNotFound, ContractLogicError, Web3Exception

from chain.bridge.deploy import bridge_abis
from chain.bridge.store import RelayedTransfer, RelayerStore, RelayStatus, TransferKind

_log = logging.getLogger("crossbook.bridge.relayer")
CRASH_EXIT_STATUS = 70
# At most this many blocks per eth_getLogs call, well under a node's range limit.
_SCAN_SPAN = 2_000
# How far back a scan restarts when the last block it scanned was reorganised away.
REORG_REWIND_BLOCKS = 64


class RelayerChain(BaseModel):
    """One chain the relayer serves."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    chain_id: int = Field(gt=0)
    rpc_url: str
    locker: str
    minter: str
    start_block: int = Field(default=0, ge=0)


class RelayerConfig(BaseModel):
    """What the relayer serves and how cautiously; loaded from a JSON file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    relayer: str  # the account that sends mints and releases (unlocked on a devnet)
    chains: list[RelayerChain] = Field(min_length=2)
    confirmations: int = Field(default=2, ge=1)
    poll_interval_s: float = Field(default=0.2, gt=0)
    release_delay_s: float = Field(default=0.0, ge=0)
    db_path: Path


def relayer_config_for(
    manifest: dict[str, Any], db_path: Path, confirmations: int = 2,
    release_delay_s: float = 0.0,
) -> RelayerConfig:
    """The relayer configuration for a multi-chain devnet manifest."""
    from chain.devnet import chain_manifests  # chain.devnet imports this package's deploy

    chains = chain_manifests(manifest)
    return RelayerConfig(
        relayer=chains[0]["bridge"]["relayer"],
        chains=[
            RelayerChain(chain_id=c["chain_id"], rpc_url=c["rpc_url"],
                         locker=c["bridge"]["locker"], minter=c["bridge"]["minter"])
            for c in chains
        ],
        confirmations=confirmations,
        release_delay_s=release_delay_s,
        db_path=db_path,
    )


def _block_hash(w3: Web3, number: int) -> str | None:
    """The canonical block's hash at `number`; None past the head (a reorg shortened it)."""
    try:
        block = w3.eth.get_block(number)
    except BlockNotFound:
        return None
    return None if block.get("hash") is None else Web3.to_hex(block["hash"])


class _ChainClient:
    def __init__(self, chain: RelayerChain, abis: dict[str, list[dict[str, Any]]]) -> None:
        self.chain = chain
        self.w3 = Web3(Web3.HTTPProvider(chain.rpc_url, request_kwargs={"timeout": 30}))
        self.locker: Contract = self.w3.eth.contract(
            address=Web3.to_checksum_address(chain.locker), abi=abis["BridgeLocker"])
        self.minter: Contract = self.w3.eth.contract(
            address=Web3.to_checksum_address(chain.minter), abi=abis["BridgeMinter"])


class Relayer:
    """One relayer over the configured chains; `run_round` is one scan-and-complete pass."""

    def __init__(self, config: RelayerConfig, crash_at: str | None = None) -> None:
        self.config = config
        self.crash_at = crash_at
        self.store = RelayerStore(config.db_path)
        abis = bridge_abis()
        self.chains = {c.chain_id: _ChainClient(c, abis) for c in config.chains}
        self.relayer: ChecksumAddress = Web3.to_checksum_address(config.relayer)

    def close(self) -> None:
        self.store.close()

    def run_round(self) -> None:
        heads = {chain_id: client.w3.eth.block_number for chain_id, client in self.chains.items()}
        for chain_id, client in self.chains.items():
            self._scan(client, heads[chain_id])
        for transfer in self.store.open_transfers():
            self._complete_if_due(transfer, heads[transfer.source_chain_id])

    def _scan(self, client: _ChainClient, head: int) -> None:
        chain_id = client.chain.chain_id
        start = self.store.next_block(chain_id, client.chain.start_block)
        last_hash = self.store.last_hash(chain_id)
        if last_hash is not None and start > 0 and _block_hash(client.w3, start - 1) != last_hash:
            rewound = max(client.chain.start_block, start - REORG_REWIND_BLOCKS)
            _log.warning("chain %s: block %d was reorganised away; rescanning from %d",
                         chain_id, start - 1, rewound)
            start = rewound
        while start <= head:
            end = min(head, start + _SCAN_SPAN - 1)
            transfers = self._locks(client, start, end) + self._burns(client, start, end)
            self.store.record_scan(chain_id, end + 1, transfers, _block_hash(client.w3, end))
            start = end + 1

    def _locks(self, client: _ChainClient, start: int, end: int) -> list[RelayedTransfer]:
        events = client.locker.events.Locked().get_logs(from_block=start, to_block=end)
        return [
            RelayedTransfer(
                transfer_id=Web3.to_hex(e["args"]["transferId"]), kind=TransferKind.LOCK,
                source_chain_id=client.chain.chain_id, source_block=e["blockNumber"],
                destination_chain_id=e["args"]["destinationChainId"],
                token=e["args"]["token"], sender=e["args"]["sender"],
                recipient=e["args"]["recipient"], amount_raw=e["args"]["amount"],
                status=RelayStatus.SEEN, seen_at_ns=time.time_ns(),
                source_block_hash=Web3.to_hex(e["blockHash"]),
            )
            for e in events
        ]

    def _burns(self, client: _ChainClient, start: int, end: int) -> list[RelayedTransfer]:
        events = client.minter.events.Burned().get_logs(from_block=start, to_block=end)
        return [
            RelayedTransfer(
                transfer_id=Web3.to_hex(e["args"]["transferId"]), kind=TransferKind.BURN,
                source_chain_id=client.chain.chain_id, source_block=e["blockNumber"],
                destination_chain_id=e["args"]["sourceChainId"],
                token=e["args"]["sourceToken"], sender=e["args"]["sender"],
                recipient=e["args"]["recipient"], amount_raw=e["args"]["amount"],
                status=RelayStatus.SEEN, seen_at_ns=time.time_ns(),
                source_block_hash=Web3.to_hex(e["blockHash"]),
            )
            for e in events
        ]

    def _complete_if_due(self, transfer: RelayedTransfer, source_head: int) -> None:
        depth = source_head - transfer.source_block + 1
        if depth < self.config.confirmations:
            return
        if time.time_ns() - transfer.seen_at_ns < self.config.release_delay_s * 1e9:
            return
        source = self.chains[transfer.source_chain_id]
        if (transfer.status is RelayStatus.SEEN and transfer.source_block_hash is not None
                and _block_hash(source.w3, transfer.source_block) != transfer.source_block_hash):
            self.store.set_status(transfer.transfer_id, RelayStatus.REORGED,
                                  detail=f"block {transfer.source_block} was reorganised away")
            self.store.rewind(transfer.source_chain_id, transfer.source_block)
            _log.warning("transfer %s: its block %d on chain %s was reorganised away; not "
                         "relayed", transfer.transfer_id, transfer.source_block,
                         transfer.source_chain_id)
            return
        destination = self.chains.get(transfer.destination_chain_id)
        if destination is None:
            self.store.set_status(transfer.transfer_id, RelayStatus.INVALID,
                                  detail=f"no chain {transfer.destination_chain_id} configured")
            return
        if self._completed(destination, transfer):
            self.store.set_status(transfer.transfer_id, RelayStatus.DONE)
            return
        if transfer.kind is TransferKind.LOCK and not self._lock_holds(transfer):
            self.store.set_status(transfer.transfer_id, RelayStatus.INVALID,
                                  detail="the source locker holds no such lock")
            return
        self.store.set_status(transfer.transfer_id, RelayStatus.SUBMITTED)
        self._maybe_crash("before-send")
        tx_hash = self._send(destination, transfer)
        self._maybe_crash("after-send")
        self.store.set_status(transfer.transfer_id, RelayStatus.DONE, tx_hash=tx_hash)
        _log.info("completed %s %s -> chain %s in %s", transfer.kind.value,
                  transfer.transfer_id, transfer.destination_chain_id, tx_hash)

    def _completed(self, destination: _ChainClient, transfer: RelayedTransfer) -> bool:
        transfer_id = bytes.fromhex(transfer.transfer_id[2:])
        if transfer.kind is TransferKind.LOCK:
            minted: bool = destination.minter.functions.isMinted(transfer_id).call()
            return minted
        released: bool = destination.locker.functions.isReleased(transfer_id).call()
        return released

    def _lock_holds(self, transfer: RelayedTransfer) -> bool:
        locker = self.chains[transfer.source_chain_id].locker
        expected = Web3.keccak(encode(
            ["address", "address", "address", "uint256", "uint256"],
            [transfer.token, transfer.sender, transfer.recipient, transfer.amount_raw,
             transfer.destination_chain_id],
        ))
        held: bytes = locker.functions.lockDetailsHash(
            bytes.fromhex(transfer.transfer_id[2:])).call()
        return bytes(held) == bytes(expected)

    def _send(self, destination: _ChainClient, transfer: RelayedTransfer) -> str:
        transfer_id = bytes.fromhex(transfer.transfer_id[2:])
        token = Web3.to_checksum_address(transfer.token)
        recipient = Web3.to_checksum_address(transfer.recipient)
        if transfer.kind is TransferKind.LOCK:
            call = destination.minter.functions.mint(
                transfer_id, transfer.source_chain_id, token, recipient, transfer.amount_raw)
        else:
            call = destination.locker.functions.release(
                transfer_id, token, recipient, transfer.amount_raw)
        tx_hash = call.transact({"from": self.relayer})
        receipt = destination.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60)
        if receipt["status"] != 1:
            raise ContractLogicError(f"relay of {transfer.transfer_id} reverted")
        return Web3.to_hex(tx_hash)

    def _maybe_crash(self, point: str) -> None:
        if self.crash_at == point:
            _log.warning("injected crash at %s", point)
            logging.shutdown()
            os._exit(CRASH_EXIT_STATUS)

    def run_forever(self) -> None:
        while True:
            try:
                self.run_round()
            except (Web3Exception, OSError, ValueError) as error:
                # A node that is briefly away or a reverted relay: log it and retry next round;
                # the store says exactly where to resume.
                _log.warning("round failed, retrying: %s", error)
            time.sleep(self.config.poll_interval_s)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Relay the Crossbook lock-and-mint bridge.")
    parser.add_argument("--config", type=Path, required=True, help="Relayer config (JSON).")
    parser.add_argument("--once", action="store_true", help="Run one round and exit.")
    parser.add_argument("--crash-at", choices=["before-send", "after-send"],
                        help="Fault injection: exit abruptly at this point of a completion.")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(message)s")
    config = RelayerConfig.model_validate_json(args.config.read_text())
    relayer = Relayer(config, crash_at=args.crash_at)
    try:
        if args.once:
            relayer.run_round()
        else:
            relayer.run_forever()
    except KeyboardInterrupt:
        pass
    finally:
        relayer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
