"""Compile Crossbook's own Solidity (`contracts/`) and serve artifacts by contract name.

The compiler is solc-js from node_modules, driven by py-solc-x through `scripts/solc` (a
solc-compatible command line); no native solc is ever downloaded. Artifacts are cached under
`build/contracts/<key>.json`, where the key hashes every source file, the compiler settings and
the installed versions of solc-js and OpenZeppelin, so an unchanged tree never runs the compiler
twice and an upgraded dependency never serves stale bytecode. Third-party protocol
bytecode (Uniswap, Safe) is not compiled here: it comes from npm (`chain.artifacts`).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import solcx
from solcx.exceptions import SolcError

from chain.errors import ArtifactNotFound, CompilationFailed

REPO_ROOT = Path(__file__).resolve().parent.parent
CONTRACTS_DIR = REPO_ROOT / "contracts"
NODE_MODULES = REPO_ROOT / "node_modules"
BUILD_DIR = REPO_ROOT / "build" / "contracts"
SOLC_SHIM = REPO_ROOT / "scripts" / "solc"
# The solc-js release pinned in package.json; the shim reports it in native format.
SOLC_VERSION = "0.8.30"
# npm packages whose files reach the compiler: their installed versions are part of the cache
# key, so `npm ci` after a version bump recompiles even though contracts/ did not change.
COMPILER_INPUT_PACKAGES = ("solc", "@openzeppelin/contracts")

COMPILER_SETTINGS: dict[str, Any] = {
    "optimizer": {"enabled": True, "runs": 200},
    # Cancun (MCOPY, transient storage) runs on anvil's default hardfork ("latest") and on every
    # chain a desk forks today; a newer target would make bytecode that older forks reject.
    "evmVersion": "cancun",
    "remappings": ["@openzeppelin/=node_modules/@openzeppelin/"],
    "outputSelection": {
        "*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"]}
    },
}


@dataclass(frozen=True)
class Artifact:
    """ABI and bytecode of one of our contracts."""

    name: str
    source: str
    abi: list[dict[str, Any]]
    bytecode: bytes
    deployed_bytecode: bytes


def _sources() -> dict[str, str]:
    """Every .sol file under contracts/, keyed by its path relative to the repository."""
    return {
        path.relative_to(REPO_ROOT).as_posix(): path.read_text()
        for path in sorted(CONTRACTS_DIR.rglob("*.sol"))
    }


def _installed_version(package: str) -> str:
    manifest = NODE_MODULES / package / "package.json"
    try:
        version: str = json.loads(manifest.read_text())["version"]
    except (OSError, ValueError, KeyError):
        return "missing"  # the compiler run itself then reports what is absent
    return version


def _cache_key(sources: dict[str, str]) -> str:
    packages = {package: _installed_version(package) for package in COMPILER_INPUT_PACKAGES}
    material = [SOLC_VERSION, packages, COMPILER_SETTINGS, sources]
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()[:32]


def _run_compiler(sources: dict[str, str]) -> dict[str, Any]:
    if not sources:
        return {}  # solc rejects an input without sources; an empty tree has no artifacts
    standard_input = {
        "language": "Solidity",
        "sources": {path: {"content": text} for path, text in sources.items()},
        "settings": COMPILER_SETTINGS,
    }
    try:
        output: dict[str, Any] = solcx.compile_standard(
            standard_input, solc_binary=SOLC_SHIM, base_path=REPO_ROOT, allow_paths=[REPO_ROOT]
        )
    except SolcError as error:
        # py-solc-x annotates error_dict as a dict but passes the output's "errors" list.
        reported: list[dict[str, Any]] = list(error.error_dict or [])
        messages = [e["formattedMessage"] for e in reported if e.get("severity") == "error"]
        # No messages: the shim itself failed (node_modules missing, node crashed).
        raise CompilationFailed(messages or [_shim_failure(error)]) from error
    except OSError as error:
        message = f"could not run {SOLC_SHIM}: {error}; is node on PATH?"
        raise CompilationFailed([message]) from error
    return output


def _shim_failure(error: SolcError) -> str:
    detail = (error.stderr_data or error.message).strip()
    return f"{SOLC_SHIM} failed (exit status {error.return_code}): {detail}; try `make setup`"


def _artifacts_from_output(output: dict[str, Any], sources: dict[str, str]) -> dict[str, Any]:
    """Our contracts' artifacts (those in `sources`, not the OpenZeppelin ones they import)."""
    documents: dict[str, Any] = {}
    for source, contracts in output.get("contracts", {}).items():
        if source not in sources:
            continue
        for name, compiled in contracts.items():
            if name in documents:
                raise CompilationFailed(
                    [f"contract name {name} is used in both {documents[name]['source']} "
                     f"and {source}; artifacts are looked up by name, so names must be unique"]
                )
            documents[name] = {
                "source": source,
                "abi": compiled["abi"],
                "bytecode": compiled["evm"]["bytecode"]["object"],
                "deployed_bytecode": compiled["evm"]["deployedBytecode"]["object"],
            }
    return documents


