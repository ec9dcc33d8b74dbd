"""Builds manifest.json (format: /work/briefs/manifest.md) and refuses checkpoint values that the
TypeScript pipeline does not support (reference §8). Pure standard-library Python."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any, Mapping

from .contract import Contract, PRECISIONS
from .errors import ExportError
from .paths import check_bundle_path, list_bundle_files, resolve_in_bundle

EDIT_PROMPT_TEMPLATE = "what will this image be like if {instruction}"
TEXT_TO_IMAGE_PROMPT_TEMPLATE = "generate the image by description: {instruction}"
# VIBESanaEditingPipeline passes these to the Qwen3-VL processor at call time (reference §3.1).
VLM_MIN_PIXELS = 352 * 352
VLM_MAX_PIXELS = 672 * 672
VISION_ROPE_THETA = 10000.0  # Qwen3VLVisionRotaryEmbedding's default; not in any config
_ANY = object()

# (dotted key, expected value, why the pipeline depends on it). Floats compare with a tolerance.
SUPPORTED: tuple[tuple[str, Any, str], ...] = (
    ("pipeline.class", "VIBESanaEditingPipeline", "the graphs follow this pipeline"),
    ("pipeline.transformer_class", "VIBESanaEditingModel", "the DiT wrapper targets this class"),
    ("pipeline.vae_class", "AutoencoderDC", "the VAE graphs are DC-AE"),
    ("pipeline.scheduler_class", "DPMSolverMultistepScheduler", "the TS scheduler ports this one"),
    ("transformer.in_channels", 64, "channel_cat needs 2 x 32 latent channels"),
    ("transformer.out_channels", 32, "no learned-sigma split"),
    ("transformer.input_condition_type", "channel_cat", "seq_cat changes the token layout"),
    ("transformer.caption_channels", 2304, "the connector's output width in the contract"),
    ("transformer.num_meta_queries", 224, "the contract's meta token count"),
    ("transformer.meta_queries_dim", 2048, "the LM hidden size"),
    ("transformer.edit_head_input_dim", 2048, "the LM hidden size"),
    ("transformer.patch_size", 1, "latent dims in the contract assume patch 1"),
    ("transformer.interpolation_scale", None, "a set value adds a sin-cos positional embedding"),
    ("transformer.timestep_scale", 1.0, "the host feeds the integer timestep unscaled"),
    ("transformer.guidance_embeds", False, "the DiT graph has no guidance input"),
    ("scheduler.class", "DPMSolverMultistepScheduler", "the TS scheduler ports this one"),
    ("scheduler.algorithm_type", "dpmsolver++", "the ported solver"),
    ("scheduler.solver_order", 2, "the ported solver"),
    ("scheduler.solver_type", "midpoint", "the ported solver"),
    ("scheduler.prediction_type", "flow_prediction", "the ported solver"),
    ("scheduler.use_flow_sigmas", True, "the ported sigma schedule"),
    ("scheduler.flow_shift", 3.0, "changes every sigma and timestep (reference §4.3)"),
    ("scheduler.num_train_timesteps", 1000, "the ported schedule"),
    ("scheduler.final_sigmas_type", "zero", "the last step returns x0"),
    ("scheduler.lower_order_final", True, "the last step is first order"),
    ("scheduler.use_karras_sigmas", False, "another sigma schedule"),
    ("scheduler.use_exponential_sigmas", False, "another sigma schedule"),
    ("scheduler.use_beta_sigmas", False, "another sigma schedule"),
    ("scheduler.use_lu_lambdas", False, "another sigma schedule"),
    ("scheduler.thresholding", False, "not ported"),
    ("scheduler.euler_at_final", False, "not ported"),
    ("scheduler.variance_type", None, "not ported"),
    ("vae.class", "AutoencoderDC", "the VAE graphs are DC-AE"),
    ("vae.scaling_factor", 0.41407, "the host scales latents by it"),
    ("vae.shift_factor", None, "the host applies no shift"),
    ("vae.latent_channels", 32, "the contract's latent channels"),
    ("vae.downsample", 32, "the contract's latent dims are H/32, W/32"),
    ("text_encoder.architecture", "Qwen3VLForConditionalGeneration", "the Qwen3-VL graphs"),
    ("text.hidden_size", 2048, "the contract's LM width"),
    ("text.head_dim", 128, "the contract's RoPE table width"),
    ("text.mrope_section", [24, 20, 20], "the host's interleaved M-RoPE"),
    ("text.image_token_id", 151655, "the host splices image rows at these tokens"),
    ("text.vision_start_token_id", 151652, "the host's M-RoPE positions"),
    ("text.vision_end_token_id", 151653, "the host's M-RoPE positions"),
    ("text.rope_theta", _ANY, "recorded in the manifest"),
    ("vision.patch_size", 16, "the host's patchify"),
    ("vision.spatial_merge_size", 2, "the host's merge-window order"),
    ("vision.temporal_patch_size", 2, "the contract's 1536-wide patch rows"),
    ("vision.in_channels", 3, "the contract's 1536-wide patch rows"),
    ("vision.num_position_embeddings", 2304, "the 48 x 48 table the host interpolates"),
    ("vision.out_hidden_size", 2048, "the contract's image_embeds width"),
    ("vision.head_dim", 64, "the contract's vision RoPE table width"),
    ("vision.deepstack_layers", 3, "the contract's DeepStack outputs"),
    ("preprocessor.image_mean", [0.5, 0.5, 0.5], "the host's normalization"),
    ("preprocessor.image_std", [0.5, 0.5, 0.5], "the host's normalization"),
    ("preprocessor.patch_size", 16, "the host's patchify"),
    ("preprocessor.merge_size", 2, "the host's merge-window order"),
    ("preprocessor.temporal_patch_size", 2, "the host's patchify"),
)


def _matches(expected: Any, found: Any) -> bool:
    if expected is _ANY:
        return found is not None
    if expected is None or isinstance(expected, bool):
        return found is expected
    if isinstance(found, bool):
        return False
    if isinstance(expected, float):
        return isinstance(found, (int, float)) and math.isclose(found, expected, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(expected, list):
        return (
            isinstance(found, list)
            and len(found) == len(expected)
            and all(_matches(e, f) for e, f in zip(expected, found))
        )
    return type(found) is type(expected) and found == expected


def unsupported_values(values: Mapping[str, Any]) -> list[str]:
    """One line per value the pipeline does not support: key, expected, found and why."""
    lines = []
    for key, expected, why in SUPPORTED:
        found = values.get(key)
        if not _matches(expected, found):
            shown = "any value" if expected is _ANY else json.dumps(expected)
            lines.append(f"{key}: expected {shown} but found {json.dumps(found)} ({why})")
    return lines


def check_supported(values: Mapping[str, Any]) -> None:
    """Raises ExportError listing every unsupported value at once."""
    lines = unsupported_values(values)
    if lines:
        raise ExportError(
            "The checkpoint has config values the VIBE pipeline does not support "
            "(reference §8):\n" + "\n".join(f"  - {line}" for line in lines)
        )


def check_distilled_flag(values: Mapping[str, Any], distilled: bool) -> None:
    """``--distilled`` must agree with the transformer config's ``cfg_distilled`` when it has one
    (ImageEditor reads that key to switch CFG off)."""
    in_config = values.get("transformer.cfg_distilled")
    if in_config is True and not distilled:
        raise ExportError("The transformer config says cfg_distilled: true; pass --distilled")
    if in_config is False and distilled:
        raise ExportError("--distilled was passed but the transformer config says cfg_distilled: false")


def build_config_section(values: Mapping[str, Any], distilled: bool) -> dict[str, Any]:
    """The manifest's ``config``: every value the host needs, read from the checkpoint."""
    guidance, image_guidance = (0.0, 0.0) if distilled else (4.5, 1.2)
    return {
        "metaTokens": values["transformer.num_meta_queries"],
        "cfgDistilled": distilled,
        "defaults": {
            "steps": 20,
            "guidanceScale": guidance,
            "imageGuidanceScale": image_guidance,
            "seed": 42,
        },
        "scheduler": {
            "type": values["scheduler.algorithm_type"],
            "solverOrder": values["scheduler.solver_order"],
            "solverType": values["scheduler.solver_type"],
            "predictionType": values["scheduler.prediction_type"],
            "useFlowSigmas": values["scheduler.use_flow_sigmas"],
            "flowShift": float(values["scheduler.flow_shift"]),
            "numTrainTimesteps": values["scheduler.num_train_timesteps"],
            "finalSigmasType": values["scheduler.final_sigmas_type"],
            "lowerOrderFinal": values["scheduler.lower_order_final"],
            "timestepScale": float(values["transformer.timestep_scale"]),
        },
        "vae": {
            "scalingFactor": float(values["vae.scaling_factor"]),
            "downsample": values["vae.downsample"],
            "latentChannels": values["vae.latent_channels"],
        },
        "vision": {
            "patchSize": values["vision.patch_size"],
            "mergeSize": values["vision.spatial_merge_size"],
            "temporalPatchSize": values["vision.temporal_patch_size"],
            "minPixels": VLM_MIN_PIXELS,
            "maxPixels": VLM_MAX_PIXELS,
            "imageMean": [float(v) for v in values["preprocessor.image_mean"]],
            "imageStd": [float(v) for v in values["preprocessor.image_std"]],
            "numPositionEmbeddings": values["vision.num_position_embeddings"],
            "ropeTheta": VISION_ROPE_THETA,
        },
        "text": {
            "ropeTheta": float(values["text.rope_theta"]),
            "mropeSection": list(values["text.mrope_section"]),
            "headDim": values["text.head_dim"],
            "imagePadTokenId": values["text.image_token_id"],
            "visionStartTokenId": values["text.vision_start_token_id"],
            "visionEndTokenId": values["text.vision_end_token_id"],
            "editPromptTemplate": EDIT_PROMPT_TEMPLATE,
            "textToImagePromptTemplate": TEXT_TO_IMAGE_PROMPT_TEMPLATE,
        },
    }


