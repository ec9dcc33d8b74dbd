import os
import tempfile
import unittest
from pathlib import Path

from vibe_export.errors import ExportError
from vibe_export.paths import check_bundle_path, list_bundle_files, resolve_in_bundle


class BundlePathTest(unittest.TestCase):
    def test_accepts_relative_slash_paths(self):
        for path in ("dit.onnx", "parity/trace.json", "tokenizer/chat_template.json", "a..b/c"):
            self.assertEqual(check_bundle_path(path), path)

    def test_refuses_paths_that_could_escape_or_differ_per_platform(self):
        cases = {
            "": "non-empty",
            "../dit.onnx": "'..' segment",
            "parity/../../etc/passwd": "'..' segment",
            "/etc/passwd": "absolute",
            "C:/model/dit.onnx": "absolute",
            "parity\\trace.json": "backslash",
            "parity//trace.json": "empty or '.' segment",
            "./dit.onnx": "empty or '.' segment",
            "parity/": "empty or '.' segment",
            "a\nb": "control character",
        }
        for path, reason in cases.items():
            with self.subTest(path=path):
                with self.assertRaisesRegex(ExportError, reason):
                    check_bundle_path(path)

    def test_refuses_a_symlink_that_leads_out_of_the_bundle(self):
        with tempfile.TemporaryDirectory() as outside, tempfile.TemporaryDirectory() as bundle:
            os.symlink(outside, Path(bundle) / "parity")
            with self.assertRaisesRegex(ExportError, "stay inside the bundle folder"):
                resolve_in_bundle(Path(bundle), "parity/trace.json")
            self.assertEqual(resolve_in_bundle(Path(bundle), "dit.onnx"), Path(bundle).resolve() / "dit.onnx")

    def test_lists_bundle_files_sorted_without_the_manifest(self):
        with tempfile.TemporaryDirectory() as bundle:
            root = Path(bundle)
            for name in ("manifest.json", "dit.onnx", "parity/trace.json", "parity/input.png", "a/b/c.f32"):
                (root / name).parent.mkdir(parents=True, exist_ok=True)
                (root / name).write_bytes(b"x")
            self.assertEqual(
                list_bundle_files(root), ["a/b/c.f32", "dit.onnx", "parity/input.png", "parity/trace.json"]
            )

    def test_refuses_symbolic_links_in_the_bundle(self):
        with tempfile.TemporaryDirectory() as bundle:
            root = Path(bundle)
            (root / "real.onnx").write_bytes(b"x")
            os.symlink(root / "real.onnx", root / "link.onnx")
            with self.assertRaisesRegex(ExportError, "symbolic link"):
                list_bundle_files(root)


if __name__ == "__main__":
    unittest.main()
