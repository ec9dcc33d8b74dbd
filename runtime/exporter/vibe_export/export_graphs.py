"""Exports G1–G7 and the two constants from the official pipeline (fp32 on the CPU), converts to
fp16 when asked, and checks every saved graph with onnxruntime against the PyTorch modules.

Imports torch, onnx and the official ``vibe`` package; the CLI imports this module only after
deps.require_libraries has confirmed they are installed.
"""

from __future__ import annotations

import gc
import shutil
from pathlib import Path
from typing import Callable

import numpy as np
import onnx
import torch

from . import graph_inputs, wrappers
from .contract import Contract, io_problems
from .errors import ExportError
from .fp16 import convert_graph_to_fp16
from .onnx_io import declared_io, save_graph
from .paths import resolve_in_bundle

OPSET = 17  # LayerNormalization exists from 17; torch 2.6's TorchScript exporter supports it well
GRAPH_ORDER = ("qwen_vision", "qwen_embed", "qwen_lm_hidden", "connector", "vae_encoder", "dit", "vae_decoder")
MIN_COSINE = {"float32": 0.9999, "float16": 0.995}

Log = Callable[[str], None]


def load_pipeline(checkpoint: Path, dtype: torch.dtype, device: str):
    """VIBESanaEditingPipeline from the local checkpoint, as ImageEditor loads it."""
    from vibe.generative_pipeline import VIBESanaEditingPipeline

    pipe = VIBESanaEditingPipeline.from_pretrained(str(checkpoint), torch_dtype=dtype)
    return pipe.to(device)


def build_wrapper(name: str, pipe, contract: Contract, precision: str) -> torch.nn.Module:
    arch = contract.architecture
    model = pipe.text_encoder.model
    if name == "qwen_vision":
        return wrappers.QwenVisionGraph(model.visual)
    if name == "qwen_embed":
        return wrappers.QwenEmbedGraph(model.language_model.embed_tokens)
    if name == "qwen_lm_hidden":
        return wrappers.QwenLmHiddenGraph(model.language_model, arch["metaTokens"], arch["deepstackLayers"])
    if name == "connector":
        return wrappers.ConnectorGraph(pipe.transformer)
    if name == "vae_encoder":
        return wrappers.VaeEncoderGraph(pipe.vae)
    if name == "dit":
        return wrappers.DitGraph(pipe.transformer)
    if name == "vae_decoder":
        return wrappers.VaeDecoderGraph(pipe.vae)
    raise ExportError(f"Expected a graph name of {GRAPH_ORDER} but received {name!r}")


def upstream_reference(name: str, pipe, inputs: tuple):
    """What the official forward returns for the same inputs, where the wrapper re-expresses part of
    it (G1, G3); None where the wrapper is a plain call of the official module."""
    model = pipe.text_encoder.model
    if name == "qwen_vision":
        grid = torch.tensor([[1, *graph_inputs.VISION_GRID]])
        image_embeds, deepstack = model.visual(inputs[0], grid)
        return image_embeds, torch.stack(list(deepstack))
    if name == "qwen_lm_hidden":
        embeds, _cos, _sin, deepstack = inputs
        start, end = graph_inputs.LM_IMAGE_ROWS
        mask = torch.zeros(1, embeds.shape[1], dtype=torch.bool)
        mask[:, start:end] = True
        _, _, position_ids = graph_inputs.lm_rope(model.language_model, embeds)
        out = model.language_model(
            inputs_embeds=embeds,
            position_ids=position_ids,
            attention_mask=torch.ones(1, embeds.shape[1], dtype=torch.long),
            visual_pos_masks=mask,
            deepstack_visual_embeds=[deepstack[i, 0, start:end] for i in range(deepstack.shape[0])],
        )
        return (out.last_hidden_state[:, -224:],)
    return None


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    a64, b64 = a.astype(np.float64).ravel(), b.astype(np.float64).ravel()
    denominator = np.linalg.norm(a64) * np.linalg.norm(b64)
    return float(a64 @ b64 / denominator) if denominator else float(np.array_equal(a64, b64))


def _as_tuple(outputs) -> tuple:
    return outputs if isinstance(outputs, tuple) else (outputs,)


def check_with_onnxruntime(name, path: Path, contract, precision, inputs, expected: tuple, log: Log) -> None:
    """Runs the saved graph with ORT and compares each output with ``expected`` by cosine."""
    import onnxruntime as ort

    providers = ort.get_available_providers()
    if precision == "float16" and "CUDAExecutionProvider" not in providers:
        log(f"  {name}: onnxruntime has no CUDA provider; fp16 graphs are checked by signature only")
        return
    chosen = ["CUDAExecutionProvider"] if precision == "float16" else ["CPUExecutionProvider"]
    preload = getattr(ort, "preload_dlls", None)  # onnxruntime-gpu ≥ 1.21: use torch's CUDA libraries
    if precision == "float16" and callable(preload):
        preload()
    session = ort.InferenceSession(str(path), providers=chosen)
    dtypes = contract.io_dtypes(name, precision)
    feeds = {
        spec.name: tensor.numpy().astype(dtypes[spec.name])
        for spec, tensor in zip(contract.graph(name).inputs, inputs)
    }
    got = session.run(contract.graph(name).output_names, feeds)
    for spec, actual, reference in zip(contract.graph(name).outputs, got, expected):
        want = reference.detach().float().numpy()
        if actual.shape != want.shape:
            raise ExportError(f"{name}.{spec.name}: ORT gave shape {actual.shape}, PyTorch {want.shape}")
        cosine = _cosine(actual.astype(np.float32), want)
        log(f"  {name}.{spec.name}: cosine {cosine:.6f}, max abs {np.abs(actual.astype(np.float32) - want).max():.3e}")
        if not cosine >= MIN_COSINE[precision]:
            raise ExportError(
                f"{name}.{spec.name}: onnxruntime and PyTorch disagree (cosine {cosine:.6f}, "
                f"expected at least {MIN_COSINE[precision]})"
            )


