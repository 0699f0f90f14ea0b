"""Each policy venue's deposit and withdrawal rail, over the real ccxt client.

A venue speaking Binance's capital endpoints (simex does) gives, per network, the deposit address
(`GET /sapi/v1/capital/deposit/address`), withdrawals carrying our transfer id as the client
withdrawal id (`withdrawOrderId`, which makes a repeated request answer the first withdrawal)
and both histories, which are the source of truth after a restart. A devnet chain is the network
the venue policy names for it (`networks`), by default simex's `DEVNET<chain id>`.

ccxt returns floats; every amount here is built from the venue's raw string fields (`info`).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import ccxt.async_support as ccxt_async

from connectors.simex import DEFAULT_API_KEY, DEFAULT_API_SECRET, binance_ccxt_urls
from engine.errors import TerminalError
from engine.treasury.policy import TreasuryPolicy, VenuePolicy
from engine.treasury.rebalance import ExchangeMove, ExchangeRail

# Binance deposit status: 0 pending, 1 success, 2 rejected, 6 credited (cannot withdraw yet),
# 7 wrong deposit, 8 waiting user confirm. Withdrawal status: 0 email sent, 1 cancelled,
# 2 awaiting approval, 3 rejected, 4 processing, 5 failure, 6 completed.
_DEPOSIT_STATUS = {"0": "pending", "1": "ok", "2": "failed", "6": "ok", "7": "failed",
                   "8": "pending"}
_WITHDRAW_STATUS = {"0": "pending", "1": "failed", "2": "pending", "3": "failed",
                    "4": "pending", "5": "failed", "6": "ok"}


class WithdrawalRefused(TerminalError):
    """The venue refused a withdrawal request; nothing was paid out."""

    def __init__(self, venue: str, detail: str) -> None:
        self.venue = venue
        super().__init__(f"venue {venue} refused the withdrawal: {detail}")


class CcxtExchangeRail:
    """A venue's capital endpoints through `ccxt.binance` (pointed at simex on a devnet)."""

    def __init__(self, venue: VenuePolicy, api_key: str, api_secret: str) -> None:
        self.venue = venue
        self._client: Any = ccxt_async.binance({"apiKey": api_key, "secret": api_secret})
        self._client.urls["api"] = {**self._client.urls["api"], **binance_ccxt_urls(venue.url)}
        self._addresses: dict[tuple[str, int], str] = {}

    async def close(self) -> None:
        await self._client.close()

    def network(self, chain_id: int) -> str:
        return self.venue.networks.get(chain_id, f"DEVNET{chain_id}")

    async def deposit_address(self, asset: str, chain_id: int) -> str:
        key = (asset, chain_id)
        if key not in self._addresses:
            answer = await self._client.fetch_deposit_address(
                asset, {"network": self.network(chain_id)})
            self._addresses[key] = str(answer["address"])
        return self._addresses[key]

    async def deposit_by_tx(self, asset: str, tx_hash: str) -> ExchangeMove | None:
        for deposit in await self._client.fetch_deposits(asset):
            info = deposit["info"]
            if str(info.get("txId", "")).lower() == tx_hash.lower():
                return ExchangeMove(str(info.get("id", tx_hash)),
                                    _DEPOSIT_STATUS.get(str(info.get("status")), "pending"),
                                    tx_hash)
        return None

    async def withdraw(self, asset: str, amount: Decimal, address: str, chain_id: int,
                       client_id: str) -> str:
        # ccxt takes a float amount and formats it to the currency's precision; the venue
        # parses the decimal string it sends.
        try:
            answer = await self._client.withdraw(asset, float(amount), address, params={
                "network": self.network(chain_id), "withdrawOrderId": client_id})
        except ccxt_async.ExchangeError as refused:  # the venue said no (not a network fault)
            raise WithdrawalRefused(self.venue.name, str(refused)) from refused
        return str(answer["id"])

    async def withdrawal_by_client_id(self, asset: str, client_id: str
                                      ) -> ExchangeMove | None:
        for withdrawal in await self._client.fetch_withdrawals(asset):
            info = withdrawal["info"]
            if info.get("withdrawOrderId") == client_id:
                return ExchangeMove(str(info["id"]),
                                    _WITHDRAW_STATUS.get(str(info.get("status")), "pending"),
                                    info.get("txId") or None)
        return None


async def venue_rails(policy: TreasuryPolicy, chains: Sequence[dict[str, Any]],
                      api_key: str = DEFAULT_API_KEY, api_secret: str = DEFAULT_API_SECRET,
                      ) -> tuple[dict[str, ExchangeRail], list[str]]:
    """The rails of the policy venues that take deposits, and every deposit address on their
    deposit chains (the signer policy allows token transfers to these only)."""
    rails: dict[str, ExchangeRail] = {}
    addresses: list[str] = []
    chain_ids = {c["chain_id"] for c in chains}
    for venue in policy.venues:
        if not venue.deposit_chains:
            continue
        rail = CcxtExchangeRail(venue, api_key, api_secret)
        rails[venue.name] = rail
        for chain_id in venue.deposit_chains:
            if chain_id not in chain_ids:
                continue
            for asset in policy.assets:
                try:
                    addresses.append(await rail.deposit_address(asset, chain_id))
                except ccxt_async.BaseError:
                    continue  # the venue takes no deposits of this asset there
    return rails, addresses


async def close_rails(rails: dict[str, ExchangeRail]) -> None:
    for rail in rails.values():
        if isinstance(rail, CcxtExchangeRail):
            await rail.close()
