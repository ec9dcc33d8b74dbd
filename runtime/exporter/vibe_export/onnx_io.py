"""Saving exported graphs (with external data above the protobuf limit) and reading their
declared I/O. Needs onnx; imported lazily by export_graphs and fp16_onnx."""

from __future__ import annotations

from pathlib import Path

# Protobuf refuses messages over 2 GiB; leave room for the graph itself.
EXTERNAL_DATA_THRESHOLD_BYTES = 1536 << 20
_DTYPE_NAMES = {1: "float32", 10: "float16", 6: "int32", 7: "int64", 11: "float64"}


def external_data_name(graph_file: str) -> str:
    """``dit.onnx`` → ``dit.onnx_data``, the name the manifest lists under externalData."""
    return f"{graph_file}_data"


def declared_io_dtypes(model) -> dict[str, str]:
    return {
        value.name: _DTYPE_NAMES.get(value.type.tensor_type.elem_type, str(value.type.tensor_type.elem_type))
        for value in list(model.graph.input) + list(model.graph.output)
    }


def initializer_bytes(model) -> int:
    from onnx import external_data_helper

    total = 0
    for tensor in model.graph.initializer:
        if external_data_helper.uses_external_data(tensor):
            total += int(next((e.value for e in tensor.external_data if e.key == "length"), 0))
        else:
            total += len(tensor.raw_data)
    return total


def save_graph(model, path: Path, graph=None) -> list[str]:
    """Saves one file, or the graph plus one ``<file>_data`` when the weights are large; runs
    onnx.checker on the path (the path form handles external data); returns the data file names.
    With ``graph`` (a contract GraphSpec), stamps the contract's I/O shapes first."""
    import onnx

    if graph is not None:
        stamp_contract_shapes(model, graph)
    path = Path(path)
    data_name = external_data_name(path.name)
    stale = path.with_name(data_name)
    if stale.exists():
        stale.unlink()
    if initializer_bytes(model) > EXTERNAL_DATA_THRESHOLD_BYTES:
        onnx.save_model(
            model,
            str(path),
            save_as_external_data=True,
            all_tensors_to_one_file=True,
            location=data_name,
            size_threshold=1024,
        )
    else:
        onnx.save_model(model, str(path))
    onnx.checker.check_model(str(path))
    # Tensors under size_threshold stay inline, so the data file exists only if something went there.
    return [data_name] if stale.exists() else []


def stamp_contract_shapes(model, graph) -> None:
    """Writes the contract's dims onto the declared graph inputs and outputs. The exporter's shape
    inference names some output dims itself (``Slice_output_dim_1``); the TypeScript loader compares
    ORT's reported dims with the contract, so the declared shapes must be the contract's."""
    specs = {tensor.name: tensor for tensor in graph.tensors}
    for value in list(model.graph.input) + list(model.graph.output):
        spec = specs.get(value.name)
        if spec is None:
            continue
        shape = value.type.tensor_type.shape
        del shape.dim[:]
        for dim in spec.dims:
            entry = shape.dim.add()
            if isinstance(dim, str):
                entry.dim_param = dim
            else:
                entry.dim_value = dim


def declared_io(model) -> dict[str, tuple[str, tuple]]:
    """name → (dtype, dims) of the declared graph inputs and outputs (dims: int or symbolic name)."""
    dtypes = declared_io_dtypes(model)
    result = {}
    for value in list(model.graph.input) + list(model.graph.output):
        dims = tuple(
            d.dim_param if d.HasField("dim_param") else int(d.dim_value)
            for d in value.type.tensor_type.shape.dim
        )
        result[value.name] = (dtypes[value.name], dims)
    return result
