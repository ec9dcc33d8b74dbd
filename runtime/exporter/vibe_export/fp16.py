"""fp32 → fp16 conversion of an exported graph, with the fp32 islands of reference §7.1–§7.4.

The selection of the nodes that stay fp32 is pure Python over (node name, op type) pairs and is
unit-tested; only ``convert_graph_to_fp16`` touches onnx and onnxconverter-common (imported lazily).

Node names come from the TorchScript exporter, which prefixes every node with the module path it
ran in, e.g. ``/transformer/transformer_blocks.3/attn1/MatMul_1``. The rules therefore select by
module scope and op type:

- softmax (every graph): ``Softmax``/``LogSoftmax`` stay fp32, as upstream computes them;
- norm variance (every graph): the arithmetic inside any ``*norm*``/``ln*`` module (RMSNorm's
  pow/mean/rsqrt and LayerNormalization), which upstream computes in fp32 (§7.2);
- DiT linear attention: every op that runs directly in ``attn1`` (ReLU on q/k, the fp32 casts, the
  ones-row pad, both MatMuls and the division by the ones row + 1e-15), not its projections (§7.1);
- DiT timestep sinusoid: everything in ``time_proj``: sin/cos of t·freq with t up to 999 needs fp32;
- DC-AE linear attention: every op directly in ``attn`` and in ``attn/nonlinearity`` (§7.4);
- vision rotary: the ``rotary`` module of the vision wrapper (upstream upcasts q/k to fp32 there);
- constants: a ``Constant`` node whose outputs feed only fp32 nodes stays fp32 too, and float
  initializers that feed only fp32 nodes are stored as float64 plus a Cast, so that no converter
  version rounds them through fp16 (eps 1e-15, the sinusoid frequencies).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

from .contract import Contract, GraphSpec
from .errors import ExportError

SOFTMAX_OPS = frozenset({"Softmax", "LogSoftmax"})
NORM_OPS = frozenset(
    {
        "Pow", "ReduceMean", "ReduceSum", "ReduceSumSquare", "Add", "Sub", "Sqrt", "Reciprocal",
        "Div", "Mul", "Cast", "Constant", "LayerNormalization", "SimplifiedLayerNormalization",
        "RMSNormalization",
    }
)
VAE_GRAPHS = frozenset({"vae_encoder", "vae_decoder"})
# The converter's default op block list keeps these in fp32 with casts around them; ORT has fp16
# kernels for them, and a fp32 Resize at 2048² doubles the decoder's largest tensors.
FP16_SAFE_DEFAULT_OPS = frozenset({"Resize", "Upsample", "Min", "Max"})

REQUIRED_ISLANDS: dict[str, tuple[str, ...]] = {
    "qwen_vision": ("softmax", "norm_variance", "vision_rotary"),
    "qwen_embed": (),
    "qwen_lm_hidden": ("softmax", "norm_variance"),
    "connector": ("softmax",),
    "vae_encoder": ("vae_linear_attention", "norm_variance"),
    "dit": ("softmax", "norm_variance", "dit_linear_attention", "dit_timestep_sinusoid"),
    "vae_decoder": ("vae_linear_attention", "norm_variance"),
}
_INDEX_SUFFIX = re.compile(r"\.\d+$")
_LN_SCOPE = re.compile(r"ln(\d+|_\w+)?")


@dataclass(frozen=True)
class NodeInfo:
    name: str
    op_type: str
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()


@dataclass
class Fp32Selection:
    names: set[str] = field(default_factory=set)
    by_rule: dict[str, int] = field(default_factory=dict)

    def add(self, rule: str, name: str) -> None:
        if name not in self.names:
            self.names.add(name)
            self.by_rule[rule] = self.by_rule.get(rule, 0) + 1


def scope_of(node_name: str) -> list[str]:
    """The module path of a node: ``/a/b.0/c/MatMul_1`` → ``['a', 'b.0', 'c']``."""
    parts = [part for part in node_name.split("/") if part]
    return parts[:-1]


def is_norm_scope(component: str) -> bool:
    base = _INDEX_SUFFIX.sub("", component).lower()
    return "norm" in base or _LN_SCOPE.fullmatch(base) is not None


def _rule_for(graph_name: str, node: NodeInfo) -> str | None:
    scope = scope_of(node.name)
    if node.op_type in SOFTMAX_OPS:
        return "softmax"
    if graph_name == "dit" and scope and scope[-1] == "attn1":
        return "dit_linear_attention"
    if graph_name == "dit" and "time_proj" in scope:
        return "dit_timestep_sinusoid"
    if graph_name in VAE_GRAPHS and scope and (scope[-1] == "attn" or scope[-2:] == ["attn", "nonlinearity"]):
        return "vae_linear_attention"
    if graph_name == "qwen_vision" and scope and scope[-1] == "rotary":
        return "vision_rotary"
    if node.op_type in NORM_OPS and any(is_norm_scope(part) for part in scope):
        return "norm_variance"
    return None


def select_fp32_nodes(graph_name: str, nodes: Sequence[NodeInfo]) -> Fp32Selection:
    """The names of the nodes to keep in fp32, with a count per rule."""
    selection = Fp32Selection()
    for node in nodes:
        rule = _rule_for(graph_name, node)
        if rule is not None:
            selection.add(rule, node.name)
    consumers = _consumers(nodes)
    for node in nodes:
        if node.op_type == "Constant" and node.outputs and all(
            consumers.get(output) and all(c in selection.names for c in consumers[output])
            for output in node.outputs
        ):
            selection.add("constant_feeding_fp32", node.name)
    return selection


def missing_islands(graph_name: str, selection: Fp32Selection) -> list[str]:
    """Rules that must match in this graph but matched nothing: a sign that node names lost their
    module scopes (another exporter) or that the upstream module layout changed."""
    return [rule for rule in REQUIRED_ISLANDS.get(graph_name, ()) if not selection.by_rule.get(rule)]


def _consumers(nodes: Iterable[NodeInfo]) -> dict[str, list[str]]:
    consumers: dict[str, list[str]] = {}
    for node in nodes:
        for name in node.inputs:
            if name:
                consumers.setdefault(name, []).append(node.name)
    return consumers


def initializers_to_protect(nodes: Sequence[NodeInfo], float_initializers: Iterable[str], fp32_nodes: set[str]) -> list[str]:
    """Float initializers consumed only by fp32 nodes (to be stored as float64 + Cast)."""
    consumers = _consumers(nodes)
    return sorted(
        name
        for name in float_initializers
        if consumers.get(name) and all(consumer in fp32_nodes for consumer in consumers[name])
    )


def op_block_list(default_ops: Iterable[str]) -> list[str]:
    return sorted(op for op in default_ops if op not in FP16_SAFE_DEFAULT_OPS)


@dataclass(frozen=True)
class IoFix:
    name: str
    side: str  # "input" | "output"
    declared: str
    expected: str


def plan_io_fixes(graph: GraphSpec, contract: Contract, precision: str, declared: Mapping[str, str]) -> list[IoFix]:
    """Where the converted graph's declared I/O dtype differs from the contract's, for float
    tensors: converters differ in what ``keep_io_types`` does, so the exporter normalizes after."""
    fixes = []
    for side, tensors in (("input", graph.inputs), ("output", graph.outputs)):
        for tensor in tensors:
            expected = contract.dtype_of(tensor.kind, precision)
            found = declared.get(tensor.name)
            if found is None:
                raise ExportError(f"Expected {side} {tensor.name!r} in the converted {graph.name} graph")
            if found == expected:
                continue
            if {found, expected} != {"float16", "float32"}:
                raise ExportError(
                    f"Expected {side} {tensor.name!r} of {graph.name} to be {expected} but it is {found}"
                )
            fixes.append(IoFix(tensor.name, side, found, expected))
    return fixes


def convert_graph_to_fp16(
    src: str, dst: str, graph: GraphSpec, contract: Contract
) -> tuple[dict[str, int], list[str]]:
    """Converts the fp32 graph at ``src`` into ``dst`` (fp16 with fp32 islands, contract I/O
    dtypes); returns the count of fp32 nodes per rule and the external data files written."""
    from . import fp16_onnx  # onnx, numpy and onnxconverter-common live there

    return fp16_onnx.convert(src, dst, graph, contract)
