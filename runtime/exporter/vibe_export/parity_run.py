"""Records the parity trace from the official pipeline (reference dtype, injected noise).

It runs ImageEditor's own steps (prepare_image_for_diffusion → VIBESanaEditingPipeline.__call__ →
postprocess_padded_image → revert_resize) with ``latents=`` set to a recorded noise tensor, and
captures each stage with forward hooks and thin wrappers around pipeline methods. Needs torch,
PIL, numpy and the ``vibe`` package; imported lazily by the CLI.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import torch
from PIL import Image, ImageDraw

from .errors import ExportError
from .parity_trace import (
    EXTRA_STAGES,
    INPUT_IMAGE_PATH,
    REQUIRED_STAGES,
    TensorMeta,
    build_trace_document,
    stage_file,
    write_trace_document,
)
from .paths import resolve_in_bundle

Log = Callable[[str], None]
DEFAULT_SIZE = (1280, 720)  # w × h; not a bin ratio, so the letterbox crop of §9.2 is exercised


def synthetic_image(size: tuple[int, int] = DEFAULT_SIZE) -> Image.Image:
    """A deterministic test picture (sky, ground, a house, a sun) when no parity image is given."""
    width, height = size
    y = np.linspace(0.0, 1.0, height)[:, None, None]
    x = np.linspace(0.0, 1.0, width)[None, :, None]
    sky = np.array([90, 150, 230]) * (1 - 0.5 * y) + np.array([20, 20, 0]) * x
    ground = np.array([70, 140, 60]) * (1.2 - 0.4 * y)
    pixels = np.where(y < 0.62, sky, ground).clip(0, 255).astype(np.uint8)
    image = Image.fromarray(pixels, "RGB")
    draw = ImageDraw.Draw(image)
    draw.rectangle([width * 0.30, height * 0.40, width * 0.52, height * 0.75], fill=(200, 120, 80))
    draw.polygon([(width * 0.28, height * 0.40), (width * 0.41, height * 0.22), (width * 0.54, height * 0.40)], fill=(150, 40, 40))
    draw.ellipse([width * 0.75, height * 0.08, width * 0.87, height * 0.08 + width * 0.12], fill=(250, 220, 90))
    return image


def _float32(tensor) -> np.ndarray:
    return tensor.detach().float().cpu().numpy().astype("<f4")


def _int32(tensor) -> np.ndarray:
    return tensor.detach().cpu().to(torch.int32).numpy().astype("<i4")


class _Recorder:
    """Captures the stages while the pipeline runs; hooks are removed by ``close``."""

    def __init__(self, pipe):
        self.arrays: dict[str, np.ndarray] = {}
        self.edit_head_calls: list[tuple] = []
        self._handles = []
        self._restore: list[tuple[object, str]] = []
        self._wrap(pipe, "prepare_inputs_batch", self._on_inputs)
        self._wrap(pipe, "prepare_image_latents", self._on_image_latents)
        self._wrap(pipe.scheduler, "step", self._on_step, passes_args=True)
        self._handles.append(pipe.text_encoder.model.visual.register_forward_hook(self._on_visual))
        self._handles.append(pipe.transformer.edit_head.register_forward_hook(self._on_edit_head, with_kwargs=True))
        self._handles.append(pipe.vae.decoder.register_forward_hook(self._on_decoder))

    def _wrap(self, owner, name: str, after, passes_args: bool = False) -> None:
        original = getattr(owner, name)

        def wrapped(*args, **kwargs):
            result = original(*args, **kwargs)
            after(result, args) if passes_args else after(result)
            return result

        setattr(owner, name, wrapped)
        self._restore.append((owner, name))

    def _on_inputs(self, inputs) -> None:
        self.arrays["input_ids"] = _int32(inputs["input_ids"][0])
        self.arrays["vlm_pixel_values"] = _float32(inputs["pixel_values"])
        self.arrays["vlm_grid_thw"] = _int32(inputs["image_grid_thw"][0])

    def _on_image_latents(self, latents) -> None:
        self.arrays["image_latent"] = _float32(latents[:1])  # CFG repeats it; the first is the image

    def _on_step(self, result, args) -> None:
        if "noise_pred_step0" not in self.arrays:
            self.arrays["noise_pred_step0"] = _float32(args[0])
        sample = result[0] if isinstance(result, tuple) else result.prev_sample
        self.arrays["final_latent"] = _float32(sample)

    def _on_visual(self, _module, _args, output) -> None:
        self.arrays["image_embeds"] = _float32(output[0])
        self.arrays["deepstack"] = _float32(torch.stack(list(output[1])))

    def _on_edit_head(self, _module, args, kwargs, output) -> None:
        first = args[0] if args else next(iter(kwargs.values()))
        self.edit_head_calls.append((first, output))

    def _on_decoder(self, _module, _args, output) -> None:
        self.arrays["decoded"] = _float32(output)

    def close(self) -> None:
        for handle in self._handles:
            handle.remove()
        for owner, name in self._restore:
            delattr(owner, name)


def record_parity_trace(
    checkpoint: Path,
    bundle_dir: Path,
    *,
    image_path: Path | None,
    instruction: str,
    distilled: bool,
    steps: int,
    seed: int,
    device: str | None,
    log: Log,
) -> str:
    """Runs the reference edit and writes parity/ (tensors, input.png, output.png, trace.json)."""
    import diffusers
    import transformers
    from vibe.editor import ImageEditor
    from vibe.utils.img_utils import postprocess_padded_image, revert_resize

    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    guidance, image_guidance = (0.0, 0.0) if distilled else (4.5, 1.2)
    resolve_in_bundle(bundle_dir, INPUT_IMAGE_PATH).parent.mkdir(parents=True, exist_ok=True)
    source = Image.open(image_path).convert("RGB") if image_path else synthetic_image()
    source.save(resolve_in_bundle(bundle_dir, INPUT_IMAGE_PATH), format="PNG")
    # Feed the pipeline the decoded PNG, the same pixels the TypeScript side will decode.
    image = Image.open(resolve_in_bundle(bundle_dir, INPUT_IMAGE_PATH)).convert("RGB")

    log(f"Loading the reference pipeline on {device}")
    editor = ImageEditor(str(checkpoint), image_guidance_scale=image_guidance, guidance_scale=guidance, num_inference_steps=steps, device=device)
    pipe = editor.pipe
    prepared, crop = editor.prepare_image_for_diffusion(image)
    width, height = prepared.size
    noise = torch.randn((1, pipe.vae.config.latent_channels, height // 32, width // 32), generator=torch.Generator("cpu").manual_seed(seed))
    noise = noise.to(editor.weight_dtype)  # the pipeline casts latents= to its dtype; record those values

    recorder = _Recorder(pipe)
    try:
        log(f"Running the reference edit at {width}x{height} for {steps} steps")
        with torch.inference_mode():
            result = pipe(
                conditioning_image=image,
                prompt=instruction,
                height=height,
                width=width,
                num_inference_steps=steps,
                guidance_scale=guidance,
                image_guidance_scale=image_guidance,
                num_images_per_prompt=1,
                output_type="pil",
                latents=noise.to(device),
            ).images[0]
    finally:
        recorder.close()
    edited = revert_resize(postprocess_padded_image(result, crop), (image.height, image.width))

    arrays = dict(recorder.arrays, initial_noise=_float32(noise))
    if len(recorder.edit_head_calls) < 2:
        raise ExportError(f"Expected the connector to run twice (cond and null) but it ran {len(recorder.edit_head_calls)} times")
    arrays["meta_hidden"] = _float32(recorder.edit_head_calls[0][0])
    arrays["cond"] = _float32(recorder.edit_head_calls[0][1])
    arrays["hid_null"] = _float32(recorder.edit_head_calls[1][1])
    tensors: dict[str, TensorMeta] = {}
    for stage, array in arrays.items():
        dtype = REQUIRED_STAGES.get(stage, EXTRA_STAGES.get(stage))
        meta = TensorMeta(dtype, tuple(int(d) for d in array.shape), stage_file(stage, dtype))
        np.ascontiguousarray(array).tofile(resolve_in_bundle(bundle_dir, meta.file))
        tensors[stage] = meta
    output_meta = TensorMeta("uint8", tuple(np.asarray(edited).shape), stage_file("output_image", "uint8"))
    edited.save(resolve_in_bundle(bundle_dir, output_meta.file), format="PNG")
    tensors["output_image"] = output_meta

    reference = {
        "diffusers": diffusers.__version__,
        "transformers": transformers.__version__,
        "torch": torch.__version__,
        "device": device,
        "dtype": str(editor.weight_dtype).replace("torch.", ""),
    }
    request = {
        "image": INPUT_IMAGE_PATH,
        "instruction": instruction,
        "steps": steps,
        "guidanceScale": guidance,
        "imageGuidanceScale": image_guidance,
        "seed": seed,
        "sizeMode": "parity",
    }
    return write_trace_document(bundle_dir, build_trace_document(reference, request, tensors))
