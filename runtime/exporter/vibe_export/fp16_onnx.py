"""The onnx side of fp16.py: load, protect fp32 constants, convert, normalize I/O dtypes, save.

Not importable without onnx, numpy and onnxconverter-common; the decisions it applies are made by
the pure functions of fp16.py.
"""

from __future__ import annotations

import os
from pathlib import Path

from .contract import Contract, GraphSpec
from .errors import ExportError
from .fp16 import (
    NodeInfo,
    initializers_to_protect,
    missing_islands,
    op_block_list,
    plan_io_fixes,
    select_fp32_nodes,
)
from .onnx_io import declared_io_dtypes, save_graph

_ONNX_TYPES = {"float32": 1, "float16": 10, "int32": 6}


def _node_infos(model) -> list[NodeInfo]:
    return [NodeInfo(n.name, n.op_type, tuple(n.input), tuple(n.output)) for n in model.graph.node]


def _protect_initializers(model, names: list[str], fp32_nodes: set[str]) -> None:
    """Stores each initializer as float64 and casts it back to float32 in a blocked Cast node."""
    import numpy as np
    from onnx import helper, numpy_helper

    by_name = {init.name: init for init in model.graph.initializer}
    for name in names:
        original = by_name[name]
        wide = numpy_helper.from_array(numpy_helper.to_array(original).astype(np.float64), f"{name}__fp64")
        model.graph.initializer.remove(original)
        model.graph.initializer.append(wide)
        cast_name = f"{name}__to_fp32"
        model.graph.node.insert(0, helper.make_node("Cast", [wide.name], [name], to=1, name=cast_name))
        fp32_nodes.add(cast_name)


def _apply_io_fixes(model, fixes) -> None:
    from onnx import helper

    graph = model.graph
    for fix in fixes:
        internal = f"{fix.name}__as_{fix.declared}"
        if fix.side == "input":
            for node in graph.node:
                for index, name in enumerate(node.input):
                    if name == fix.name:
                        node.input[index] = internal
            graph.node.insert(
                0, helper.make_node("Cast", [fix.name], [internal], to=_ONNX_TYPES[fix.declared], name=f"{internal}__cast")
            )
            declared = next(v for v in graph.input if v.name == fix.name)
        else:
            for node in graph.node:
                for index, name in enumerate(node.output):
                    if name == fix.name:
                        node.output[index] = internal
                for index, name in enumerate(node.input):
                    if name == fix.name:
                        node.input[index] = internal
            graph.node.append(
                helper.make_node("Cast", [internal], [fix.name], to=_ONNX_TYPES[fix.expected], name=f"{internal}__cast")
            )
            declared = next(v for v in graph.output if v.name == fix.name)
        declared.type.tensor_type.elem_type = _ONNX_TYPES[fix.expected]


def convert(src: str, dst: str, graph: GraphSpec, contract: Contract) -> tuple[dict[str, int], list[str]]:
    import onnx
    from onnxconverter_common import float16

    source_dir = os.path.dirname(os.path.abspath(src))
    # infer_shapes_path works above the 2 GB protobuf limit; the in-memory variant does not. The
    # inferred copy sits beside src so that its external data references still resolve.
    inferred = os.path.join(source_dir, f".{Path(src).name}.inferred")
    onnx.shape_inference.infer_shapes_path(src, inferred)
    try:
        model = onnx.load(inferred, load_external_data=False)
        onnx.external_data_helper.load_external_data_for_model(model, source_dir)
    finally:
        os.remove(inferred)

    nodes = _node_infos(model)
    selection = select_fp32_nodes(graph.name, nodes)
    missing = missing_islands(graph.name, selection)
    if missing:
        raise ExportError(
            f"Expected fp32 islands {missing} in {graph.name} but no node matched; node names look "
            f"like {[n.name for n in nodes[:3]]}. Were the graphs exported with the TorchScript "
            "exporter (dynamo=False), which keeps module scopes in node names?"
        )
    fp32_nodes = set(selection.names)
    float_inits = [init.name for init in model.graph.initializer if init.data_type == 1]
    _protect_initializers(model, initializers_to_protect(nodes, float_inits, fp32_nodes), fp32_nodes)

    model = float16.convert_float_to_float16(
        model,
        keep_io_types=True,
        disable_shape_infer=True,
        # The default clamps every weight to ±1e4; keep everything fp16 can represent.
        max_finite_val=65504.0,
        node_block_list=sorted(fp32_nodes),
        op_block_list=op_block_list(float16.DEFAULT_OP_BLOCK_LIST),
    )
    _apply_io_fixes(model, plan_io_fixes(graph, contract, "float16", declared_io_dtypes(model)))
    data_files = save_graph(model, Path(dst), graph)
    return dict(selection.by_rule), data_files
