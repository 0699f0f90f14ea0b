"""The treasury policy: what to watch, what each holding must hold, and the paths' parameters.

A TOML file, validated strictly (unknown keys are refused):

    max_seconds = 3600                      # no leg of a plan may take longer

    [assets.USDC]
    price = "1"                             # valuation currency per unit
    decimals = 6

    [[wallets]]                             # on-chain holders, read from every devnet chain
    name = "treasury-safe"
    address = "0x..."
    chains = [31337, 31338]                 # default: every chain of the devnet

    [[venues]]                              # exchange accounts, read through CexVenue.balances
    name = "simex"
    url = "http://127.0.0.1:8080"
    deposit_chains = [31338]                # chains it takes deposits on (and pays out on)
    deposit_seconds = 60
    withdrawal_seconds = 300
    withdrawal_fee = { USDC = "1" }         # asset units the venue keeps per withdrawal

    [[targets]]                             # what a holding must hold after a plan
    location = "simex"
    asset = "USDC"
    target = "50000"                        # what margin needs there
    buffer = "5000"                         # kept on top; below target + buffer it is short

    [gas]                                   # what an on-chain leg costs, in valuation currency
    gas_price_gwei = "20"
    native_price = "3000"
    bridge_fee_rate = "0"                   # our lock-and-mint bridge takes nothing
    bridge_seconds = 120
    transfer_gas = 65000                    # an ERC-20 transfer (a CEX deposit)
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from engine.errors import InvalidValue


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AssetPolicy(_Frozen):
    price: Decimal = Field(gt=0)
    decimals: int = Field(ge=0, le=36)


class WalletPolicy(_Frozen):
    name: str = Field(min_length=1)
    address: str = Field(pattern=r"^0x[0-9a-fA-F]{40}$")
    chains: list[int] | None = None


class VenuePolicy(_Frozen):
    name: str = Field(min_length=1)
    url: str = Field(pattern=r"^https?://")
    deposit_chains: list[int] = Field(default_factory=list)
    deposit_seconds: int = Field(default=60, ge=0)
    withdrawal_seconds: int = Field(default=300, ge=0)
    withdrawal_fee: dict[str, Decimal] = Field(default_factory=dict)
    withdrawal_cap: Decimal | None = Field(default=None, gt=0)


class TargetPolicy(_Frozen):
    location: str = Field(min_length=1)
    chain: int | None = None
    asset: str
    target: Decimal = Field(ge=0)
    buffer: Decimal = Field(default=Decimal(0), ge=0)

    @property
    def required(self) -> Decimal:
        return self.target + self.buffer


class GasPolicy(_Frozen):
    gas_price_gwei: Decimal = Field(default=Decimal(20), ge=0)
    native_price: Decimal = Field(default=Decimal(3000), ge=0)
    bridge_fee_rate: Decimal = Field(default=Decimal(0), ge=0, lt=1)
    bridge_seconds: int = Field(default=120, ge=0)
    transfer_gas: int = Field(default=65_000, ge=0)

    def cost_of(self, gas: int) -> Decimal:
        """Valuation-currency cost of `gas` units at the policy's gas and native prices."""
        return Decimal(gas) * self.gas_price_gwei * Decimal("1e-9") * self.native_price


class TreasuryPolicy(_Frozen):
    max_seconds: int | None = Field(default=None, gt=0)
    assets: dict[str, AssetPolicy] = Field(min_length=1)
    wallets: list[WalletPolicy] = Field(default_factory=list)
    venues: list[VenuePolicy] = Field(default_factory=list)
    targets: list[TargetPolicy] = Field(default_factory=list)
    gas: GasPolicy = GasPolicy()

    @model_validator(mode="after")
    def _known_names(self) -> TreasuryPolicy:
        locations = [w.name for w in self.wallets] + [v.name for v in self.venues]
        if len(set(locations)) != len(locations):
            raise ValueError("wallet and venue names must be distinct")
        for target in self.targets:
            if target.asset not in self.assets:
                raise ValueError(f"target for {target.location} uses unknown asset "
                                 f"{target.asset}")
            if target.location not in locations:
                raise ValueError(f"target names unknown location {target.location}")
        return self


def load_policy(path: Path) -> TreasuryPolicy:
    """Read and validate a policy file; `InvalidValue` naming the file and the rule if bad."""
    try:
        with path.open("rb") as handle:
            return TreasuryPolicy.model_validate(tomllib.load(handle))
    except (OSError, tomllib.TOMLDecodeError, ValidationError) as error:
        raise InvalidValue(f"policy {path}", str(error)) from error
