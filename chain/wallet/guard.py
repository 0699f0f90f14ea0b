"""Our Safe guard's policy, as the Safe sets it: the first configuration (immediate), then
changes that wait for the Safe's delay, and the way out (scheduled guard removal)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_typing import ChecksumAddress
from web3 import Web3

from chain.compile import load_artifact
from chain.wallet.multisend import Call
from chain.wallet.safe import ZERO_ADDRESS, safe_contract


@dataclass(frozen=True)
class GuardPolicy:
    """A Safe's rules: allowed (target, selector) calls, approval spenders, extra recipients,
    caps per token (address(0) = native) as (per transaction, per UTC day), 0 meaning none."""

    delay_s: int
    sanctions_oracle: ChecksumAddress = ZERO_ADDRESS
    calls: Sequence[tuple[ChecksumAddress, bytes]] = ()
    spenders: Sequence[ChecksumAddress] = ()
    recipients: Sequence[ChecksumAddress] = ()
    caps: Mapping[ChecksumAddress, tuple[int, int]] = field(default_factory=dict)

    def as_tuple(self) -> tuple[Any, ...]:
        tokens = list(self.caps)
        return (self.delay_s, self.sanctions_oracle,
                [bytes.fromhex(target[2:]) + selector for target, selector in self.calls],
                list(self.spenders), list(self.recipients), tokens,
                [self.caps[t][0] for t in tokens], [self.caps[t][1] for t in tokens])


def guard_contract(w3: Web3, address: str) -> Any:
    return w3.eth.contract(address=Web3.to_checksum_address(address),
                           abi=load_artifact("CrossbookGuard").abi)


def selector(signature: str) -> bytes:
    return bytes(Web3.keccak(text=signature)[:4])


def _call(contract: Any, function: str, *args: Any) -> Call:
    encoded = contract.encode_abi(function, list(args))
    return Call(to=contract.address, data=bytes.fromhex(encoded[2:]))


def enable_guard_calls(w3: Web3, guard: str, safe: str, policy: GuardPolicy) -> list[Call]:
    """The Safe's batch that configures its policy and then makes the guard its guard."""
    return [_call(guard_contract(w3, guard), "configure", policy.as_tuple()),
            _call(safe_contract(w3, safe), "setGuard", Web3.to_checksum_address(guard))]


def change_calls(w3: Web3, guard: str, function: str, *args: Any) -> tuple[Call, Call, bytes]:
    """(schedule, apply, encoded change) for one policy change, e.g. ("setCaps", token, a, b)."""
    contract = guard_contract(w3, guard)
    change = bytes.fromhex(contract.encode_abi(function, list(args))[2:])
    return (_call(contract, "scheduleChange", change), _call(contract, "applyChange", change),
            change)


def remove_guard_call(w3: Web3, safe: str) -> Call:
    """`setGuard(0)`: passes the guard only after a matured `allowGuardRemoval` change."""
    return _call(safe_contract(w3, safe), "setGuard", ZERO_ADDRESS)
