"""GPU compute of VIBE's networks, measured on stand-ins with random weights (PyTorch).

What this is: the networks of one VIBE edit rebuilt from the numbers in
shared/reference/vibe-inference.md (ViT and LM of Qwen3-VL-2B, §3.1; MetaConnector, §3.2; the
Sana1.5-1.6B editing DiT, §3.3; the DC-AE f32c32 encoder and decoder, §3.4), with random weights,
in bf16 (the linear attentions in fp32, as upstream), timed with CUDA events on one GPU. It answers:
how long does the model arithmetic of a 1024² and a 2048² edit take on this card, and how much
memory does it hold? Those are the numbers the latency budgets (DESIGN §10) and the scaling
simulator's service times (docs/scaling.md) rest on.

What this is not: the service's own path (ONNX graphs through onnxruntime-node's CUDA provider,
which cannot be installed without network access to NuGet), and not the real weights (they cannot
be downloaded here). Outputs are meaningless numbers; only time and memory are measured. Random
weights do not change the arithmetic of these networks (no early exits, no sparsity), so the
timings carry over; kernel choices of ONNX Runtime will differ from PyTorch's.

Usage: python3 runtime/bench/gpu/model_compute_standin.py [--sizes 1024 2048] [--steps 20]
       [--repeats 3] [--dit-batches 3 2 1] [--json out.json] [--smoke]
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import statistics
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

BF16 = torch.bfloat16


def rms_norm(x: torch.Tensor, weight: torch.Tensor | None, eps: float) -> torch.Tensor:
    return F.rms_norm(x, (x.shape[-1],), weight, eps)


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return rms_norm(x, self.weight, self.eps)


class ChannelRMSNorm(RMSNorm):
    """RMSNorm over the channel axis of an NCHW map (DC-AE's norm)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return rms_norm(x.movedim(1, -1), self.weight, self.eps).movedim(-1, 1)


def relu_linear_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """(V·Kᵀ)·Q with a ReLU kernel and the ones-row normaliser, in fp32 as upstream. [B,H,N,d]."""
    dtype = q.dtype
    q, k, v = F.relu(q).float(), F.relu(k).float(), v.float()
    kv = torch.einsum("bhnd,bhne->bhde", k, v)
    numerator = torch.einsum("bhnd,bhde->bhne", q, kv)
    denominator = torch.einsum("bhnd,bhd->bhn", q, k.sum(dim=2)).unsqueeze(-1)
    return (numerator / (denominator + 1e-15)).to(dtype)


# --- Qwen3-VL-2B: ViT (§3.1) ---------------------------------------------------------------


class VitBlock(nn.Module):
    def __init__(self, dim: int = 1024, heads: int = 16, mlp: int = 4096):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.fc1 = nn.Linear(dim, mlp)
        self.fc2 = nn.Linear(mlp, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        qkv = self.qkv(self.norm1(x)).view(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        attended = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2])
        x = x + self.proj(attended.transpose(1, 2).reshape(b, n, c))
        return x + self.fc2(F.gelu(self.fc1(self.norm2(x)), approximate="tanh"))


class Vit(nn.Module):
    """24 blocks of 1024 over 16×16×2 patches, then the 2×2 merger to 2048 (DeepStack mergers too)."""

    def __init__(self):
        super().__init__()
        self.patch = nn.Linear(1536, 1024)
        self.blocks = nn.ModuleList(VitBlock() for _ in range(24))
        self.mergers = nn.ModuleList(
            nn.Sequential(nn.LayerNorm(4096), nn.Linear(4096, 4096), nn.GELU(), nn.Linear(4096, 2048))
            for _ in range(4)
        )

    def forward(self, patches: torch.Tensor) -> list[torch.Tensor]:
        x = self.patch(patches)
        outputs = []
        for index, block in enumerate(self.blocks):
            x = block(x)
            if index in (5, 11, 17):
                outputs.append(x)
        outputs.append(x)
        return [merger(h.reshape(h.shape[0], -1, 4096)) for merger, h in zip(self.mergers, outputs)]


# --- Qwen3-VL-2B: LM (§3.1) ----------------------------------------------------------------


class LmLayer(nn.Module):
    def __init__(self, dim: int = 2048, heads: int = 16, kv_heads: int = 8, head_dim: int = 128):
        super().__init__()
        self.heads, self.kv_heads, self.head_dim = heads, kv_heads, head_dim
        self.norm1 = RMSNorm(dim, 1e-6)
        self.q = nn.Linear(dim, heads * head_dim, bias=False)
        self.k = nn.Linear(dim, kv_heads * head_dim, bias=False)
        self.v = nn.Linear(dim, kv_heads * head_dim, bias=False)
        self.q_norm = RMSNorm(head_dim, 1e-6)
        self.k_norm = RMSNorm(head_dim, 1e-6)
        self.o = nn.Linear(heads * head_dim, dim, bias=False)
        self.norm2 = RMSNorm(dim, 1e-6)
        self.gate = nn.Linear(dim, 6144, bias=False)
        self.up = nn.Linear(dim, 6144, bias=False)
        self.down = nn.Linear(6144, dim, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, _ = x.shape
        h = self.norm1(x)
        q = self.q_norm(self.q(h).view(b, n, self.heads, self.head_dim)).transpose(1, 2)
        k = self.k_norm(self.k(h).view(b, n, self.kv_heads, self.head_dim)).transpose(1, 2)
        v = self.v(h).view(b, n, self.kv_heads, self.head_dim).transpose(1, 2)
        attended = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
        x = x + self.o(attended.transpose(1, 2).reshape(b, n, -1))
        h = self.norm2(x)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))


