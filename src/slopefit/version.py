"""The version of slopefit, in one place (the package, the CLI's --version and model files read it)."""

__version__ = "0.1.0"
