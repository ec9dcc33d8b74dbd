import json
import unittest

from vibe_export.contract import CONTRACT_PATH, io_problems, load_contract, parse_contract
from vibe_export.errors import ExportError


class ContractTest(unittest.TestCase):
    def setUp(self):
        self.contract = load_contract()

    def test_loads_the_seven_graphs_in_pipeline_order(self):
        self.assertEqual(
            list(self.contract.graphs),
            ["qwen_vision", "qwen_embed", "qwen_lm_hidden", "connector", "vae_encoder", "dit", "vae_decoder"],
        )
        self.assertEqual(self.contract.graph("dit").file, "dit.onnx")
        self.assertEqual(self.contract.constants["hid_null"].dims, (1, 224, 2304))
        self.assertEqual(self.contract.architecture["metaTokens"], 224)

    def test_maps_kinds_to_dtypes_per_precision(self):
        self.assertEqual(self.contract.dtype_of("model", "float16"), "float16")
        self.assertEqual(self.contract.dtype_of("float32", "float16"), "float32")
        self.assertEqual(self.contract.dtype_of("int32", "float32"), "int32")
        self.assertEqual(
            self.contract.io_dtypes("dit", "float16"),
            {"hidden_states": "float16", "encoder_hidden_states": "float16", "timestep": "float32", "noise_pred": "float16"},
        )

    def test_refuses_unknown_precision_kind_and_graph(self):
        with self.assertRaisesRegex(ExportError, "precision float32 or float16 but received 'bfloat16'"):
            self.contract.dtype_of("model", "bfloat16")
        with self.assertRaisesRegex(ExportError, "received 'bf16'"):
            self.contract.dtype_of("bf16", "float32")
        with self.assertRaisesRegex(ExportError, "received 'unet'"):
            self.contract.graph("unet")

    def test_names_dynamic_axes_exactly_as_the_contract(self):
        self.assertEqual(
            self.contract.dynamic_axes("qwen_vision"),
            {
                "pixel_values": {0: "num_patches"},
                "pos_idx": {1: "num_patches"},
                "pos_w": {1: "num_patches"},
                "rope_cos": {0: "num_patches"},
                "rope_sin": {0: "num_patches"},
                "image_embeds": {0: "num_image_tokens"},
                "deepstack": {1: "num_image_tokens"},
            },
        )
        self.assertEqual(
            self.contract.dynamic_axes("dit")["hidden_states"], {0: "batch", 2: "latent_height", 3: "latent_width"}
        )
        self.assertNotIn("meta_hidden", self.contract.dynamic_axes("qwen_lm_hidden"))

    def test_reports_every_io_difference(self):
        declared = {
            "meta_hidden": ("float16", (1, 224, 2048)),
            "inputs_embeds": ("float32", (1, "seq_len", 2048)),
            "rope_cos": ("float32", (1, "seq_len", 128)),
            "rope_sin": ("float32", (1, "sequence", 128)),
            "extra": ("float32", (1,)),
        }
        problems = io_problems(self.contract, "qwen_lm_hidden", "float32", declared)
        self.assertEqual(
            sorted(problems),
            sorted(
                [
                    "qwen_lm_hidden: unexpected tensor 'extra'",
                    "qwen_lm_hidden: missing tensor 'deepstack_embeds'",
                    "qwen_lm_hidden.rope_sin: expected dims [1, 'seq_len', 128] but found [1, 'sequence', 128]",
                    "qwen_lm_hidden.meta_hidden: expected dtype float32 but found float16",
                ]
            ),
        )

    def test_accepts_a_matching_declaration(self):
        graph = self.contract.graph("connector")
        declared = {t.name: (self.contract.dtype_of(t.kind, "float16"), t.dims) for t in graph.tensors}
        self.assertEqual(io_problems(self.contract, "connector", "float16", declared), [])

    def test_refuses_a_malformed_document(self):
        with open(CONTRACT_PATH, encoding="utf-8") as handle:
            document = json.load(handle)
        document["graphs"]["dit"]["inputs"][2]["kind"] = "bfloat16"
        with self.assertRaisesRegex(ExportError, "dit.inputs.timestep"):
            parse_contract(document)
        document = json.loads(CONTRACT_PATH.read_text(encoding="utf-8"))
        document["graphs"]["dit"]["inputs"][0]["dims"] = ["batch", 0]
        with self.assertRaisesRegex(ExportError, "positive integers or names"):
            parse_contract(document)


if __name__ == "__main__":
    unittest.main()
