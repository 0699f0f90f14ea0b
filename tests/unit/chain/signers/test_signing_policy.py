"""GuardPolicy refuses, naming the rule, everything the Safe guard refuses on chain, and
anything it cannot tie to the digest; RateLimit and RequireApprovals do what they say."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from eth_abi.abi import encode as abi_encode
from eth_abi.packed import encode_packed
from signer_fixtures import (
    APPROVE,
    CHAIN_ID,
    EXECUTOR,
    FOREIGN,
    MULTISEND,
    OTHER_TOKEN,
    RECIPIENT,
    SAFE,
    SANCTIONED,
    SWAP,
    SWAP_ABI,
    TOKEN,
    TRANSFER,
    batch_request,
    erc20,
    multisend,
    request_for,
    swap,
)

from chain.signers import (
    AllOf,
    DailyTokenCaps,
    GuardPolicy,
    GuardRules,
    RateLimit,
    RequestKind,
    RequireApprovals,
    SigningPolicy,
    SigningRefused,
    SigningRequest,
    decode_calls,
)
from chain.signers.calldata import CalldataUndecodable, safe_tx_context, selector_of
from chain.wallet import CALL, DELEGATECALL, SafeTx, safe_tx_hash

RULES = GuardRules(
    allowed_calls={TOKEN: {APPROVE, TRANSFER}, OTHER_TOKEN: {TRANSFER}, EXECUTOR: {SWAP}},
    spenders={EXECUTOR}, recipients={RECIPIENT}, token_caps={TOKEN: 1_000},
    max_value=10**18, multisend=MULTISEND, blocked={SANCTIONED}, safes={SAFE},
    chain_ids={CHAIN_ID}, abis=[SWAP_ABI],
)
POLICY = GuardPolicy(RULES)


def _refused_rule(request: SigningRequest, policy: SigningPolicy = POLICY) -> str:
    with pytest.raises(SigningRefused) as refused:
        policy.review("alice", request)
    assert refused.value.signer == "alice"
    return refused.value.rule


def _with_context(request: SigningRequest, **changes: Any) -> SigningRequest:
    return dataclasses.replace(request, context={**request.context, **changes})


def test_review_when_allowed_transfer_and_approve_swap_batch_then_passes() -> None:
    POLICY.review("alice", request_for(TOKEN, erc20("transfer", RECIPIENT, 1_000)))
    POLICY.review("alice", request_for(TOKEN, erc20("transfer", SAFE, 10)))
    POLICY.review("alice", batch_request((CALL, TOKEN, 0, erc20("approve", EXECUTOR, 700)),
                                         (CALL, EXECUTOR, 0, swap(700))))
    POLICY.review("alice", request_for(RECIPIENT, value=10**18))


@pytest.mark.parametrize(("request_", "rule"), [
    (request_for(FOREIGN, erc20("transfer", RECIPIENT, 1)), "target_allowed"),
    (request_for(TOKEN, erc20("approve", EXECUTOR, 1)[:40]), "undecodable_calldata"),
    (request_for(EXECUTOR, erc20("transfer", RECIPIENT, 1)), "selector_allowed"),
    (request_for(TOKEN, erc20("approve", FOREIGN, 1)), "spender_allowed"),
    (request_for(TOKEN, erc20("transfer", FOREIGN, 1)), "recipient_allowed"),
    (request_for(FOREIGN, value=1), "recipient_allowed"),
    (request_for(TOKEN, erc20("transfer", RECIPIENT, 1_001)), "token_cap"),
    (request_for(OTHER_TOKEN, erc20("transfer", RECIPIENT, 1)), "token_cap"),
    (request_for(RECIPIENT, value=10**18 + 1), "max_value"),
    (request_for(EXECUTOR, swap(1), operation=DELEGATECALL), "delegatecall_target"),
    (request_for(TOKEN, erc20("transfer", SANCTIONED, 1)), "blocked_address"),
    (request_for(TOKEN, erc20("transfer", RECIPIENT, 1), safe=FOREIGN), "safe_allowed"),
], ids=lambda value: value if isinstance(value, str) else "")
def test_review_when_a_guard_rule_is_broken_then_refused_naming_it(
    request_: SigningRequest, rule: str,
) -> None:
    assert _refused_rule(request_) == rule


def test_review_when_batch_breaks_a_rule_inside_then_refused_naming_it() -> None:
    over_cap = batch_request((CALL, TOKEN, 0, erc20("transfer", RECIPIENT, 600)),
                             (CALL, TOKEN, 0, erc20("approve", EXECUTOR, 600)))
    assert _refused_rule(over_cap) == "token_cap"  # summed over the calls of one transaction
    inner_delegate = batch_request((DELEGATECALL, EXECUTOR, 0, swap(1)))
    assert _refused_rule(inner_delegate) == "delegatecall_target"
    foreign = batch_request((CALL, TOKEN, 0, erc20("approve", EXECUTOR, 1)),
                            (CALL, TOKEN, 0, erc20("transfer", FOREIGN, 1)))
    assert _refused_rule(foreign) == "recipient_allowed"
    value_spread = batch_request((CALL, RECIPIENT, 6 * 10**17, b""),
                                 (CALL, RECIPIENT, 6 * 10**17, b""))
    assert _refused_rule(value_spread) == "max_value"


def test_review_when_screen_flags_an_address_then_refused_as_blocked() -> None:
    flagged = {RECIPIENT}
    screened = GuardPolicy(dataclasses.replace(RULES, screen=lambda a: a in flagged))
    request = request_for(TOKEN, erc20("transfer", RECIPIENT, 1))
    assert _refused_rule(request, screened) == "blocked_address"
    flagged.clear()
    screened.review("alice", request)


def test_review_when_context_does_not_hash_to_digest_then_refused() -> None:
    honest = request_for(TOKEN, erc20("transfer", RECIPIENT, 1))
    harmful = request_for(TOKEN, erc20("transfer", FOREIGN, 10**9))
    # The harmless context of one transaction presented with the digest of another.
    disguised = dataclasses.replace(harmful, context=honest.context)
    assert _refused_rule(disguised) == "context_binds_digest"
    assert _refused_rule(_with_context(honest, nonce=5)) == "context_binds_digest"


def test_review_when_context_calls_disagree_with_data_then_refused() -> None:
    request = request_for(TOKEN, erc20("transfer", RECIPIENT, 1))
    claimed = [{**request.context["calls"][0], "target": EXECUTOR}]
    assert _refused_rule(_with_context(request, calls=claimed)) == "calls_match_data"


@pytest.mark.parametrize("changes", [{"value": -1}, {"to": "not an address"}, {"data": 12},
                                     {"nonce": True}, {"calls": "nope"}])
def test_review_when_context_malformed_then_refused(changes: dict[str, Any]) -> None:
    request = _with_context(request_for(TOKEN, erc20("transfer", RECIPIENT, 1)), **changes)
    assert _refused_rule(request) == "context_malformed"


def test_review_when_wrong_chain_or_message_then_refused() -> None:
    request = request_for(TOKEN, erc20("transfer", RECIPIENT, 1))
    other_chain = GuardPolicy(dataclasses.replace(RULES, chain_ids={1}))
    assert _refused_rule(request, other_chain) == "chain_allowed"
    message = SigningRequest("m", RequestKind.MESSAGE, b"\x01" * 32, {})
    assert _refused_rule(message) == "message_kind"
    GuardPolicy(dataclasses.replace(RULES, allow_messages=True)).review("alice", message)


def test_decode_calls_when_multisend_batch_then_each_inner_call_decoded_by_name() -> None:
    data = multisend((CALL, TOKEN, 0, erc20("approve", EXECUTOR, 700)),
                     (CALL, EXECUTOR, 5, swap(700)), (CALL, RECIPIENT, 9, b""))
    calls = decode_calls(MULTISEND, 0, data, DELEGATECALL, MULTISEND, [SWAP_ABI])
    assert [(c["target"], c["selector"], c["function"], c["value"]) for c in calls] == [
        (TOKEN, APPROVE, "approve", 0), (EXECUTOR, SWAP, "swapExact", 5),
        (RECIPIENT, "0x", None, 9)]
    assert calls[0]["args"] == {"spender": EXECUTOR, "amount": 700}
    assert calls[1]["args"] == {"tokenIn": TOKEN, "amountIn": 700, "minOut": 1}
    # Called (not delegatecalled), MultiSend is just another target: one opaque call.
    assert len(decode_calls(MULTISEND, 0, data, CALL, MULTISEND)) == 1


def test_review_when_batch_call_runs_past_the_batch_then_refused_as_undecodable() -> None:
    body = erc20("approve", EXECUTOR, 700)
    # A well-formed multiSend(bytes) whose one packed call declares 5 more bytes than it has.
    packed = encode_packed(["uint8", "address", "uint256", "uint256", "bytes"],
                           [CALL, TOKEN, 0, len(body) + 5, body])
    data = bytes.fromhex(selector_of("multiSend(bytes)")[2:]) + abi_encode(["bytes"], [packed])
    tx = SafeTx(to=MULTISEND, value=0, data=data, operation=DELEGATECALL, nonce=0)
    with pytest.raises(CalldataUndecodable, match="runs past the batch"):
        decode_calls(MULTISEND, 0, data, DELEGATECALL, MULTISEND)
    context = safe_tx_context(CHAIN_ID, SAFE, tx, MULTISEND)
    assert "calls" not in context
    request = SigningRequest("cut", RequestKind.SAFE_TX, safe_tx_hash(CHAIN_ID, SAFE, tx),
                             context)
    assert _refused_rule(request) == "undecodable_calldata"


def test_rate_limit_when_window_full_then_refused_until_it_slides() -> None:
    now = [1_000.0]
    limit = RateLimit(2, window_s=10, clock=lambda: now[0])
    request = request_for(TOKEN, erc20("transfer", RECIPIENT, 1))
    limit.review("alice", request)
    now[0] += 4
    limit.review("alice", request)
    with pytest.raises(SigningRefused, match="rate_limit"):
        limit.review("alice", request)
    now[0] += 6.5  # the first signature left the window
    limit.review("alice", request)
    with pytest.raises(SigningRefused, match="rate_limit"):
        limit.review("alice", request)


def test_daily_caps_when_day_total_would_pass_cap_then_refused_until_next_utc_day() -> None:
    now = [86_400 * 20_000 + 3_600.0]  # 01:00 UTC on some day
    caps = DailyTokenCaps({TOKEN: 1_000}, MULTISEND, clock=lambda: now[0])
    caps.review("alice", request_for(TOKEN, erc20("transfer", RECIPIENT, 600)))
    with pytest.raises(SigningRefused) as refused:
        caps.review("alice", batch_request((CALL, TOKEN, 0, erc20("approve", EXECUTOR, 300)),
                                           (CALL, TOKEN, 0, erc20("transfer", RECIPIENT, 200))))
    assert refused.value.rule == "daily_token_cap" and "after 600 today" in refused.value.detail
    caps.review("alice", request_for(TOKEN, erc20("transfer", RECIPIENT, 400)))  # exactly 1000
    caps.review("alice", request_for(OTHER_TOKEN, erc20("transfer", RECIPIENT, 10**9)))
    now[0] += 23 * 3_600  # 00:00 UTC the next day: a fresh allowance
    caps.review("alice", request_for(TOKEN, erc20("transfer", RECIPIENT, 1_000)))


def test_all_of_when_second_policy_refuses_then_its_rule_is_reported() -> None:
    request = request_for(TOKEN, erc20("transfer", RECIPIENT, 1))
    zero = RateLimit(0, window_s=1)
    assert _refused_rule(request, AllOf(POLICY, zero)) == "rate_limit"
    assert _refused_rule(batch_request((CALL, FOREIGN, 0, b"\x01\x02\x03\x04")),
                         AllOf(POLICY, zero)) == "target_allowed"


def test_require_approvals_when_predicate_given_then_only_selected_requests_need_them() -> None:
    big = request_for(RECIPIENT, value=10**18)
    small = request_for(RECIPIENT, value=1)
    rule = RequireApprovals(2, when=lambda r: r.context["value"] >= 10**17)
    assert (rule.approvals_needed(big), rule.approvals_needed(small)) == (2, 0)
    assert RequireApprovals(1).approvals_needed(small) == 1
