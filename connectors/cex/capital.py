"""A typed client for an exchange's deposits and withdrawals, over ccxt's unified methods.

`CapitalClient` asks through `fetch_deposit_withdraw_fees` (the networks' terms),
`fetch_deposit_address`, `withdraw`, `fetch_deposits` and `fetch_withdrawals` and builds every
amount from the venue's raw string fields (`info`), never from ccxt's floats. Binance's numbered
statuses (Wallet > Capital docs) map onto two small enums here, in one table each:

    deposit     0 pending, 6 credited but locked, 8 waiting user -> PENDING;
                1 success -> CREDITED; 2 rejected, 7 wrong deposit -> REJECTED
    withdrawal  0 email sent, 2 awaiting approval, 4 processing -> PENDING (SENT once a txId
                is known); 6 completed -> COMPLETED; 1 cancelled, 3 rejected, 5 failure -> FAILED

Errors: the venue's refusals become `VenueRejected` with Binance's code (-4026 insufficient,
-4022 below minimum, ...); network trouble becomes `VenueUnavailable`, and a withdrawal whose
answer was lost is resolved by asking again with the same `withdrawOrderId` (the venue treats a
replay as the same withdrawal).
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

import ccxt.async_support as ccxt_async

from connectors.cex.config import CexVenueConfig
from connectors.cex.errors import VenueRejected, VenueUnavailable, venue_error

T = TypeVar("T")


class DepositState(enum.Enum):
    PENDING = "pending"
    CREDITED = "credited"
    REJECTED = "rejected"


class WithdrawalState(enum.Enum):
    PENDING = "pending"  # accepted, not yet on chain
    SENT = "sent"  # on chain (txId known), not yet completed by the venue
    COMPLETED = "completed"
    FAILED = "failed"  # cancelled, rejected or failed: the venue gives the debit back


DEPOSIT_STATES = {0: DepositState.PENDING, 6: DepositState.PENDING, 8: DepositState.PENDING,
                  1: DepositState.CREDITED, 2: DepositState.REJECTED, 7: DepositState.REJECTED}
WITHDRAWAL_STATES = {0: WithdrawalState.PENDING, 2: WithdrawalState.PENDING,
                     4: WithdrawalState.PENDING, 6: WithdrawalState.COMPLETED,
                     1: WithdrawalState.FAILED, 3: WithdrawalState.FAILED,
                     5: WithdrawalState.FAILED}


@dataclass(frozen=True)
class NetworkTerms:
    """What the venue asks for moving `coin` over `network` (config/getall's networkList)."""

    coin: str
    network: str
    withdraw_fee: Decimal
    withdraw_min: Decimal
    withdraw_max: Decimal
    withdraw_multiple: Decimal
    min_confirm: int
    deposit_enabled: bool
    withdraw_enabled: bool
    is_default: bool
    contract_address: str | None


@dataclass(frozen=True)
class DepositAddress:
    coin: str
    network: str
    address: str
    tag: str | None


@dataclass(frozen=True)
class VenueDeposit:
    deposit_id: str
    coin: str
    network: str
    amount: Decimal
    address: str
    tx_hash: str
    state: DepositState
    confirmations: int
    required_confirmations: int
    insert_ms: int


@dataclass(frozen=True)
class VenueWithdrawal:
    withdrawal_id: str
    withdraw_order_id: str | None
    coin: str
    network: str
    amount: Decimal
    fee: Decimal
    address: str
    tx_hash: str | None
    state: WithdrawalState
    venue_status: int
    detail: str


def _terms(coin: str, entry: dict[str, Any]) -> NetworkTerms:
    return NetworkTerms(
        coin=coin, network=str(entry["network"]),
        withdraw_fee=Decimal(str(entry["withdrawFee"])),
        withdraw_min=Decimal(str(entry["withdrawMin"])),
        withdraw_max=Decimal(str(entry.get("withdrawMax") or "Infinity")),
        withdraw_multiple=Decimal(str(entry.get("withdrawIntegerMultiple") or "0")),
        min_confirm=int(entry.get("minConfirm") or 0),
        deposit_enabled=bool(entry.get("depositEnable")),
        withdraw_enabled=bool(entry.get("withdrawEnable")),
        is_default=bool(entry.get("isDefault")), contract_address=entry.get("contractAddress"))


def _deposit(info: dict[str, Any]) -> VenueDeposit:
    done, _, required = str(info.get("confirmTimes") or "0/0").partition("/")
    return VenueDeposit(
        deposit_id=str(info.get("id", "")), coin=str(info["coin"]), network=str(info["network"]),
        amount=Decimal(str(info["amount"])), address=str(info["address"]),
        tx_hash=str(info["txId"]), state=DEPOSIT_STATES.get(int(info["status"]),
                                                            DepositState.PENDING),
        confirmations=int(done or 0), required_confirmations=int(required or 0),
        insert_ms=int(info.get("insertTime") or 0))


def _withdrawal(info: dict[str, Any]) -> VenueWithdrawal:
    status = int(info["status"])
    state = WITHDRAWAL_STATES.get(status, WithdrawalState.PENDING)
    tx_hash = str(info.get("txId") or "") or None
    if state is WithdrawalState.PENDING and tx_hash is not None:
        state = WithdrawalState.SENT
    return VenueWithdrawal(
        withdrawal_id=str(info["id"]), withdraw_order_id=info.get("withdrawOrderId"),
        coin=str(info["coin"]), network=str(info.get("network") or ""),
        amount=Decimal(str(info["amount"])), fee=Decimal(str(info.get("transactionFee") or 0)),
        address=str(info["address"]), tx_hash=tx_hash, state=state, venue_status=status,
        detail=str(info.get("info") or ""))


class CapitalClient:
    """Deposits and withdrawals of one exchange account through ccxt (e.g. simex)."""

    def __init__(self, config: CexVenueConfig, exchange: Any | None = None) -> None:
        self.config = config
        if exchange is None:
            exchange = getattr(ccxt_async, config.exchange_id)(config.client_options())
            if config.urls:
                exchange.urls["api"] = {**exchange.urls["api"], **config.urls}
        self.exchange = exchange

    async def close(self) -> None:
        await self.exchange.close()

    async def _call(self, call: Callable[[], Awaitable[T]]) -> T:
        try:
            return await call()
        except ccxt_async.OperationFailed as error:  # network, 5xx, timeouts: transient
            raise VenueUnavailable(f"{self.config.name}: {error}") from error
        except ccxt_async.ExchangeError as error:
            code, message = venue_error(error)
            raise VenueRejected(code, message, str(error)) from error

    async def terms(self) -> dict[tuple[str, str], NetworkTerms]:
        """Every (coin, network) the venue lists, with its fees, limits and confirmations."""
        fees = await self._call(lambda: self.exchange.fetch_deposit_withdraw_fees())
        result = {}
        for coin, entry in fees.items():
            for network in entry["info"].get("networkList", []):
                terms = _terms(coin, network)
                result[(coin, terms.network)] = terms
        return result

    async def deposit_address(self, coin: str, network: str) -> DepositAddress:
        answer = await self._call(lambda: self.exchange.fetch_deposit_address(
            coin, {"network": network}))
        info = answer["info"]
        return DepositAddress(coin, network, str(info["address"]), info.get("tag") or None)

    async def withdraw(self, coin: str, network: str, address: str, amount: Decimal,
                       withdraw_order_id: str) -> str:
        """Ask for a withdrawal; its venue id. Replaying the same `withdraw_order_id` gives
        the same id and moves nothing more."""
        # ccxt formats the float for its own precision step; the exact decimal string we pass
        # in params is what is sent (params override ccxt's request fields).
        params = {"network": network, "withdrawOrderId": withdraw_order_id,
                  "amount": f"{amount:f}"}
        answer = await self._call(lambda: self.exchange.withdraw(
            coin, float(amount), address, params))
        return str(answer["id"])

    async def deposits(self, coin: str | None = None, since_ms: int | None = None
                       ) -> list[VenueDeposit]:
        found = await self._call(lambda: self.exchange.fetch_deposits(coin, since_ms))
        return [_deposit(d["info"]) for d in found]

    async def withdrawals(self, coin: str | None = None, withdraw_order_id: str | None = None
                          ) -> list[VenueWithdrawal]:
        params = {"withdrawOrderId": withdraw_order_id} if withdraw_order_id else {}
        found = await self._call(lambda: self.exchange.fetch_withdrawals(coin, None, None,
                                                                         params))
        return [_withdrawal(w["info"]) for w in found]
