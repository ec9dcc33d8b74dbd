import io
import tempfile
import unittest
from contextlib import redirect_stderr
from pathlib import Path
from unittest import mock

from checkpoint_fixture import write_checkpoint
from vibe_export import cli
from vibe_export.deps import missing_libraries, require_libraries
from vibe_export.errors import ExportError


class CliTest(unittest.TestCase):
    def setUp(self):
        self._dir = tempfile.TemporaryDirectory()
        self.root = Path(self._dir.name)
        self.checkpoint = write_checkpoint(self.root / "ckpt")

    def tearDown(self):
        self._dir.cleanup()

    def args(self, *extra):
        return ["--checkpoint", str(self.checkpoint), "--out", str(self.root / "bundle"), "--precision", "fp16", *extra]

    def test_parses_the_documented_command_line(self):
        args = cli.parse_args(self.args("--distilled", "--skip-parity"))
        self.assertEqual((args.precision, args.distilled, args.skip_parity), ("fp16", True, True))
        self.assertEqual(args.parity_instruction, "make it winter")
        self.assertEqual((args.parity_steps, args.parity_seed), (20, 42))

    def test_refuses_contradictory_or_out_of_range_options(self):
        image = self.root / "in.png"
        image.write_bytes(b"png")
        with self.assertRaisesRegex(ExportError, "exclude each other"):
            cli.parse_args(self.args("--skip-parity", "--parity-image", str(image)))
        with self.assertRaisesRegex(ExportError, "--parity-steps from 1 to 100 but received 0"):
            cli.parse_args(self.args("--parity-steps", "0"))
        with self.assertRaisesRegex(ExportError, "--parity-image to be a file"):
            cli.parse_args(self.args("--parity-image", str(self.root / "missing.jpg")))

    def test_refuses_a_non_empty_output_folder_without_force(self):
        (self.root / "bundle").mkdir()
        (self.root / "bundle" / "old.onnx").write_bytes(b"x")
        with self.assertRaisesRegex(ExportError, "empty or absent; pass --force"):
            cli.parse_args(self.args())
        self.assertTrue(cli.parse_args(self.args("--force")).force)

    def test_derives_the_model_identity(self):
        args = cli.parse_args(self.args())
        sha = "0123456789abcdef0123456789abcdef01234567"
        self.assertEqual(
            cli.model_identity(args, sha),
            ("VIBE-Image-Edit", "0123456789ab+onnx1", f"iitolstykh/VIBE-Image-Edit@{sha}"),
        )
        distilled = cli.parse_args(self.args("--distilled", "--model-version", "2026-01-06+onnx1"))
        self.assertEqual(
            cli.model_identity(distilled, None),
            ("VIBE-Image-Edit-DistilledCFG", "2026-01-06+onnx1", "iitolstykh/VIBE-Image-Edit-DistilledCFG@unknown-revision"),
        )

    def test_exits_with_a_clear_message_when_a_library_is_missing(self):
        stderr = io.StringIO()
        missing_export = {"vibe_export_no_such_module": "torch==2.6.0"}
        missing_fp16 = {"vibe_export_no_such_module_either": "onnxconverter-common"}
        with mock.patch("vibe_export.deps.EXPORT_LIBRARIES", missing_export), mock.patch(
            "vibe_export.deps.FP16_LIBRARIES", missing_fp16
        ):
            with redirect_stderr(stderr):
                code = cli.main(self.args())
        self.assertEqual(code, 2)
        self.assertIn("needs libraries that are not installed: torch==2.6.0, onnxconverter-common", stderr.getvalue())
        self.assertIn("pip install -r runtime/exporter/requirements.txt", stderr.getvalue())
        self.assertFalse((self.root / "bundle").exists())

    def test_exits_before_any_export_when_the_config_is_unsupported(self):
        write_checkpoint(self.checkpoint, {"vae/config.json": {"scaling_factor": 0.18215}})
        stderr = io.StringIO()
        with mock.patch("vibe_export.deps.EXPORT_LIBRARIES", {}), mock.patch("vibe_export.deps.FP16_LIBRARIES", {}):
            with redirect_stderr(stderr):
                code = cli.main(self.args())
        self.assertEqual(code, 2)
        self.assertIn("vae.scaling_factor: expected 0.41407 but found 0.18215", stderr.getvalue())
        self.assertFalse((self.root / "bundle").exists())


class DepsTest(unittest.TestCase):
    def test_names_missing_libraries_by_what_to_install(self):
        present = {"torch"}
        find = lambda name: object() if name in present else None  # noqa: E731
        self.assertEqual(missing_libraries({"torch": "torch==2.6.0", "PIL": "pillow"}, find), ["pillow"])
        with self.assertRaisesRegex(ExportError, "not installed: pillow, onnx"):
            require_libraries([{"PIL": "pillow"}, {"onnx": "onnx", "torch": "torch"}], find)
        require_libraries([{"torch": "torch"}], find)


if __name__ == "__main__":
    unittest.main()
