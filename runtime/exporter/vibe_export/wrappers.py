"""torch.nn.Module wrappers that give each graph (G1–G7, reference §6.2) the contract's inputs and
outputs, over the official modules of a loaded VIBESanaEditingPipeline.

Each wrapper calls the original submodules. The code re-expressed here is only what cannot be
traced with dynamic shapes, and each place says why:

- G1: ``fast_pos_embed_interpolate`` and ``rot_pos_emb`` loop over ``grid_thw`` with ``.tolist()``
  and ``.item()``; their results become the inputs pos_idx/pos_w/rope_cos/rope_sin. The vision
  attention splits the sequence per image with ``lengths.tolist()``, which would freeze the patch
  count at trace time; for one image that split is the identity, so the wrapper runs the block's
  own qkv/proj/norm/mlp modules around one full (bidirectional) attention.
- G3: ``Qwen3VLTextModel.forward`` builds the mask and RoPE from position ids; the wrapper takes
  the host's cos/sin, builds the causal mask in the graph, runs the module's own decoder layers and
  final norm, and adds the zero-padded DeepStack rows after layers 0–2 (an Add of zeros elsewhere is
  exact, and the image rows are contiguous).
"""

from __future__ import annotations

import torch
from torch import nn
from transformers.models.qwen3_vl.modeling_qwen3_vl import apply_rotary_pos_emb_vision

FP16_MAX = 65504.0


class VisionRotary(nn.Module):
    """Upstream's rotary application (fp32 inside); its own module so that fp16.py can find it."""

    def forward(self, q, k, cos, sin):
        return apply_rotary_pos_emb_vision(q, k, cos, sin)


class VisionFullAttention(nn.Module):
    """Eager attention of upstream (softmax in fp32) over the whole image."""

    def forward(self, q, k, v, scaling: float):
        q, k, v = (t.transpose(0, 1) for t in (q, k, v))  # [heads, N, head_dim]
        scores = torch.matmul(q, k.transpose(1, 2)) * scaling
        probs = torch.softmax(scores, dim=-1, dtype=torch.float32).to(q.dtype)
        out = torch.matmul(probs, v).transpose(0, 1)  # [N, heads, head_dim]
        return out.reshape(out.shape[0], -1)


class VisionBlock(nn.Module):
    def __init__(self, block: nn.Module):
        super().__init__()
        self.block = block
        self.rotary = VisionRotary()
        self.attention = VisionFullAttention()

    def forward(self, hidden, cos, sin):
        block = self.block
        attn = block.attn
        x = block.norm1(hidden)
        n = x.shape[0]
        q, k, v = attn.qkv(x).reshape(n, 3, attn.num_heads, -1).permute(1, 0, 2, 3).unbind(0)
        q, k = self.rotary(q, k, cos, sin)
        scaling = float(getattr(attn, "scaling", attn.head_dim**-0.5))
        hidden = hidden + attn.proj(self.attention(q, k, v, scaling))
        return hidden + block.mlp(block.norm2(hidden))


class QwenVisionGraph(nn.Module):
    """G1: pixel_values, pos_idx, pos_w, rope_cos, rope_sin → image_embeds, deepstack."""

    def __init__(self, visual: nn.Module):
        super().__init__()
        # The parts of Qwen3VLVisionModel the forward uses, registered once each so that node names
        # carry one module path per op.
        self.patch_embed = visual.patch_embed
        self.pos_embed = visual.pos_embed
        self.blocks = nn.ModuleList(VisionBlock(block) for block in visual.blocks)
        self.merger = visual.merger
        self.deepstack_mergers = visual.deepstack_merger_list
        self.deepstack_indexes = [int(i) for i in visual.deepstack_visual_indexes]

    def forward(self, pixel_values, pos_idx, pos_w, rope_cos, rope_sin):
        input_dtype = pixel_values.dtype
        hidden = self.patch_embed(pixel_values)
        # Same arithmetic as fast_pos_embed_interpolate: weights cast to the table's dtype, the four
        # corner terms summed in order; the host already permuted them into merge-window order.
        weighted = self.pos_embed(pos_idx.long()) * pos_w.to(self.pos_embed.weight.dtype)[:, :, None]
        hidden = (hidden + (weighted[0] + weighted[1] + weighted[2] + weighted[3])).to(input_dtype)
        deepstack = []
        for index, block in enumerate(self.blocks):
            hidden = block(hidden, rope_cos, rope_sin)
            if index in self.deepstack_indexes:
                deepstack.append(self.deepstack_mergers[self.deepstack_indexes.index(index)](hidden))
        return self.merger(hidden), torch.stack(deepstack, dim=0)


