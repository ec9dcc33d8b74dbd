"""The graph I/O contract, loaded from graph_contract.json.

That file is generated from runtime/src/bundle/graph-contract.ts by
tools/write-exporter-contract.ts; never edit it by hand. A Vitest test fails while it differs from
what the TypeScript contract produces.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

from .errors import ExportError

CONTRACT_PATH = Path(__file__).with_name("graph_contract.json")
PRECISIONS = ("float32", "float16")
TENSOR_KINDS = ("model", "float32", "int32")

Dim = Union[int, str]


@dataclass(frozen=True)
class TensorSpec:
    name: str
    kind: str
    dims: tuple[Dim, ...]


@dataclass(frozen=True)
class GraphSpec:
    name: str
    file: str
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]

    @property
    def tensors(self) -> tuple[TensorSpec, ...]:
        return self.inputs + self.outputs

    @property
    def input_names(self) -> list[str]:
        return [tensor.name for tensor in self.inputs]

    @property
    def output_names(self) -> list[str]:
        return [tensor.name for tensor in self.outputs]


@dataclass(frozen=True)
class ConstantSpec:
    name: str
    file: str
    dims: tuple[int, ...]


@dataclass(frozen=True)
class Contract:
    manifest_version: int
    architecture: dict[str, Any]
    graphs: dict[str, GraphSpec]
    constants: dict[str, ConstantSpec]
    dtype_table: dict[str, dict[str, str]]

    def dtype_of(self, kind: str, precision: str) -> str:
        """The ONNX dtype of a tensor of ``kind`` in a bundle of ``precision`` (mirrors dtypeOf)."""
        if precision not in PRECISIONS:
            raise ExportError(f"Expected precision float32 or float16 but received {precision!r}")
        try:
            return self.dtype_table[kind][precision]
        except KeyError:
            raise ExportError(
                f"Expected a tensor kind of {', '.join(TENSOR_KINDS)} but received {kind!r}"
            ) from None

    def graph(self, name: str) -> GraphSpec:
        try:
            return self.graphs[name]
        except KeyError:
            raise ExportError(
                f"Expected a graph name of {', '.join(self.graphs)} but received {name!r}"
            ) from None

    def io_dtypes(self, graph_name: str, precision: str) -> dict[str, str]:
        """Input and output names of a graph mapped to their bundle dtype."""
        return {t.name: self.dtype_of(t.kind, precision) for t in self.graph(graph_name).tensors}

    def dynamic_axes(self, graph_name: str) -> dict[str, dict[int, str]]:
        """``torch.onnx.export``'s dynamic_axes: every symbolic dim, named as in the contract."""
        axes: dict[str, dict[int, str]] = {}
        for tensor in self.graph(graph_name).tensors:
            named = {index: dim for index, dim in enumerate(tensor.dims) if isinstance(dim, str)}
            if named:
                axes[tensor.name] = named
        return axes


def io_problems(
    contract: Contract,
    graph_name: str,
    precision: str,
    declared: dict[str, tuple[str, tuple[Dim, ...]]],
) -> list[str]:
    """Differences between a saved graph's declared I/O (name → (dtype, dims)) and the contract:
    missing or extra names, wrong dtypes, wrong fixed dims or symbolic names."""
    graph = contract.graph(graph_name)
    expected = {t.name: t for t in graph.tensors}
    problems = [f"{graph_name}: unexpected tensor {name!r}" for name in declared if name not in expected]
    for name, tensor in expected.items():
        if name not in declared:
            problems.append(f"{graph_name}: missing tensor {name!r}")
            continue
        dtype, dims = declared[name]
        want = contract.dtype_of(tensor.kind, precision)
        if dtype != want:
            problems.append(f"{graph_name}.{name}: expected dtype {want} but found {dtype}")
        if tuple(dims) != tensor.dims:
            problems.append(f"{graph_name}.{name}: expected dims {list(tensor.dims)} but found {list(dims)}")
    return problems


def _tensor(raw: Any, where: str) -> TensorSpec:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        raise ExportError(f"Expected a tensor object with a name at {where} in {CONTRACT_PATH.name}")
    kind = raw.get("kind")
    dims = raw.get("dims")
    if kind not in TENSOR_KINDS:
        raise ExportError(f"Expected kind {TENSOR_KINDS} at {where}.{raw['name']} but found {kind!r}")
    if not isinstance(dims, list) or not all(
        (isinstance(d, int) and not isinstance(d, bool) and d > 0) or (isinstance(d, str) and d)
        for d in dims
    ):
        raise ExportError(f"Expected dims of positive integers or names at {where}.{raw['name']}")
    return TensorSpec(raw["name"], kind, tuple(dims))


def parse_contract(document: Any) -> Contract:
    """Validates the JSON document and builds the typed contract."""
    if not isinstance(document, dict):
        raise ExportError(f"Expected a JSON object in {CONTRACT_PATH.name}")
    graphs: dict[str, GraphSpec] = {}
    for name, raw in (document.get("graphs") or {}).items():
        if not isinstance(raw, dict) or not isinstance(raw.get("file"), str):
            raise ExportError(f"Expected graph {name!r} to have a file in {CONTRACT_PATH.name}")
        inputs = tuple(_tensor(t, f"{name}.inputs") for t in raw.get("inputs", []))
        outputs = tuple(_tensor(t, f"{name}.outputs") for t in raw.get("outputs", []))
        if not inputs or not outputs:
            raise ExportError(f"Expected graph {name!r} to have inputs and outputs")
        graphs[name] = GraphSpec(name, raw["file"], inputs, outputs)
    constants = {
        name: ConstantSpec(name, raw["file"], tuple(raw["dims"]))
        for name, raw in (document.get("constants") or {}).items()
    }
    if not graphs or not constants:
        raise ExportError(f"Expected graphs and constants in {CONTRACT_PATH.name}")
    dtype_table = document.get("dtypeOf")
    if not isinstance(dtype_table, dict) or set(dtype_table) != set(TENSOR_KINDS):
        raise ExportError(f"Expected a dtypeOf table for {TENSOR_KINDS} in {CONTRACT_PATH.name}")
    return Contract(
        manifest_version=int(document["manifestVersion"]),
        architecture=dict(document["architecture"]),
        graphs=graphs,
        constants=constants,
        dtype_table={kind: dict(row) for kind, row in dtype_table.items()},
    )


def load_contract(path: Path = CONTRACT_PATH) -> Contract:
    try:
        with open(path, encoding="utf-8") as handle:
            return parse_contract(json.load(handle))
    except FileNotFoundError:
        raise ExportError(
            f"Expected the generated contract at {path}; run "
            "`node --import tsx tools/write-exporter-contract.ts` from the repository root"
        ) from None
