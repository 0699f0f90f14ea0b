"""Errors raised by `risk.compliance`, split by whether trying again can help.

    ComplianceError
    ├── RetryableComplianceError       the same call may succeed later
    │   ├── ProviderUnavailable        an external screening provider did not answer
    │   ├── OracleUnavailable          the on-chain sanctions oracle could not be read
    │   └── ChainReadFailed            the node did not answer an indexing read
    └── TerminalComplianceError        trying again will not help without a change
        ├── InvalidAddress             an address is not a 20-byte hex address
        ├── ListFormatError            a list file is not in a format we read
        ├── UnknownListVersion         a decision names a list version the store does not hold
        └── StoreError                 the list store refused a read or a write

A screening never raises for a finding: findings become reasons on the decision. These errors are
for bad input and for sources that cannot answer (which the screener turns into a fail-closed
reason where the configuration says so).
"""

from __future__ import annotations


class ComplianceError(Exception):
    """Root of every error raised by `risk.compliance`."""


class RetryableComplianceError(ComplianceError):
    """A transient failure: the same request may succeed if tried again."""


class TerminalComplianceError(ComplianceError):
    """A failure that repeats until something is changed."""


class ProviderUnavailable(RetryableComplianceError):
    """An external screening provider could not be reached or answered nonsense."""

    def __init__(self, provider: str, detail: str) -> None:
        self.provider = provider
        self.detail = detail
        super().__init__(f"screening provider {provider!r} is unavailable: {detail}")


class OracleUnavailable(RetryableComplianceError):
    """The on-chain sanctions oracle could not be read."""

    def __init__(self, oracle: str, detail: str) -> None:
        self.oracle = oracle
        self.detail = detail
        super().__init__(f"sanctions oracle {oracle} could not be read: {detail}")


class InvalidAddress(TerminalComplianceError):
    """An address field does not hold a 0x-prefixed 20-byte hex address."""

    def __init__(self, field: str, value: str) -> None:
        self.field = field
        self.value = value
        super().__init__(
            f"{field}: {value!r} is not an EVM address (rule: 0x followed by 40 hex digits)"
        )


class ListFormatError(TerminalComplianceError):
    """A sanctions or deny-list file could not be parsed."""

    def __init__(self, path: str, rule: str) -> None:
        self.path = path
        self.rule = rule
        super().__init__(f"{path}: {rule}")


class UnknownListVersion(TerminalComplianceError):
    """A list version was asked for that the store does not hold."""

    def __init__(self, version: int, latest: int) -> None:
        self.version = version
        self.latest = latest
        super().__init__(
            f"list_version: {version} is not in the store (rule: 1 <= version <= {latest})"
        )


class StoreError(TerminalComplianceError):
    """The list store could not be opened, read or written."""


class ChainReadFailed(RetryableComplianceError):
    """A read of blocks or logs for the transfer or oracle index failed."""

    def __init__(self, what: str, detail: str) -> None:
        self.what = what
        self.detail = detail
        super().__init__(f"could not read {what} from the chain: {detail}; is the node running?")
