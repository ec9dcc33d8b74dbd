import hashlib
import tempfile
import unittest
from pathlib import Path

from checkpoint_fixture import write_checkpoint
from vibe_export.checkpoint_config import read_checkpoint_config
from vibe_export.contract import load_contract
from vibe_export.errors import ExportError
from vibe_export.manifest import (
    build_manifest,
    check_distilled_flag,
    check_supported,
    digest_bundle,
    referenced_files,
    sha256_file,
    unsupported_values,
    write_manifest,
)

TOKENIZER = {
    "tokenizerJson": "tokenizer/tokenizer.json",
    "tokenizerConfig": "tokenizer/tokenizer_config.json",
    "chatTemplate": "tokenizer/chat_template.json",
}


class ManifestTest(unittest.TestCase):
    def setUp(self):
        self._dir = tempfile.TemporaryDirectory()
        self.root = Path(self._dir.name)
        self.contract = load_contract()

    def tearDown(self):
        self._dir.cleanup()

    def values(self, overrides=None):
        folder = self.root / "checkpoint"
        folder.mkdir(exist_ok=True)
        return read_checkpoint_config(write_checkpoint(folder, overrides)).values

    def all_files(self, external):
        names = [g.file for g in self.contract.graphs.values()]
        names += [f for files in external.values() for f in files]
        names += [c.file for c in self.contract.constants.values()] + list(TOKENIZER.values())
        names += ["parity/trace.json"]
        return {name: {"sha256": "0" * 64, "bytes": 1} for name in names}

    def build(self, precision="float16", distilled=False, files=None, values=None):
        external = {"dit": ["dit.onnx_data"], "qwen_lm_hidden": ["qwen_lm_hidden.onnx_data"]}
        return build_manifest(
            self.contract,
            precision=precision,
            values=values or self.values(),
            distilled=distilled,
            model_name="VIBE-Image-Edit",
            model_version="0123456789ab+onnx1",
            source="iitolstykh/VIBE-Image-Edit@0123456789abcdef0123456789abcdef01234567",
            notice="converted",
            external_data=external,
            tokenizer=TOKENIZER,
            files=files if files is not None else self.all_files(external),
            parity_trace="parity/trace.json",
        )

    def test_accepts_the_expected_vibe_config(self):
        self.assertEqual(unsupported_values(self.values()), [])
        check_supported(self.values())

    def test_lists_every_unsupported_value_with_expected_and_found(self):
        values = self.values(
            {
                "transformer/config.json": {"in_channels": 32, "interpolation_scale": 1, "guidance_embeds": True},
                "scheduler/scheduler_config.json": {"flow_shift": 1.0, "use_karras_sigmas": True},
                "vae/config.json": {"scaling_factor": 0.18215},
            }
        )
        lines = unsupported_values(values)
        self.assertEqual(
            [line.split(":")[0] for line in lines],
            [
                "transformer.in_channels",
                "transformer.interpolation_scale",
                "transformer.guidance_embeds",
                "scheduler.flow_shift",
                "scheduler.use_karras_sigmas",
                "vae.scaling_factor",
            ],
        )
        self.assertIn("transformer.in_channels: expected 64 but found 32", lines[0])
        with self.assertRaisesRegex(ExportError, "vae.scaling_factor: expected 0.41407 but found 0.18215"):
            check_supported(values)

    def test_compares_numbers_by_value_and_booleans_by_identity(self):
        integer_shift = self.values({"scheduler/scheduler_config.json": {"flow_shift": 3}})
        self.assertEqual(unsupported_values(integer_shift), [])
        truthy = self.values({"scheduler/scheduler_config.json": {"use_flow_sigmas": 1}})
        self.assertEqual(len(unsupported_values(truthy)), 1)
        self.assertIn("scheduler.use_flow_sigmas: expected true but found 1", unsupported_values(truthy)[0])

    def test_refuses_a_distilled_flag_that_contradicts_the_config(self):
        distilled = self.values({"transformer/config.json": {"cfg_distilled": True}})
        with self.assertRaisesRegex(ExportError, "pass --distilled"):
            check_distilled_flag(distilled, False)
        check_distilled_flag(distilled, True)
        plain = self.values({"transformer/config.json": {"cfg_distilled": False}})
        with self.assertRaisesRegex(ExportError, "says cfg_distilled: false"):
            check_distilled_flag(plain, True)
        check_distilled_flag(self.values(), True)  # no key: the flag decides

    def test_builds_fp16_graph_entries_from_the_contract(self):
        manifest = self.build()
        self.assertEqual(manifest["manifestVersion"], 1)
        self.assertEqual(manifest["precision"], "float16")
        self.assertEqual(manifest["model"]["architecture"], "vibe-sana1.5-1.6b-qwen3vl-2b")
        self.assertIs(manifest["model"]["synthetic"], False)
        vision = manifest["graphs"]["qwen_vision"]
        self.assertEqual(
            [(t["name"], t["dtype"]) for t in vision["inputs"]],
            [("pixel_values", "float16"), ("pos_idx", "int32"), ("pos_w", "float32"), ("rope_cos", "float32"), ("rope_sin", "float32")],
        )
        self.assertEqual(vision["outputs"][1]["dims"], [3, "num_image_tokens", 2048])
        self.assertNotIn("externalData", vision)
        self.assertEqual(manifest["graphs"]["dit"]["externalData"], ["dit.onnx_data"])
        self.assertEqual(manifest["graphs"]["dit"]["inputs"][2], {"name": "timestep", "dtype": "float32", "dims": ["batch"]})
        self.assertEqual(manifest["constants"]["meta_queries"], {"file": "meta_queries.f32", "dtype": "float32", "dims": [224, 2048]})
        self.assertEqual(manifest["parityTrace"], "parity/trace.json")

    def test_fills_config_from_the_checkpoint(self):
        config = self.build()["config"]
        self.assertEqual(config["metaTokens"], 224)
        self.assertEqual(config["defaults"], {"steps": 20, "guidanceScale": 4.5, "imageGuidanceScale": 1.2, "seed": 42})
        self.assertEqual(config["scheduler"]["flowShift"], 3.0)
        self.assertEqual(config["scheduler"]["type"], "dpmsolver++")
        self.assertEqual(config["vae"], {"scalingFactor": 0.41407, "downsample": 32, "latentChannels": 32})
        self.assertEqual(config["vision"]["minPixels"], 123904)
        self.assertEqual(config["vision"]["maxPixels"], 451584)
        self.assertEqual(config["text"]["ropeTheta"], 5000000.0)
        self.assertEqual(config["text"]["imagePadTokenId"], 151655)
        self.assertEqual(config["text"]["editPromptTemplate"], "what will this image be like if {instruction}")

    def test_distilled_defaults_turn_guidance_off(self):
        config = self.build(distilled=True)["config"]
        self.assertIs(config["cfgDistilled"], True)
        self.assertEqual((config["defaults"]["guidanceScale"], config["defaults"]["imageGuidanceScale"]), (0.0, 0.0))

    def test_float32_bundles_keep_model_tensors_float32(self):
        manifest = self.build(precision="float32")
        self.assertEqual(manifest["graphs"]["dit"]["inputs"][0]["dtype"], "float32")
        with self.assertRaisesRegex(ExportError, "precision float32 or float16"):
            self.build(precision="bfloat16")

    def test_refuses_a_manifest_that_names_files_the_bundle_lacks(self):
        external = {"dit": ["dit.onnx_data"], "qwen_lm_hidden": ["qwen_lm_hidden.onnx_data"]}
        files = self.all_files(external)
        del files["dit.onnx_data"], files["hid_null.f32"]
        with self.assertRaisesRegex(ExportError, "missing: dit.onnx_data, hid_null.f32"):
            self.build(files=files)

    def test_lists_every_referenced_file(self):
        names = referenced_files(self.build())
        self.assertIn("qwen_lm_hidden.onnx_data", names)
        self.assertIn("tokenizer/chat_template.json", names)
        self.assertEqual(len(names), 7 + 2 + 2 + 3 + 1)

    def test_hashes_files_by_streaming(self):
        path = self.root / "abc.bin"
        path.write_bytes(b"abc")
        self.assertEqual(
            sha256_file(path, chunk_bytes=1),
            ("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", 3),
        )

    def test_digests_every_bundle_file_but_the_manifest(self):
        bundle = self.root / "bundle"
        (bundle / "parity").mkdir(parents=True)
        (bundle / "dit.onnx").write_bytes(b"graph")
        (bundle / "parity/trace.json").write_bytes(b"{}")
        write_manifest(bundle, {"stale": True})
        files = digest_bundle(bundle)
        self.assertEqual(sorted(files), ["dit.onnx", "parity/trace.json"])
        self.assertEqual(files["dit.onnx"], {"sha256": hashlib.sha256(b"graph").hexdigest(), "bytes": 5})


if __name__ == "__main__":
    unittest.main()
