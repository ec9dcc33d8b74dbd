"""Example inputs for tracing and checking each graph, plus the host-side values upstream computes
from grid_thw (the TypeScript host computes the same: reference §3.1, appendix rule 7).

Shapes are deliberately unequal (8 × 12 patch grids, batch 2) so that a dim swapped by a wrapper
shows up in the post-export check instead of passing by symmetry.
"""

from __future__ import annotations

import torch

VISION_GRID = (8, 12)  # patch rows × patch columns (both multiples of the merge size 2)
LM_SEQ_LEN = 260
LM_IMAGE_ROWS = (4, 4 + (VISION_GRID[0] * VISION_GRID[1]) // 4)
VAE_IMAGE = (256, 384)  # latent 8 × 12: area 96 > 32, the DC-AE linear-attention branch
LATENT = (8, 12)
BATCH = 2


def vision_host_inputs(visual, grid_h: int, grid_w: int):
    """pos_idx, pos_w, rope_cos, rope_sin for one image, as fast_pos_embed_interpolate and
    rot_pos_emb compute them: float32 linspace, int() truncation, merge-window order."""
    side = visual.num_grid_per_side
    merge = visual.spatial_merge_size
    h = torch.linspace(0, side - 1, grid_h)
    w = torch.linspace(0, side - 1, grid_w)
    h_floor, w_floor = h.int(), w.int()
    h_ceil = (h_floor + 1).clip(max=side - 1)
    w_ceil = (w_floor + 1).clip(max=side - 1)
    dh, dw = h - h_floor, w - w_floor
    rows_f, rows_c = (h_floor * side)[:, None], (h_ceil * side)[:, None]
    index = torch.stack(
        [rows_f + w_floor[None], rows_f + w_ceil[None], rows_c + w_floor[None], rows_c + w_ceil[None]]
    )
    weight = torch.stack(
        [
            (1 - dh)[:, None] * (1 - dw)[None],
            (1 - dh)[:, None] * dw[None],
            dh[:, None] * (1 - dw)[None],
            dh[:, None] * dw[None],
        ]
    )

    def merge_order(t):
        t = t.reshape(4, grid_h // merge, merge, grid_w // merge, merge)
        return t.permute(0, 1, 3, 2, 4).reshape(4, -1)

    rotary = visual.rot_pos_emb(torch.tensor([[1, grid_h, grid_w]]))
    emb = torch.cat((rotary, rotary), dim=-1).float()
    return merge_order(index).to(torch.int32), merge_order(weight).float(), emb.cos(), emb.sin()


def lm_rope(language_model, inputs_embeds):
    """cos/sin [1, L, 128] for text-only positions (all three M-RoPE axes equal), from the
    module's own rotary embedding; the host computes interleaved M-RoPE the same way."""
    length = inputs_embeds.shape[1]
    position_ids = torch.arange(length).view(1, 1, -1).expand(3, 1, -1)
    cos, sin = language_model.rotary_emb(inputs_embeds.float(), position_ids)
    return cos.float(), sin.float(), position_ids


def example_inputs(name: str, pipe, generator: torch.Generator) -> tuple:
    """Float32 CPU inputs of graph ``name`` in contract order."""
    text_encoder = pipe.text_encoder
    if name == "qwen_vision":
        visual = text_encoder.model.visual
        patches = VISION_GRID[0] * VISION_GRID[1]
        pixels = torch.rand(patches, 1536, generator=generator) * 2 - 1
        return (pixels, *vision_host_inputs(visual, *VISION_GRID))
    if name == "qwen_embed":
        return (torch.randint(0, 151643, (LM_SEQ_LEN,), generator=generator, dtype=torch.int32),)
    if name == "qwen_lm_hidden":
        language_model = text_encoder.model.language_model
        ids = torch.randint(0, 151643, (1, LM_SEQ_LEN), generator=generator)
        embeds = language_model.embed_tokens(ids).detach().float()
        cos, sin, _ = lm_rope(language_model, embeds)
        deepstack = torch.zeros(3, 1, LM_SEQ_LEN, embeds.shape[-1])
        start, end = LM_IMAGE_ROWS
        deepstack[:, :, start:end] = torch.randn(3, 1, end - start, embeds.shape[-1], generator=generator) * 0.05
        return (embeds, cos, sin, deepstack)
    if name == "connector":
        return (torch.randn(BATCH, 224, 2048, generator=generator),)
    if name == "vae_encoder":
        return (torch.rand(1, 3, *VAE_IMAGE, generator=generator) * 2 - 1,)
    if name == "dit":
        return (
            torch.randn(BATCH, 64, *LATENT, generator=generator),
            torch.randn(BATCH, 224, 2304, generator=generator),
            torch.tensor([999.0, 499.0])[:BATCH],
        )
    if name == "vae_decoder":
        return (torch.randn(1, 32, *LATENT, generator=generator),)
    raise ValueError(f"Expected a graph name of the contract but received {name!r}")
