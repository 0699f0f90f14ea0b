"""Signing policies: the on-chain guard's rules, run again by every signer before it signs.

`GuardPolicy` trusts nothing it cannot tie to the digest. For a Safe transaction it

1. re-derives the SafeTx EIP-712 hash from the context and refuses if it is not the digest
   (rule `context_binds_digest`): a caller cannot show a harmless context and get a harmful
   digest signed;
2. decodes `data` itself (ERC-20 `transfer`/`approve`/`transferFrom`, a MultiSendCallOnly batch,
   and any ABI it is given) and refuses if the context's `calls` disagree (`calls_match_data`);
3. checks every decoded call against the rules the Safe guard enforces on chain: allowed
   targets and selectors, `approve` only to allowed spenders, tokens sent only to the Safe or
   an allowed recipient, a cap per token per transaction, native value at most `max_value`,
   `delegatecall` only to MultiSendCallOnly (inner calls must be plain calls), and no blocked
   (e.g. sanctioned) address anywhere.

Every refusal is a `SigningRefused` whose `rule` is one of the `RULE_*` names below. Unknown
tokens, undecodable calldata and missing context fields refuse: the policy fails closed.

`DailyTokenCaps` adds the guard's per-day caps per token (stateful, one per signer).
`RateLimit` allows at most N signatures per sliding window (injectable clock). `AllOf` runs
several policies in order. `RequireApprovals` tells the signing service how many human
approvals a request needs before it is signed.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from eth_typing import ChecksumAddress
from web3 import Web3

from chain.errors import TerminalChainError
from chain.signers.base import RequestKind, SigningPolicy, SigningRefused, SigningRequest
from chain.signers.calldata import (
    CALL,
    DELEGATECALL,
    NATIVE_TRANSFER,
    SELECTOR_APPROVE,
    SELECTOR_TRANSFER,
    SELECTOR_TRANSFER_FROM,
    CalldataUndecodable,
    checksum_address,
    decode_calls_with,
    selector_table,
)

RULE_MESSAGE_KIND = "message_kind"
RULE_CONTEXT_MALFORMED = "context_malformed"
RULE_SAFE_ALLOWED = "safe_allowed"
RULE_CHAIN_ALLOWED = "chain_allowed"
RULE_CONTEXT_BINDS_DIGEST = "context_binds_digest"
RULE_CALLS_MATCH_DATA = "calls_match_data"
RULE_UNDECODABLE_CALLDATA = "undecodable_calldata"
RULE_DELEGATECALL_TARGET = "delegatecall_target"
RULE_TARGET_ALLOWED = "target_allowed"
RULE_SELECTOR_ALLOWED = "selector_allowed"
RULE_SPENDER_ALLOWED = "spender_allowed"
RULE_RECIPIENT_ALLOWED = "recipient_allowed"
RULE_TOKEN_CAP = "token_cap"
RULE_MAX_VALUE = "max_value"
RULE_BLOCKED_ADDRESS = "blocked_address"
RULE_RATE_LIMIT = "rate_limit"
RULE_DAILY_TOKEN_CAP = "daily_token_cap"

class SignerConfigError(TerminalChainError, ValueError):
    """A signer, policy or service was configured with values it cannot work with."""


# ---------------------------------------------------------------------------------------------
# The guard's rules
# ---------------------------------------------------------------------------------------------


def _addresses(values: Iterable[str]) -> frozenset[ChecksumAddress]:
    return frozenset(Web3.to_checksum_address(v) for v in values)


@dataclass(frozen=True)
class GuardRules:
    """What a signer may sign, mirroring CrossbookGuard's configuration.

    `allowed_calls` maps each allowed target to its allowed selectors (`"0x"` for a plain value
    transfer); `spenders` may receive `approve`; tokens may go to the Safe or to `recipients`;
    `token_caps` is the most of each token (base units) one transaction may transfer or
    approve, summed over its calls (a token without a cap may not move); `max_value` is the
    most wei a transaction may send; `multisend` is the only `delegatecall` target; `blocked`
    addresses may appear nowhere, nor any address for which `screen` (e.g. the compliance
    module's sanctions check, injected by the caller) answers True. `safes`/`chain_ids`, when
    given, limit which wallets sign; `abis` name the functions of other targets.
    """

    allowed_calls: Mapping[str, Iterable[str]] = field(default_factory=dict)
    spenders: Iterable[str] = ()
    recipients: Iterable[str] = ()
    token_caps: Mapping[str, int] = field(default_factory=dict)
    max_value: int = 0
    multisend: str | None = None
    blocked: Iterable[str] = ()
    safes: Iterable[str] | None = None
    chain_ids: Iterable[int] | None = None
    allow_messages: bool = False
    abis: Sequence[Mapping[str, Any]] = ()
    screen: Callable[[ChecksumAddress], bool] | None = None


@dataclass(frozen=True)
class _Compiled:
    allowed_calls: Mapping[ChecksumAddress, frozenset[str]]
    spenders: frozenset[ChecksumAddress]
    recipients: frozenset[ChecksumAddress]
    token_caps: Mapping[ChecksumAddress, int]
    multisend: ChecksumAddress | None
    blocked: frozenset[ChecksumAddress]
    safes: frozenset[ChecksumAddress] | None
    chain_ids: frozenset[int] | None


def _compile(rules: GuardRules) -> _Compiled:
    return _Compiled(
        allowed_calls={Web3.to_checksum_address(t): frozenset(s.lower() for s in sels)
                       for t, sels in rules.allowed_calls.items()},
        spenders=_addresses(rules.spenders), recipients=_addresses(rules.recipients),
        token_caps={Web3.to_checksum_address(t): c for t, c in rules.token_caps.items()},
        multisend=Web3.to_checksum_address(rules.multisend) if rules.multisend else None,
        blocked=_addresses(rules.blocked),
        safes=None if rules.safes is None else _addresses(rules.safes),
        chain_ids=None if rules.chain_ids is None else frozenset(rules.chain_ids),
    )


@dataclass(frozen=True)
class _SafeTxView:
    """The context fields the digest covers, parsed and type-checked."""

    safe: ChecksumAddress
    chain_id: int
    to: ChecksumAddress
    value: int
    data: bytes
    operation: int
    nonce: int
    refund: tuple[int, int, int, ChecksumAddress, ChecksumAddress]


def _parse_context(context: Mapping[str, Any]) -> _SafeTxView:
    def integer(key: str, default: int | None = None) -> int:
        raw = context.get(key, default)
        if not isinstance(raw, int) or isinstance(raw, bool) or raw < 0:
            raise ValueError(f"{key} must be a non-negative integer, got {raw!r}")
        return raw

    def address(key: str, default: str | None = None) -> ChecksumAddress:
        raw = context.get(key, default)
        if not isinstance(raw, str) or not Web3.is_address(raw):
            raise ValueError(f"{key} must be an address, got {raw!r}")
        return checksum_address(raw)

    data = context.get("data")
    if not isinstance(data, str) or not data.startswith("0x"):
        raise ValueError(f"data must be 0x-prefixed hex, got {data!r}")
    zero = "0x" + "00" * 20
    return _SafeTxView(
        safe=address("safe"), chain_id=integer("chain_id"), to=address("to"),
        value=integer("value"), data=bytes.fromhex(data[2:]), operation=integer("operation"),
        nonce=integer("nonce"),
        refund=(integer("safe_tx_gas", 0), integer("base_gas", 0), integer("gas_price", 0),
                address("gas_token", zero), address("refund_receiver", zero)),
    )


def _digest_of(view: _SafeTxView) -> bytes:
    from chain.wallet.safe import SafeTx, safe_tx_hash  # chain.wallet imports us

    safe_tx_gas, base_gas, gas_price, gas_token, refund_receiver = view.refund
    tx = SafeTx(to=view.to, value=view.value, data=view.data, operation=view.operation,
                nonce=view.nonce, safe_tx_gas=safe_tx_gas, base_gas=base_gas,
                gas_price=gas_price, gas_token=gas_token, refund_receiver=refund_receiver)
    return safe_tx_hash(view.chain_id, view.safe, tx)


def _shape(calls: Any) -> list[tuple[str, str]]:
    if not isinstance(calls, list | tuple):
        raise ValueError("calls must be a list")
    shape: list[tuple[str, str]] = []
    for call in calls:
        if not isinstance(call, Mapping):
            raise ValueError("each call must be an object")
        shape.append((checksum_address(str(call.get("target"))),
                      str(call.get("selector", "")).lower()))
    return shape


class GuardPolicy:
    """The guard's rules as a `SigningPolicy` (see the module docstring)."""

    def __init__(self, rules: GuardRules) -> None:
        self.rules = rules
        self._c = _compile(rules)
        self._selectors = selector_table(rules.abis)

    def __repr__(self) -> str:
        return f"GuardPolicy({self.rules!r})"

    def review(self, signer: str, request: SigningRequest) -> None:
        """Refuse `request` unless every rule passes."""
        if request.kind is RequestKind.MESSAGE:
            if not self.rules.allow_messages:
                raise SigningRefused(signer, RULE_MESSAGE_KIND,
                                     "this policy signs Safe transactions only")
            return
        try:
            view = _parse_context(request.context)
        except ValueError as bad:
            raise SigningRefused(signer, RULE_CONTEXT_MALFORMED, str(bad)) from None
        self._check_wallet(signer, view)
        if _digest_of(view) != request.digest:
            raise SigningRefused(signer, RULE_CONTEXT_BINDS_DIGEST,
                                 "the context does not hash to the digest being signed")
        calls = self._decode(signer, view, request.context.get("calls"))
        if view.operation == DELEGATECALL and view.to != self._c.multisend:
            raise SigningRefused(signer, RULE_DELEGATECALL_TARGET,
                                 f"delegatecall to {view.to}; only MultiSendCallOnly "
                                 f"{self._c.multisend} may be delegatecalled")
        if view.value > self.rules.max_value:
            raise SigningRefused(signer, RULE_MAX_VALUE,
                                 f"value {view.value} wei > max {self.rules.max_value}")
        moved: dict[ChecksumAddress, int] = {}
        total_value = 0
        for call in calls:
            self._check_call(signer, view.safe, call, moved)
            total_value += call["value"]
        if total_value > self.rules.max_value:
            raise SigningRefused(signer, RULE_MAX_VALUE,
                                 f"calls send {total_value} wei > max {self.rules.max_value}")
        for token, amount in moved.items():
            cap = self._c.token_caps[token]
            if amount > cap:
                raise SigningRefused(signer, RULE_TOKEN_CAP,
                                     f"{amount} of token {token} > cap {cap} per transaction")

    def _check_wallet(self, signer: str, view: _SafeTxView) -> None:
        if self._c.safes is not None and view.safe not in self._c.safes:
            raise SigningRefused(signer, RULE_SAFE_ALLOWED, f"Safe {view.safe} is not allowed")
        if self._c.chain_ids is not None and view.chain_id not in self._c.chain_ids:
            raise SigningRefused(signer, RULE_CHAIN_ALLOWED,
                                 f"chain id {view.chain_id} is not allowed")

    def _decode(self, signer: str, view: _SafeTxView, claimed: Any) -> list[dict[str, Any]]:
        try:
            calls = decode_calls_with(view.to, view.value, view.data, view.operation,
                                  self._c.multisend, self._selectors)
        except CalldataUndecodable as bad:
            raise SigningRefused(signer, RULE_UNDECODABLE_CALLDATA, str(bad)) from None
        if claimed is not None:
            try:
                claimed_shape = _shape(claimed)
            except ValueError as bad:
                raise SigningRefused(signer, RULE_CONTEXT_MALFORMED, str(bad)) from None
            actual = [(c["target"], c["selector"]) for c in calls]
            if claimed_shape != actual:
                raise SigningRefused(signer, RULE_CALLS_MATCH_DATA,
                                     f"context calls {claimed_shape} but data decodes to "
                                     f"{actual}")
        return calls

    def _check_call(self, signer: str, safe: ChecksumAddress, call: Mapping[str, Any],
                    moved: dict[ChecksumAddress, int]) -> None:
        target: ChecksumAddress = call["target"]
        selector: str = call["selector"]
        args: Mapping[str, Any] = call["args"]
        named = [target, *(v for v in args.values() if isinstance(v, str) and Web3.is_address(v))]
        screen = self.rules.screen
        for address in map(checksum_address, named):
            if address in self._c.blocked or (screen is not None and screen(address)):
                raise SigningRefused(signer, RULE_BLOCKED_ADDRESS, f"{address} is blocked")
        if call["operation"] != CALL:
            raise SigningRefused(signer, RULE_DELEGATECALL_TARGET,
                                 f"inner delegatecall to {target} is not allowed")
        if call["value"] > self.rules.max_value:
            raise SigningRefused(signer, RULE_MAX_VALUE,
                                 f"call to {target} sends {call['value']} wei > max "
                                 f"{self.rules.max_value}")
        if selector == NATIVE_TRANSFER:
            if (target in self._c.recipients | {safe}
                    or NATIVE_TRANSFER in self._c.allowed_calls.get(target, ())):
                return
            raise SigningRefused(signer, RULE_RECIPIENT_ALLOWED,
                                 f"value transfer to {target}, neither the Safe nor allowed")
        if target not in self._c.allowed_calls:
            raise SigningRefused(signer, RULE_TARGET_ALLOWED, f"target {target} is not allowed")
        if selector not in self._c.allowed_calls[target]:
            raise SigningRefused(signer, RULE_SELECTOR_ALLOWED,
                                 f"selector {selector} on {target} is not allowed")
        self._check_token_move(signer, safe, call, moved)

    def _check_token_move(self, signer: str, safe: ChecksumAddress, call: Mapping[str, Any],
                          moved: dict[ChecksumAddress, int]) -> None:
        selector, args, token = call["selector"], call["args"], call["target"]
        if selector == SELECTOR_APPROVE:
            if args["spender"] not in self._c.spenders:
                raise SigningRefused(signer, RULE_SPENDER_ALLOWED,
                                     f"approve to {args['spender']} is not allowed")
        elif selector in (SELECTOR_TRANSFER, SELECTOR_TRANSFER_FROM):
            if args["to"] not in self._c.recipients | {safe}:
                raise SigningRefused(signer, RULE_RECIPIENT_ALLOWED,
                                     f"recipient {args['to']} is neither the Safe nor allowed")
        else:
            return
        if token not in self._c.token_caps:
            raise SigningRefused(signer, RULE_TOKEN_CAP, f"token {token} has no cap configured")
        moved[token] = moved.get(token, 0) + int(args["amount"])


# ---------------------------------------------------------------------------------------------
# Rate, composition and approvals
# ---------------------------------------------------------------------------------------------


class RateLimit:
    """At most `max_signatures` requests pass per sliding `window_s` seconds.

    A request counts when it passes review, whether or not a signature follows: the limit is on
    what the signer agreed to sign.
    """

    def __init__(self, max_signatures: int, window_s: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if max_signatures < 0 or window_s <= 0:
            raise SignerConfigError(f"RateLimit: max_signatures must be >= 0 and window_s > 0, "
                                    f"got {max_signatures} and {window_s}")
        self.max_signatures = max_signatures
        self.window_s = window_s
        self._clock = clock
        self._passed: deque[float] = deque()

    def review(self, signer: str, request: SigningRequest) -> None:
        now = self._clock()
        while self._passed and self._passed[0] <= now - self.window_s:
            self._passed.popleft()
        if len(self._passed) >= self.max_signatures:
            raise SigningRefused(signer, RULE_RATE_LIMIT,
                                 f"{self.max_signatures} signatures already in the last "
                                 f"{self.window_s:g} s")
        self._passed.append(now)


def _token_moves(calls: Iterable[Mapping[str, Any]]) -> dict[ChecksumAddress, int]:
    moved: dict[ChecksumAddress, int] = {}
    for call in calls:
        if call["selector"] in (SELECTOR_APPROVE, SELECTOR_TRANSFER, SELECTOR_TRANSFER_FROM):
            moved[call["target"]] = moved.get(call["target"], 0) + int(call["args"]["amount"])
    return moved


class DailyTokenCaps:
    """Per token, at most `caps[token]` base units transferred or approved per UTC day, summed
    over every Safe transaction this policy passed (the guard's per-day caps, counted at
    signing: a signature that is never executed still counts, so the limit errs shut).

    Stateful: give each signer its own instance, after a `GuardPolicy` in an `AllOf` (which
    has already tied the context to the digest). Tokens without a cap here are not limited
    by it (GuardPolicy's per-transaction caps still apply).
    """

    def __init__(self, caps: Mapping[str, int], multisend: str | None = None,
                 abis: Sequence[Mapping[str, Any]] = (),
                 clock: Callable[[], float] = time.time) -> None:
        self.caps = {checksum_address(t): c for t, c in caps.items()}
        self._multisend = multisend
        self._selectors = selector_table(abis)
        self._clock = clock
        self._day = -1
        self._spent: dict[ChecksumAddress, int] = {}

    def review(self, signer: str, request: SigningRequest) -> None:
        if request.kind is not RequestKind.SAFE_TX:
            return
        try:
            view = _parse_context(request.context)
            calls = decode_calls_with(view.to, view.value, view.data, view.operation,
                                      self._multisend, self._selectors)
        except (ValueError, CalldataUndecodable) as bad:
            raise SigningRefused(signer, RULE_CONTEXT_MALFORMED, str(bad)) from None
        day = int(self._clock() // 86_400)
        if day != self._day:
            self._day, self._spent = day, {}
        moved = {t: a for t, a in _token_moves(calls).items() if t in self.caps}
        for token, amount in moved.items():
            spent = self._spent.get(token, 0)
            if spent + amount > self.caps[token]:
                raise SigningRefused(signer, RULE_DAILY_TOKEN_CAP,
                                     f"{amount} of token {token} after {spent} today > daily "
                                     f"cap {self.caps[token]}")
        for token, amount in moved.items():
            self._spent[token] = self._spent.get(token, 0) + amount


class AllOf:
    """Every policy in order; the first refusal wins."""

    def __init__(self, *policies: SigningPolicy) -> None:
        self.policies = policies

    def review(self, signer: str, request: SigningRequest) -> None:
        for policy in self.policies:
            policy.review(signer, request)


class ApprovalRule(Protocol):
    """How many distinct human approvals a request needs before a service signs it."""

    def approvals_needed(self, request: SigningRequest) -> int: ...


class NoApprovals:
    """Sign as soon as the policy passes."""

    def approvals_needed(self, request: SigningRequest) -> int:
        return 0


class RequireApprovals:
    """`count` approvals for every request, or only for those `when` selects."""

    def __init__(self, count: int,
                 when: Callable[[SigningRequest], bool] | None = None) -> None:
        if count < 1:
            raise SignerConfigError(f"RequireApprovals: count must be at least 1, got {count}")
        self.count = count
        self._when = when

    def approvals_needed(self, request: SigningRequest) -> int:
        return self.count if self._when is None or self._when(request) else 0
