"""Exporter from the published VIBE checkpoint to an ONNX model bundle plus a parity trace.

The modules split in two groups:

- pure Python, standard library only, unit-tested with Debian's python3: ``contract``, ``paths``,
  ``checkpoint_config``, ``manifest``, ``fp16`` (island selection, I/O fix plan), ``parity_trace``,
  ``deps``, ``cli`` (arguments and checks; heavy modules are imported inside ``run``);
- thin layers over torch, onnx and the official ``vibe`` package, imported only once deps has found
  them: ``wrappers``, ``graph_inputs``, ``export_graphs``, ``fp16_onnx``, ``onnx_io``, ``parity_run``.
"""

EXPORTER_FORMAT = 1
"""Bumped when the exporter changes what it writes; appears as ``+onnx<N>`` in the model version."""
