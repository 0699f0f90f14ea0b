"""simex's custody on each devnet chain: keys, the deposit watcher, withdrawals and sweeps.

Keys. One 32-byte custody seed per simex process (random, or `SIMEX_CUSTODY_SEED` in hex to
keep addresses across restarts) derives every key: the hot wallet of each chain and one
deposit key per account. The seed and keys live only in this process: no repr, log or error
shows them (`CustodyKeys`, and the transaction manager's `LocalKeyTxSigner`).

Deposit addresses. Like Binance on EVM networks, every account gets its own address (no memo),
the same on every chain; what arrives there is the account's. A memo on a shared hot wallet is
how exchanges serve chains without cheap accounts (XRP, BNB Beacon); on EVM chains a per-user
address needs no cooperation from the sender, so that is the real-world shape here.

The watcher (`ChainCustody.scan`, every poll interval) reads ERC-20 `Transfer` logs to deposit
addresses from its cursor to the head and records each as a pending deposit with its block hash.
It is reorg-safe in two ways: when the block it last scanned up to has a different hash now, it
rewinds `REWIND_BLOCKS` and rescans (a re-included transfer is seen again in its new block); and
before counting a pending deposit's confirmations it checks that the deposit's block is still
canonical, forgetting the deposit when it is not. A deposit is credited once it is `minConfirm`
blocks deep (its own block counts as one), then swept to the hot wallet: the hot wallet pays the
deposit address's gas, the deposit address sends everything it holds of the token.

Withdrawals go out from the hot wallet through the transaction manager (nonces, fees,
re-broadcast, reorgs, finality at `minConfirm`): a transfer that cannot be made (the simulation
reverts, the node refuses it, it reverts, is replaced or dropped) fails the withdrawal, which
refunds the account.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from eth_abi.abi import encode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from chain.txmanager import (
    BroadcastRejected,
    JsonRpc,
    LocalKeyTxSigner,
    SimulationReverted,
    TxManager,
    TxManagerConfig,
    TxOutcome,
    TxRequest,
    TxState,
)
from connectors.simex.capital import CapitalLedger, CoinNetwork, Deposit, Withdrawal
from connectors.simex.config import CapitalConfig, NetworkConfig

_log = logging.getLogger("crossbook.simex.custody")

TRANSFER_TOPIC = "0x" + keccak(text="Transfer(address,address,uint256)").hex()
REWIND_BLOCKS = 64  # how far back a detected reorg makes the watcher rescan
SEED_ENV = "SIMEX_CUSTODY_SEED"
_SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_TRANSFER = keccak(text="transfer(address,uint256)")[:4]
_BALANCE_OF = keccak(text="balanceOf(address)")[:4]
_MINT = keccak(text="mint(address,uint256)")[:4]
_WETH_DEPOSIT = keccak(text="deposit()")[:4]
_SWEEP_GAS = 100_000  # gas bought for one sweep transfer (an ERC-20 transfer needs < 65k)
_SEND_TIMEOUT_S = 3600.0


class CustodyKeys:
    """The custody seed and the keys derived from it; never shown."""

    __slots__ = ("_seed",)

    def __init__(self, seed: bytes) -> None:
        if len(seed) != 32:
            raise ValueError("the custody seed is 32 bytes")
        self._seed = seed

    @classmethod
    def from_environment(cls) -> CustodyKeys:
        """`SIMEX_CUSTODY_SEED` (64 hex digits) when set, else a fresh random seed."""
        given = os.environ.get(SEED_ENV)
        if given:
            try:
                return cls(bytes.fromhex(given.removeprefix("0x")))
            except ValueError:
                raise ValueError(f"{SEED_ENV} must be 64 hex digits") from None
        return cls(secrets.token_bytes(32))

    def _key(self, *label: str) -> bytes:
        material = self._seed + "/".join(label).encode()
        while True:  # a digest outside 1..n-1 is astronomically rare; hash again if it happens
            material = keccak(material)
            if 0 < int.from_bytes(material, "big") < _SECP256K1_N:
                return material

    def hot_wallet(self, chain_id: int) -> LocalKeyTxSigner:
        return LocalKeyTxSigner(self._key("hot", str(chain_id)))

    def deposit_key(self, api_key: str) -> LocalKeyTxSigner:
        return LocalKeyTxSigner(self._key("deposit", api_key))

    def __repr__(self) -> str:
        return "CustodyKeys(<hidden>)"


def _address_topic(address: str) -> str:
    return "0x" + bytes.fromhex(address[2:]).rjust(32, b"\0").hex()


def transfer_data(recipient: str, amount_raw: int) -> bytes:
    return _TRANSFER + encode(["address", "uint256"], [recipient, amount_raw])


class ChainCustody:
    """simex's wallets on one chain: the hot wallet, the deposit addresses and their watcher."""

    def __init__(self, chain: dict[str, Any], network: NetworkConfig, keys: CustodyKeys,
                 api_keys: Sequence[str], capital: CapitalConfig, store_dir: Path) -> None:
        self.chain = chain
        self.chain_id: int = chain["chain_id"]
        self.network = network
        self.capital = capital
        self.rpc = JsonRpc(chain["rpc_url"])
        self.hot = keys.hot_wallet(self.chain_id)
        self._keys = keys
        self.deposit_signers = {k: keys.deposit_key(k) for k in api_keys}
        self.owner_of = {s.address.lower(): k for k, s in self.deposit_signers.items()}
        assert network.min_confirm is not None
        self.min_confirm: int = network.min_confirm
        self.txm = TxManager(
            self.chain["rpc_url"], [self.hot, *self.deposit_signers.values()],
            TxManagerConfig(store_url=f"sqlite:///{store_dir / f'custody-{self.chain_id}.sqlite'}",
                            confirmations=self.min_confirm,
                            poll_interval_s=capital.poll_interval_ms / 1000,
                            stuck_after_s=30.0))
        self._start_block = 0
        self._cursor = 0
        self._tip: tuple[int, str] | None = None
        self._sweeps: asyncio.Lock = asyncio.Lock()

    def deposit_address(self, api_key: str) -> str:
        """The account's deposit address; an account added after start gets one too (it is
        watched and credited, though not swept: the transaction manager signs only for the
        accounts it started with)."""
        signer = self.deposit_signers.get(api_key)
        if signer is None:
            signer = self.deposit_signers[api_key] = self._keys.deposit_key(api_key)
            self.owner_of[signer.address.lower()] = api_key
        return signer.address

    async def start(self) -> None:
        await self.txm.open()
        self.txm.start()
        head = await self.rpc.block_number()
        # Transfers before this simex existed cannot be to its (fresh) deposit addresses.
        self._start_block = self._cursor = head + 1
        if self.capital.fund_hot_wallets and "deployer" in self.chain:
            await self._fund_hot_wallet()

    async def close(self) -> None:
        await self.txm.close()
        await self.rpc.close()

    # ---- funding the hot wallet from the devnet deployer ------------------------------------

    async def _fund_hot_wallet(self) -> None:
        deployer = self.chain["deployer"]
        gas_wei = int(self.capital.hot_wallet_gas_eth.scaleb(18))
        if gas_wei:
            await self._deployer_send({"from": deployer, "to": self.hot.address,
                                       "value": hex(gas_wei)})
        for coin, amount in sorted(self.capital.hot_wallet_float.items()):
            token = self.chain["tokens"].get(coin)
            if token is None or amount <= 0:
                continue
            raw = int(amount.scaleb(token["decimals"]))
            if coin == self.chain.get("wrapped_native"):
                await self._deployer_send({"from": deployer, "to": token["address"],
                                           "value": hex(raw), "data": "0x" + _WETH_DEPOSIT.hex()})
                data = transfer_data(self.hot.address, raw)
            else:
                data = _MINT + encode(["address", "uint256"], [self.hot.address, raw])
            await self._deployer_send({"from": deployer, "to": token["address"],
                                       "data": "0x" + data.hex()})

    async def _deployer_send(self, tx: dict[str, Any]) -> None:
        tx_hash = await self.rpc.request("eth_sendTransaction", [tx])
        for _ in range(300):
            receipt = await self.rpc.receipt(tx_hash)
            if receipt is not None:
                if int(receipt["status"], 16) != 1:
                    raise RuntimeError(f"funding the hot wallet on chain {self.chain_id}: "
                                       f"{tx_hash} reverted")
                return
            await asyncio.sleep(0.05)
        raise RuntimeError(f"funding transaction {tx_hash} not mined on chain {self.chain_id}")

    # ---- the deposit watcher -----------------------------------------------------------------

    async def scan(self, ledger: CapitalLedger) -> list[Deposit]:
        """One watcher pass: observe new transfers, drop reorged ones, credit deep ones."""
        head = await self.rpc.block_number()
        await self._detect_reorg(head)
        networks = ledger.by_token(self.chain_id)
        if self._cursor <= head and networks and self.owner_of:
            logs = await self.rpc.request("eth_getLogs", [{
                "fromBlock": hex(self._cursor), "toBlock": hex(head),
                "address": [n.token for n in networks.values()],
                "topics": [TRANSFER_TOPIC, None,
                           [_address_topic(a) for a in sorted(self.owner_of)]],
            }])
            for log in logs:
                self._observe(ledger, networks, log)
            tip_hash = await self.rpc.block_hash(head)
            if tip_hash is not None:
                self._tip = (head, tip_hash)
            self._cursor = head + 1
        return await self._settle_pending(ledger, head)

    async def _detect_reorg(self, head: int) -> None:
        if self._tip is None:
            return
        number, tip_hash = self._tip
        if number <= head and await self.rpc.block_hash(number) == tip_hash:
            return
        rewound = max(self._start_block, min(number, head) - REWIND_BLOCKS)
        _log.info("chain %s: block %s changed (reorg); rescanning from %s",
                  self.chain_id, number, rewound)
        self._cursor, self._tip = rewound, None

    def _observe(self, ledger: CapitalLedger, networks: dict[str, CoinNetwork],
                 log: dict[str, Any]) -> None:
        network = networks.get(str(log["address"]).lower())
        recipient = "0x" + str(log["topics"][2])[-40:]
        api_key = self.owner_of.get(recipient.lower())
        if network is None or api_key is None or log.get("removed"):
            return
        amount_raw = int(log["data"], 16)
        if amount_raw == 0:
            return
        ledger.observe_deposit(api_key, network, to_checksum_address(recipient),
                               str(log["transactionHash"]), int(log["logIndex"], 16),
                               int(log["blockNumber"], 16), str(log["blockHash"]), amount_raw)

    async def _settle_pending(self, ledger: CapitalLedger, head: int) -> list[Deposit]:
        credited = []
        network_ids = {n.network for n in ledger.by_token(self.chain_id).values()}
        for deposit in ledger.pending_deposits(network_ids):
            canonical = (await self.rpc.block_hash(deposit.block_number)
                         if deposit.block_number <= head else None)
            if canonical != deposit.block_hash:
                _log.info("chain %s: deposit %s left the chain (reorg); not credited",
                          self.chain_id, deposit.tx_hash)
                ledger.forget_deposit(deposit)
                self._cursor = min(self._cursor,
                                   max(self._start_block, deposit.block_number - REWIND_BLOCKS))
                continue
            deposit.confirmations = head - deposit.block_number + 1
            if deposit.confirmations >= self.min_confirm:
                ledger.credit_deposit(deposit)
                credited.append(deposit)
        return credited

    # ---- withdrawals -------------------------------------------------------------------------

    async def send_withdrawal(self, ledger: CapitalLedger, withdrawal: Withdrawal,
                              network: CoinNetwork) -> None:
        """Send `withdrawal` from the hot wallet and follow it to an outcome."""
        request = TxRequest(self.hot.address, to_checksum_address(network.token),
                            transfer_data(to_checksum_address(withdrawal.address),
                                          network.to_raw(withdrawal.amount)))
        tx_id = f"withdraw-{withdrawal.withdrawal_id}"
        try:
            tracked = await self.txm.submit(request, tx_id=tx_id)
        except SimulationReverted as error:
            ledger.fail_withdrawal(withdrawal, f"the transfer would revert: {error.reason}")
            return
        except BroadcastRejected as error:
            ledger.fail_withdrawal(withdrawal, f"the node refused the transfer: {error}")
            return
        version = tracked.record.latest_version
        ledger.sending(withdrawal, version.tx_hash if version else "")
        try:
            record = await tracked.wait(TxState.FINAL, timeout_s=_SEND_TIMEOUT_S)
        except TxOutcome as outcome:
            ledger.fail_withdrawal(withdrawal, f"the transfer ended {outcome.record.state}")
            return
        withdrawal.tx_hash = record.mined_hash or withdrawal.tx_hash
        ledger.complete_withdrawal(withdrawal, self.min_confirm)

    # ---- sweeps ------------------------------------------------------------------------------

    async def sweep(self, deposit: Deposit, network: CoinNetwork) -> None:
        """Move what the deposit's address holds of its token to the hot wallet."""
        async with self._sweeps:  # one at a time: two deposits to one address, one sweep
            signer = self.deposit_signers[deposit.api_key]
            if signer.address not in self.txm.senders:
                _log.info("deposit %s stays at its address: account added after start",
                          deposit.deposit_id)
                return
            token = to_checksum_address(network.token)
            held = int.from_bytes(await self.rpc.call(
                {"to": token, "data": "0x" + (_BALANCE_OF + encode(
                    ["address"], [signer.address])).hex()}, "latest"), "big")
            if held == 0:
                return
            fees = await self.txm.estimate_fees()
            need_wei = _SWEEP_GAS * fees.cost_cap_per_gas_wei
            balance_wei = int(await self.rpc.request(
                "eth_getBalance", [signer.address, "latest"]), 16)
            if balance_wei < need_wei:
                gas = await self.txm.submit(
                    TxRequest(self.hot.address, signer.address, value_wei=need_wei - balance_wei),
                    tx_id=f"sweep-gas-{self.chain_id}-{deposit.deposit_id}")
                await gas.wait(TxState.MINED, timeout_s=120)
            moved = await self.txm.submit(
                TxRequest(signer.address, token, transfer_data(self.hot.address, held),
                          gas_limit=_SWEEP_GAS),
                tx_id=f"sweep-{self.chain_id}-{deposit.deposit_id}")
            await moved.wait(TxState.MINED, timeout_s=120)

    async def token_balance(self, token: str, holder: str) -> int:
        raw = await self.rpc.call({"to": to_checksum_address(token), "data": "0x" + (
            _BALANCE_OF + encode(["address"], [holder])).hex()}, "latest")
        return int.from_bytes(raw, "big")


def networks_for(chain: dict[str, Any], network: NetworkConfig, capital: CapitalConfig,
                 coins: Iterable[str], first_chain: bool) -> list[CoinNetwork]:
    """The coins of `coins` that have a token on `chain`, as networks of that chain."""
    assert network.network is not None and network.min_confirm is not None
    assert network.block_time_s is not None
    result = []
    for coin in sorted(coins):
        token = chain["tokens"].get(coin)
        if token is None:
            continue
        result.append(CoinNetwork(
            coin=coin, network=network.network, chain_id=chain["chain_id"],
            token=to_checksum_address(token["address"]), decimals=token["decimals"],
            min_confirm=network.min_confirm, block_time_s=network.block_time_s,
            withdraw_fee=capital.withdraw_fee.get(coin, Decimal(0)),
            withdraw_min=capital.withdraw_min.get(coin, Decimal(0)),
            withdraw_max=capital.withdraw_max, is_default=first_chain))
    return result


async def cancel_all(tasks: Iterable[asyncio.Task[Any]]) -> None:
    pending = [t for t in tasks if not t.done()]
    for task in pending:
        task.cancel()
    for task in pending:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
