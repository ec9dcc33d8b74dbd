"""A fake VIBE checkpoint folder with the configs the exporter reads (no weights)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message.role }}\n"
    "{% for c in message.content %}{% if c.type == 'image' %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% else %}{{ c.text }}{% endif %}{% endfor %}<|im_end|>\n{% endfor %}"
)

CONFIGS: dict[str, dict[str, Any]] = {
    "model_index.json": {
        "_class_name": "VIBESanaEditingPipeline",
        "_diffusers_version": "0.33.1",
        "scheduler": ["diffusers", "DPMSolverMultistepScheduler"],
        "text_encoder": ["transformers", "Qwen3VLForConditionalGeneration"],
        "tokenizer": ["transformers", "Qwen3VLProcessor"],
        "transformer": ["vibe.transformer.vibe_sana_editing", "VIBESanaEditingModel"],
        "vae": ["diffusers", "AutoencoderDC"],
    },
    "transformer/config.json": {
        "_class_name": "VIBESanaEditingModel",
        "in_channels": 64,
        "out_channels": 32,
        "caption_channels": 2304,
        "qk_norm": "rms_norm_across_heads",
        "interpolation_scale": None,
        "num_meta_queries": 224,
    },
    "scheduler/scheduler_config.json": {
        "_class_name": "DPMSolverMultistepScheduler",
        "flow_shift": 3.0,
        "use_flow_sigmas": True,
        "prediction_type": "flow_prediction",
    },
    "vae/config.json": {
        "_class_name": "AutoencoderDC",
        "latent_channels": 32,
        "scaling_factor": 0.41407,
        "encoder_block_out_channels": [128, 256, 512, 512, 1024, 1024],
    },
    "text_encoder/config.json": {
        "architectures": ["Qwen3VLForConditionalGeneration"],
        "image_token_id": 151655,
        "vision_start_token_id": 151652,
        "vision_end_token_id": 151653,
        "text_config": {
            "hidden_size": 2048,
            "head_dim": 128,
            "rope_theta": 5000000,
            "rope_scaling": {"mrope_interleaved": True, "mrope_section": [24, 20, 20], "rope_type": "default"},
        },
        "vision_config": {
            "patch_size": 16,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
            "in_channels": 3,
            "hidden_size": 1024,
            "num_heads": 16,
            "num_position_embeddings": 2304,
            "out_hidden_size": 2048,
            "deepstack_visual_indexes": [5, 11, 17],
        },
    },
    "tokenizer/tokenizer.json": {
        "version": "1.0",
        "added_tokens": [
            {"id": 151644, "content": "<|im_start|>"},
            {"id": 151645, "content": "<|im_end|>"},
            {"id": 151652, "content": "<|vision_start|>"},
            {"id": 151653, "content": "<|vision_end|>"},
            {"id": 151655, "content": "<|image_pad|>"},
        ],
    },
    "tokenizer/tokenizer_config.json": {"tokenizer_class": "Qwen2Tokenizer"},
    "tokenizer/chat_template.json": {"chat_template": TEMPLATE},
    "tokenizer/preprocessor_config.json": {
        "image_mean": [0.5, 0.5, 0.5],
        "image_std": [0.5, 0.5, 0.5],
        "patch_size": 16,
        "merge_size": 2,
        "temporal_patch_size": 2,
    },
}


def write_checkpoint(root: Path, overrides: dict[str, dict[str, Any]] | None = None, drop: tuple[str, ...] = ()) -> Path:
    """Writes the configs under ``root``; ``overrides`` merges keys into a file's JSON, ``drop``
    leaves files out."""
    for relative, document in CONFIGS.items():
        if relative in drop:
            continue
        merged = dict(document)
        merged.update((overrides or {}).get(relative, {}))
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(merged), encoding="utf-8")
    return root
