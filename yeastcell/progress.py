"""Progress bars: one helper for every long step (batches, knockout screens, fits, the active loop).

`enabled(progress)` decides whether a bar is shown: an explicit ``progress=True/False`` wins, then
the environment variable ``YEASTCELL_PROGRESS`` (``1``/``0``), otherwise a bar is shown only when
stderr is a terminal (so logs, pipes and CI stay free of carriage-return noise). `bar(...)` returns
a `tqdm` bar writing to stderr, or a no-op stand-in with the same methods when progress is off.

    with bar(total=n, desc="simulate", progress=progress) as pb:
        for chunk in chunks:
            ...
            pb.update(len(chunk))
"""

from __future__ import annotations

import os
import sys

ENV = "YEASTCELL_PROGRESS"


def enabled(progress: bool | None = None) -> bool:
    """Whether to show progress: `progress` if given, else ``YEASTCELL_PROGRESS`` (1/0), else
    whether stderr is a terminal."""
    if progress is not None:
        return bool(progress)
    env = os.environ.get(ENV, "").strip().lower()
    if env in ("1", "true", "yes", "on"):
        return True
    if env in ("0", "false", "no", "off"):
        return False
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed stderr
        return False


class _Silent:
    """A bar that shows nothing (progress off, or tqdm missing)."""

    n = 0

    def update(self, n: int = 1) -> None:
        self.n += n

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
        pass

    def set_description_str(self, s: str = "", refresh: bool = True) -> None:
        pass

    def write(self, s: str) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def bar(
    total: int | None = None,
    desc: str = "",
    unit: str = "it",
    progress: bool | None = None,
    leave: bool = True,
    **kwargs,
):
    """A progress bar on stderr (tqdm) when `enabled(progress)`, else a silent stand-in."""
    if not enabled(progress):
        return _Silent()
    try:
        from tqdm import tqdm
    except ImportError:  # a runtime dependency; stay silent rather than fail without it
        return _Silent()
    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, dynamic_ncols=True, leave=leave, **kwargs)
