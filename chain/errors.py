"""Errors raised by `chain`, split by whether trying again can help.

    ChainError
    ├── RetryableChainError            the same call may succeed later
    │   └── RpcUnreachable             no answer from the node (down, wrong port, timeout)
    └── TerminalChainError             trying again will not help without a change
        ├── ArtifactNotFound           no artifact by that contract name
        ├── CompilationFailed          solc rejected our sources
        └── DevnetError                the local devnet could not be run as asked
            ├── AnvilNotInstalled      node_modules has no anvil binary
            ├── PortInUse              the requested RPC port is taken
            ├── DevnetNotRunning       status/down found no devnet
            └── DeploymentFailed       a contract or setup transaction of the world failed

Each message says what happened and what to do about it.
"""

from __future__ import annotations

from collections.abc import Sequence


class ChainError(Exception):
    """Root of every error raised by the `chain` package."""


class RetryableChainError(ChainError):
    """A transient failure: the same request may succeed if tried again."""


class TerminalChainError(ChainError):
    """A failure that repeats until something is changed."""


class RpcUnreachable(RetryableChainError):
    """The JSON-RPC endpoint did not answer."""

    def __init__(self, url: str, detail: str = "") -> None:
        self.url = url
        suffix = f": {detail}" if detail else ""
        super().__init__(f"no answer from the RPC endpoint {url}{suffix}; is the node running?")


class ArtifactNotFound(TerminalChainError):
    """No compiled or published artifact exists under the requested contract name."""

    def __init__(self, name: str, available: Sequence[str], hint: str = "") -> None:
        self.name = name
        self.available = list(available)
        detail = hint or f"known contracts: {', '.join(self.available) or 'none'}"
        super().__init__(f"no artifact for contract {name!r}; {detail}")


class CompilationFailed(TerminalChainError):
    """solc reported errors for our Solidity sources."""

    def __init__(self, messages: Sequence[str]) -> None:
        self.messages = list(messages)
        super().__init__("Solidity compilation failed:\n" + "\n".join(self.messages))


class DevnetError(TerminalChainError):
    """The local devnet could not be started, found, deployed or stopped."""


class AnvilNotInstalled(DevnetError):
    """The npm anvil wrapper is missing from node_modules."""

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(f"anvil not found at {path}; run `make setup` to install the node tools")


class PortInUse(DevnetError):
    """Another process already listens on the requested port."""

    def __init__(self, port: int) -> None:
        self.port = port
        super().__init__(
            f"port {port} is already in use; pass another with --port, or stop the process "
            f"using it (`crossbook devnet down` if it is ours)"
        )


class DevnetNotRunning(DevnetError):
    """No devnet state was found where one was expected."""

    def __init__(self, state_dir: str) -> None:
        self.state_dir = state_dir
        super().__init__(
            f"no running devnet found in {state_dir}; start one with `crossbook devnet up`"
        )


class DeploymentFailed(DevnetError):
    """A deployment or setup transaction of the devnet world failed."""

    def __init__(self, step: str, detail: str) -> None:
        self.step = step
        self.detail = detail
        super().__init__(
            f"devnet deployment failed at step {step!r}: {detail}; the devnet was stopped, "
            f"check the world file and run `crossbook devnet up` again"
        )
