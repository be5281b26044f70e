"""``resolved``: a path made absolute with its links followed, or a clear error for a link loop."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from priorkit.errors import PriorkitError


def resolved(path: str | os.PathLike[str]) -> Path:
    """``Path(path).resolve()``; a symbolic link that leads back to itself (which Python 3.11
    reports as a bare ``RuntimeError``, later versions as an ``OSError``) is named instead.

    Raises:
        PriorkitError: ``path`` or a folder above it is a link loop.
    """
    try:
        return Path(path).resolve()
    except (RuntimeError, OSError) as error:
        if isinstance(error, OSError) and error.errno != errno.ELOOP:  # anything else is the caller's
            raise
        raise PriorkitError(
            f"{path}: expected a path whose links lead somewhere (got a loop of symbolic links: "
            f"{error}); remove or fix the link, or use another path"
        ) from None
