import json
import tempfile
import unittest
from pathlib import Path

from vibe_export.errors import ExportError
from vibe_export.parity_trace import (
    REQUIRED_STAGES,
    TensorMeta,
    build_trace_document,
    raw_byte_length,
    stage_file,
    write_trace_document,
)

REFERENCE = {"diffusers": "0.33.1", "transformers": "4.57.1", "torch": "2.6.0", "device": "cuda", "dtype": "bfloat16"}
REQUEST = {
    "image": "parity/input.png",
    "instruction": "make it winter",
    "steps": 20,
    "guidanceScale": 4.5,
    "imageGuidanceScale": 1.2,
    "seed": 42,
    "sizeMode": "parity",
}
DIMS = {
    "vlm_pixel_values": (1680, 1536),
    "input_ids": (441,),
    "image_embeds": (420, 2048),
    "deepstack": (3, 420, 2048),
    "meta_hidden": (1, 224, 2048),
    "cond": (1, 224, 2304),
    "image_latent": (1, 32, 24, 42),
    "initial_noise": (1, 32, 24, 42),
    "noise_pred_step0": (1, 32, 24, 42),
    "final_latent": (1, 32, 24, 42),
    "decoded": (1, 3, 768, 1344),
    "output_image": (720, 1280, 3),
}


def complete_tensors():
    return {
        stage: TensorMeta(dtype, DIMS[stage], stage_file(stage, dtype)) for stage, dtype in REQUIRED_STAGES.items()
    }


class ParityTraceTest(unittest.TestCase):
    def test_names_files_by_stage_and_dtype(self):
        self.assertEqual(stage_file("meta_hidden", "float32"), "parity/meta_hidden.f32")
        self.assertEqual(stage_file("input_ids", "int32"), "parity/input_ids.i32")
        self.assertEqual(stage_file("output_image", "uint8"), "parity/output.png")

    def test_builds_the_document_in_pipeline_order_with_extras_last(self):
        tensors = complete_tensors()
        tensors["hid_null"] = TensorMeta("float32", (1, 224, 2304), "parity/hid_null.f32")
        document = build_trace_document(REFERENCE, REQUEST, dict(reversed(list(tensors.items()))))
        self.assertEqual(document["traceVersion"], 1)
        self.assertEqual(document["request"], REQUEST)
        self.assertEqual(list(document["tensors"])[:2], ["vlm_pixel_values", "input_ids"])
        self.assertEqual(list(document["tensors"])[-1], "hid_null")
        self.assertEqual(
            document["tensors"]["output_image"], {"file": "parity/output.png", "dtype": "uint8", "dims": [720, 1280, 3]}
        )
        self.assertEqual(
            document["tensors"]["input_ids"], {"file": "parity/input_ids.i32", "dtype": "int32", "dims": [441]}
        )

    def test_lists_every_problem_at_once(self):
        tensors = complete_tensors()
        del tensors["cond"]
        tensors["input_ids"] = TensorMeta("float32", (441,), "parity/input_ids.f32")
        tensors["output_image"] = TensorMeta("uint8", (720, 1280, 4), "parity/output.png")
        tensors["decoded"] = TensorMeta("float32", (1, 3, 0, 1344), "../decoded.f32")
        with self.assertRaises(ExportError) as caught:
            build_trace_document({**REFERENCE, "torch": None}, {k: v for k, v in REQUEST.items() if k != "seed"}, tensors)
        message = str(caught.exception)
        for fragment in (
            "cond: not recorded",
            "input_ids: expected dtype int32 but recorded float32",
            "output_image: dims must be [height, width, 3]",
            "decoded: dims must be positive integers",
            "decoded: Expected a relative path inside the bundle folder",
            "reference.torch: expected a string",
            "request.seed: missing",
        ):
            self.assertIn(fragment, message)

    def test_writes_trace_json_after_checking_raw_file_sizes(self):
        with tempfile.TemporaryDirectory() as folder:
            bundle = Path(folder)
            small = {"input_ids": TensorMeta("int32", (5,), "parity/input_ids.i32")}
            document = {"traceVersion": 1, "tensors": {s: {"file": m.file, "dtype": m.dtype, "dims": list(m.dims)} for s, m in small.items()}}
            (bundle / "parity").mkdir()
            (bundle / "parity/input_ids.i32").write_bytes(bytes(16))
            with self.assertRaisesRegex(ExportError, "holds 16 bytes; dims \\[5\\] need 20"):
                write_trace_document(bundle, document)
            (bundle / "parity/input_ids.i32").write_bytes(bytes(20))
            self.assertEqual(write_trace_document(bundle, document), "parity/trace.json")
            self.assertEqual(json.loads((bundle / "parity/trace.json").read_text())["tensors"]["input_ids"]["dims"], [5])

    def test_refuses_a_trace_that_names_a_file_never_written(self):
        with tempfile.TemporaryDirectory() as folder:
            document = {"tensors": {"cond": {"file": "parity/cond.f32", "dtype": "float32", "dims": [1, 2]}}}
            with self.assertRaisesRegex(ExportError, "cond: the trace names parity/cond.f32 but the file was not written"):
                write_trace_document(Path(folder), document)

    def test_computes_raw_sizes(self):
        self.assertEqual(raw_byte_length(TensorMeta("float32", (1, 224, 2304), "x.f32")), 224 * 2304 * 4)


if __name__ == "__main__":
    unittest.main()
