"""simex's capital ledger: deposit and withdrawal records, their rules and their Binance shapes.

Pure and synchronous, like the matching engine: the chain side (`capital_chain`) reports what it
saw and did, the HTTP side (`capital_api`) asks and answers; this module decides. Binance's
wallet API is followed for field names and numbering (developers.binance.com, Wallet > Capital):

- deposit status: 0 pending, 1 success (credited), 2 rejected, 6 credited but cannot withdraw,
  7 wrong deposit, 8 waiting user confirm; simex uses 0 and 1. A deposit stays 0 with
  `confirmTimes` "k/minConfirm" until it is `minConfirm` blocks deep, then it is credited (1).
  A pending deposit whose block was reorged away is forgotten: it never happened.
- withdrawal status: 0 email sent, 1 cancelled, 2 awaiting approval, 3 rejected, 4 processing,
  5 failure, 6 completed. simex answers `apply` at 2, sends at 4 (with `txId`), and marks 6 once
  the transfer is `minConfirm` deep, or 5 (with `info`, and the debit refunded) if it failed.
- `apply` debits `amount + withdrawFee` at once; the recipient receives `amount`.
- errors (codes and messages as Binance and ccxt's table spell them):

      -4001  Invalid operation.                        network unknown for the coin (as
                                                       Binance answers an unknown network id)
      -4018  We don't have this asset.                 unknown coin
      -4019  Current asset is not open for withdrawal. withdrawEnable false
      -4021  Asset withdrawal must be an %s multiple of %s.
      -4022  Not less than the minimum pick-up quantity %s.
      -4023  Within 24 hours, the withdrawal exceeds the maximum amount.
      -4026  You have insufficient balance.
      -4033  Illegal address.
      -1102  mandatory parameter missing or malformed

`withdrawOrderId` makes `apply` idempotent per account: the same id with the same request
answers the first withdrawal's id and debits nothing more; with a different request it is
refused (-4001), never silently merged.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

from eth_utils.address import to_checksum_address

from connectors.simex import errors as e
from connectors.simex.matching import Account
from connectors.simex.wire import d8

ADDRESS_REGEX = r"^(0x)[0-9A-Fa-f]{40}$"
_ADDRESS = re.compile(ADDRESS_REGEX)
_ORDER_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_AMOUNT = re.compile(r"^[0-9]{1,20}(\.[0-9]{1,18})?$")
_DEFAULT_WINDOW_MS = 90 * 86_400_000  # Binance's default startTime: 90 days back


class DepositStatus(enum.IntEnum):
    PENDING = 0
    SUCCESS = 1
    REJECTED = 2
    CREDITED_CANNOT_WITHDRAW = 6
    WRONG_DEPOSIT = 7
    WAITING_USER_CONFIRM = 8


class WithdrawStatus(enum.IntEnum):
    EMAIL_SENT = 0
    CANCELLED = 1
    AWAITING_APPROVAL = 2
    REJECTED = 3
    PROCESSING = 4
    FAILURE = 5
    COMPLETED = 6


@dataclass(frozen=True)
class CoinNetwork:
    """A coin on one network: the token that carries it there and the venue's terms."""

    coin: str
    network: str
    chain_id: int
    token: str  # checksummed ERC-20 address
    decimals: int
    min_confirm: int
    block_time_s: int
    withdraw_fee: Decimal
    withdraw_min: Decimal
    withdraw_max: Decimal
    is_default: bool

    @property
    def multiple(self) -> Decimal:
        """The withdrawal step: one base unit, but never finer than Binance's 8 decimals."""
        return Decimal(1).scaleb(-min(self.decimals, 8))

    @property
    def explorer(self) -> str:
        # A block-explorer prefix per chain (the `.invalid` TLD never resolves): ccxt maps a
        # deposit address's `url` back to its network through `contractAddressUrl`.
        return f"https://chain-{self.chain_id}.devnet.invalid/address/"

    def to_raw(self, amount: Decimal) -> int:
        return int(amount.scaleb(self.decimals))

    def from_raw(self, raw: int) -> Decimal:
        """A base-unit amount as a venue amount (8 decimals, rounded down)."""
        return (Decimal(raw).scaleb(-self.decimals)).quantize(Decimal("0.00000001"),
                                                               rounding=ROUND_DOWN)


