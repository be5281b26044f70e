"""Training prints nothing the user did not ask for: Lightning's banners ("GPU available"),
its advertising tip, its "stopped" notice and a deprecation warning it raises itself are kept
off the terminal unless ``train.verbose`` (``pk.fit(verbose=True)``, ``priorkit train
--verbose``). priorkit's own messages go to each run's ``train.log``."""

from __future__ import annotations

import contextlib
import logging
import sys
import warnings
from collections.abc import Iterator

from lightning.pytorch.callbacks.progress.tqdm_progress import Tqdm, TQDMProgressBar

LIGHTNING_LOGGERS = ("lightning.pytorch", "lightning.fabric", "lightning")
NOISE = (
    r"`isinstance\(treespec, LeafSpec\)` is deprecated",  # raised inside Lightning on torch 2.13
    r"The '\w+_dataloader' does not have many workers",  # in-memory graphs need none
)


def silence() -> None:
    """Quiet Lightning for the rest of this process (a study's trial workers)."""
    for name in LIGHTNING_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    for message in NOISE:
        warnings.filterwarnings("ignore", message=message)


@contextlib.contextmanager
def quiet(verbose: bool = False) -> Iterator[None]:
    """While the body runs, Lightning's informational output and its known warnings are off
    (``verbose``: left as they are); the logging levels are restored afterwards."""
    if verbose:
        yield
        return
    loggers = [logging.getLogger(name) for name in LIGHTNING_LOGGERS]
    levels = [logger.level for logger in loggers]
    with warnings.catch_warnings():
        silence()
        try:
            yield
        finally:
            for logger, level in zip(loggers, levels, strict=True):
                logger.setLevel(level)


class OneBar(TQDMProgressBar):
    """Training's one progress bar, on stderr (the epochs, with the validation metrics): no
    bar of the sanity check or of each validation pass, whatever else is installed (Lightning
    would pick Rich's bars when it can)."""

    def init_sanity_tqdm(self) -> Tqdm:
        return Tqdm(disable=True)

    def init_validation_tqdm(self) -> Tqdm:
        return Tqdm(disable=True)

    def init_train_tqdm(self) -> Tqdm:
        return Tqdm(
            desc=self.train_description,
            disable=self.is_disabled,
            leave=True,
            dynamic_ncols=True,
            file=sys.stderr,
            smoothing=0,
            bar_format=self.BAR_FORMAT,
        )
