"""Errors raised by `chain.bridge`, placed in the `chain` error tree.

    ChainError
    ├── RetryableChainError
    │   └── BridgeTimeout            the destination side did not complete in time (may later)
    └── TerminalChainError
        └── BridgeError              the bridge cannot do what was asked
            ├── UnsupportedRoute     no path for this (source chain, destination chain, token)
            └── RelayerConfigError   the relayer's configuration is not usable
"""

from __future__ import annotations

from chain.errors import RetryableChainError, TerminalChainError


class BridgeError(TerminalChainError):
    """A bridge operation that repeats the same failure until something changes."""


class UnsupportedRoute(BridgeError):
    """The bridge has no path between these chains for this token."""

    def __init__(self, bridge: str, source_chain_id: int, destination_chain_id: int,
                 token: str) -> None:
        self.bridge = bridge
        self.source_chain_id = source_chain_id
        self.destination_chain_id = destination_chain_id
        self.token = token
        super().__init__(
            f"bridge {bridge} has no route for token {token} from chain {source_chain_id} "
            f"to chain {destination_chain_id}"
        )


class RelayerConfigError(BridgeError):
    """A relayer configuration field breaks a rule."""

    def __init__(self, field: str, rule: str) -> None:
        self.field = field
        self.rule = rule
        super().__init__(f"relayer config field {field!r}: {rule}")


class BridgeTimeout(RetryableChainError):
    """A transfer was not completed on the destination chain within the time given."""

    def __init__(self, transfer_id: str, waited_s: float) -> None:
        self.transfer_id = transfer_id
        self.waited_s = waited_s
        super().__init__(
            f"transfer {transfer_id} not completed after {waited_s:.1f} s; it may still "
            "complete: track it again (is the relayer running?)"
        )