@dataclass
class Deposit:
    deposit_id: str
    api_key: str
    coin: str
    network: str
    address: str
    tx_hash: str
    log_index: int
    block_number: int
    block_hash: str
    amount_raw: int
    amount: Decimal
    insert_ms: int
    confirmations: int = 0
    status: DepositStatus = DepositStatus.PENDING
    complete_ms: int | None = None

    @property
    def key(self) -> tuple[str, int]:
        return (self.tx_hash, self.log_index)


@dataclass
class Withdrawal:
    withdrawal_id: str
    api_key: str
    withdraw_order_id: str | None
    coin: str
    network: str
    address: str
    amount: Decimal
    fee: Decimal
    apply_ms: int
    status: WithdrawStatus = WithdrawStatus.AWAITING_APPROVAL
    tx_hash: str | None = None
    confirm_no: int = 0
    info: str = ""
    complete_ms: int | None = None

    @property
    def settled(self) -> bool:
        return self.status in (WithdrawStatus.COMPLETED, WithdrawStatus.FAILURE)


@dataclass(frozen=True)
class WithdrawRequest:
    """A parsed `withdraw/apply`."""

    coin: str
    network: CoinNetwork
    address: str
    amount: Decimal
    withdraw_order_id: str | None

    def same_as(self, withdrawal: Withdrawal) -> bool:
        return (self.coin, self.network.network, self.address.lower(), self.amount) == (
            withdrawal.coin, withdrawal.network, withdrawal.address.lower(), withdrawal.amount)


# ---- Binance's capital errors ---------------------------------------------------------------

def invalid_operation() -> e.BinanceApiError:
    return e.BinanceApiError(400, -4001, "Invalid operation.")


def unknown_asset() -> e.BinanceApiError:
    return e.BinanceApiError(400, -4018, "We don't have this asset.")


def withdraw_closed() -> e.BinanceApiError:
    return e.BinanceApiError(400, -4019, "Current asset is not open for withdrawal.")


def not_multiple(coin: str, multiple: Decimal) -> e.BinanceApiError:
    return e.BinanceApiError(
        400, -4021, f"Asset withdrawal must be an {coin} multiple of {multiple:f}.")


def below_minimum(minimum: Decimal) -> e.BinanceApiError:
    return e.BinanceApiError(400, -4022, f"Not less than the minimum pick-up quantity "
                                         f"{minimum:f}.")


def above_maximum() -> e.BinanceApiError:
    return e.BinanceApiError(
        400, -4023, "Within 24 hours, the withdrawal exceeds the maximum amount.")


def insufficient_balance() -> e.BinanceApiError:
    return e.BinanceApiError(400, -4026, "You have insufficient balance.")


def illegal_address() -> e.BinanceApiError:
    return e.BinanceApiError(400, -4033, "Illegal address.")


# ---- the ledger -------------------------------------------------------------------------------

