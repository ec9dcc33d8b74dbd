"""Reads the configs of a local VIBE checkpoint (diffusers layout) and the tokenizer files.

Everything here is pure standard-library Python: it opens JSON files, applies the constructor
defaults of the official classes where a key is absent, and returns flat dotted values that
manifest.py checks against what the pipeline supports (reference §8).
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ExportError
from .paths import resolve_in_bundle

REQUIRED_FILES = (
    "model_index.json",
    "transformer/config.json",
    "scheduler/scheduler_config.json",
    "vae/config.json",
    "text_encoder/config.json",
    "tokenizer/tokenizer.json",
    "tokenizer/tokenizer_config.json",
)

# Constructor defaults of VIBESanaEditingModel (vibe/transformer/vibe_sana_editing.py) and of
# DPMSolverMultistepScheduler (diffusers 0.33.1): diffusers fills absent keys with these.
TRANSFORMER_DEFAULTS: dict[str, Any] = {
    "in_channels": 32,
    "out_channels": 32,
    "caption_channels": 2304,
    "patch_size": 1,
    "interpolation_scale": None,
    "qk_norm": None,
    "timestep_scale": 1.0,
    "input_condition_type": "channel_cat",
    "edit_head_input_dim": 2048,
    "edit_head_stacks_num": 4,
    "num_meta_queries": 224,
    "meta_queries_dim": 2048,
    "guidance_embeds": False,
}
SCHEDULER_DEFAULTS: dict[str, Any] = {
    "num_train_timesteps": 1000,
    "solver_order": 2,
    "prediction_type": "epsilon",
    "thresholding": False,
    "algorithm_type": "dpmsolver++",
    "solver_type": "midpoint",
    "lower_order_final": True,
    "euler_at_final": False,
    "use_karras_sigmas": False,
    "use_exponential_sigmas": False,
    "use_beta_sigmas": False,
    "use_lu_lambdas": False,
    "use_flow_sigmas": False,
    "flow_shift": 1.0,
    "final_sigmas_type": "zero",
    "variance_type": None,
}
VAE_DEFAULTS: dict[str, Any] = {"latent_channels": 32, "scaling_factor": 1.0, "shift_factor": None}

SPECIAL_TOKENS = {
    "<|im_start|>": 151644,
    "<|im_end|>": 151645,
    "<|vision_start|>": 151652,
    "<|vision_end|>": 151653,
    "<|image_pad|>": 151655,
}
_REVISION = re.compile(r"^[0-9a-f]{40}$")


@dataclass
class CheckpointConfig:
    """The parsed checkpoint: raw config documents plus the flat values manifest.py checks."""

    folder: Path
    values: dict[str, Any]
    chat_template: str
    chat_template_source: str
    revision: str | None
    problems: list[str] = field(default_factory=list)


def _read_json(folder: Path, relative: str, problems: list[str]) -> dict[str, Any]:
    path = folder / relative
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except FileNotFoundError:
        problems.append(f"{relative}: missing (expected in the checkpoint folder {folder})")
        return {}
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        problems.append(f"{relative}: not valid JSON ({error})")
        return {}
    if not isinstance(document, dict):
        problems.append(f"{relative}: expected a JSON object")
        return {}
    return document


def _with_defaults(document: dict[str, Any], defaults: dict[str, Any], prefix: str) -> dict[str, Any]:
    values = {f"{prefix}.{key}": document.get(key, default) for key, default in defaults.items()}
    for key, value in document.items():
        if not key.startswith("_"):
            values.setdefault(f"{prefix}.{key}", value)
    return values


def _text_encoder_values(document: dict[str, Any]) -> dict[str, Any]:
    text = document.get("text_config") or {}
    vision = document.get("vision_config") or {}
    rope = text.get("rope_scaling") or text.get("rope_parameters") or {}
    heads = vision.get("num_heads")
    hidden = vision.get("hidden_size")
    return {
        "text_encoder.architecture": (document.get("architectures") or [None])[0],
        "text.hidden_size": text.get("hidden_size"),
        "text.head_dim": text.get("head_dim"),
        "text.rope_theta": text.get("rope_theta", rope.get("rope_theta")),
        "text.mrope_section": rope.get("mrope_section"),
        "text.mrope_interleaved": rope.get("mrope_interleaved"),
        "text.image_token_id": document.get("image_token_id"),
        "text.vision_start_token_id": document.get("vision_start_token_id"),
        "text.vision_end_token_id": document.get("vision_end_token_id"),
        "vision.patch_size": vision.get("patch_size"),
        "vision.spatial_merge_size": vision.get("spatial_merge_size"),
        "vision.temporal_patch_size": vision.get("temporal_patch_size"),
        "vision.in_channels": vision.get("in_channels", 3),
        "vision.num_position_embeddings": vision.get("num_position_embeddings"),
        "vision.out_hidden_size": vision.get("out_hidden_size"),
        "vision.head_dim": hidden // heads if isinstance(hidden, int) and isinstance(heads, int) and heads else None,
        "vision.deepstack_layers": len(vision.get("deepstack_visual_indexes") or []),
    }


def _preprocessor_values(folder: Path, problems: list[str]) -> dict[str, Any]:
    path = folder / "tokenizer/preprocessor_config.json"
    document = _read_json(folder, "tokenizer/preprocessor_config.json", problems) if path.exists() else {}
    return {
        "preprocessor.image_mean": document.get("image_mean", [0.5, 0.5, 0.5]),
        "preprocessor.image_std": document.get("image_std", [0.5, 0.5, 0.5]),
        "preprocessor.patch_size": document.get("patch_size", 16),
        "preprocessor.merge_size": document.get("merge_size", 2),
        "preprocessor.temporal_patch_size": document.get("temporal_patch_size", 2),
    }


def _model_index_values(document: dict[str, Any]) -> dict[str, Any]:
    def class_of(component: str) -> Any:
        entry = document.get(component)
        return entry[1] if isinstance(entry, list) and len(entry) == 2 else None

    return {
        "pipeline.class": document.get("_class_name"),
        "pipeline.transformer_class": class_of("transformer"),
        "pipeline.text_encoder_class": class_of("text_encoder"),
        "pipeline.vae_class": class_of("vae"),
        "pipeline.scheduler_class": class_of("scheduler"),
    }


def _check_special_tokens(tokenizer: dict[str, Any], problems: list[str]) -> None:
    added = {
        entry.get("content"): entry.get("id")
        for entry in tokenizer.get("added_tokens") or []
        if isinstance(entry, dict)
    }
    for content, expected_id in SPECIAL_TOKENS.items():
        if added.get(content) != expected_id:
            problems.append(
                f"tokenizer/tokenizer.json: expected added token {content} with id {expected_id} "
                f"but found {added.get(content)!r}"
            )


def find_chat_template(folder: Path, tokenizer_config: dict[str, Any], problems: list[str]) -> tuple[str, str]:
    """The Qwen3-VL chat template and where it came from: chat_template.json, chat_template.jinja,
    or the ``chat_template`` field of tokenizer_config.json, in that order."""
    json_path = folder / "tokenizer/chat_template.json"
    jinja_path = folder / "tokenizer/chat_template.jinja"
    template: Any = None
    source = ""
    if json_path.exists():
        template = _read_json(folder, "tokenizer/chat_template.json", problems).get("chat_template")
        source = "tokenizer/chat_template.json"
    elif jinja_path.exists():
        template = jinja_path.read_text(encoding="utf-8")
        source = "tokenizer/chat_template.jinja"
    else:
        template = tokenizer_config.get("chat_template")
        source = "tokenizer/tokenizer_config.json#chat_template"
        if isinstance(template, list):
            named = {t.get("name"): t.get("template") for t in template if isinstance(t, dict)}
            template = named.get("default")
    if not isinstance(template, str) or not template:
        problems.append(f"{source}: no chat template found (expected the Qwen3-VL template)")
        return "", source
    for marker in ("<|vision_start|>", "<|image_pad|>"):
        if marker not in template:
            problems.append(f"{source}: expected the Qwen3-VL template, which emits {marker}, but it does not")
    return template, source


def read_revision(folder: Path) -> str | None:
    """The Hub commit of a checkpoint fetched with ``huggingface-cli download --local-dir``: the
    first line of ``.cache/huggingface/download/model_index.json.metadata``, when present."""
    metadata = folder / ".cache/huggingface/download/model_index.json.metadata"
    try:
        first = metadata.read_text(encoding="utf-8").splitlines()[0].strip()
    except (FileNotFoundError, IndexError):
        return None
    return first if _REVISION.match(first) else None


def read_checkpoint_config(folder: Path) -> CheckpointConfig:
    """Reads every config the exporter needs. Raises ExportError listing every missing or malformed
    file at once; unsupported values are left to manifest.check_supported."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ExportError(f"Expected the checkpoint folder {folder} to exist (see docs/exporter.md)")
    problems: list[str] = []
    model_index = _read_json(folder, "model_index.json", problems)
    transformer = _read_json(folder, "transformer/config.json", problems)
    scheduler = _read_json(folder, "scheduler/scheduler_config.json", problems)
    vae = _read_json(folder, "vae/config.json", problems)
    text_encoder = _read_json(folder, "text_encoder/config.json", problems)
    tokenizer = _read_json(folder, "tokenizer/tokenizer.json", problems)
    tokenizer_config = _read_json(folder, "tokenizer/tokenizer_config.json", problems)
    if tokenizer:
        _check_special_tokens(tokenizer, problems)
    template, source = find_chat_template(folder, tokenizer_config, problems)

    values: dict[str, Any] = {}
    values.update(_model_index_values(model_index))
    values.update(_with_defaults(transformer, TRANSFORMER_DEFAULTS, "transformer"))
    if values["transformer.out_channels"] is None:
        # VIBESanaEditingModel: `out_channels = out_channels or in_channels`.
        values["transformer.out_channels"] = values["transformer.in_channels"]
    values.update(_with_defaults(scheduler, SCHEDULER_DEFAULTS, "scheduler"))
    values["scheduler.class"] = scheduler.get("_class_name")
    values.update(_with_defaults(vae, VAE_DEFAULTS, "vae"))
    values["vae.class"] = vae.get("_class_name")
    block_channels = vae.get("encoder_block_out_channels")
    values["vae.downsample"] = 2 ** (len(block_channels) - 1) if isinstance(block_channels, list) and block_channels else None
    values.update(_text_encoder_values(text_encoder))
    values.update(_preprocessor_values(folder, problems))
    if problems:
        raise ExportError(
            "The checkpoint folder is incomplete or malformed:\n" + "\n".join(f"  - {p}" for p in problems)
        )
    return CheckpointConfig(folder, values, template, source, read_revision(folder))


def copy_tokenizer_files(config: CheckpointConfig, bundle_dir: Path) -> dict[str, str]:
    """Copies tokenizer.json and tokenizer_config.json and writes chat_template.json (as
    ``{"chat_template": ...}``, the processor's format) into ``tokenizer/``; returns the manifest's
    ``tokenizer`` section."""
    section = {
        "tokenizerJson": "tokenizer/tokenizer.json",
        "tokenizerConfig": "tokenizer/tokenizer_config.json",
        "chatTemplate": "tokenizer/chat_template.json",
    }
    for key in ("tokenizerJson", "tokenizerConfig"):
        target = resolve_in_bundle(bundle_dir, section[key])
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(config.folder / section[key], target)
    template_path = resolve_in_bundle(bundle_dir, section["chatTemplate"])
    if config.chat_template_source == "tokenizer/chat_template.json":
        shutil.copyfile(config.folder / config.chat_template_source, template_path)
        return section
    with open(template_path, "w", encoding="utf-8") as handle:
        json.dump({"chat_template": config.chat_template}, handle, ensure_ascii=False, indent=2)
        handle.write("\n")
    return section
