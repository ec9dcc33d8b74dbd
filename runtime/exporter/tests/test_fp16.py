import unittest

from vibe_export.contract import load_contract
from vibe_export.errors import ExportError
from vibe_export.fp16 import (
    IoFix,
    NodeInfo,
    initializers_to_protect,
    is_norm_scope,
    missing_islands,
    op_block_list,
    plan_io_fixes,
    scope_of,
    select_fp32_nodes,
)

B = "/transformer/transformer_blocks.0"
DIT_NODES = [
    NodeInfo(f"{B}/attn1/to_q/MatMul", "MatMul", ("x", "w_q"), ("q",)),
    NodeInfo(f"{B}/attn1/norm_q/Pow", "Pow", ("q", "two"), ("q2",)),
    NodeInfo(f"{B}/attn1/norm_q/ReduceMean", "ReduceMean", ("q2",), ("var",)),
    NodeInfo(f"{B}/attn1/Relu", "Relu", ("qn",), ("qr",)),
    NodeInfo(f"{B}/attn1/Cast", "Cast", ("qr",), ("qf",)),
    NodeInfo(f"{B}/attn1/Pad", "Pad", ("v", "pads", "one"), ("vp",)),
    NodeInfo(f"{B}/attn1/MatMul", "MatMul", ("vp", "k"), ("scores",)),
    NodeInfo(f"{B}/attn1/MatMul_1", "MatMul", ("scores", "qf"), ("h",)),
    NodeInfo(f"{B}/attn1/Add", "Add", ("last", "eps"), ("den",)),
    NodeInfo(f"{B}/attn1/Div", "Div", ("rows", "den"), ("attn",)),
    NodeInfo(f"{B}/attn1/to_out.0/MatMul", "MatMul", ("attn", "w_o"), ("o",)),
    NodeInfo(f"{B}/attn2/MatMul", "MatMul", ("q2x", "k2"), ("s2",)),
    NodeInfo(f"{B}/attn2/Softmax", "Softmax", ("s2",), ("p2",)),
    NodeInfo(f"{B}/norm1/LayerNormalization", "LayerNormalization", ("x",), ("xn",)),
    NodeInfo(f"{B}/Mul", "Mul", ("xn", "scale"), ("xm",)),
    NodeInfo(f"{B}/ff/conv_inverted/Conv", "Conv", ("xm", "w_ff"), ("f",)),
    NodeInfo("/transformer/time_embed/emb/time_proj/Mul", "Mul", ("t", "freqs"), ("arg",)),
    NodeInfo("/transformer/time_embed/emb/time_proj/Sin", "Sin", ("arg",), ("sin",)),
    NodeInfo("/transformer/time_embed/emb/timestep_embedder/linear_1/Gemm", "Gemm", ("sin", "w_t"), ("te",)),
    NodeInfo("/transformer/caption_norm/Pow", "Pow", ("c", "two"), ("c2",)),
    NodeInfo("/transformer/Constant_5", "Constant", (), ("rows_shape",)),
    NodeInfo(f"{B}/attn1/Reshape", "Reshape", ("h", "rows_shape"), ("rows",)),
    NodeInfo("/transformer/Constant_6", "Constant", (), ("shared",)),
    NodeInfo(f"{B}/attn1/Slice", "Slice", ("h", "shared"), ("last",)),
    NodeInfo(f"{B}/Reshape", "Reshape", ("o", "shared"), ("o2",)),
]