@torch.no_grad()
def export_graph(name, pipe, contract, precision, bundle_dir: Path, work_dir: Path, log: Log) -> list[str]:
    spec = contract.graph(name)
    module = build_wrapper(name, pipe, contract, precision).eval()
    hooks = wrappers.clip_self_attention_output(pipe.transformer) if name == "dit" and precision == "float16" else []
    inputs = graph_inputs.example_inputs(name, pipe, torch.Generator().manual_seed(0))
    expected = _as_tuple(module(*inputs))
    reference = upstream_reference(name, pipe, inputs)
    if reference is not None:
        for spec_out, mine, theirs in zip(spec.outputs, expected, reference):
            cosine = _cosine(mine.float().numpy(), theirs.float().numpy())
            log(f"  {name}.{spec_out.name}: wrapper vs upstream forward cosine {cosine:.7f}")
            if not cosine >= 0.99999:
                raise ExportError(f"{name}: the wrapper does not reproduce the upstream forward (cosine {cosine})")

    raw_dir = work_dir / name
    shutil.rmtree(raw_dir, ignore_errors=True)
    raw_dir.mkdir(parents=True)
    raw_path = raw_dir / spec.file
    torch.onnx.export(
        module,
        inputs,
        str(raw_path),
        input_names=spec.input_names,
        output_names=spec.output_names,
        dynamic_axes=contract.dynamic_axes(name),
        opset_version=OPSET,
        do_constant_folding=True,
        dynamo=False,
    )
    for hook in hooks:
        hook.remove()
    final_path = resolve_in_bundle(bundle_dir, spec.file)
    if precision == "float16":
        fp32_path = raw_dir / f"fp32-{spec.file}"
        save_graph(onnx.load(str(raw_path)), fp32_path, spec)
        islands, data_files = convert_graph_to_fp16(str(fp32_path), str(final_path), spec, contract)
        log(f"  {name}: fp32 islands {islands}")
    else:
        data_files = save_graph(onnx.load(str(raw_path)), final_path, spec)
    problems = io_problems(contract, name, precision, declared_io(onnx.load(str(final_path), load_external_data=False)))
    if problems:
        raise ExportError("The saved graph does not match the contract:\n" + "\n".join(f"  - {p}" for p in problems))
    check_with_onnxruntime(name, final_path, contract, precision, inputs, expected, log)
    shutil.rmtree(raw_dir, ignore_errors=True)
    return data_files


@torch.no_grad()
def write_constants(pipe, contract: Contract, bundle_dir: Path, log: Log) -> None:
    """meta_queries [224, 2048] and hid_null = connector(zeros) [1, 224, 2304], float32 LE."""
    connector = wrappers.ConnectorGraph(pipe.transformer).eval()
    meta_queries = pipe.transformer.meta_queries.detach().float()
    hid_null = connector(torch.zeros(1, *meta_queries.shape)).float()
    for name, tensor in (("meta_queries", meta_queries), ("hid_null", hid_null)):
        spec = contract.constants[name]
        if tuple(tensor.shape) != spec.dims:
            raise ExportError(f"{name}: expected dims {list(spec.dims)} but the checkpoint gives {list(tensor.shape)}")
        tensor.numpy().astype("<f4").tofile(resolve_in_bundle(bundle_dir, spec.file))
        log(f"  wrote {spec.file} {list(spec.dims)}")


def export_all(checkpoint: Path, bundle_dir: Path, work_dir: Path, precision: str, contract: Contract, log: Log) -> dict[str, list[str]]:
    """Exports every graph of the contract; returns the external data files per graph."""
    log("Loading the pipeline in float32 on the CPU for export")
    pipe = load_pipeline(checkpoint, torch.float32, "cpu")
    wrappers.use_eager_attention(pipe.text_encoder)
    # nn.MultiheadAttention (the connector) takes a fused inference fast path under no_grad that the
    # TorchScript exporter cannot translate; the regular path exports as MatMul + Softmax.
    set_fastpath = getattr(getattr(torch.backends, "mha", None), "set_fastpath_enabled", None)
    if callable(set_fastpath):
        set_fastpath(False)
    external: dict[str, list[str]] = {}
    for name in GRAPH_ORDER:
        log(f"Exporting {name}")
        external[name] = export_graph(name, pipe, contract, precision, bundle_dir, work_dir, log)
        gc.collect()
    log("Writing constants")
    write_constants(pipe, contract, bundle_dir, log)
    del pipe
    gc.collect()
    return external