class CapitalLedger:
    """Every deposit and withdrawal of one simex, and the balance changes they make."""

    def __init__(self, accounts: dict[str, Account], coins: Iterable[str],
                 networks: Iterable[CoinNetwork], now_ms: Callable[[], int]) -> None:
        self.accounts = accounts
        self.coins = sorted(set(coins))
        self.networks = list(networks)
        self.now_ms = now_ms
        self.deposits: dict[tuple[str, int], Deposit] = {}
        self.withdrawals: dict[str, Withdrawal] = {}
        self._by_order_id: dict[tuple[str, str], str] = {}
        self._next_deposit = 1
        self._next_withdrawal = 1

    # ---- lookups ------------------------------------------------------------------------------

    def network_for(self, coin: str, network: str | None) -> CoinNetwork:
        """The coin's network named `network`, or its default; Binance's error if none."""
        if coin not in self.coins:
            raise unknown_asset()
        candidates = [n for n in self.networks if n.coin == coin]
        if network:
            chosen = next((n for n in candidates if n.network == network), None)
        else:
            chosen = next((n for n in candidates if n.is_default), None)
        if chosen is None:
            raise invalid_operation()
        return chosen

    def by_token(self, chain_id: int) -> dict[str, CoinNetwork]:
        """The networks on one chain, by token address (lower case)."""
        return {n.token.lower(): n for n in self.networks if n.chain_id == chain_id}

    # ---- deposits -----------------------------------------------------------------------------

    def observe_deposit(self, api_key: str, network: CoinNetwork, address: str, tx_hash: str,
                        log_index: int, block_number: int, block_hash: str,
                        amount_raw: int) -> Deposit:
        """Record a transfer seen to a deposit address (pending); a re-observation of the same
        log (after a reorg moved it to another block) updates where it is."""
        key = (tx_hash, log_index)
        known = self.deposits.get(key)
        if known is not None:
            if known.status is DepositStatus.PENDING:
                known.block_number, known.block_hash = block_number, block_hash
            return known
        deposit = Deposit(str(self._next_deposit), api_key, network.coin, network.network,
                          address, tx_hash, log_index, block_number, block_hash, amount_raw,
                          network.from_raw(amount_raw), self.now_ms())
        self._next_deposit += 1
        self.deposits[key] = deposit
        return deposit

    def pending_deposits(self, network_ids: Iterable[str]) -> list[Deposit]:
        wanted = set(network_ids)
        return [d for d in self.deposits.values()
                if d.status is DepositStatus.PENDING and d.network in wanted]

    def forget_deposit(self, deposit: Deposit) -> None:
        """A pending deposit whose block left the canonical chain: it never happened."""
        if deposit.status is not DepositStatus.PENDING:
            raise ValueError(f"deposit {deposit.deposit_id} is already credited")
        del self.deposits[deposit.key]

    def credit_deposit(self, deposit: Deposit) -> None:
        if deposit.status is not DepositStatus.PENDING:
            return
        account = self.accounts[deposit.api_key]
        account.balance(deposit.coin).free += deposit.amount
        account.update_ms = self.now_ms()
        deposit.status = DepositStatus.SUCCESS
        deposit.complete_ms = self.now_ms()

    # ---- withdrawals --------------------------------------------------------------------------

    def parse_withdraw(self, params: dict[str, str]) -> WithdrawRequest:
        for name in ("coin", "address", "amount"):
            if not params.get(name):
                raise e.mandatory(name)
        coin, address, raw_amount = params["coin"], params["address"], params["amount"]
        if not _AMOUNT.fullmatch(raw_amount):
            raise e.mandatory("amount")
        try:
            amount = Decimal(raw_amount)
        except InvalidOperation:
            raise e.mandatory("amount") from None
        order_id = params.get("withdrawOrderId") or None
        if order_id is not None and not _ORDER_ID.fullmatch(order_id):
            raise e.illegal_chars("withdrawOrderId", _ORDER_ID.pattern)
        network = self.network_for(coin, params.get("network"))
        if not _ADDRESS.fullmatch(address) or params.get("addressTag"):
            raise illegal_address()
        mixed_case = address[2:] not in (address[2:].lower(), address[2:].upper())
        if mixed_case and to_checksum_address(address) != address:  # EIP-55 typo
            raise illegal_address()
        return WithdrawRequest(coin, network, address, amount, order_id)

    def apply_withdrawal(self, account: Account, request: WithdrawRequest
                         ) -> tuple[Withdrawal, bool]:
        """The withdrawal (new: debited now) and whether it is new; refusals as Binance's."""
        if request.withdraw_order_id is not None:
            known_id = self._by_order_id.get((account.api_key, request.withdraw_order_id))
            if known_id is not None:
                known = self.withdrawals[known_id]
                if not request.same_as(known):
                    raise invalid_operation()
                return known, False
        network = request.network
        if request.amount % network.multiple != 0:
            raise not_multiple(request.coin, network.multiple)
        if request.amount < network.withdraw_min or request.amount <= 0:
            raise below_minimum(network.withdraw_min)
        if request.amount > network.withdraw_max:
            raise above_maximum()
        balance = account.balance(request.coin)
        debit = request.amount + network.withdraw_fee
        if balance.free < debit:
            raise insufficient_balance()
        balance.free -= debit
        account.update_ms = self.now_ms()
        withdrawal = Withdrawal(f"{self._next_withdrawal:032x}", account.api_key,
                                request.withdraw_order_id, request.coin, network.network,
                                request.address, request.amount, network.withdraw_fee,
                                self.now_ms())
        self._next_withdrawal += 1
        self.withdrawals[withdrawal.withdrawal_id] = withdrawal
        if request.withdraw_order_id is not None:
            self._by_order_id[(account.api_key, request.withdraw_order_id)] = (
                withdrawal.withdrawal_id)
        return withdrawal, True

    def sending(self, withdrawal: Withdrawal, tx_hash: str) -> None:
        withdrawal.status = WithdrawStatus.PROCESSING
        withdrawal.tx_hash = tx_hash

    def complete_withdrawal(self, withdrawal: Withdrawal, confirmations: int) -> None:
        if withdrawal.settled:
            return
        withdrawal.status = WithdrawStatus.COMPLETED
        withdrawal.confirm_no = confirmations
        withdrawal.complete_ms = self.now_ms()

    def fail_withdrawal(self, withdrawal: Withdrawal, reason: str) -> None:
        """The send failed for good: status 5 and the debit (amount + fee) given back."""
        if withdrawal.settled:
            return
        account = self.accounts[withdrawal.api_key]
        account.balance(withdrawal.coin).free += withdrawal.amount + withdrawal.fee
        account.update_ms = self.now_ms()
        withdrawal.status = WithdrawStatus.FAILURE
        withdrawal.info = reason
        withdrawal.complete_ms = self.now_ms()

    # ---- Binance shapes -----------------------------------------------------------------------

    def coins_json(self, account: Account) -> list[dict[str, Any]]:
        """GET /sapi/v1/capital/config/getall."""
        result = []
        for coin in self.coins:
            balance = account.balance(coin) if coin in account.balances else None
            networks = [n for n in self.networks if n.coin == coin]
            result.append({
                "coin": coin, "name": coin, "depositAllEnable": bool(networks),
                "withdrawAllEnable": bool(networks),
                "free": d8(balance.free if balance else None),
                "locked": d8(balance.locked if balance else None),
                "freeze": "0", "withdrawing": d8(self._withdrawing(account.api_key, coin)),
                "ipoing": "0", "ipoable": "0", "storage": "0", "isLegalMoney": False,
                "trading": True, "networkList": [_network_json(n) for n in networks],
            })
        return result

    def _withdrawing(self, api_key: str, coin: str) -> Decimal:
        return sum((w.amount + w.fee for w in self.withdrawals.values()
                    if w.api_key == api_key and w.coin == coin and not w.settled), Decimal(0))

    def deposit_history(self, api_key: str, params: dict[str, str]) -> list[dict[str, Any]]:
        """GET /sapi/v1/capital/deposit/hisrec: newest first."""
        start, end = _window(params, self.now_ms())
        chosen = [d for d in self.deposits.values() if d.api_key == api_key
                  and start <= d.insert_ms <= end
                  and params.get("coin") in (None, "", d.coin)
                  and params.get("status") in (None, "", str(int(d.status)))
                  and params.get("txId") in (None, "", d.tx_hash)]
        chosen.sort(key=lambda d: (d.insert_ms, int(d.deposit_id)), reverse=True)
        return [_deposit_json(d, self._min_confirm(d.network))
                for d in _page(chosen, params)]

    def withdraw_history(self, api_key: str, params: dict[str, str]) -> list[dict[str, Any]]:
        """GET /sapi/v1/capital/withdraw/history: newest first."""
        start, end = _window(params, self.now_ms())
        ids = {i for i in (params.get("idList") or "").split(",") if i}
        chosen = [w for w in self.withdrawals.values() if w.api_key == api_key
                  and start <= w.apply_ms <= end
                  and params.get("coin") in (None, "", w.coin)
                  and params.get("status") in (None, "", str(int(w.status)))
                  and params.get("withdrawOrderId") in (None, "", w.withdraw_order_id)
                  and (not ids or w.withdrawal_id in ids)]
        chosen.sort(key=lambda w: (w.apply_ms, w.withdrawal_id), reverse=True)
        return [_withdrawal_json(w) for w in _page(chosen, params)]

    def _min_confirm(self, network: str) -> int:
        return next(n.min_confirm for n in self.networks if n.network == network)


