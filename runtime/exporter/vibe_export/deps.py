"""Checks that the heavy libraries are importable before any work starts, so that a missing one
is reported once, by name, with the command that installs it (docs/exporter.md)."""

from __future__ import annotations

import importlib.util
from typing import Callable, Iterable

from .errors import ExportError

# import name → what to install (requirements.txt pins the versions).
EXPORT_LIBRARIES = {
    "torch": "torch==2.6.0",
    "torchvision": "torchvision==0.21.0",
    "diffusers": "diffusers==0.33.1",
    "transformers": "transformers==4.57.1",
    "tokenizers": "tokenizers==0.22.1",
    "accelerate": "accelerate",
    "safetensors": "safetensors",
    "numpy": "numpy",
    "PIL": "pillow",
    "onnx": "onnx",
    "onnxruntime": "onnxruntime (or onnxruntime-gpu to check fp16 graphs)",
    "loguru": "loguru",
    "vibe": "the official vibe package (ai-forever/VIBE at 1db4fb4)",
}
FP16_LIBRARIES = {"onnxconverter_common": "onnxconverter-common"}
INSTALL_HINT = (
    "Install them in a Python 3.11 virtual environment with\n"
    "  pip install -r runtime/exporter/requirements.txt\n"
    "  pip install --no-deps 'git+https://github.com/ai-forever/VIBE.git@1db4fb4'\n"
    "(see docs/exporter.md)."
)


def missing_libraries(required: dict[str, str], find_spec: Callable[[str], object] = importlib.util.find_spec) -> list[str]:
    """The install names of the libraries whose import name cannot be found."""
    return [install for module, install in required.items() if find_spec(module) is None]


def require_libraries(groups: Iterable[dict[str, str]], find_spec: Callable[[str], object] = importlib.util.find_spec) -> None:
    required: dict[str, str] = {}
    for group in groups:
        required.update(group)
    missing = missing_libraries(required, find_spec)
    if missing:
        raise ExportError(
            "The exporter needs libraries that are not installed: " + ", ".join(missing) + ".\n" + INSTALL_HINT
        )
