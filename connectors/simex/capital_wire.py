"""Binance's shapes for simex's capital records: coins and networks, deposits, withdrawals,
and the history endpoints' paging (`startTime`/`endTime` default to the last 90 days, `offset`,
`limit` up to 1000)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from connectors.simex.wire import d8

if TYPE_CHECKING:
    from connectors.simex.capital import CoinNetwork, Deposit, Withdrawal

ADDRESS_REGEX = r"^(0x)[0-9A-Fa-f]{40}$"
_DEFAULT_WINDOW_MS = 90 * 86_400_000  # Binance's default startTime: 90 days back


def window(params: dict[str, str], now_ms: int) -> tuple[int, int]:
    end = int(params["endTime"]) if params.get("endTime", "").isdigit() else now_ms
    start = (int(params["startTime"]) if params.get("startTime", "").isdigit()
             else end - _DEFAULT_WINDOW_MS)
    return start, end


def page(items: list[Any], params: dict[str, str]) -> list[Any]:
    offset = int(params["offset"]) if params.get("offset", "").isdigit() else 0
    limit = min(int(params["limit"]), 1000) if params.get("limit", "").isdigit() else 1000
    return items[offset:offset + limit]


def utc_text(time_ms: int | None) -> str | None:
    if time_ms is None:
        return None
    return datetime.fromtimestamp(time_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")


def network_json(n: CoinNetwork) -> dict[str, Any]:
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


def deposit_json(d: Deposit, min_confirm: int) -> dict[str, Any]:
    return {
        "id": d.deposit_id, "amount": d8(d.amount), "coin": d.coin, "network": d.network,
        "status": int(d.status), "address": d.address, "addressTag": "", "txId": d.tx_hash,
        "insertTime": d.insert_ms, "completeTime": d.complete_ms, "transferType": 0,
        "confirmTimes": f"{min(d.confirmations, min_confirm)}/{min_confirm}",
        "unlockConfirm": 0, "walletType": 0,
    }


def withdrawal_json(w: Withdrawal) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": w.withdrawal_id, "amount": d8(w.amount), "transactionFee": d8(w.fee),
        "coin": w.coin, "status": int(w.status), "address": w.address,
        "txId": w.tx_hash or "", "applyTime": utc_text(w.apply_ms), "network": w.network,
        "transferType": 0, "info": w.info, "confirmNo": w.confirm_no, "walletType": 0,
        "txKey": "",
    }
    if w.withdraw_order_id is not None:  # Binance leaves it out when none was given
        body["withdrawOrderId"] = w.withdraw_order_id
    if w.complete_ms is not None:
        body["completeTime"] = utc_text(w.complete_ms)
    return body
