import json
import tempfile
import unittest
from pathlib import Path

from checkpoint_fixture import TEMPLATE, write_checkpoint
from vibe_export.checkpoint_config import copy_tokenizer_files, read_checkpoint_config, read_revision
from vibe_export.errors import ExportError


class CheckpointConfigTest(unittest.TestCase):
    def setUp(self):
        self._dir = tempfile.TemporaryDirectory()
        self.root = Path(self._dir.name)

    def tearDown(self):
        self._dir.cleanup()

    def test_reads_values_and_applies_constructor_defaults(self):
        config = read_checkpoint_config(write_checkpoint(self.root))
        values = config.values
        self.assertEqual(values["transformer.in_channels"], 64)
        self.assertEqual(values["transformer.input_condition_type"], "channel_cat")  # default
        self.assertEqual(values["transformer.timestep_scale"], 1.0)  # default
        self.assertEqual(values["transformer.qk_norm"], "rms_norm_across_heads")
        self.assertEqual(values["scheduler.flow_shift"], 3.0)
        self.assertEqual(values["scheduler.solver_type"], "midpoint")  # default
        self.assertEqual(values["vae.downsample"], 32)
        self.assertEqual(values["text.rope_theta"], 5000000)
        self.assertEqual(values["text.mrope_section"], [24, 20, 20])
        self.assertEqual(values["vision.head_dim"], 64)
        self.assertEqual(values["vision.deepstack_layers"], 3)
        self.assertEqual(values["pipeline.transformer_class"], "VIBESanaEditingModel")
        self.assertNotIn("transformer.cfg_distilled", values)
        self.assertEqual(config.chat_template, TEMPLATE)
        self.assertEqual(config.chat_template_source, "tokenizer/chat_template.json")

    def test_out_channels_null_means_in_channels(self):
        config = read_checkpoint_config(
            write_checkpoint(self.root, {"transformer/config.json": {"out_channels": None}})
        )
        self.assertEqual(config.values["transformer.out_channels"], 64)

    def test_lists_every_missing_or_malformed_file_at_once(self):
        write_checkpoint(self.root, drop=("vae/config.json", "text_encoder/config.json"))
        (self.root / "scheduler/scheduler_config.json").write_text("{not json", encoding="utf-8")
        with self.assertRaises(ExportError) as caught:
            read_checkpoint_config(self.root)
        message = str(caught.exception)
        self.assertIn("vae/config.json: missing", message)
        self.assertIn("text_encoder/config.json: missing", message)
        self.assertIn("scheduler/scheduler_config.json: not valid JSON", message)

    def test_refuses_a_missing_folder(self):
        with self.assertRaisesRegex(ExportError, "checkpoint folder .* to exist"):
            read_checkpoint_config(self.root / "nope")

    def test_refuses_wrong_special_token_ids(self):
        tokens = [{"id": 151654, "content": "<|image_pad|>"}]
        write_checkpoint(self.root, {"tokenizer/tokenizer.json": {"added_tokens": tokens}})
        with self.assertRaises(ExportError) as caught:
            read_checkpoint_config(self.root)
        self.assertIn("<|image_pad|> with id 151655 but found 151654", str(caught.exception))
        self.assertIn("<|im_start|> with id 151644 but found None", str(caught.exception))

    def test_takes_the_template_from_tokenizer_config_without_chat_template_json(self):
        write_checkpoint(
            self.root, {"tokenizer/tokenizer_config.json": {"chat_template": TEMPLATE}}, drop=("tokenizer/chat_template.json",)
        )
        config = read_checkpoint_config(self.root)
        self.assertEqual(config.chat_template_source, "tokenizer/tokenizer_config.json#chat_template")
        bundle = self.root / "bundle"
        section = copy_tokenizer_files(config, bundle)
        written = json.loads((bundle / section["chatTemplate"]).read_text(encoding="utf-8"))
        self.assertEqual(written, {"chat_template": TEMPLATE})
        self.assertTrue((bundle / "tokenizer/tokenizer.json").is_file())

    def test_reads_a_jinja_template_file(self):
        write_checkpoint(self.root, drop=("tokenizer/chat_template.json",))
        (self.root / "tokenizer/chat_template.jinja").write_text(TEMPLATE, encoding="utf-8")
        config = read_checkpoint_config(self.root)
        self.assertEqual(config.chat_template_source, "tokenizer/chat_template.jinja")

    def test_refuses_a_text_only_template(self):
        write_checkpoint(self.root, {"tokenizer/chat_template.json": {"chat_template": "<|im_start|>{{ x }}"}})
        with self.assertRaisesRegex(ExportError, "emits <\\|vision_start\\|>"):
            read_checkpoint_config(self.root)

    def test_refuses_a_checkpoint_without_any_template(self):
        write_checkpoint(self.root, drop=("tokenizer/chat_template.json",))
        with self.assertRaisesRegex(ExportError, "no chat template found"):
            read_checkpoint_config(self.root)

    def test_copies_chat_template_json_verbatim(self):
        config = read_checkpoint_config(write_checkpoint(self.root))
        bundle = self.root / "bundle"
        copy_tokenizer_files(config, bundle)
        self.assertEqual(
            (bundle / "tokenizer/chat_template.json").read_bytes(),
            (self.root / "tokenizer/chat_template.json").read_bytes(),
        )

    def test_reads_the_hub_revision_written_by_a_local_dir_download(self):
        write_checkpoint(self.root)
        self.assertIsNone(read_revision(self.root))
        metadata = self.root / ".cache/huggingface/download/model_index.json.metadata"
        metadata.parent.mkdir(parents=True)
        metadata.write_text("0123456789abcdef0123456789abcdef01234567\netag\n1700000000.0\n", encoding="utf-8")
        self.assertEqual(read_revision(self.root), "0123456789abcdef0123456789abcdef01234567")
        metadata.write_text("not-a-sha\n", encoding="utf-8")
        self.assertIsNone(read_revision(self.root))


if __name__ == "__main__":
    unittest.main()