def _window(params: dict[str, str], now_ms: int) -> tuple[int, int]:
    end = int(params["endTime"]) if params.get("endTime", "").isdigit() else now_ms
    start = (int(params["startTime"]) if params.get("startTime", "").isdigit()
             else end - _DEFAULT_WINDOW_MS)
    return start, end


def _page(items: list[Any], params: dict[str, str]) -> list[Any]:
    offset = int(params["offset"]) if params.get("offset", "").isdigit() else 0
    limit = min(int(params["limit"]), 1000) if params.get("limit", "").isdigit() else 1000
    return items[offset:offset + limit]


def _utc_text(time_ms: int | None) -> str | None:
    if time_ms is None:
        return None
    return datetime.fromtimestamp(time_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _network_json(n: CoinNetwork) -> dict[str, Any]:
    return {
        "network": n.network, "coin": n.coin, "withdrawIntegerMultiple": f"{n.multiple:f}",
        "isDefault": n.is_default, "depositEnable": True, "withdrawEnable": True,
        "depositDesc": "", "withdrawDesc": "", "specialTips": "", "specialWithdrawTips": "",
        "name": f"Devnet chain {n.chain_id}", "resetAddressStatus": False,
        "addressRegex": ADDRESS_REGEX, "addressRule": "", "memoRegex": "",
        "withdrawFee": f"{n.withdraw_fee:f}", "withdrawMin": f"{n.withdraw_min:f}",
        "withdrawMax": f"{n.withdraw_max:f}", "withdrawInternalMin": f"{n.multiple:f}",
        "depositDust": f"{n.multiple:f}", "minConfirm": n.min_confirm, "unLockConfirm": 0,
        "sameAddress": False,
        "estimatedArrivalTime": max(1, n.min_confirm * n.block_time_s // 60),  # minutes
        "busy": False, "contractAddressUrl": n.explorer, "contractAddress": n.token,
    }


def _deposit_json(d: Deposit, min_confirm: int) -> dict[str, Any]:
    return {
        "id": d.deposit_id, "amount": d8(d.amount), "coin": d.coin, "network": d.network,
        "status": int(d.status), "address": d.address, "addressTag": "", "txId": d.tx_hash,
        "insertTime": d.insert_ms, "completeTime": d.complete_ms, "transferType": 0,
        "confirmTimes": f"{min(d.confirmations, min_confirm)}/{min_confirm}",
        "unlockConfirm": 0, "walletType": 0,
    }


def _withdrawal_json(w: Withdrawal) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": w.withdrawal_id, "amount": d8(w.amount), "transactionFee": d8(w.fee),
        "coin": w.coin, "status": int(w.status), "address": w.address,
        "txId": w.tx_hash or "", "applyTime": _utc_text(w.apply_ms), "network": w.network,
        "transferType": 0, "info": w.info, "confirmNo": w.confirm_no, "walletType": 0,
        "txKey": "",
    }
    if w.withdraw_order_id is not None:  # Binance leaves it out when none was given
        body["withdrawOrderId"] = w.withdraw_order_id
    if w.complete_ms is not None:
        body["completeTime"] = _utc_text(w.complete_ms)
    return body
