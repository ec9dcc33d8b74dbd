"""Path safety for everything the exporter writes into a bundle.

Manifest and trace paths are relative to the bundle folder, use ``/`` and never escape it (no
``..``, no absolute paths, no backslashes, no empty or ``.`` segments), so that a bundle can be
copied or synced to S3 as is and the TypeScript loader can resolve every path the same way.
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import ExportError


def check_bundle_path(path: str) -> str:
    """Returns ``path`` unchanged when it is a safe bundle-relative path, else raises ExportError."""
    if not isinstance(path, str) or path == "":
        raise ExportError(f"Expected a non-empty bundle-relative path but received {path!r}")
    problems = []
    if "\\" in path:
        problems.append("it contains a backslash (use '/')")
    if path.startswith("/") or (len(path) > 1 and path[1] == ":"):
        problems.append("it is absolute")
    segments = path.split("/")
    if any(segment == ".." for segment in segments):
        problems.append("it has a '..' segment")
    if any(segment in ("", ".") for segment in segments):
        problems.append("it has an empty or '.' segment")
    if any(ord(char) < 0x20 for char in path):
        problems.append("it has a control character")
    if problems:
        raise ExportError(
            f"Expected a relative path inside the bundle folder, with '/' separators, "
            f"but {path!r} is unsafe: {'; '.join(problems)}"
        )
    return path


def resolve_in_bundle(bundle_dir: Path, relative: str) -> Path:
    """Joins a checked relative path to the bundle folder and refuses a result outside it (a
    symbolic link inside the bundle could otherwise point elsewhere)."""
    check_bundle_path(relative)
    root = Path(bundle_dir).resolve()
    target = (root / relative).resolve()
    if target != root and root not in target.parents:
        raise ExportError(
            f"Expected {relative!r} to stay inside the bundle folder {root} but it resolves to {target}"
        )
    return target


def bundle_relative(bundle_dir: Path, file_path: Path) -> str:
    """The bundle-relative, '/'-separated name of a file inside the bundle folder."""
    root = Path(bundle_dir).resolve()
    target = Path(file_path).resolve()
    if root not in target.parents:
        raise ExportError(f"Expected a file inside the bundle folder {root} but received {target}")
    return check_bundle_path(target.relative_to(root).as_posix())


def list_bundle_files(bundle_dir: Path, exclude: frozenset[str] = frozenset({"manifest.json"})) -> list[str]:
    """Every regular file of the bundle as sorted bundle-relative names, without ``exclude``.
    Symbolic links are refused: a bundle must hold its own bytes."""
    root = Path(bundle_dir)
    names = []
    for directory, subdirs, files in os.walk(root):
        subdirs.sort()
        for file_name in files:
            full = Path(directory) / file_name
            if full.is_symlink():
                raise ExportError(f"Expected regular files in the bundle but {full} is a symbolic link")
            name = bundle_relative(root, full)
            if name not in exclude:
                names.append(name)
    return sorted(names)