def _to_artifact(name: str, document: dict[str, Any]) -> Artifact:
    return Artifact(
        name=name,
        source=document["source"],
        abi=document["abi"],
        bytecode=_code_bytes(name, document["bytecode"]),
        deployed_bytecode=_code_bytes(name, document["deployed_bytecode"]),
    )


def _code_bytes(name: str, code_hex: str) -> bytes:
    # solc leaves `__$<hash>$__` placeholders where an external library's address goes; such
    # code cannot be deployed as is, and bytes.fromhex would fail with a bare ValueError.
    if "__$" in code_hex:
        raise CompilationFailed(
            [f"{name} calls an external library and needs linking, which chain.compile does "
             f"not do; make the library's functions internal"]
        )
    return bytes.fromhex(code_hex)


def _write_cache(cache_path: Path, documents: dict[str, Any]) -> None:
    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    # A private temporary file per writer, renamed into place: concurrent compilers (pytest
    # workers, a bench next to a test run) never see or clobber half a cache file.
    handle, temporary = tempfile.mkstemp(dir=BUILD_DIR, prefix=cache_path.stem, suffix=".tmp")
    with os.fdopen(handle, "w") as stream:
        json.dump(documents, stream, sort_keys=True)
    Path(temporary).replace(cache_path)


def compile_all(force: bool = False) -> dict[str, Artifact]:
    """Compile `contracts/` (or read the cache when nothing changed) and return every artifact."""
    sources = _sources()
    cache_path = BUILD_DIR / f"{_cache_key(sources)}.json"
    if cache_path.exists() and not force:
        documents = json.loads(cache_path.read_text())
    else:
        documents = _artifacts_from_output(_run_compiler(sources), sources)
        _write_cache(cache_path, documents)
    return {name: _to_artifact(name, document) for name, document in documents.items()}


def load_artifact(name: str) -> Artifact:
    """Return the artifact of one of our contracts by its Solidity name, compiling if needed."""
    artifacts = compile_all()
    if name not in artifacts:
        raise ArtifactNotFound(name, available=sorted(artifacts))
    return artifacts[name]


def install_solc_shim(binary_dir: Path | None = None) -> Path:
    """Place the shim where py-solc-x looks for installed compilers (`solc-v<version>`).

    With the shim in `SOLCX_BINARY_PATH`, tools that ask py-solc-x for solc 0.8.30 (ape-solidity)
    find it installed and never try to download one.
    """
    target_dir = binary_dir or Path(os.environ.get("SOLCX_BINARY_PATH", REPO_ROOT / "build/solcx"))
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / f"solc-v{SOLC_VERSION}"
    # A symlink: node resolves it to scripts/solc, so the shim still finds node_modules.
    if target.is_symlink() and target.resolve() == SOLC_SHIM:
        return target
    target.unlink(missing_ok=True)
    target.symlink_to(SOLC_SHIM)
    return target
