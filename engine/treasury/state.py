"""Treasury state: balances per (location, chain, asset), read from the chains and the venues,
and the bridge transfers still in flight.

On chain, each policy wallet's ERC-20 balances are read on every devnet chain it lives on; a
bridged token (the wrapped form the lock-and-mint bridge mints) counts as the asset it stands
for, since it is redeemable one to one. On a venue, the account's free plus locked balance is
read through `CexVenue.balances` (the real ccxt client). In-flight transfers come from the
relayer's store: locked or burnt on the source chain, not yet completed on the destination.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from web3 import Web3

from chain.bridge import RelayerStore
from chain.devnet import chain_manifests, connect
from connectors.cex import CexVenue, CexVenueConfig
from connectors.simex import DEFAULT_API_KEY, DEFAULT_API_SECRET, binance_ccxt_urls
from engine.treasury.planner import Holding
from engine.treasury.policy import TreasuryPolicy

_ERC20_BALANCE_ABI: list[dict[str, Any]] = [{
    "type": "function", "name": "balanceOf", "stateMutability": "view",
    "inputs": [{"name": "account", "type": "address"}],
    "outputs": [{"name": "", "type": "uint256"}],
}]


@dataclass(frozen=True)
class InFlight:
    """A bridge transfer not yet completed: `amount` will arrive at `destination`."""

    transfer_id: str
    source_chain_id: int
    destination: Holding
    amount: Decimal
    status: str


@dataclass(frozen=True)
class TreasuryState:
    """Every holding's balance and the transfers on their way."""

    balances: dict[Holding, Decimal]
    in_flight: tuple[InFlight, ...] = ()

    def arriving(self, holding: Holding) -> Decimal:
        return sum((t.amount for t in self.in_flight if t.destination == holding), Decimal(0))


def asset_tokens(chain: dict[str, Any], asset: str) -> list[str]:
    """The token addresses on one chain that count as `asset`: the original and bridged ones."""
    tokens = [chain["tokens"][asset]["address"]] if asset in chain["tokens"] else []
    for wrapped in chain.get("bridge", {}).get("wrapped", {}).values():
        if asset in wrapped:
            tokens.append(wrapped[asset])
    return tokens


def read_chain_balances(manifest: dict[str, Any], policy: TreasuryPolicy
                        ) -> dict[Holding, Decimal]:
    """Each policy wallet's balance of each policy asset on each of its devnet chains."""
    balances: dict[Holding, Decimal] = {}
    for chain in chain_manifests(manifest):
        w3 = connect(chain["rpc_url"])
        for wallet in policy.wallets:
            if not wallet.lives_on(chain["chain_id"]):
                continue
            holder = Web3.to_checksum_address(wallet.address_on(chain["chain_id"]))
            for asset, spec in policy.assets.items():
                raw = sum(_balance_raw(w3, token, holder) for token in asset_tokens(chain, asset))
                holding = Holding(wallet.name, chain["chain_id"], asset)
                balances[holding] = Decimal(raw).scaleb(-spec.decimals)
    return balances


def _balance_raw(w3: Web3, token: str, holder: str) -> int:
    contract = w3.eth.contract(address=Web3.to_checksum_address(token), abi=_ERC20_BALANCE_ABI)
    raw: int = contract.functions.balanceOf(holder).call()
    return raw


async def read_venue_balances(policy: TreasuryPolicy, api_key: str = DEFAULT_API_KEY,
                              api_secret: str = DEFAULT_API_SECRET) -> dict[Holding, Decimal]:
    """Each policy venue's free plus locked balance of each policy asset."""
    async def one(name: str, url: str) -> dict[Holding, Decimal]:
        venue = CexVenue(CexVenueConfig(name, api_key, api_secret,
                                        urls=binance_ccxt_urls(url)))
        try:
            held = await venue.balances()
        finally:
            await venue.close()
        return {
            Holding(name, None, asset): (held[asset].free + held[asset].locked
                                         if asset in held else Decimal(0))
            for asset in policy.assets
        }

    results = await asyncio.gather(*(one(v.name, v.url) for v in policy.venues))
    return {holding: amount for result in results for holding, amount in result.items()}


def read_in_flight(manifest: dict[str, Any], policy: TreasuryPolicy,
                   relayer_dbs: Iterable[Path]) -> tuple[InFlight, ...]:
    """Open relayer transfers to a policy wallet, valued in the asset they deliver."""
    wallets = {a.lower(): w.name for w in policy.wallets
               for a in (w.address, *w.addresses.values())}
    symbols: dict[tuple[int, str], str] = {}
    for chain in chain_manifests(manifest):
        for symbol, token in chain["tokens"].items():
            symbols[(chain["chain_id"], token["address"].lower())] = symbol
    flights = []
    for db in relayer_dbs:
        store = RelayerStore(db)
        try:
            open_transfers = store.open_transfers()
        finally:
            store.close()
        for t in open_transfers:
            name = wallets.get(t.recipient.lower())
            # The store keeps the source-side token: an original for a lock, the origin
            # token for a burn; either way its symbol on its home chain names the asset.
            asset = symbols.get((t.source_chain_id, t.token.lower())) or symbols.get(
                (t.destination_chain_id, t.token.lower()))
            if name is None or asset is None or asset not in policy.assets:
                continue
            amount = Decimal(t.amount_raw).scaleb(-policy.assets[asset].decimals)
            flights.append(InFlight(t.transfer_id, t.source_chain_id,
                                    Holding(name, t.destination_chain_id, asset), amount,
                                    t.status.value))
    return tuple(flights)
