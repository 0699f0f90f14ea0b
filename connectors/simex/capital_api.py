"""simex's capital desk: Binance's /sapi/v1/capital endpoints over the ledger and the custody.

    GET  /sapi/v1/capital/config/getall        coins and their networks (fees, minimums,
                                               minConfirm, deposit/withdraw enabled)
    GET  /sapi/v1/capital/deposit/address      coin, network -> address, coin, tag, url
    POST /sapi/v1/capital/withdraw/apply       coin, network, address, amount, withdrawOrderId
                                               -> {"id"}
    GET  /sapi/v1/capital/deposit/hisrec       deposits, newest first
    GET  /sapi/v1/capital/withdraw/history     withdrawals, newest first

All are signed (USER_DATA) exactly like the spot account endpoints. Started without a devnet
manifest, simex lists its coins with no networks, so deposits and withdrawals are refused
(-4001); with one (`SimexServer(devnet_manifest=...)`, `crossbook simex up --devnet-manifest`),
every chain of the manifest is a network with a funded hot wallet and a deposit watcher.
Balance changes reach user-data streams as `outboundAccountPosition`, as trades do.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from chain.errors import ChainError
from chain.txmanager import RpcError
from connectors.simex import errors as e
from connectors.simex.capital import CapitalLedger, CoinNetwork, Deposit, Withdrawal
from connectors.simex.capital_chain import ChainCustody, CustodyKeys, cancel_all, networks_for
from connectors.simex.config import SimexConfig
from connectors.simex.matching import Account, EngineOutput

_log = logging.getLogger("crossbook.simex.capital")

Signed = Callable[[web.Request], Awaitable[tuple[Account, dict[str, str]]]]


def _chains(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    first = {k: v for k, v in manifest.items() if k != "chains"}
    return [first, *manifest.get("chains", [])]


class CapitalDesk:
    """Deposits and withdrawals of one simex."""

    def __init__(self, config: SimexConfig, accounts: dict[str, Account], signed: Signed,
                 publish: Callable[[EngineOutput], None], now_ms: Callable[[], int],
                 devnet_manifest: dict[str, Any] | None = None) -> None:
        self.config = config
        self.capital = config.capital
        self._signed = signed
        self._publish = publish
        self.manifest = devnet_manifest
        self.custodies: dict[str, ChainCustody] = {}  # by network id
        coins = {a for s in config.symbols for a in (s.base, s.quote)} | {
            asset for a in config.accounts for asset in a.balances}
        networks: list[CoinNetwork] = []
        if devnet_manifest is not None:
            for index, chain in enumerate(_chains(devnet_manifest)):
                network = self.capital.network_of(chain["chain_id"])
                networks += networks_for(chain, network, self.capital, coins, index == 0)
        self.ledger = CapitalLedger(accounts, coins, networks, now_ms)
        self._tasks: list[asyncio.Task[None]] = []
        self._store: tempfile.TemporaryDirectory[str] | None = None

    def register(self, app: web.Application) -> None:
        get, post = app.router.add_get, app.router.add_post
        get("/sapi/v1/capital/config/getall", self._config_getall)
        get("/sapi/v1/capital/deposit/address", self._deposit_address)
        post("/sapi/v1/capital/withdraw/apply", self._withdraw_apply)
        get("/sapi/v1/capital/deposit/hisrec", self._deposit_history)
        get("/sapi/v1/capital/withdraw/history", self._withdraw_history)

    # ---- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        if self.manifest is None:
            return
        keys = CustodyKeys.from_environment()
        self._store = tempfile.TemporaryDirectory(prefix="simex-custody-")
        api_keys = [a.api_key for a in self.config.accounts]
        for chain in _chains(self.manifest):
            network = self.capital.network_of(chain["chain_id"])
            custody = ChainCustody(chain, network, keys, api_keys, self.capital,
                                   Path(self._store.name))
            await custody.start()
            assert network.network is not None
            self.custodies[network.network] = custody
        self._tasks.append(asyncio.create_task(self._watch(), name="simex-deposit-watcher"))

    async def stop(self) -> None:
        await cancel_all(self._tasks)
        self._tasks = []
        for custody in self.custodies.values():
            await custody.close()
        self.custodies = {}
        if self._store is not None:
            self._store.cleanup()
            self._store = None

    def hot_wallets(self) -> dict[str, str]:
        """Each network's hot wallet address (public)."""
        return {n: c.hot.address for n, c in self.custodies.items()}

    def deposit_address(self, api_key: str, network: str) -> str:
        return self.custodies[network].deposit_address(api_key)

    async def _watch(self) -> None:
        interval = self.capital.poll_interval_ms / 1000
        while True:
            for custody in list(self.custodies.values()):
                try:
                    for deposit in await custody.scan(self.ledger):
                        self._credited(custody, deposit)
                except (ChainError, RpcError) as error:  # the node is away: next round
                    _log.warning("deposit watcher on chain %s: %s", custody.chain_id, error)
                except Exception:  # an odd answer must not stop the watcher for good
                    _log.exception("deposit watcher on chain %s failed a round",
                                   custody.chain_id)
            await asyncio.sleep(interval)

    def _credited(self, custody: ChainCustody, deposit: Deposit) -> None:
        account = self.ledger.accounts[deposit.api_key]
        self._publish(EngineOutput(accounts={account.api_key: account}))
        if self.capital.sweep:
            network = self.ledger.network_for(deposit.coin, deposit.network)
            self._spawn(self._sweep(custody, deposit, network), f"sweep-{deposit.deposit_id}")

    async def _sweep(self, custody: ChainCustody, deposit: Deposit,
                     network: CoinNetwork) -> None:
        try:
            await custody.sweep(deposit, network)
        except (ChainError, RpcError, TimeoutError) as error:
            _log.warning("sweep of deposit %s on chain %s failed: %s", deposit.deposit_id,
                         custody.chain_id, error)

    async def _send(self, custody: ChainCustody, withdrawal: Withdrawal,
                    network: CoinNetwork) -> None:
        try:
            await custody.send_withdrawal(self.ledger, withdrawal, network)
        except (ChainError, RpcError) as error:
            # Not sent for sure (submit failed before the node took it): fail and refund.
            if withdrawal.tx_hash is None:
                self.ledger.fail_withdrawal(withdrawal, f"the transfer was not sent: {error}")
            _log.warning("withdrawal %s: %s", withdrawal.withdrawal_id, error)
        account = self.ledger.accounts[withdrawal.api_key]
        self._publish(EngineOutput(accounts={account.api_key: account}))

    def _spawn(self, work: Awaitable[None], name: str) -> None:
        async def run() -> None:
            await work

        self._tasks = [t for t in self._tasks if not t.done()]
        self._tasks.append(asyncio.create_task(run(), name=name))

    # ---- endpoints ----------------------------------------------------------------------------

    async def _config_getall(self, request: web.Request) -> web.Response:
        account, _ = await self._signed(request)
        return web.json_response(self.ledger.coins_json(account))

    async def _deposit_address(self, request: web.Request) -> web.Response:
        account, params = await self._signed(request)
        coin = params.get("coin")
        if not coin:
            raise e.mandatory("coin")
        network = self.ledger.network_for(coin, params.get("network"))
        address = self.deposit_address(account.api_key, network.network)
        return web.json_response({"address": address, "coin": coin, "tag": "",
                                  "url": network.explorer + address})

    async def _withdraw_apply(self, request: web.Request) -> web.Response:
        account, params = await self._signed(request)
        parsed = self.ledger.parse_withdraw(params)
        withdrawal, new = self.ledger.apply_withdrawal(account, parsed)
        if new:
            self._publish(EngineOutput(accounts={account.api_key: account}))
            custody = self.custodies[parsed.network.network]
            self._spawn(self._send(custody, withdrawal, parsed.network),
                        f"withdraw-{withdrawal.withdrawal_id}")
        return web.json_response({"id": withdrawal.withdrawal_id})

    async def _deposit_history(self, request: web.Request) -> web.Response:
        account, params = await self._signed(request)
        return web.json_response(self.ledger.deposit_history(account.api_key, params))

    async def _withdraw_history(self, request: web.Request) -> web.Response:
        account, params = await self._signed(request)
        return web.json_response(self.ledger.withdraw_history(account.api_key, params))
