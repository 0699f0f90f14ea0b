"""simex's capital ledger and custody keys, without a chain: rules, refunds and Binance shapes."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from connectors.simex.capital import (
    CapitalLedger,
    CoinNetwork,
    DepositStatus,
    WithdrawStatus,
)
from connectors.simex.capital_chain import SEED_ENV, CustodyKeys
from connectors.simex.errors import BinanceApiError
from connectors.simex.matching import Account

KEY = "acct"
TO = "0x" + "ab" * 20
USDC = CoinNetwork("USDC", "DEVNET1", 1, "0x" + "11" * 20, 6, 3, 2, D(1), D(2), D(1000), True)
USDC_2 = CoinNetwork("USDC", "DEVNET2", 2, "0x" + "22" * 20, 6, 5, 2, D("0.5"), D(1), D(1000),
                     False)
WETH = CoinNetwork("WETH", "DEVNET1", 1, "0x" + "33" * 20, 18, 3, 2, D("0.0005"), D("0.001"),
                   D(1000), True)


class Clock:
    def __init__(self) -> None:
        self.ms = 1_700_000_000_000

    def __call__(self) -> int:
        return self.ms


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ledger(clock: Clock) -> CapitalLedger:
    account = Account(KEY, b"secret")
    account.balance("USDC").free = D(100)
    account.balance("WETH").free = D(1)
    return CapitalLedger({KEY: account}, ["USDC", "WETH", "WBTC"], [USDC, USDC_2, WETH], clock)


def usdc_free(ledger: CapitalLedger) -> D:
    return ledger.accounts[KEY].balance("USDC").free


def apply(ledger: CapitalLedger, **params: str) -> tuple[str, bool]:
    withdrawal, new = ledger.apply_withdrawal(ledger.accounts[KEY],
                                              ledger.parse_withdraw(params))
    return withdrawal.withdrawal_id, new


@pytest.mark.parametrize(("params", "code"), [
    ({"address": TO, "amount": "10"}, -1102),
    ({"coin": "USDC", "address": TO, "amount": "1e3"}, -1102),
    ({"coin": "DOGE", "address": TO, "amount": "10"}, -4018),
    ({"coin": "WBTC", "address": TO, "amount": "10"}, -4001),  # listed, no network
    ({"coin": "USDC", "network": "ETH", "address": TO, "amount": "10"}, -4001),
    ({"coin": "USDC", "address": "0xabc", "amount": "10"}, -4033),
    ({"coin": "USDC", "address": TO, "addressTag": "7", "amount": "10"}, -4033),
    # EIP-55: one letter's case flipped in a checksummed address is a typo, not an address.
    ({"coin": "USDC", "address": "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", "amount": "10"},
     -4033),
    ({"coin": "USDC", "address": TO, "amount": "10.0000001"}, -4021),
    ({"coin": "USDC", "address": TO, "amount": "1.5"}, -4022),
    ({"coin": "USDC", "address": TO, "amount": "1001"}, -4023),
    ({"coin": "USDC", "address": TO, "amount": "99.5"}, -4026),  # 99.5 + 1 fee > 100
])
def test_withdraw_when_a_rule_is_broken_then_binance_code_and_no_debit(
        ledger: CapitalLedger, params: dict[str, str], code: int) -> None:
    with pytest.raises(BinanceApiError) as refused:
        apply(ledger, **params)
    assert refused.value.code == code
    assert usdc_free(ledger) == D(100) and ledger.withdrawals == {}


def test_withdraw_when_applied_then_amount_plus_fee_debited_on_the_chosen_network(
        ledger: CapitalLedger) -> None:
    first, new = apply(ledger, coin="USDC", address=TO, amount="10")
    assert new and usdc_free(ledger) == D(89)
    second, _ = apply(ledger, coin="USDC", network="DEVNET2", address=TO, amount="10")
    assert usdc_free(ledger) == D("78.5")
    assert ledger.withdrawals[first].network == "DEVNET1"  # the default network
    assert ledger.withdrawals[second].status is WithdrawStatus.AWAITING_APPROVAL
    assert len({first, second}) == 2 and len(first) == 32


def test_withdraw_when_order_id_replayed_then_same_id_and_changed_request_refused(
        ledger: CapitalLedger) -> None:
    first = apply(ledger, coin="USDC", address=TO, amount="10", withdrawOrderId="w1")
    again = apply(ledger, coin="USDC", address=TO.upper().replace("0X", "0x"), amount="10.00",
                  withdrawOrderId="w1")
    assert first == (first[0], True) and again == (first[0], False)
    assert usdc_free(ledger) == D(89)
    with pytest.raises(BinanceApiError) as refused:
        apply(ledger, coin="USDC", address=TO, amount="11", withdrawOrderId="w1")
    assert refused.value.code == -4001 and usdc_free(ledger) == D(89)


def test_withdraw_when_send_fails_then_refunded_once_and_status_five(
        ledger: CapitalLedger) -> None:
    wid, _ = apply(ledger, coin="USDC", address=TO, amount="10")
    withdrawal = ledger.withdrawals[wid]
    ledger.sending(withdrawal, "0x" + "cd" * 32)
    ledger.fail_withdrawal(withdrawal, "the transfer would revert")
    ledger.fail_withdrawal(withdrawal, "again")
    ledger.complete_withdrawal(withdrawal, 3)  # a settled withdrawal stays as it ended
    assert usdc_free(ledger) == D(100)
    [entry] = ledger.withdraw_history(KEY, {})
    assert (entry["status"], entry["info"]) == (5, "the transfer would revert")


def test_deposit_when_observed_moved_forgotten_and_credited_then_balance_once(
        ledger: CapitalLedger) -> None:
    deposit = ledger.observe_deposit(KEY, USDC, TO, "0xaa", 0, 10, "0xb10", 2_500_000)
    assert deposit.amount == D("2.5") and deposit.status is DepositStatus.PENDING
    moved = ledger.observe_deposit(KEY, USDC, TO, "0xaa", 0, 12, "0xb12", 2_500_000)
    assert moved is deposit and (deposit.block_number, deposit.block_hash) == (12, "0xb12")
    ledger.credit_deposit(deposit)
    ledger.credit_deposit(deposit)
    assert usdc_free(ledger) == D("102.5")
    ledger.observe_deposit(KEY, USDC, TO, "0xaa", 0, 20, "0xb20", 2_500_000)
    assert deposit.block_number == 12  # a credited deposit is never moved again
    with pytest.raises(ValueError, match="already credited"):
        ledger.forget_deposit(deposit)
    gone = ledger.observe_deposit(KEY, USDC, TO, "0xbb", 3, 11, "0xb11", 1)
    ledger.forget_deposit(gone)
    assert [d["txId"] for d in ledger.deposit_history(KEY, {})] == ["0xaa"]


def test_deposit_amount_when_token_has_more_than_8_decimals_then_rounded_down() -> None:
    assert WETH.from_raw(123_456_789_123_456_789) == D("0.12345678")


def test_histories_when_filtered_then_binance_fields_newest_first(
        ledger: CapitalLedger, clock: Clock) -> None:
    old = ledger.observe_deposit(KEY, USDC, TO, "0x01", 0, 5, "0xb5", 1_000_000)
    clock.ms += 1000
    new = ledger.observe_deposit(KEY, WETH, TO, "0x02", 1, 6, "0xb6", 10**17)
    new.confirmations = 2
    ledger.credit_deposit(old)
    listed = ledger.deposit_history(KEY, {})
    assert [d["txId"] for d in listed] == ["0x02", "0x01"]
    assert listed[0] | {"insertTime": 0} == {
        "id": "2", "amount": "0.10000000", "coin": "WETH", "network": "DEVNET1", "status": 0,
        "address": TO, "addressTag": "", "txId": "0x02", "insertTime": 0,
        "completeTime": None, "transferType": 0, "confirmTimes": "2/3",
        "unlockConfirm": 0, "walletType": 0}
    assert [d["txId"] for d in ledger.deposit_history(KEY, {"status": "1"})] == ["0x01"]
    assert [d["txId"] for d in ledger.deposit_history(KEY, {"coin": "WETH"})] == ["0x02"]
    assert ledger.deposit_history(KEY, {"startTime": str(clock.ms + 1)}) == []
    assert [d["txId"] for d in ledger.deposit_history(KEY, {"offset": "1", "limit": "5"})] \
        == ["0x01"]
    assert ledger.deposit_history("someone-else", {}) == []

    a, _ = apply(ledger, coin="USDC", address=TO, amount="5", withdrawOrderId="mine")
    clock.ms += 1000
    b, _ = apply(ledger, coin="WETH", address=TO, amount="0.01")
    assert [w["id"] for w in ledger.withdraw_history(KEY, {})] == [b, a]
    [mine] = ledger.withdraw_history(KEY, {"withdrawOrderId": "mine"})
    assert mine["applyTime"] == "2023-11-14 22:13:21" and mine["transactionFee"] == "1.00000000"
    assert "withdrawOrderId" not in ledger.withdraw_history(KEY, {"idList": b})[0]
    assert [w["id"] for w in ledger.withdraw_history(KEY, {"idList": f"{a},{b}"})] == [b, a]


def test_coins_when_listed_then_networks_carry_fees_minimums_and_confirmations(
        ledger: CapitalLedger) -> None:
    coins = {c["coin"]: c for c in ledger.coins_json(ledger.accounts[KEY])}
    assert set(coins) == {"USDC", "WETH", "WBTC"} and coins["WBTC"]["networkList"] == []
    first, second = coins["USDC"]["networkList"]
    assert (first["network"], first["withdrawFee"], first["withdrawMin"], first["minConfirm"],
            first["isDefault"]) == ("DEVNET1", "1", "2", 3, True)
    assert (second["network"], second["minConfirm"], second["isDefault"]) == ("DEVNET2", 5,
                                                                             False)
    assert first["withdrawIntegerMultiple"] == "0.000001" and first["depositEnable"]
    assert coins["USDC"]["free"] == "100.00000000"


def test_custody_keys_when_derived_then_deterministic_distinct_and_never_shown(
        monkeypatch: pytest.MonkeyPatch) -> None:
    seed = bytes(range(32))
    keys, same = CustodyKeys(seed), CustodyKeys(seed)
    assert keys.hot_wallet(1).address == same.hot_wallet(1).address
    addresses = {keys.hot_wallet(1).address, keys.hot_wallet(2).address,
                 keys.deposit_key("a").address, keys.deposit_key("b").address}
    assert len(addresses) == 4
    shown = repr(keys) + repr(keys.hot_wallet(1)) + str(keys)
    assert seed.hex() not in shown and "hidden" in repr(keys)
    monkeypatch.setenv(SEED_ENV, seed.hex())
    assert CustodyKeys.from_environment().hot_wallet(1).address == keys.hot_wallet(1).address
    monkeypatch.setenv(SEED_ENV, "not-hex")
    with pytest.raises(ValueError, match=SEED_ENV) as refused:
        CustodyKeys.from_environment()
    assert "not-hex" not in str(refused.value)
    monkeypatch.delenv(SEED_ENV)
    assert CustodyKeys.from_environment().hot_wallet(1).address != keys.hot_wallet(1).address