class Fp32IslandSelectionTest(unittest.TestCase):
    def test_splits_node_names_into_module_scopes(self):
        self.assertEqual(scope_of(f"{B}/attn1/MatMul_1"), ["transformer", "transformer_blocks.0", "attn1"])
        self.assertEqual(scope_of("MatMul_3"), [])

    def test_recognizes_norm_modules(self):
        for name in ("norm1", "norm_q", "caption_norm", "input_layernorm", "q_norm", "norm", "ln_1", "ln2", "norm_out"):
            self.assertTrue(is_norm_scope(name), name)
        for name in ("linear_1", "attn1", "layers.3", "mlp", "time_proj", "kln"):
            self.assertFalse(is_norm_scope(name), name)

    def test_keeps_the_dit_linear_attention_timestep_norms_and_softmax_in_fp32(self):
        selection = select_fp32_nodes("dit", DIT_NODES)
        kept = {name.replace(B, "B").replace("/transformer", "") for name in selection.names}
        self.assertEqual(
            kept,
            {
                "B/attn1/norm_q/Pow",
                "B/attn1/norm_q/ReduceMean",
                "B/attn1/Relu",
                "B/attn1/Cast",
                "B/attn1/Pad",
                "B/attn1/MatMul",
                "B/attn1/MatMul_1",
                "B/attn1/Add",
                "B/attn1/Div",
                "B/attn1/Reshape",
                "B/attn1/Slice",
                "B/attn2/Softmax",
                "B/norm1/LayerNormalization",
                "/time_embed/emb/time_proj/Mul",
                "/time_embed/emb/time_proj/Sin",
                "/caption_norm/Pow",
                "/Constant_5",
            },
        )
        self.assertEqual(
            selection.by_rule,
            {
                "norm_variance": 4,
                "dit_linear_attention": 9,
                "softmax": 1,
                "dit_timestep_sinusoid": 2,
                "constant_feeding_fp32": 1,
            },
        )
        self.assertEqual(missing_islands("dit", selection), [])

    def test_keeps_the_dc_ae_attention_and_its_relu_in_fp32(self):
        nodes = [
            NodeInfo("/vae/decoder/up_blocks.3/1/attn/to_qkv_multiscale.0/proj_in/Conv", "Conv"),
            NodeInfo("/vae/decoder/up_blocks.3/1/attn/nonlinearity/Relu", "Relu"),
            NodeInfo("/vae/decoder/up_blocks.3/1/attn/MatMul", "MatMul"),
            NodeInfo("/vae/decoder/up_blocks.3/1/attn/Div", "Div"),
            NodeInfo("/vae/decoder/up_blocks.3/1/attn/norm_out/Pow", "Pow"),
            NodeInfo("/vae/decoder/up_blocks.3/1/conv_out/conv_depth/Conv", "Conv"),
        ]
        selection = select_fp32_nodes("vae_decoder", nodes)
        self.assertEqual(
            sorted(n.split("/1/")[1] for n in selection.names),
            ["attn/Div", "attn/MatMul", "attn/nonlinearity/Relu", "attn/norm_out/Pow"],
        )
        self.assertEqual(missing_islands("vae_decoder", selection), [])
        self.assertEqual(select_fp32_nodes("dit", nodes).names, {nodes[4].name})  # attn is DC-AE only

    def test_keeps_vision_rotary_and_softmax(self):
        nodes = [
            NodeInfo("/blocks.0/rotary/Mul", "Mul"),
            NodeInfo("/blocks.0/rotary/Cast", "Cast"),
            NodeInfo("/blocks.0/attention/Softmax", "Softmax"),
            NodeInfo("/blocks.0/attention/MatMul", "MatMul"),
            NodeInfo("/blocks.0/block/norm1/LayerNormalization", "LayerNormalization"),
        ]
        selection = select_fp32_nodes("qwen_vision", nodes)
        self.assertEqual(selection.by_rule, {"vision_rotary": 2, "softmax": 1, "norm_variance": 1})

    def test_reports_required_islands_that_matched_nothing(self):
        unscoped = [NodeInfo("MatMul_12", "MatMul"), NodeInfo("Softmax_3", "Softmax"), NodeInfo("Pow_1", "Pow")]
        selection = select_fp32_nodes("dit", unscoped)
        self.assertEqual(
            missing_islands("dit", selection), ["norm_variance", "dit_linear_attention", "dit_timestep_sinusoid"]
        )
        self.assertEqual(missing_islands("qwen_embed", selection), [])

    def test_protects_initializers_used_only_by_fp32_nodes(self):
        selection = select_fp32_nodes("dit", DIT_NODES)
        protected = initializers_to_protect(DIT_NODES, ["eps", "freqs", "w_q", "two", "unused"], selection.names)
        # "two" feeds both norm Pow nodes (fp32); w_q feeds an fp16 MatMul; "unused" feeds nothing.
        self.assertEqual(protected, ["eps", "freqs", "two"])

    def test_drops_resize_from_the_default_op_block_list(self):
        self.assertEqual(op_block_list(["Resize", "TopK", "Upsample", "Range", "Max"]), ["Range", "TopK"])


class IoFixPlanTest(unittest.TestCase):
    def setUp(self):
        self.contract = load_contract()

    def test_plans_casts_where_declared_float_types_differ_from_the_contract(self):
        graph = self.contract.graph("dit")
        declared = {"hidden_states": "float32", "encoder_hidden_states": "float16", "timestep": "float16", "noise_pred": "float32"}
        self.assertEqual(
            plan_io_fixes(graph, self.contract, "float16", declared),
            [
                IoFix("hidden_states", "input", "float32", "float16"),
                IoFix("timestep", "input", "float16", "float32"),
                IoFix("noise_pred", "output", "float32", "float16"),
            ],
        )

    def test_refuses_missing_or_non_float_mismatches(self):
        graph = self.contract.graph("qwen_embed")
        with self.assertRaisesRegex(ExportError, "input 'input_ids' of qwen_embed to be int32 but it is int64"):
            plan_io_fixes(graph, self.contract, "float16", {"input_ids": "int64", "inputs_embeds": "float16"})
        with self.assertRaisesRegex(ExportError, "output 'inputs_embeds'"):
            plan_io_fixes(graph, self.contract, "float16", {"input_ids": "int32"})


if __name__ == "__main__":
    unittest.main()
