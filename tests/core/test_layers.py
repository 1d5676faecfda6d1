"""Imports point down the layers (docs/architecture.md, docs/adr/0010-layers.md): the contracts in
pyproject.toml's [tool.importlinter] hold for the code as it is, and they would catch an import that points
the wrong way. `lint-imports` (in `make lint`) runs the same contracts from the command line."""

from __future__ import annotations

from copy import deepcopy
from pathlib import Path
from typing import Any

import grimp
import pytest
from importlinter.api import read_configuration
from importlinter.contracts.forbidden import ForbiddenContract
from importlinter.contracts.layers import LayersContract

ROOT = Path(__file__).resolve().parents[2]
CONTRACT_TYPES = {"layers": LayersContract, "forbidden": ForbiddenContract}


@pytest.fixture(scope="module")
def options() -> dict[str, Any]:
    return read_configuration(str(ROOT / "pyproject.toml"))


@pytest.fixture(scope="module")
def graph(options: dict[str, Any]) -> grimp.ImportGraph:
    return grimp.build_graph(
        *options["session_options"]["root_packages"],
        include_external_packages=options["session_options"].get("include_external_packages", False),
        exclude_type_checking_imports=str(
            options["session_options"].get("exclude_type_checking_imports", "")
        ).lower()
        == "true",
        cache_dir=None,
    )


def broken_contracts(options: dict[str, Any], graph: grimp.ImportGraph) -> dict[str, str]:
    """{contract name: what breaks it} for every contract the graph does not keep."""
    broken: dict[str, str] = {}
    for contract_options in options["contracts_options"]:
        contract = CONTRACT_TYPES[contract_options["type"]](
            name=contract_options["name"],
            session_options=options["session_options"],
            contract_options=contract_options,
        )
        check = contract.check(deepcopy(graph), verbose=False)
        if not check.kept:
            broken[contract.name] = repr(check.metadata)
    return broken


def test_the_layers_and_the_pure_statistics_core_are_both_contracts(options: dict[str, Any]) -> None:
    assert {c["type"] for c in options["contracts_options"]} == {"layers", "forbidden"}


def test_every_import_of_spiral_points_down_the_layers(
    options: dict[str, Any], graph: grimp.ImportGraph
) -> None:
    assert broken_contracts(options, graph) == {}, (
        "An import points the wrong way (run `lint-imports` to see which): go through the lower app's "
        "queries or services, move the code to the layer it belongs in, or offer an extension point "
        "(docs/architecture.md)."
    )


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        ("spiral.organisations.models", "spiral.measurement.models"),  # upwards
        ("spiral.measurement.queries", "spiral.projects.queries"),  # upwards, two layers
        ("spiral.projects.views", "spiral.benchmarking.queries"),  # a sibling of the same layer
        ("spiral.core.forms", "spiral.organisations.models"),  # the bottom layer reaching up
        ("spiral.knowledge.views", "spiral.urls"),  # an app reaching into the wiring
    ],
)
def test_an_import_pointing_the_wrong_way_breaks_the_layers(
    options: dict[str, Any], graph: grimp.ImportGraph, importer: str, imported: str
) -> None:
    wrong = deepcopy(graph)
    wrong.add_import(importer=importer, imported=imported, line_number=1, line_contents="import")
    assert list(broken_contracts(options, wrong)) == ["Spiral's layers: imports point down only"]


def test_django_in_the_statistics_core_breaks_its_contract(
    options: dict[str, Any], graph: grimp.ImportGraph
) -> None:
    wrong = deepcopy(graph)
    wrong.add_import(importer="spiral.spc._kernel", imported="django", line_number=1, line_contents="import")
    assert list(broken_contracts(options, wrong)) == ["spc is pure: no Django, no web framework"]


def test_an_app_without_a_layer_breaks_the_layers(options: dict[str, Any], graph: grimp.ImportGraph) -> None:
    wrong = deepcopy(graph)
    wrong.add_module("spiral.newapp")
    assert list(broken_contracts(options, wrong)) == ["Spiral's layers: imports point down only"]
