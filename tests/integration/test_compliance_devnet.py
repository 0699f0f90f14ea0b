"""Compliance against a real devnet: the deployed SanctionsOracle, and exposure found from real
ERC-20 and ether transfers between fresh accounts, indexed incrementally from anvil."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.exceptions import ContractCustomError

from risk.compliance import (
    AddressRole,
    Decision,
    ExposurePolicy,
    ExposureSource,
    ListEffect,
    ListStore,
    OracleSource,
    ReasonCode,
    RiskCategory,
    Screener,
    ScreeningRequest,
    TransferIndexer,
    TypologyRules,
    index_oracle_events,
    oracle_history,
    oracle_listed,
    parse_list_file,
    read_transfers,
)

from devnet_actions import rpc

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ofac"


@pytest.fixture
def store(tmp_path: Path) -> ListStore:
    store = ListStore(f"sqlite:///{tmp_path / 'compliance.sqlite'}")
    store.load("ofac-sdn", ListEffect.SANCTIONS, parse_list_file(FIXTURES / "sdn_v1.xml"),
               source="fixture")
    return store


def _oracle(w3: Web3, devnet: dict[str, Any]) -> Any:
    return w3.eth.contract(address=devnet["sanctions_oracle"],
                           abi=devnet["abis"]["SanctionsOracle"])


def _fresh(w3: Web3, ether: int = 10) -> LocalAccount:
    account: LocalAccount = Account.create()
    # Funded by setting the balance, not by a transfer: a funding transfer from a shared
    # account would itself link every fresh account to every other one.
    rpc(w3, "anvil_setBalance", account.address, hex(ether * 10**18))
    return account


def _send(w3: Web3, sender: LocalAccount, tx: dict[str, Any]) -> None:
    tx = {"from": sender.address, "nonce": w3.eth.get_transaction_count(sender.address),
          "gasPrice": w3.eth.gas_price, "chainId": w3.eth.chain_id, **tx}
    tx.setdefault("gas", 21_000)
    signed = sender.sign_transaction(tx)
    receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(
        signed.raw_transaction))
    assert receipt["status"] == 1


def _send_ether(w3: Web3, sender: LocalAccount, to: str, wei: int) -> None:
    _send(w3, sender, {"to": to, "value": wei})


def _send_token(w3: Web3, token: Any, sender: LocalAccount, to: str, amount: int) -> None:
    call = token.functions.transfer(to, amount).build_transaction({
        "from": sender.address, "nonce": w3.eth.get_transaction_count(sender.address),
        "gas": 100_000, "gasPrice": w3.eth.gas_price})
    _send(w3, sender, dict(call))


def test_oracle_in_manifest_owned_by_deployer_and_read_in_batches(
    w3: Web3, devnet: dict[str, Any]
) -> None:
    oracle = _oracle(w3, devnet)
    assert oracle.functions.owner().call() == devnet["deployer"]
    listed = [_fresh(w3).address for _ in range(3)]
    clean = _fresh(w3).address
    oracle.functions.addToSanctionsList(listed).transact({"from": devnet["deployer"]})
    source = OracleSource(w3, devnet["sanctions_oracle"], batch_size=2)
    answers = source.sanctioned([listed[0], clean, listed[1], listed[2]], w3.eth.block_number)
    assert answers == {listed[0].lower(): True, clean.lower(): False,
                       listed[1].lower(): True, listed[2].lower(): True}
    assert oracle.functions.isSanctioned(listed[1]).call() is True
    assert oracle.functions.sanctionedCount().call() == 3


def test_oracle_when_not_owner_then_reverts_with_custom_error(
    w3: Web3, devnet: dict[str, Any]
) -> None:
    intruder = w3.eth.accounts[1]
    with pytest.raises(ContractCustomError):
        _oracle(w3, devnet).functions.addToSanctionsList([intruder]).call({"from": intruder})


def test_oracle_events_indexed_incrementally_in_chain_order(
    w3: Web3, devnet: dict[str, Any], store: ListStore
) -> None:
    oracle, owner = _oracle(w3, devnet), devnet["deployer"]
    first, second = _fresh(w3).address, _fresh(w3).address
    oracle.functions.addToSanctionsList([first, second]).transact({"from": owner})
    assert index_oracle_events(w3, oracle.address, store.engine) == 2
    oracle.functions.removeFromSanctionsList([first]).transact({"from": owner})
    assert index_oracle_events(w3, oracle.address, store.engine) == 1  # only the new block
    assert index_oracle_events(w3, oracle.address, store.engine) == 0
    history = oracle_history(store.engine)
    assert [(e.account, e.added) for e in history] == [
        (first.lower(), True), (second.lower(), True), (first.lower(), False)]
    assert [e.added for e in oracle_history(store.engine, first)] == [True, False]


def test_screen_when_recipient_on_the_oracle_then_leg_denied(
    w3: Web3, devnet: dict[str, Any], store: ListStore
) -> None:
    recipient = _fresh(w3).address
    screener = Screener(store, [OracleSource(w3, devnet["sanctions_oracle"])])
    leg = ScreeningRequest.of("leg-1", "uniswap_v3", [
        (devnet["uniswap_v3"]["pools"]["WETH/USDC/3000"]["address"], AddressRole.POOL),
        (devnet["tokens"]["USDC"]["address"], AddressRole.TOKEN),
        (recipient, AddressRole.RECIPIENT)])
    assert screener.screen(leg).decision is Decision.ALLOW
    _oracle(w3, devnet).functions.addToSanctionsList([recipient]).transact(
        {"from": devnet["deployer"]})
    decision = screener.screen(leg)
    assert decision.decision is Decision.DENY
    assert [r.code for r in decision.verdict_for(recipient).reasons] == [
        ReasonCode.ORACLE_SANCTIONED]
    assert decision.verdict_for(devnet["tokens"]["USDC"]["address"]).decision is Decision.ALLOW


def test_two_hop_exposure_found_from_real_devnet_transfers(
    w3: Web3, devnet: dict[str, Any], store: ListStore
) -> None:
    usdc = w3.eth.contract(address=devnet["tokens"]["USDC"]["address"],
                           abi=devnet["abis"]["TestERC20"])
    sanctioned, hop1, hop2, hop3 = (_fresh(w3) for _ in range(4))
    usdc.functions.transfer(sanctioned.address, 5_000 * 10**6).transact(
        {"from": devnet["deployer"]})
    _send_token(w3, usdc, sanctioned, hop1.address, 1_000 * 10**6)  # ERC-20 Transfer log
    _send_ether(w3, hop1, hop2.address, 10**18)  # native transfer
    indexer = TransferIndexer(w3, store.engine, chunk_blocks=50)
    first = indexer.sync()
    assert first.from_block == 0 and first.transfers > 0
    store.load_addresses("local-deny", ListEffect.DENY, [sanctioned.address])
    screener = Screener(store, [ExposureSource(store.engine)])
    leg = ScreeningRequest.of("leg", "uniswap_v3", [
        (hop1.address, AddressRole.COUNTERPARTY), (hop2.address, AddressRole.RECIPIENT),
        (hop3.address, AddressRole.SAFE_OWNER)])
    decision = screener.screen(leg)
    direct = decision.verdict_for(hop1.address).reasons
    indirect = decision.verdict_for(hop2.address).reasons
    assert [r.code for r in direct] == [ReasonCode.DIRECT_EXPOSURE]
    assert [r.code for r in indirect] == [ReasonCode.INDIRECT_EXPOSURE]
    assert indirect[0].text.endswith(
        f"{hop2.address.lower()} -> {hop1.address.lower()} -> {sanctioned.address.lower()}")
    assert decision.verdict_for(hop3.address).reasons == ()
    assert decision.decision is Decision.REVIEW

    # Resume: the next sync reads only blocks after the cursor, so a third hop appears alone.
    _send_ether(w3, hop2, hop3.address, 10**17)
    second = indexer.sync()
    assert second.from_block == first.to_block + 1 and second.transfers == 1
    latest = read_transfers(store.engine)[-1][1]
    assert (latest.sender, latest.recipient, latest.token) == (
        hop2.address.lower(), hop3.address.lower(), "native")
    again = screener.screen(leg)
    assert again.verdict_for(hop3.address).reasons == ()  # three hops: beyond the default 2


def _selector(signature: str) -> str:
    return Web3.keccak(text=signature)[:4].hex().removeprefix("0x")


@pytest.mark.parametrize(("action", "error"), [
    ("add_twice", "AlreadySanctioned(address)"),
    ("remove_unlisted", "NotSanctioned(address)"),
    ("add_zero", "ZeroAddress()"),
])
def test_oracle_refuses_changes_that_are_not_changes_with_typed_errors(
    w3: Web3, devnet: dict[str, Any], action: str, error: str
) -> None:
    oracle, owner = _oracle(w3, devnet), devnet["deployer"]
    account = _fresh(w3).address
    oracle.functions.addToSanctionsList([account]).transact({"from": owner})
    call = {
        "add_twice": oracle.functions.addToSanctionsList([account]),
        "remove_unlisted": oracle.functions.removeFromSanctionsList([_fresh(w3).address]),
        "add_zero": oracle.functions.addToSanctionsList(["0x" + "0" * 40]),
    }[action]
    with pytest.raises(ContractCustomError) as raised:
        call.call({"from": owner})
    assert _selector(error) in str(raised.value.data)


def test_oracle_ownership_moves_and_old_owner_loses_rights(
    w3: Web3, devnet: dict[str, Any]
) -> None:
    oracle, owner, successor = _oracle(w3, devnet), devnet["deployer"], w3.eth.accounts[2]
    oracle.functions.transferOwnership(successor).transact({"from": owner})
    assert oracle.functions.owner().call() == successor
    with pytest.raises(ContractCustomError) as raised:
        oracle.functions.addToSanctionsList([successor]).call({"from": owner})
    assert _selector("NotOwner(address)") in str(raised.value.data)


def test_typologies_found_from_real_devnet_transfers(
    w3: Web3, devnet: dict[str, Any], store: ListStore
) -> None:
    usdc_address = devnet["tokens"]["USDC"]["address"]
    usdc = w3.eth.contract(address=usdc_address, abi=devnet["abis"]["TestERC20"])
    structurer, smurf = _fresh(w3), _fresh(w3)
    usdc.functions.transfer(smurf.address, 50_000 * 10**6).transact({"from": devnet["deployer"]})
    for _ in range(3):  # 9,500 USDC three times: each just under a 10,000 USDC threshold
        _send_token(w3, usdc, smurf, structurer.address, 9_500 * 10**6)
    recipients = [_fresh(w3, ether=0).address for _ in range(5)]
    for recipient in recipients:
        _send_ether(w3, structurer, recipient, 10**16)
    TransferIndexer(w3, store.engine, chunk_blocks=500).sync()
    rules = TypologyRules(structuring_thresholds_raw={usdc_address.lower(): 10_000 * 10**6},
                          fan_min_counterparties=5)
    screener = Screener(store, [ExposureSource(store.engine, ExposurePolicy(typologies=rules))])
    decision = screener.screen(ScreeningRequest.of("leg", "simex", [
        (structurer.address, AddressRole.CEX_DEPOSIT)]))
    assert decision.decision is Decision.REVIEW
    codes = [r.code for r in decision.reasons]
    assert codes == [ReasonCode.STRUCTURING, ReasonCode.FAN_OUT]
    categories = dict(decision.verdicts[0].category_scores)
    assert set(categories) == {RiskCategory.STRUCTURING, RiskCategory.LAYERING}


def test_exposure_to_addresses_listed_only_on_chain_via_indexed_oracle_events(
    w3: Web3, devnet: dict[str, Any], store: ListStore
) -> None:
    listed_on_chain, counterparty = _fresh(w3), _fresh(w3)
    _send_ether(w3, listed_on_chain, counterparty.address, 10**18)
    oracle = _oracle(w3, devnet)
    oracle.functions.addToSanctionsList([listed_on_chain.address]).transact(
        {"from": devnet["deployer"]})
    TransferIndexer(w3, store.engine, chunk_blocks=500).sync()
    index_oracle_events(w3, oracle.address, store.engine)
    assert oracle_listed(store.engine) == {listed_on_chain.address.lower()}
    source = ExposureSource(store.engine, extra_listed=lambda: oracle_listed(store.engine))
    decision = Screener(store, [source]).screen(ScreeningRequest.of("leg", "uniswap_v3", [
        (counterparty.address, AddressRole.COUNTERPARTY)]))
    assert [r.code for r in decision.reasons] == [ReasonCode.DIRECT_EXPOSURE]
    oracle.functions.removeFromSanctionsList([listed_on_chain.address]).transact(
        {"from": devnet["deployer"]})
    index_oracle_events(w3, oracle.address, store.engine)
    assert Screener(store, [source]).screen(ScreeningRequest.of("leg", "uniswap_v3", [
        (counterparty.address, AddressRole.COUNTERPARTY)])).reasons == ()