def graphs_section(contract: Contract, precision: str, external_data: Mapping[str, list[str]]) -> dict[str, Any]:
    """The manifest's ``graphs``: names, dims and dtypes straight from the contract."""
    section: dict[str, Any] = {}
    for name, graph in contract.graphs.items():
        entry: dict[str, Any] = {"file": check_bundle_path(graph.file)}
        extra = [check_bundle_path(f) for f in external_data.get(name, [])]
        if extra:
            entry["externalData"] = extra
        for side, tensors in (("inputs", graph.inputs), ("outputs", graph.outputs)):
            entry[side] = [
                {"name": t.name, "dtype": contract.dtype_of(t.kind, precision), "dims": list(t.dims)}
                for t in tensors
            ]
        section[name] = entry
    return section


def sha256_file(path: Path, chunk_bytes: int = 8 << 20) -> tuple[str, int]:
    """Streams a file through SHA-256 (graph data files are several GB)."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while True:
            chunk = handle.read(chunk_bytes)
            if not chunk:
                break
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def digest_bundle(bundle_dir: Path) -> dict[str, dict[str, Any]]:
    """``files``: every file of the bundle except manifest.json, with its digest and size."""
    files = {}
    for name in list_bundle_files(bundle_dir):
        sha, size = sha256_file(resolve_in_bundle(bundle_dir, name))
        files[name] = {"sha256": sha, "bytes": size}
    return files


def build_manifest(
    contract: Contract,
    *,
    precision: str,
    values: Mapping[str, Any],
    distilled: bool,
    model_name: str,
    model_version: str,
    source: str,
    notice: str,
    external_data: Mapping[str, list[str]],
    tokenizer: Mapping[str, str],
    files: Mapping[str, Mapping[str, Any]],
    parity_trace: str | None,
) -> dict[str, Any]:
    """Assembles manifest.json. Every file the manifest names must be listed in ``files``."""
    if precision not in PRECISIONS:
        raise ExportError(f"Expected precision float32 or float16 but received {precision!r}")
    manifest: dict[str, Any] = {
        "manifestVersion": contract.manifest_version,
        "model": {
            "name": model_name,
            "version": model_version,
            "source": source,
            "architecture": contract.architecture["id"],
            "synthetic": False,
            "notice": notice,
        },
        "precision": precision,
        "graphs": graphs_section(contract, precision, external_data),
        "constants": {
            name: {"file": check_bundle_path(c.file), "dtype": "float32", "dims": list(c.dims)}
            for name, c in contract.constants.items()
        },
        "tokenizer": {key: check_bundle_path(path) for key, path in tokenizer.items()},
        "config": build_config_section(values, distilled),
        "files": {check_bundle_path(name): dict(entry) for name, entry in sorted(files.items())},
    }
    if parity_trace is not None:
        manifest["parityTrace"] = check_bundle_path(parity_trace)
    missing = sorted(set(referenced_files(manifest)) - set(manifest["files"]))
    if missing:
        raise ExportError(f"Expected every file the manifest names to exist in the bundle; missing: {', '.join(missing)}")
    return manifest


def referenced_files(manifest: Mapping[str, Any]) -> list[str]:
    """Every file path the manifest points at (graphs, their data, constants, tokenizer, trace)."""
    names = []
    for graph in manifest["graphs"].values():
        names.append(graph["file"])
        names.extend(graph.get("externalData", []))
    names.extend(c["file"] for c in manifest["constants"].values())
    names.extend(manifest["tokenizer"].values())
    if "parityTrace" in manifest:
        names.append(manifest["parityTrace"])
    return names


def write_manifest(bundle_dir: Path, manifest: Mapping[str, Any]) -> Path:
    path = resolve_in_bundle(bundle_dir, "manifest.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, indent=2, ensure_ascii=False)
        handle.write("\n")
    return path
