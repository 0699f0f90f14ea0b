"""scripts/solc: a native-looking solc command line over solc-js, as py-solc-x drives it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import solcx

from chain.compile import SOLC_SHIM, SOLC_VERSION


def _request(source: str) -> str:
    return json.dumps({
        "language": "Solidity",
        "sources": {"probe.sol": {"content": source}},
        "settings": {"outputSelection": {"*": {"*": ["abi"]}}},
    })


def _standard_json(
    source: str, *flags: str, cwd: Path | None = None
) -> tuple[dict[str, Any], str]:
    result = subprocess.run(
        [str(SOLC_SHIM), "--standard-json", *flags],
        input=_request(source), capture_output=True, text=True, check=True, timeout=120, cwd=cwd,
    )
    return json.loads(result.stdout), result.stderr  # raises if stdout is not pure JSON


def _errors(output: dict[str, Any], severity: str) -> list[dict[str, Any]]:
    return [e for e in output.get("errors", []) if e["severity"] == severity]


def test_version_when_asked_by_py_solc_x_then_parses_as_the_pinned_release() -> None:
    assert str(solcx.wrapper.get_solc_version(SOLC_SHIM)) == SOLC_VERSION
    first_line = subprocess.run(
        [str(SOLC_SHIM), "--version"], capture_output=True, text=True, check=True
    ).stdout.splitlines()[0]
    assert first_line == "solc, the solidity compiler commandline interface"


def test_standard_json_when_source_imports_openzeppelin_then_resolves_from_node_modules() -> None:
    output, _ = _standard_json(
        'pragma solidity ^0.8.24;\nimport "@openzeppelin/contracts/utils/math/Math.sol";\n'
        "contract Probe { function f() external pure returns (uint256) "
        "{ return Math.max(1, 2); } }"
    )
    assert "Probe" in output["contracts"]["probe.sol"]
    assert _errors(output, "error") == []


def test_standard_json_when_native_only_flags_given_then_accepts_them() -> None:
    output, _ = _standard_json(
        "pragma solidity ^0.8.24;\ncontract Probe {}",
        "--allow-paths", ".,/tmp", "--base-path", str(Path.cwd()), "--include-path", "/tmp",
        "--optimize",
    )
    assert "Probe" in output["contracts"]["probe.sol"]


def test_standard_json_when_source_has_errors_then_stdout_is_json_with_the_error() -> None:
    output, _ = _standard_json("pragma solidity ^0.8.24;\ncontract Broken { uint x = ; }")
    errors = _errors(output, "error")
    assert errors and "probe.sol" in errors[0]["formattedMessage"]


def test_standard_json_when_import_is_missing_then_error_names_the_import() -> None:
    output, _ = _standard_json('pragma solidity ^0.8.24;\nimport "nowhere/Missing.sol";')
    assert "nowhere/Missing.sol" in json.dumps(output["errors"])


def test_shim_when_called_without_a_supported_mode_then_exit_2_and_says_what_it_supports() -> None:
    result = subprocess.run([str(SOLC_SHIM), "--bin", "x.sol"], capture_output=True, text=True)
    assert result.returncode == 2
    assert "--standard-json" in result.stderr


@pytest.mark.parametrize("remapping", ["@oz/=node_modules/@openzeppelin/"])
def test_standard_json_when_positional_remapping_given_then_imports_use_it(remapping: str) -> None:
    output, _ = _standard_json(
        'pragma solidity ^0.8.24;\nimport "@oz/contracts/utils/math/Math.sol";\ncontract P {}',
        remapping,
    )
    assert _errors(output, "error") == []


def test_standard_json_when_run_from_another_directory_then_imports_resolve_beside_the_script(
    tmp_path: Path,
) -> None:
    output, _ = _standard_json(
        'pragma solidity ^0.8.24;\nimport "@openzeppelin/contracts/token/ERC20/ERC20.sol";\n'
        'contract Probe is ERC20 { constructor() ERC20("P", "P") {} }',
        cwd=tmp_path,
    )
    assert _errors(output, "error") == []
    assert "Probe" in output["contracts"]["probe.sol"]


def test_standard_json_when_source_has_warnings_then_stdout_is_only_the_json() -> None:
    # No SPDX line and an unused local: two warnings, and still a successful compile.
    output, _ = _standard_json(
        "pragma solidity ^0.8.24;\n"
        "contract Probe { function f() external pure { uint256 unused; } }"
    )
    assert len(_errors(output, "warning")) >= 2
    assert _errors(output, "error") == []


def test_standard_json_when_input_is_not_json_then_answers_a_json_error_with_status_0() -> None:
    result = subprocess.run(
        [str(SOLC_SHIM), "--standard-json"],
        input="{not json", capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0  # native solc reports input errors inside the JSON too
    assert json.loads(result.stdout)["errors"][0]["type"] == "JSONError"


def test_standard_json_when_input_file_given_then_reads_it_instead_of_stdin(
    tmp_path: Path,
) -> None:
    request = tmp_path / "input.json"
    request.write_text(_request("pragma solidity ^0.8.24;\ncontract FromFile {}"))
    result = subprocess.run(
        [str(SOLC_SHIM), "--standard-json", str(request)],
        input="", capture_output=True, text=True, check=True, timeout=120,
    )
    assert "FromFile" in json.loads(result.stdout)["contracts"]["probe.sol"]
