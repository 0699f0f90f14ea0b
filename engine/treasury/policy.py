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
    addresses = { 31338 = "0x..." }         # where it lives on a chain, if not at `address`
    safe = true                             # a Safe: legs from it are Safe transactions

    [[venues]]                              # exchange accounts, read through CexVenue.balances
    name = "simex"
    url = "http://127.0.0.1:8080"
    deposit_chains = [31338]                # chains it takes deposits on (and pays out on)
    deposit_seconds = 60
    withdrawal_seconds = 300
    withdrawal_fee = { USDC = "1" }         # asset units the venue keeps per withdrawal
    networks = { 31338 = "DEVNET31338" }    # its network name per chain (default DEVNET<id>)
    [venues.collateral]                     # its need from the margin engine (see [margin])
    asset = "USDC"                          # the collateral asset the venue margins in
    buffer = "1.5"                          # need = margin requirement x buffer
    alert_below = "1.2"                     # alert when held < requirement x alert_below
    auto_top_up = false                     # true: `treasury topup` executes, not proposes

    [[targets]]                             # what a holding must hold after a plan
    location = "simex"
    asset = "USDC"
    target = "50000"                        # what margin needs there
    buffer = "5000"                         # kept on top; below target + buffer it is short

    [margin]                                # the margin engine's view of the venues
    portfolio = "desk.toml"                 # a risk portfolio file (relative to this file);
    method = "portfolio"                    # its positions' `venue` names policy venues;
    level = "initial"                       # "portfolio"|"standard", "initial"|"maintenance"

    [execution]                             # how `treasury rebalance --execute` signs and sends
    sender = "0x..."                        # the account that submits Safe transactions
    keystores = ["owner-0.json"]            # Safe owners' keystores (relative to this file)
    password_env = "CROSSBOOK_TREASURY_PASSWORD"  # the keystores' password: env only
    caps = { USDC = "100000" }              # the signer policy's cap per transaction
    arrival_timeout_s = 600
    poll_s = "0.5"

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
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from engine.errors import InvalidValue


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AssetPolicy(_Frozen):
    price: Decimal = Field(gt=0)
    decimals: int = Field(ge=0, le=36)


_ADDRESS = r"^0x[0-9a-fA-F]{40}$"


class WalletPolicy(_Frozen):
    name: str = Field(min_length=1)
    address: str = Field(pattern=_ADDRESS)
    chains: list[int] | None = None
    addresses: dict[int, Annotated[str, Field(pattern=_ADDRESS)]] = Field(default_factory=dict)
    safe: bool = False

    def address_on(self, chain_id: int) -> str:
        """The wallet's address on `chain_id` (a Safe's address differs per chain)."""
        return self.addresses.get(chain_id, self.address)

    def lives_on(self, chain_id: int) -> bool:
        return self.chains is None or chain_id in self.chains


class CollateralPolicy(_Frozen):
    asset: str
    buffer: Decimal = Field(default=Decimal("1.5"), ge=1)
    alert_below: Decimal = Field(default=Decimal("1.2"), ge=0)
    auto_top_up: bool = False

    @model_validator(mode="after")
    def _alert_under_buffer(self) -> CollateralPolicy:
        if self.alert_below > self.buffer:
            raise ValueError("collateral alert_below must not exceed buffer: a top-up to the "
                             "buffer would still be alerting")
        return self


class VenuePolicy(_Frozen):
    name: str = Field(min_length=1)
    url: str = Field(pattern=r"^https?://")
    deposit_chains: list[int] = Field(default_factory=list)
    deposit_seconds: int = Field(default=60, ge=0)
    withdrawal_seconds: int = Field(default=300, ge=0)
    withdrawal_fee: dict[str, Decimal] = Field(default_factory=dict)
    withdrawal_cap: Decimal | None = Field(default=None, gt=0)
    collateral: CollateralPolicy | None = None
    networks: dict[int, str] = Field(default_factory=dict)  # chain id -> venue network name


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


class MarginPolicy(_Frozen):
    portfolio: Path
    method: Literal["portfolio", "standard"] = "portfolio"
    level: Literal["initial", "maintenance"] = "initial"


class ExecutionPolicy(_Frozen):
    sender: str = Field(pattern=_ADDRESS)
    keystores: list[Path] = Field(default_factory=list)
    password_env: str = "CROSSBOOK_TREASURY_PASSWORD"
    caps: dict[str, Decimal] = Field(default_factory=dict)
    arrival_timeout_s: float = Field(default=600, gt=0)
    poll_s: Decimal = Field(default=Decimal("0.5"), gt=0)


class TreasuryPolicy(_Frozen):
    max_seconds: int | None = Field(default=None, gt=0)
    assets: dict[str, AssetPolicy] = Field(min_length=1)
    wallets: list[WalletPolicy] = Field(default_factory=list)
    venues: list[VenuePolicy] = Field(default_factory=list)
    targets: list[TargetPolicy] = Field(default_factory=list)
    gas: GasPolicy = GasPolicy()
    margin: MarginPolicy | None = None
    execution: ExecutionPolicy | None = None

    def wallet(self, name: str) -> WalletPolicy | None:
        return next((w for w in self.wallets if w.name == name), None)

    def venue(self, name: str) -> VenuePolicy | None:
        return next((v for v in self.venues if v.name == name), None)

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
        for venue in self.venues:
            if venue.collateral is not None and venue.collateral.asset not in self.assets:
                raise ValueError(f"venue {venue.name} collateral uses unknown asset "
                                 f"{venue.collateral.asset}")
        if self.margin is None and any(v.collateral for v in self.venues):
            raise ValueError("venues name collateral but the policy has no [margin] section")
        return self

    def relative_to(self, directory: Path) -> TreasuryPolicy:
        """This policy with its file paths (portfolio, keystores) resolved from `directory`."""
        margin = self.margin and self.margin.model_copy(
            update={"portfolio": directory / self.margin.portfolio})
        execution = self.execution and self.execution.model_copy(
            update={"keystores": [directory / k for k in self.execution.keystores]})
        return self.model_copy(update={"margin": margin, "execution": execution})


def load_policy(path: Path) -> TreasuryPolicy:
    """Read and validate a policy file; `InvalidValue` naming the file and the rule if bad."""
    try:
        with path.open("rb") as handle:
            policy = TreasuryPolicy.model_validate(tomllib.load(handle))
    except (OSError, tomllib.TOMLDecodeError, ValidationError) as error:
        raise InvalidValue(f"policy {path}", str(error)) from error
    return policy.relative_to(path.parent)
