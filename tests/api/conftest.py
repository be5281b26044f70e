"""The tiny-encoder training config of the training tests, shared here."""

from tests.training.conftest import config_file

__all__ = ["config_file"]