class QwenEmbedGraph(nn.Module):
    """G2: input_ids (int32) → inputs_embeds."""

    def __init__(self, embed_tokens: nn.Module):
        super().__init__()
        self.embed_tokens = embed_tokens

    def forward(self, input_ids):
        return self.embed_tokens(input_ids.long())


class QwenLmHiddenGraph(nn.Module):
    """G3: inputs_embeds, rope_cos, rope_sin, deepstack_embeds → meta_hidden (last 224 rows)."""

    def __init__(self, language_model: nn.Module, meta_tokens: int, deepstack_layers: int):
        super().__init__()
        self.layers = language_model.layers
        self.norm = language_model.norm
        self.meta_tokens = meta_tokens
        self.deepstack_layers = deepstack_layers

    def forward(self, inputs_embeds, rope_cos, rope_sin, deepstack_embeds):
        dtype = inputs_embeds.dtype
        positions = torch.arange(inputs_embeds.shape[1], device=inputs_embeds.device)
        future = positions[None, :] > positions[:, None]
        # Additive mask as transformers builds it (finfo.min, not -inf, so no row is all -inf).
        mask = torch.zeros_like(future, dtype=dtype)
        mask = mask.masked_fill(future, torch.finfo(dtype).min)[None, None]
        position_embeddings = (rope_cos.to(dtype), rope_sin.to(dtype))
        hidden = inputs_embeds
        for index, layer in enumerate(self.layers):
            hidden = layer(hidden, attention_mask=mask, position_embeddings=position_embeddings)
            if isinstance(hidden, tuple):  # older decoder layers return (hidden, ...)
                hidden = hidden[0]
            if index < self.deepstack_layers:
                hidden = hidden + deepstack_embeds[index].to(dtype)
        return self.norm(hidden)[:, -self.meta_tokens :, :]


class ConnectorGraph(nn.Module):
    """G4: meta_hidden → cond. MetaConnector adds meta_queries a second time inside (§3.2)."""

    def __init__(self, transformer: nn.Module):
        super().__init__()
        self.edit_head = transformer.edit_head
        self.meta_queries = transformer.meta_queries

    def forward(self, meta_hidden):
        queries = self.meta_queries.unsqueeze(0).expand(meta_hidden.shape[0], -1, -1)
        return self.edit_head(meta_hidden, queries)


class VaeEncoderGraph(nn.Module):
    """G5: image in [-1, 1] → latent (the host multiplies by the scaling factor)."""

    def __init__(self, vae: nn.Module):
        super().__init__()
        self.vae = vae

    def forward(self, image):
        return self.vae.encode(image, return_dict=False)[0]


class DitGraph(nn.Module):
    """G6: hidden_states (64 channels), encoder_hidden_states, timestep → noise_pred; no mask."""

    def __init__(self, transformer: nn.Module):
        super().__init__()
        self.transformer = transformer

    def forward(self, hidden_states, encoder_hidden_states, timestep):
        return self.transformer(
            hidden_states=hidden_states,
            encoder_hidden_states=encoder_hidden_states,
            timestep=timestep,
            return_dict=False,
        )[0]


class VaeDecoderGraph(nn.Module):
    """G7: latent (already divided by the scaling factor) → image in [-1, 1]."""

    def __init__(self, vae: nn.Module):
        super().__init__()
        self.vae = vae

    def forward(self, latent):
        return self.vae.decode(latent, return_dict=False)[0]


def clip_self_attention_output(transformer: nn.Module) -> list:
    """Upstream clips the linear attention's output (after to_out) to ±65504 when it runs in fp16
    (§7.1). The fp32 graph that is converted to fp16 needs the same clip, added here as forward
    hooks; they trace into the block's scope, so the clip runs in fp16 on to_out's output, as
    upstream's does."""

    def clip(_module, _inputs, output):
        return output.clamp(-FP16_MAX, FP16_MAX)

    return [block.attn1.register_forward_hook(clip) for block in transformer.transformer_blocks]


def use_eager_attention(model: nn.Module) -> None:
    """The LM's eager attention exports as MatMul + fp32 Softmax, which fp16.py can keep in fp32."""
    setter = getattr(model, "set_attn_implementation", None)
    if callable(setter):
        setter("eager")
        return
    for module in model.modules():
        config = getattr(module, "config", None)
        if config is not None and hasattr(config, "_attn_implementation"):
            config._attn_implementation = "eager"
