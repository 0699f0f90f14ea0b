"""Compile Crossbook's own Solidity (`contracts/`) and serve artifacts by contract name.

The compiler is solc-js from node_modules, driven by py-solc-x through `scripts/solc` (a
solc-compatible command line); no native solc is ever downloaded. Artifacts are cached under
`build/contracts/<key>.json`, where the key hashes every source file, the compiler settings and
the compiler version, so an unchanged tree never runs the compiler twice. Third-party protocol
bytecode (Uniswap, Safe) is not compiled here: it comes from npm (`chain.artifacts`).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import solcx
from solcx.exceptions import SolcError

from chain.errors import ArtifactNotFound, CompilationFailed

REPO_ROOT = Path(__file__).resolve().parent.parent
CONTRACTS_DIR = REPO_ROOT / "contracts"
BUILD_DIR = REPO_ROOT / "build" / "contracts"
SOLC_SHIM = REPO_ROOT / "scripts" / "solc"
# The solc-js release pinned in package.json; the shim reports it in native format.
SOLC_VERSION = "0.8.30"

COMPILER_SETTINGS: dict[str, Any] = {
    "optimizer": {"enabled": True, "runs": 200},
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


def _cache_key(sources: dict[str, str]) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps([SOLC_VERSION, COMPILER_SETTINGS, sources], sort_keys=True).encode())
    return digest.hexdigest()[:32]


def _run_compiler(sources: dict[str, str]) -> dict[str, Any]:
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
        messages = [e["formattedMessage"] for e in error.error_dict or [] if
                    e.get("severity") == "error"]
        raise CompilationFailed(messages or [error.message]) from error
    return output


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
        bytecode=bytes.fromhex(document["bytecode"]),
        deployed_bytecode=bytes.fromhex(document["deployed_bytecode"]),
    )


def compile_all(force: bool = False) -> dict[str, Artifact]:
    """Compile `contracts/` (or read the cache when nothing changed) and return every artifact."""
    sources = _sources()
    cache_path = BUILD_DIR / f"{_cache_key(sources)}.json"
    if cache_path.exists() and not force:
        documents = json.loads(cache_path.read_text())
    else:
        documents = _artifacts_from_output(_run_compiler(sources), sources)
        BUILD_DIR.mkdir(parents=True, exist_ok=True)
        temporary = cache_path.with_suffix(".tmp")
        temporary.write_text(json.dumps(documents, sort_keys=True))
        temporary.replace(cache_path)  # readers never see half a cache file
    return {name: _to_artifact(name, document) for name, document in documents.items()}


def load_artifact(name: str) -> Artifact:
    """The artifact of one of our contracts by its Solidity name, compiling if needed."""
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
