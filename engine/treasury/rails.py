"""Each policy venue's deposit and withdrawal rail, over the venue connector's capital client.

A venue speaking Binance's capital endpoints (simex does) gives, per network, the deposit address,
withdrawals carrying our transfer id as the client withdrawal id (`withdrawOrderId`, which makes
a repeated request answer the first withdrawal) and both histories, which are the source of
truth after a restart (`connectors.cex.CapitalClient`, through the real ccxt client). A devnet
chain is the network the venue policy names for it (`networks`), by default simex's
`DEVNET<chain id>`.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from connectors.cex import CexVenueConfig
from connectors.cex.capital import CapitalClient, DepositState, WithdrawalState
from connectors.cex.rail import devnet_rail_chains
from connectors.errors import TerminalVenueError, VenueError
from connectors.simex import DEFAULT_API_KEY, DEFAULT_API_SECRET, binance_ccxt_urls
from engine.errors import TerminalError
from engine.treasury.paths import exchange_rail_paths
from engine.treasury.planner import Holding, Path
from engine.treasury.policy import TreasuryPolicy, VenuePolicy
from engine.treasury.rebalance import ExchangeMove, VenueRail

_DEPOSIT = {DepositState.PENDING: "pending", DepositState.CREDITED: "ok",
            DepositState.REJECTED: "failed"}
_WITHDRAWAL = {WithdrawalState.PENDING: "pending", WithdrawalState.SENT: "pending",
               WithdrawalState.COMPLETED: "ok", WithdrawalState.FAILED: "failed"}


class WithdrawalRefused(TerminalError):
    """The venue refused a withdrawal request; nothing was paid out."""

    def __init__(self, venue: str, detail: str) -> None:
        self.venue = venue
        super().__init__(f"venue {venue} refused the withdrawal: {detail}")


class VenueCapitalRail:
    """A venue's capital endpoints as the treasury executor's `VenueRail`."""

    def __init__(self, venue: VenuePolicy, client: CapitalClient) -> None:
        self.venue = venue
        self.client = client
        self._addresses: dict[tuple[str, int], str] = {}

    async def close(self) -> None:
        await self.client.close()

    def network(self, chain_id: int) -> str:
        return self.venue.networks.get(chain_id, f"DEVNET{chain_id}")

    async def deposit_address(self, asset: str, chain_id: int) -> str:
        key = (asset, chain_id)
        if key not in self._addresses:
            answer = await self.client.deposit_address(asset, self.network(chain_id))
            self._addresses[key] = answer.address
        return self._addresses[key]

    async def deposit_by_tx(self, asset: str, tx_hash: str) -> ExchangeMove | None:
        for deposit in await self.client.deposits(asset):
            if deposit.tx_hash.lower() == tx_hash.lower():
                return ExchangeMove(deposit.deposit_id, _DEPOSIT[deposit.state], tx_hash)
        return None

    async def withdraw(self, asset: str, amount: Decimal, address: str, chain_id: int,
                       client_id: str) -> str:
        try:
            return await self.client.withdraw(asset, self.network(chain_id), address, amount,
                                              client_id)
        except TerminalVenueError as refused:  # the venue said no (not a network fault)
            raise WithdrawalRefused(self.venue.name, str(refused)) from refused

    async def withdrawal_by_client_id(self, asset: str, client_id: str
                                      ) -> ExchangeMove | None:
        for withdrawal in await self.client.withdrawals(asset, withdraw_order_id=client_id):
            if withdrawal.withdraw_order_id == client_id:
                return ExchangeMove(withdrawal.withdrawal_id, _WITHDRAWAL[withdrawal.state],
                                    withdrawal.tx_hash)
        return None


async def venue_rails(policy: TreasuryPolicy, chains: Sequence[dict[str, Any]],
                      api_key: str = DEFAULT_API_KEY, api_secret: str = DEFAULT_API_SECRET,
                      ) -> tuple[dict[str, VenueRail], list[str]]:
    """The rails of the policy venues that take deposits, and every deposit address on their
    deposit chains (the signer policy allows token transfers to these only)."""
    rails: dict[str, VenueRail] = {}
    addresses: list[str] = []
    chain_ids = {c["chain_id"] for c in chains}
    for venue in policy.venues:
        if not venue.deposit_chains:
            continue
        rail = VenueCapitalRail(venue, CapitalClient(CexVenueConfig(
            venue.name, api_key, api_secret, urls=binance_ccxt_urls(venue.url))))
        rails[venue.name] = rail
        for chain_id in venue.deposit_chains:
            if chain_id not in chain_ids:
                continue
            for asset in policy.assets:
                try:
                    addresses.append(await rail.deposit_address(asset, chain_id))
                except TerminalVenueError:
                    continue  # the venue takes no deposits of this asset there
    return rails, addresses


async def venue_rail_paths(policy: TreasuryPolicy, manifest: dict[str, Any],
                           rails: dict[str, VenueRail], holdings: set[Holding]) -> list[Path]:
    """Deposit and withdrawal paths priced by each venue's own terms (its fees, minimums and
    confirmations, from its capital endpoints) on the chains the policy lets it take deposits
    on. A venue that does not answer them keeps the policy's terms."""
    paths: list[Path] = []
    for name, rail in sorted(rails.items()):
        if not isinstance(rail, VenueCapitalRail):
            continue
        try:
            terms = await rail.client.terms()
        except VenueError:
            continue
        chains = [c for c in devnet_rail_chains(manifest, rail.venue.networks)
                  if c.chain_id in rail.venue.deposit_chains]
        paths += exchange_rail_paths(name, chains, terms, holdings, policy.gas)
    return paths


async def close_rails(rails: dict[str, VenueRail]) -> None:
    for rail in rails.values():
        if isinstance(rail, VenueCapitalRail):
            await rail.close()
