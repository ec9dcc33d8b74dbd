"""``python -m vibe_export``: checkpoint folder → model bundle (+ parity trace). See docs/exporter.md.

Order of work: check libraries and configs (fast, before anything heavy) → export graphs and
constants → tokenizer files → parity trace → digests → manifest.json (written last, so a bundle
with a manifest is complete).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path
from typing import Sequence

from . import EXPORTER_FORMAT
from .errors import ExportError

PRECISION_NAMES = {"fp32": "float32", "fp16": "float16"}
DEFAULT_INSTRUCTION = "make it winter"
NOTICE = (
    "Converted from {source} by runtime/exporter. The weights derive from Sana1.5 (NVIDIA licence, "
    "non-commercial), Qwen3-VL-2B (Apache-2.0) and DC-AE; treat redistribution of this bundle as "
    "restricted until the model card's licence is confirmed (reference §1.2)."
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m vibe_export", description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", required=True, type=Path, help="local VIBE-Image-Edit folder (diffusers layout)")
    parser.add_argument("--out", required=True, type=Path, help="bundle folder to create (must be empty or absent)")
    parser.add_argument("--precision", required=True, choices=sorted(PRECISION_NAMES), help="graph precision")
    parser.add_argument("--distilled", action="store_true", help="the checkpoint is VIBE-Image-Edit-DistilledCFG")
    parser.add_argument("--parity-image", type=Path, help="image for the parity trace (default: a synthetic 1280x720 picture)")
    parser.add_argument("--parity-instruction", default=DEFAULT_INSTRUCTION, help="instruction for the parity trace")
    parser.add_argument("--parity-steps", type=int, default=20, help="denoising steps of the parity run")
    parser.add_argument("--parity-seed", type=int, default=42, help="seed of the injected noise (CPU torch.Generator)")
    parser.add_argument("--parity-device", help="device of the parity run (default: cuda when available)")
    parser.add_argument("--skip-parity", action="store_true", help="write no parity trace")
    parser.add_argument("--work-dir", type=Path, help="scratch folder for raw exports (default: <out>.work)")
    parser.add_argument("--model-version", help="model.version in the manifest (default: <revision>+onnx<N>)")
    parser.add_argument("--revision", help="Hub commit of the checkpoint (default: read from .cache/huggingface)")
    parser.add_argument("--force", action="store_true", help="allow a non-empty --out folder (its files are replaced)")
    return parser


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    args = build_parser().parse_args(list(argv))
    if args.skip_parity and args.parity_image is not None:
        raise ExportError("--parity-image and --skip-parity exclude each other")
    if not 1 <= args.parity_steps <= 100:
        raise ExportError(f"Expected --parity-steps from 1 to 100 but received {args.parity_steps}")
    if args.parity_image is not None and not args.parity_image.is_file():
        raise ExportError(f"Expected --parity-image to be a file but {args.parity_image} is not")
    if args.out.exists() and any(args.out.iterdir()) and not args.force:
        raise ExportError(f"Expected --out {args.out} to be empty or absent; pass --force to replace its files")
    return args


def model_identity(args: argparse.Namespace, revision: str | None) -> tuple[str, str, str]:
    """(name, version, source) for the manifest's model section."""
    repository = "iitolstykh/VIBE-Image-Edit-DistilledCFG" if args.distilled else "iitolstykh/VIBE-Image-Edit"
    revision = args.revision or revision
    source = f"{repository}@{revision or 'unknown-revision'}"
    version = args.model_version or f"{revision[:12] if revision else 'local'}+onnx{EXPORTER_FORMAT}"
    return repository.split("/")[1], version, source


def run(args: argparse.Namespace, log=print) -> Path:
    from .checkpoint_config import copy_tokenizer_files, read_checkpoint_config
    from .contract import load_contract
    from .deps import EXPORT_LIBRARIES, FP16_LIBRARIES, require_libraries
    from .manifest import build_manifest, check_distilled_flag, check_supported, digest_bundle, write_manifest

    precision = PRECISION_NAMES[args.precision]
    require_libraries([EXPORT_LIBRARIES] + ([FP16_LIBRARIES] if precision == "float16" else []))
    contract = load_contract()
    checkpoint = read_checkpoint_config(args.checkpoint)
    check_supported(checkpoint.values)
    check_distilled_flag(checkpoint.values, args.distilled)
    name, version, source = model_identity(args, checkpoint.revision)

    bundle = args.out
    bundle.mkdir(parents=True, exist_ok=True)
    # A manifest marks a complete bundle: drop an old one before anything else changes.
    (bundle / "manifest.json").unlink(missing_ok=True)
    work_dir = args.work_dir or bundle.with_name(bundle.name + ".work")
    work_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()

    from .export_graphs import export_all  # torch, onnx and vibe from here on

    external = export_all(args.checkpoint, bundle, work_dir, precision, contract, log)
    tokenizer = copy_tokenizer_files(checkpoint, bundle)
    trace = None
    if not args.skip_parity:
        from .parity_run import record_parity_trace

        trace = record_parity_trace(
            args.checkpoint,
            bundle,
            image_path=args.parity_image,
            instruction=args.parity_instruction,
            distilled=args.distilled,
            steps=args.parity_steps,
            seed=args.parity_seed,
            device=args.parity_device,
            log=log,
        )
    log("Hashing bundle files")
    manifest = build_manifest(
        contract,
        precision=precision,
        values=checkpoint.values,
        distilled=args.distilled,
        model_name=name,
        model_version=version,
        source=source,
        notice=NOTICE.format(source=source),
        external_data=external,
        tokenizer=tokenizer,
        files=digest_bundle(bundle),
        parity_trace=trace,
    )
    path = write_manifest(bundle, manifest)
    shutil.rmtree(work_dir, ignore_errors=True)
    log(f"Wrote {path} ({len(manifest['files'])} files) in {time.monotonic() - started:.0f} s")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    try:
        run(parse_args(sys.argv[1:] if argv is None else argv))
    except ExportError as error:
        print(f"vibe_export: error: {error}", file=sys.stderr)
        return 2
    return 0
