"""The embedded devnet: anvil from node_modules, the deployed world, and its manifest.

A devnet lives in a state directory (default `.crossbook/devnet`): `state.json` says which anvil
process serves it, `manifest.json` what was deployed, `anvil.log` what anvil printed. `up` starts
anvil in its own process group (so `down` from another process stops it and its children) and
deploys the world; `status` reads the manifest and checks that the node still answers; `down`
stops the process group. `running_devnet` does all three around a block, for tests and the demo.

Several chains: `up(..., chains=N)` runs one anvil per chain with consecutive chain ids (the
world's, then +1, +2, ...), each with its own world deployed. The manifest keeps the single-chain
shape for the first chain at the top level, so every single-chain caller still works, and lists
the other chains under `chains` (each a full chain manifest minus `abis`, which are the same
contracts on every chain). `chain_manifests` returns every chain's manifest with its `abis`.
`state.json` records the other anvils under `extra_chains`; `status` probes and `down` stops all.
With a world, a multi-chain devnet also gets the lock-and-mint bridge (`chain.bridge.deploy`)
between every pair of chains, described in each chain's `bridge` section.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from web3 import Web3
from web3.exceptions import Web3Exception

from chain.artifacts import NODE_MODULES
from chain.bridge.deploy import bridge_abis, deploy_bridges
from chain.deploy import deploy_world
from chain.errors import (
    AnvilNotInstalled,
    DeploymentFailed,
    DevnetError,
    DevnetNotRunning,
    PortInUse,
    RpcUnreachable,
)
from chain.world import WorldConfig

ANVIL_BINARY = NODE_MODULES / ".bin" / "anvil"
DEFAULT_STATE_DIR = Path(".crossbook") / "devnet"
_LOOPBACK = "127.0.0.1"
_READY_TIMEOUT_S = 30.0
_ANVIL_DEFAULT_CHAIN_ID = 31337
_STOP_TIMEOUT_S = 10.0
# Anvil processes this interpreter started, by pid: kept so they are reaped when stopped (and
# not reported as leaked while they are meant to outlive the call that started them).
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


@dataclass(frozen=True)
class AnvilOptions:
    """How to start anvil. `port=None` picks a free port; `chain_id=None` keeps anvil's default
    (31337, or the parent chain's id when forking)."""

    port: int | None = None
    chain_id: int | None = None
    fork_url: str | None = None
    fork_block_number: int | None = None

    def command(self, port: int) -> list[str]:
        command = [str(ANVIL_BINARY), "--host", _LOOPBACK, "--port", str(port)]
        if self.chain_id is not None:
            command += ["--chain-id", str(self.chain_id)]
        if self.fork_url is not None:
            command += ["--fork-url", self.fork_url]
            if self.fork_block_number is not None:
                command += ["--fork-block-number", str(self.fork_block_number)]
        return command


class DevnetState(BaseModel):
    """What `up` leaves behind so that later commands can find the devnet."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    pid: int
    port: int
    rpc_url: str
    chain_id: int
    fork_url: str | None = None
    started_at_ns: int
    # The anvils of chains after the first (a multi-chain devnet); empty for one chain.
    extra_chains: list[DevnetState] = Field(default_factory=list)

    def every_chain(self) -> list[DevnetState]:
        """This chain's state followed by every extra chain's."""
        return [self, *self.extra_chains]


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((_LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port


def _ensure_port_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((_LOOPBACK, port))
        except OSError as exc:
            raise PortInUse(port) from exc


def connect(rpc_url: str) -> Web3:
    """A Web3 client for a devnet RPC URL (HTTP, loopback)."""
    return Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": 30}))


def start_anvil(options: AnvilOptions, log_path: Path) -> DevnetState:
    """Start anvil in a new process group and return once its RPC answers."""
    if not ANVIL_BINARY.exists():
        raise AnvilNotInstalled(str(ANVIL_BINARY))
    port = options.port if options.port is not None else free_port()
    _ensure_port_free(port)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            options.command(port),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    _CHILDREN[process.pid] = process
    rpc_url = f"http://{_LOOPBACK}:{port}"
    try:
        chain_id = _wait_until_ready(rpc_url, process, log_path)
    except DevnetError:
        _stop_group(process.pid)
        raise
    return DevnetState(
        pid=process.pid,
        port=port,
        rpc_url=rpc_url,
        chain_id=chain_id,
        fork_url=options.fork_url,
        started_at_ns=time.time_ns(),
    )


def _wait_until_ready(rpc_url: str, process: subprocess.Popen[bytes], log_path: Path) -> int:
    w3 = connect(rpc_url)
    deadline = time.monotonic() + _READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_path.read_text(errors="replace")[-800:]
            raise DevnetError(f"anvil exited with status {process.returncode}:\n{tail}")
        with contextlib.suppress(Web3Exception, OSError, ValueError):
            return w3.eth.chain_id
        time.sleep(0.1)
    raise DevnetError(f"anvil did not answer on {rpc_url} within {_READY_TIMEOUT_S:.0f} s")


def _is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    child = _CHILDREN.get(pid)
    # A zombie child still "exists" for kill(0); poll() reaps it if it is ours.
    return child is None or child.poll() is None


def _stop_group(pid: int) -> None:
    """Stop anvil and everything in its process group: TERM, then KILL after a grace period."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, sig)
        deadline = time.monotonic() + _STOP_TIMEOUT_S
        while time.monotonic() < deadline:
            if not _is_alive(pid):
                _CHILDREN.pop(pid, None)
                return
            time.sleep(0.05)


class Devnet:
    """A devnet rooted in a state directory: start, deploy, inspect and stop it."""

    def __init__(self, state_dir: Path = DEFAULT_STATE_DIR) -> None:
        self.state_dir = state_dir

    @property
    def state_path(self) -> Path:
        return self.state_dir / "state.json"

    @property
    def manifest_path(self) -> Path:
        return self.state_dir / "manifest.json"

    @property
    def log_path(self) -> Path:
        return self.state_dir / "anvil.log"

    def up(
        self, options: AnvilOptions, world: WorldConfig | None, chains: int = 1
    ) -> dict[str, Any]:
        """Start `chains` anvils, deploy `world` on each (nothing when None), write the manifest.

        Chain k (from 0) runs chain id `first + k`, where `first` is `options.chain_id`, else the
        world's, else anvil's default 31337; with a fixed `options.port`, chain k listens on
        `port + k`.
        """
        if chains < 1:
            raise DevnetError(f"chains must be at least 1, got {chains}")
        if chains > 1 and options.fork_url is not None:
            raise DevnetError("a forked devnet runs one chain; drop --chains or --fork-url")
        if self._live_state() is not None:
            raise DevnetError(
                f"a devnet is already running from {self.state_dir}; "
                "stop it with `crossbook devnet down` or use another --state-dir"
            )
        if world is not None and options.chain_id is None:
            options = dataclasses.replace(options, chain_id=world.chain_id)
        if chains > 1 and options.chain_id is None:
            options = dataclasses.replace(options, chain_id=_ANVIL_DEFAULT_CHAIN_ID)
        started: list[DevnetState] = []
        manifests: list[dict[str, Any]] = []
        try:
            for index in range(chains):
                chain_options, chain_world = _chain_k(options, world, index)
                log_path = self.log_path if index == 0 else self.state_dir / (
                    f"anvil-{chain_options.chain_id}.log"
                )
                started.append(start_anvil(chain_options, log_path))
                manifests.append(self._deploy(started[-1], chain_world))
            if chains > 1 and world is not None:
                _connect_chains(started, manifests)
        except BaseException:
            for state in started:
                _stop_group(state.pid)
            raise
        manifest = _combined_manifest(manifests)
        state = started[0].model_copy(update={"extra_chains": started[1:]})
        self.state_dir.mkdir(parents=True, exist_ok=True)
        _write_json(self.manifest_path, manifest)
        _write_json(self.state_path, state.model_dump())
        return manifest

    def _deploy(self, state: DevnetState, world: WorldConfig | None) -> dict[str, Any]:
        w3 = connect(state.rpc_url)
        manifest: dict[str, Any] = {}
        if world is not None:
            if world.chain_id != state.chain_id:
                raise DeploymentFailed(
                    "check chain id",
                    f"world file is for chain {world.chain_id} but anvil runs {state.chain_id}",
                )
            manifest = deploy_world(w3, world)
        manifest.update({
            "chain_id": state.chain_id,
            "rpc_url": state.rpc_url,
            "block": w3.eth.block_number,
            "fork_url": state.fork_url,
        })
        return manifest

    def status(self) -> dict[str, Any]:
        """Return the manifest of the running devnet; raise if none runs or it stopped answering."""
        state = self._live_state()
        if state is None:
            raise DevnetNotRunning(str(self.state_dir))
        for chain_state in state.every_chain():
            try:
                connect(chain_state.rpc_url).eth.block_number  # noqa: B018 - a liveness probe
            except (Web3Exception, OSError) as exc:
                raise RpcUnreachable(chain_state.rpc_url, str(exc)) from exc
        manifest: dict[str, Any] = json.loads(self.manifest_path.read_text())
        return manifest

    def down(self) -> bool:
        """Stop the devnet if one runs; return whether there was one."""
        if not self.state_path.exists():
            return False
        state = DevnetState.model_validate_json(self.state_path.read_text())
        was_alive = False
        for chain_state in state.every_chain():
            if _is_alive(chain_state.pid):
                was_alive = True
                _stop_group(chain_state.pid)
        self.state_path.unlink()
        return was_alive

    def _live_state(self) -> DevnetState | None:
        if not self.state_path.exists():
            return None
        state = DevnetState.model_validate_json(self.state_path.read_text())
        alive = any(_is_alive(chain_state.pid) for chain_state in state.every_chain())
        return state if alive else None


def _chain_k(
    options: AnvilOptions, world: WorldConfig | None, index: int
) -> tuple[AnvilOptions, WorldConfig | None]:
    """Anvil options and world of the chain at `index` in a multi-chain devnet."""
    if index == 0:
        return options, world
    assert options.chain_id is not None  # set by `up` before any chain starts
    chain_id = options.chain_id + index
    port = None if options.port is None else options.port + index
    chain_options = dataclasses.replace(options, chain_id=chain_id, port=port)
    chain_world = None if world is None else world.model_copy(update={"chain_id": chain_id})
    return chain_options, chain_world


def _connect_chains(states: list[DevnetState], manifests: list[dict[str, Any]]) -> None:
    """Deploy the lock-and-mint bridge between the chains; its ABIs join the first manifest's."""
    clients = [connect(state.rpc_url) for state in states]
    deploy_bridges(list(zip(clients, manifests, strict=True)))
    manifests[0]["abis"].update(bridge_abis())


def _combined_manifest(manifests: list[dict[str, Any]]) -> dict[str, Any]:
    """The first chain's manifest with the others under `chains` (without their `abis`)."""
    first = manifests[0]
    if len(manifests) == 1:
        return first
    others = [{k: v for k, v in m.items() if k != "abis"} for m in manifests[1:]]
    return {**first, "chains": others}


def chain_manifests(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """Every chain's manifest, first chain first, each in the single-chain shape (with `abis`).

    A single-chain manifest gives a list of itself.
    """
    first = {k: v for k, v in manifest.items() if k != "chains"}
    others = [
        {**other, "abis": manifest["abis"]} if "abis" in manifest else dict(other)
        for other in manifest.get("chains", [])
    ]
    return [first, *others]


def chain_manifest(manifest: dict[str, Any], chain_id: int) -> dict[str, Any]:
    """The manifest of the devnet chain with id `chain_id`; `DevnetError` if there is none."""
    for candidate in chain_manifests(manifest):
        if candidate["chain_id"] == chain_id:
            return candidate
    known = [m["chain_id"] for m in chain_manifests(manifest)]
    raise DevnetError(f"the devnet has no chain {chain_id}; its chains are {known}")


def _write_json(path: Path, document: dict[str, Any]) -> None:
    """Write through a temporary file and rename, so readers never see half a document."""
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(json.dumps(document, indent=2, sort_keys=True))
    temporary.replace(path)


@contextlib.contextmanager
def running_devnet(
    state_dir: Path,
    options: AnvilOptions | None = None,
    world: WorldConfig | None = None,
    chains: int = 1,
) -> Iterator[dict[str, Any]]:
    """Run a devnet for the duration of a block and always stop it afterwards."""
    devnet = Devnet(state_dir)
    manifest = devnet.up(options or AnvilOptions(), world, chains)
    try:
        yield manifest
    finally:
        devnet.down()
