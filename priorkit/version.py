"""The version of priorkit (one place: the package, its metadata and every run file read it)."""

__version__ = "0.1.0"
