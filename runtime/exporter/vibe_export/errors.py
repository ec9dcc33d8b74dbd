"""The one error type the exporter reports to its user."""


class ExportError(Exception):
    """A problem the person running the exporter can fix: a missing file or library, a checkpoint
    config the pipeline does not support, an unsafe path. The message says what was expected, what
    was found and what to do; the CLI prints it without a traceback."""
