"""The parity trace document (parity/trace.json, format in /work/briefs/manifest.md).

Pure standard-library Python: stage names, their dtypes and file names, and the validation and
assembly of trace.json from the metadata of the recorded arrays. parity_run.py records the arrays
from the official pipeline and calls ``build_trace_document``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from .errors import ExportError
from .paths import check_bundle_path, resolve_in_bundle

TRACE_VERSION = 1
TRACE_PATH = "parity/trace.json"
INPUT_IMAGE_PATH = "parity/input.png"

# Every stage the format requires, with its dtype. Order = pipeline order.
REQUIRED_STAGES: dict[str, str] = {
    "vlm_pixel_values": "float32",
    "input_ids": "int32",
    "image_embeds": "float32",
    "deepstack": "float32",
    "meta_hidden": "float32",
    "cond": "float32",
    "image_latent": "float32",
    "initial_noise": "float32",
    "noise_pred_step0": "float32",
    "final_latent": "float32",
    "decoded": "float32",
    "output_image": "uint8",
}
# Extra stages the exporter also records (the reader accepts unknown names and reports them).
EXTRA_STAGES: dict[str, str] = {"hid_null": "float32", "vlm_grid_thw": "int32"}
EXTENSIONS = {"float32": ".f32", "int32": ".i32", "uint8": ".png"}


@dataclass(frozen=True)
class TensorMeta:
    dtype: str
    dims: tuple[int, ...]
    file: str


def stage_file(stage: str, dtype: str) -> str:
    """``parity/<stage>.f32`` / ``.i32``; the output image is ``parity/output.png``."""
    if stage == "output_image":
        return "parity/output.png"
    return check_bundle_path(f"parity/{stage}{EXTENSIONS[dtype]}")


def _check_tensor(stage: str, meta: TensorMeta, expected_dtype: str | None) -> list[str]:
    problems = []
    if expected_dtype is not None and meta.dtype != expected_dtype:
        problems.append(f"{stage}: expected dtype {expected_dtype} but recorded {meta.dtype}")
    if meta.dtype not in EXTENSIONS:
        problems.append(f"{stage}: dtype {meta.dtype} is not one of {sorted(EXTENSIONS)}")
    elif not meta.file.endswith(EXTENSIONS[meta.dtype]):
        problems.append(f"{stage}: file {meta.file} should end with {EXTENSIONS[meta.dtype]}")
    if not meta.dims or not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in meta.dims):
        problems.append(f"{stage}: dims must be positive integers, got {list(meta.dims)}")
    if stage == "output_image" and (len(meta.dims) != 3 or meta.dims[-1] != 3):
        problems.append(f"output_image: dims must be [height, width, 3], got {list(meta.dims)}")
    try:
        check_bundle_path(meta.file)
    except ExportError as error:
        problems.append(f"{stage}: {error}")
    return problems


def build_trace_document(reference: Mapping[str, Any], request: Mapping[str, Any], tensors: Mapping[str, TensorMeta]) -> dict[str, Any]:
    """trace.json's content. Refuses a missing stage, a wrong dtype, a bad path or dims, listing
    every problem at once."""
    problems = [f"{stage}: not recorded" for stage in REQUIRED_STAGES if stage not in tensors]
    for stage, meta in tensors.items():
        expected = REQUIRED_STAGES.get(stage, EXTRA_STAGES.get(stage))
        problems.extend(_check_tensor(stage, meta, expected))
    for key in ("diffusers", "transformers", "torch", "device", "dtype"):
        if not isinstance(reference.get(key), str):
            problems.append(f"reference.{key}: expected a string")
    for key in ("image", "instruction", "steps", "guidanceScale", "imageGuidanceScale", "seed", "sizeMode"):
        if key not in request:
            problems.append(f"request.{key}: missing")
    if problems:
        raise ExportError("The parity trace is incomplete:\n" + "\n".join(f"  - {p}" for p in problems))
    check_bundle_path(request["image"])
    ordered = [s for s in REQUIRED_STAGES if s in tensors] + sorted(s for s in tensors if s not in REQUIRED_STAGES)
    return {
        "traceVersion": TRACE_VERSION,
        "reference": dict(reference),
        "request": dict(request),
        "tensors": {
            stage: {"file": tensors[stage].file, "dtype": tensors[stage].dtype, "dims": list(tensors[stage].dims)}
            for stage in ordered
        },
    }


def raw_byte_length(meta: TensorMeta) -> int:
    """Expected size of a raw tensor file (4 bytes per float32/int32 element)."""
    count = 1
    for dim in meta.dims:
        count *= dim
    return count * 4


def write_trace_document(bundle_dir: Path, document: Mapping[str, Any]) -> str:
    """Writes trace.json after checking that each raw file has the size its dims imply."""
    for stage, entry in document["tensors"].items():
        meta = TensorMeta(entry["dtype"], tuple(entry["dims"]), entry["file"])
        path = resolve_in_bundle(bundle_dir, meta.file)
        if not path.is_file():
            raise ExportError(f"{stage}: the trace names {meta.file} but the file was not written")
        if meta.dtype != "uint8" and path.stat().st_size != raw_byte_length(meta):
            raise ExportError(
                f"{stage}: {meta.file} holds {path.stat().st_size} bytes; dims {list(meta.dims)} need {raw_byte_length(meta)}"
            )
    path = resolve_in_bundle(bundle_dir, TRACE_PATH)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=2, ensure_ascii=False)
        handle.write("\n")
    return TRACE_PATH
