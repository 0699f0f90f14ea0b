"""chain.compile: our Solidity through py-solc-x and the shim, cached by source hash."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import solcx

import chain.compile as compile_module
from chain.compile import compile_all, install_solc_shim, load_artifact
from chain.errors import ArtifactNotFound, CompilationFailed


@pytest.fixture
def scratch_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A contracts/ folder and cache of our own, so tests never touch the repository's."""
    contracts = tmp_path / "contracts"
    contracts.mkdir()
    monkeypatch.setattr(compile_module, "CONTRACTS_DIR", contracts)
    monkeypatch.setattr(compile_module, "BUILD_DIR", tmp_path / "build")
    monkeypatch.setattr(compile_module, "REPO_ROOT", tmp_path)
    return contracts


@pytest.fixture
def compiler_runs(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every standard-JSON input handed to the compiler from now on (the real one still runs)."""
    runs: list[dict[str, Any]] = []
    real_compile = solcx.compile_standard

    def recording_compile(standard_input: dict[str, Any], **options: Any) -> Any:
        runs.append(standard_input)
        return real_compile(standard_input, **options)

    monkeypatch.setattr(solcx, "compile_standard", recording_compile)
    return runs


def _write_package_versions(node_modules: Path, versions: dict[str, str]) -> None:
    for package, version in versions.items():
        (node_modules / package).mkdir(parents=True, exist_ok=True)
        (node_modules / package / "package.json").write_text(json.dumps({"version": version}))


def test_load_artifact_when_test_tokens_then_abi_has_decimals_and_mint() -> None:
    token = load_artifact("TestERC20")
    names = {entry.get("name") for entry in token.abi}
    assert {"decimals", "mint", "transfer"} <= names
    assert token.bytecode and token.deployed_bytecode
    assert token.source == "contracts/tokens/TestERC20.sol"
    assert "deposit" in {entry.get("name") for entry in load_artifact("WrappedEther").abi}


def test_load_artifact_when_name_unknown_then_error_lists_known_contracts() -> None:
    with pytest.raises(ArtifactNotFound, match="TestERC20"):
        load_artifact("NoSuchContract")


def test_compile_all_when_sources_unchanged_then_compiler_is_not_run_again(
    scratch_tree: Path, compiler_runs: list[dict[str, Any]]
) -> None:
    (scratch_tree / "A.sol").write_text("pragma solidity ^0.8.24;\ncontract A {}\n")
    first = compile_all()
    assert len(compiler_runs) == 1
    assert compile_all() == first
    assert len(compiler_runs) == 1


def test_compile_all_when_a_source_changes_then_it_recompiles(scratch_tree: Path) -> None:
    source = scratch_tree / "A.sol"
    source.write_text("pragma solidity ^0.8.24;\ncontract A {}\n")
    before = compile_all()["A"].bytecode
    source.write_text("pragma solidity ^0.8.24;\ncontract A { uint256 public x = 7; }\n")
    assert compile_all()["A"].bytecode != before


def test_compile_all_when_source_is_broken_then_compilation_failed_names_the_file(
    scratch_tree: Path,
) -> None:
    (scratch_tree / "Broken.sol").write_text("pragma solidity ^0.8.24;\ncontract B { x }\n")
    with pytest.raises(CompilationFailed, match=r"Broken\.sol"):
        compile_all()


def test_compile_all_when_two_contracts_share_a_name_then_refuses(scratch_tree: Path) -> None:
    for folder in ("one", "two"):
        (scratch_tree / folder).mkdir()
        (scratch_tree / folder / "Same.sol").write_text("pragma solidity ^0.8.24;\ncontract S {}")
    with pytest.raises(CompilationFailed, match="contract name S"):
        compile_all()


def test_install_solc_shim_when_installed_then_py_solc_x_sees_the_version(tmp_path: Path) -> None:
    install_solc_shim(tmp_path)
    assert [str(v) for v in solcx.get_installed_solc_versions(tmp_path)] == ["0.8.30"]
    assert install_solc_shim(tmp_path).resolve() == compile_module.SOLC_SHIM  # idempotent


def test_compile_all_when_settings_change_then_it_recompiles(
    scratch_tree: Path, monkeypatch: pytest.MonkeyPatch, compiler_runs: list[dict[str, Any]]
) -> None:
    (scratch_tree / "A.sol").write_text("pragma solidity ^0.8.24;\ncontract A {}\n")
    compile_all()
    settings = {**compile_module.COMPILER_SETTINGS, "optimizer": {"enabled": True, "runs": 1}}
    monkeypatch.setattr(compile_module, "COMPILER_SETTINGS", settings)
    compile_all()
    assert [run["settings"]["optimizer"]["runs"] for run in compiler_runs] == [200, 1]


def test_compile_all_when_an_installed_package_is_upgraded_then_it_recompiles(
    scratch_tree: Path, monkeypatch: pytest.MonkeyPatch, compiler_runs: list[dict[str, Any]]
) -> None:
    node_modules = scratch_tree.parent / "node_modules"
    monkeypatch.setattr(compile_module, "NODE_MODULES", node_modules)
    _write_package_versions(node_modules, {"solc": "0.8.30", "@openzeppelin/contracts": "5.4.0"})
    (scratch_tree / "A.sol").write_text("pragma solidity ^0.8.24;\ncontract A {}\n")
    compile_all()
    compile_all()
    assert len(compiler_runs) == 1
    _write_package_versions(node_modules, {"@openzeppelin/contracts": "5.4.1"})
    compile_all()
    assert len(compiler_runs) == 2


def test_compile_all_when_contracts_folder_is_empty_then_no_artifacts_and_no_compiler_run(
    scratch_tree: Path, compiler_runs: list[dict[str, Any]]
) -> None:
    assert compile_all() == {}
    assert compiler_runs == []


def test_compile_all_when_a_contract_needs_library_linking_then_compilation_failed_says_so(
    scratch_tree: Path,
) -> None:
    (scratch_tree / "Linked.sol").write_text(
        "pragma solidity ^0.8.24;\n"
        "library Ext { function one() public pure returns (uint256) { return 1; } }\n"
        "contract UsesExt { function f() external pure returns (uint256) { return Ext.one(); } }"
    )
    with pytest.raises(CompilationFailed, match="UsesExt calls an external library"):
        compile_all()


def test_compile_all_when_compiled_then_cache_file_holds_every_artifact_and_no_temporaries(
    scratch_tree: Path,
) -> None:
    (scratch_tree / "A.sol").write_text("pragma solidity ^0.8.24;\ncontract A {}\n")
    compile_all()
    cache_files = list((scratch_tree.parent / "build").iterdir())
    assert [path.suffix for path in cache_files] == [".json"]
    assert set(json.loads(cache_files[0].read_text())) == {"A"}
