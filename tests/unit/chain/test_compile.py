"""chain.compile: our Solidity through py-solc-x and the shim, cached by source hash."""

from __future__ import annotations

from pathlib import Path

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
    scratch_tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (scratch_tree / "A.sol").write_text("pragma solidity ^0.8.24;\ncontract A {}\n")
    first = compile_all()
    calls: list[object] = []
    monkeypatch.setattr(solcx, "compile_standard", lambda *a, **k: calls.append(a))
    assert compile_all() == first
    assert calls == []


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