class Lm(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList(LmLayer() for _ in range(28))
        self.norm = RMSNorm(2048, 1e-6)

    def forward(self, x: torch.Tensor, deepstack: list[torch.Tensor], image_rows: slice) -> torch.Tensor:
        for index, layer in enumerate(self.layers):
            x = layer(x)
            if index < 3:
                x[:, image_rows] += deepstack[index]
        return self.norm(x)[:, -224:]


# --- MetaConnector (§3.2) ------------------------------------------------------------------


class Connector(nn.Module):
    def __init__(self):
        super().__init__()
        self.input_proj = nn.Linear(2048, 2048)
        self.blocks = nn.ModuleList(
            nn.ModuleDict(
                {
                    "ln1": nn.LayerNorm(2048),
                    "mha": nn.MultiheadAttention(2048, 16, batch_first=True),
                    "ln2": nn.LayerNorm(2048),
                    "w1": nn.Linear(2048, 8192),
                    "w3": nn.Linear(2048, 8192),
                    "w2": nn.Linear(8192, 2048),
                }
            )
            for _ in range(4)
        )
        self.norm = nn.LayerNorm(2048)
        self.out = nn.Linear(2048, 2304)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.input_proj(x)
        for block in self.blocks:
            h = block["ln1"](x)
            x = x + block["mha"](h, h, h, need_weights=False)[0]
            h = block["ln2"](x)
            x = x + block["w2"](F.silu(block["w1"](h)) * block["w3"](h))
        return self.out(self.norm(x))


# --- Sana1.5-1.6B editing DiT (§3.3) -------------------------------------------------------

DIT_WIDTH = 2240


class GluMbConv(nn.Module):
    """1×1 expand, SiLU, depthwise 3×3, split into value and gate, x·SiLU(gate), 1×1 project."""

    def __init__(self, dim: int, hidden: int, norm: bool = False):
        super().__init__()
        self.inverted = nn.Conv2d(dim, 2 * hidden, 1)
        self.depth = nn.Conv2d(2 * hidden, 2 * hidden, 3, padding=1, groups=2 * hidden)
        self.point = nn.Conv2d(hidden, dim, 1, bias=False)
        self.norm = ChannelRMSNorm(dim, 1e-5) if norm else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        value, gate = self.depth(F.silu(self.inverted(x))).chunk(2, dim=1)
        out = self.point(value * F.silu(gate))
        return out if self.norm is None else self.norm(out)


class DitBlock(nn.Module):
    def __init__(self, dim: int = DIT_WIDTH):
        super().__init__()
        self.table = nn.Parameter(torch.randn(6, dim) / dim**0.5)
        self.sa_q = nn.Linear(dim, dim, bias=False)
        self.sa_k = nn.Linear(dim, dim, bias=False)
        self.sa_v = nn.Linear(dim, dim, bias=False)
        self.sa_norm_q = RMSNorm(dim, 1e-5)
        self.sa_norm_k = RMSNorm(dim, 1e-5)
        self.sa_out = nn.Linear(dim, dim)
        self.ca_q = nn.Linear(dim, dim)
        self.ca_k = nn.Linear(dim, dim)
        self.ca_v = nn.Linear(dim, dim)
        self.ca_norm_q = RMSNorm(dim, 1e-5)
        self.ca_norm_k = RMSNorm(dim, 1e-5)
        self.ca_out = nn.Linear(dim, dim)
        # mlp_ratio 2.5: 1×1 to 11200 = 5600 values + 5600 gates.
        self.ffn = GluMbConv(dim, dim * 5 // 2)

    def forward(self, x: torch.Tensor, ctx: torch.Tensor, t_mod: torch.Tensor, hw: tuple[int, int]) -> torch.Tensor:
        b, n, c = x.shape
        shift_sa, scale_sa, gate_sa, shift_ff, scale_ff, gate_ff = (self.table + t_mod.view(b, 6, c)).unbind(1)
        h = F.layer_norm(x, (c,), eps=1e-6) * (1 + scale_sa[:, None]) + shift_sa[:, None]
        split = lambda t: t.view(b, -1, 70, 32).transpose(1, 2)  # noqa: E731
        q = split(self.sa_norm_q(self.sa_q(h)))
        k = split(self.sa_norm_k(self.sa_k(h)))
        v = split(self.sa_v(h))
        attended = relu_linear_attention(q, k, v).transpose(1, 2).reshape(b, n, c)
        x = x + gate_sa[:, None] * self.sa_out(attended)
        heads = lambda t: t.view(b, -1, 20, 112).transpose(1, 2)  # noqa: E731
        q = heads(self.ca_norm_q(self.ca_q(x)))
        k = heads(self.ca_norm_k(self.ca_k(ctx)))
        v = heads(self.ca_v(ctx))
        x = x + self.ca_out(F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(b, n, c))
        h = F.layer_norm(x, (c,), eps=1e-6) * (1 + scale_ff[:, None]) + shift_ff[:, None]
        grid = h.transpose(1, 2).reshape(b, c, *hw)
        return x + gate_ff[:, None] * self.ffn(grid).flatten(2).transpose(1, 2)


class Dit(nn.Module):
    def __init__(self, dim: int = DIT_WIDTH):
        super().__init__()
        self.patch = nn.Conv2d(64, dim, 1)
        self.t_embed = nn.Sequential(nn.Linear(256, dim), nn.SiLU(), nn.Linear(dim, dim))
        self.t_block = nn.Sequential(nn.SiLU(), nn.Linear(dim, 6 * dim))
        self.caption = nn.Sequential(nn.Linear(2304, dim), nn.GELU(approximate="tanh"), nn.Linear(dim, dim))
        self.caption_norm = RMSNorm(dim, 1e-5)
        self.blocks = nn.ModuleList(DitBlock(dim) for _ in range(20))
        self.out_table = nn.Parameter(torch.randn(2, dim) / dim**0.5)
        self.proj_out = nn.Linear(dim, 32)

    def forward(self, latents: torch.Tensor, cond: torch.Tensor, timestep: torch.Tensor) -> torch.Tensor:
        b, _, height, width = latents.shape
        x = self.patch(latents).flatten(2).transpose(1, 2)
        half = 128
        freqs = torch.exp(-math.log(10_000) * torch.arange(half, device=latents.device) / half)
        angles = timestep.float()[:, None] * freqs[None]
        embedded = self.t_embed(torch.cat([angles.cos(), angles.sin()], dim=-1).to(x.dtype))
        t_mod = self.t_block(embedded)
        ctx = self.caption_norm(self.caption(cond))
        for block in self.blocks:
            x = block(x, ctx, t_mod, (height, width))
        shift, scale = (self.out_table[None] + embedded[:, None]).unbind(1)
        x = F.layer_norm(x, (x.shape[-1],), eps=1e-6) * (1 + scale[:, None]) + shift[:, None]
        return self.proj_out(x).transpose(1, 2).reshape(b, 32, height, width)


# --- DC-AE f32c32 (§3.4) -------------------------------------------------------------------

DCAE_WIDTHS = (128, 256, 512, 512, 1024, 1024)


class ResBlock(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.norm = ChannelRMSNorm(channels, 1e-5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.norm(self.conv2(F.silu(self.conv1(x))))


class MultiscaleLinearAttention(nn.Module):
    """q, k, v by 1×1 conv; a 5×5 depthwise + grouped 1×1 aggregate doubles the heads; fp32 ReLU attention."""

    def __init__(self, channels: int, head_dim: int = 32):
        super().__init__()
        self.heads = channels // head_dim
        self.head_dim = head_dim
        self.qkv = nn.Conv2d(channels, 3 * channels, 1, bias=False)
        self.aggregate_depth = nn.Conv2d(3 * channels, 3 * channels, 5, padding=2, groups=3 * channels, bias=False)
        self.aggregate_point = nn.Conv2d(3 * channels, 3 * channels, 1, groups=3 * self.heads, bias=False)
        self.out = nn.Conv2d(2 * channels, channels, 1, bias=False)
        self.norm = ChannelRMSNorm(channels, 1e-5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, height, width = x.shape
        qkv = self.qkv(x)
        multi = torch.cat([qkv, self.aggregate_point(self.aggregate_depth(qkv))], dim=1)
        multi = multi.view(b, 2 * self.heads, 3 * self.head_dim, height * width).transpose(2, 3)
        q, k, v = multi.split(self.head_dim, dim=-1)
        attended = relu_linear_attention(q, k, v).transpose(2, 3).reshape(b, 2 * c, height, width)
        return x + self.norm(self.out(attended))


class EfficientVitBlock(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.attention = MultiscaleLinearAttention(channels)
        self.ffn = GluMbConv(channels, 4 * channels, norm=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.attention(x)
        return x + self.ffn(x)


def dcae_stage(index: int, layers: int) -> nn.Sequential:
    block = ResBlock if index < 3 else EfficientVitBlock
    return nn.Sequential(*(block(DCAE_WIDTHS[index]) for _ in range(layers)))


class DcaeEncoder(nn.Module):
    def __init__(self, layers: tuple[int, ...] = (2, 2, 2, 3, 3, 3)):
        super().__init__()
        self.conv_in = nn.Conv2d(3, DCAE_WIDTHS[0], 3, padding=1)
        self.stages = nn.ModuleList(dcae_stage(i, n) for i, n in enumerate(layers))
        self.down = nn.ModuleList(
            nn.Conv2d(DCAE_WIDTHS[i], DCAE_WIDTHS[i + 1], 3, stride=2, padding=1) for i in range(5)
        )
        self.conv_out = nn.Conv2d(DCAE_WIDTHS[-1], 32, 3, padding=1)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        x = self.conv_in(image)
        for index, stage in enumerate(self.stages):
            x = stage(x)
            if index < 5:
                x = self.down[index](x)
        return self.conv_out(x)


class DcaeDecoder(nn.Module):
    def __init__(self, layers: tuple[int, ...] = (3, 3, 3, 3, 3, 3)):
        super().__init__()
        self.conv_in = nn.Conv2d(32, DCAE_WIDTHS[-1], 3, padding=1)
        self.stages = nn.ModuleList(dcae_stage(i, n) for i, n in enumerate(layers))
        self.up = nn.ModuleList(nn.Conv2d(DCAE_WIDTHS[i + 1], DCAE_WIDTHS[i], 3, padding=1) for i in range(5))
        self.norm_out = ChannelRMSNorm(DCAE_WIDTHS[0], 1e-5)
        self.conv_out = nn.Conv2d(DCAE_WIDTHS[0], 3, 3, padding=1)

    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        x = self.conv_in(latent)
        for index in range(5, -1, -1):
            x = self.stages[index](x)
            if index > 0:
                x = self.up[index - 1](F.interpolate(x, scale_factor=2, mode="nearest"))
        return self.conv_out(F.relu(self.norm_out(x)))


# --- measuring -----------------------------------------------------------------------------


def params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def timed(run, repeats: int, warmups: int = 1) -> list[float]:
    for _ in range(warmups):
        run()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        run()
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end) / 1000)
    return times


def build(module_type, device: torch.device) -> nn.Module:
    with torch.device(device):
        module = module_type()
    # Small weights keep the bf16 activations finite through 20+ layers of random matrices.
    with torch.no_grad():
        for p in module.parameters():
            if p.dim() > 1:
                p.normal_(0, 0.02)
    return module.to(BF16).eval()


def measure(size: int, args, device: torch.device, models: dict[str, nn.Module]) -> dict:
    latent = size // 32
    # The VLM sees the image resized to at most 1024² (smart_resize, §2.1): 64×64 patches →
    # 1024 merged tokens, plus ~64 prompt tokens and the 224 meta rows.
    vlm_side = min(size, 1024) // 16
    patches = torch.randn(1, vlm_side * vlm_side, 1536, device=device, dtype=BF16)
    prompt = 64
    image_tokens = vlm_side * vlm_side // 4
    lm_in = torch.randn(1, prompt + image_tokens + 224, 2048, device=device, dtype=BF16)
    rows = slice(prompt, prompt + image_tokens)
    image = torch.randn(1, 3, size, size, device=device, dtype=BF16)
    noisy = torch.randn(3, 64, latent, latent, device=device, dtype=BF16)
    vit, lm, connector, dit = models["vit"], models["lm"], models["connector"], models["dit"]
    encoder, decoder = models["encoder"], models["decoder"]

    def vlm():
        deepstack = vit(patches)
        return connector(lm(lm_in.clone(), deepstack[:3], rows))

    cond = vlm().expand(3, -1, -1).contiguous()

    def denoise(batch: int):
        # Batch 3: full guidance (text, image, unconditional); 2: text guidance only; 1: no
        # guidance or a CFG-distilled bundle.
        x = noisy[:batch]
        context = cond[:batch]
        timesteps = torch.full((batch,), 500.0, device=device)
        for _ in range(args.steps):
            x = torch.cat([dit(x, context, timesteps)[:, :32], x[:, 32:]], dim=1)
        return x

    stages = {}
    torch.cuda.reset_peak_memory_stats(device)
    stages["vlm+connector"] = timed(vlm, args.repeats)
    stages["vae encode"] = timed(lambda: encoder(image), args.repeats)
    for batch in args.dit_batches:
        stages[f"dit x{args.steps} (batch {batch})"] = timed(lambda b=batch: denoise(b), args.repeats)
    stages["vae decode"] = timed(lambda: decoder(noisy[:1, :32]), args.repeats)
    medians = {name: statistics.median(times) for name, times in stages.items()}
    # The total counts the first DiT batch listed (3 by default: full guidance).
    counted = {
        name: value
        for name, value in medians.items()
        if not name.startswith("dit") or name == f"dit x{args.steps} (batch {args.dit_batches[0]})"
    }
    return {
        "size": size,
        "latent": latent,
        "stages_s": {name: round(value, 4) for name, value in medians.items()},
        "runs_s": {name: [round(t, 4) for t in times] for name, times in stages.items()},
        "total_s": round(sum(counted.values()), 4),
        "peak_memory_gib": round(torch.cuda.max_memory_allocated(device) / 2**30, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1024, 2048])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--dit-batches", type=int, nargs="+", default=[3], help="guidance batch sizes to time; the first counts in the total"
    )
    parser.add_argument("--json", type=str, default=None)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, 2 steps: checks the code runs")
    args = parser.parse_args()
    if args.smoke:
        args.sizes, args.steps, args.repeats = [256], 2, 1
    if not torch.cuda.is_available():
        print("needs a CUDA GPU", file=sys.stderr)
        return 2
    device = torch.device("cuda")
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    torch.backends.cudnn.benchmark = True
    started = time.time()
    with torch.inference_mode():
        models = {
            name: build(kind, device)
            for name, kind in [
                ("vit", Vit),
                ("lm", Lm),
                ("connector", Connector),
                ("dit", Dit),
                ("encoder", DcaeEncoder),
                ("decoder", DcaeDecoder),
            ]
        }
        report = {
            "what": "stand-in networks with random weights, PyTorch eager bf16, CUDA events; NOT the ONNX path, NOT real weights",
            "gpu": torch.cuda.get_device_name(device),
            "torch": torch.__version__,
            "python": platform.python_version(),
            "steps": args.steps,
            "repeats": args.repeats,
            "params_millions": {name: round(params(m) / 1e6, 1) for name, m in models.items()},
            "results": [measure(size, args, device, models) for size in args.sizes],
        }
    report["wall_s"] = round(time.time() - started, 1)
    text = json.dumps(report, indent=2)
    print(text)
    if args.json is not None:
        with open(args.json, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
