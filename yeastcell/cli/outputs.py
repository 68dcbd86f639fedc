"""Output paths of the command line, checked before any work: a simulation of minutes must not end
in a traceback because ``-o`` names a directory or a folder that cannot be written.

`check_outputs(args)` looks at every output option a command has (``-o/--out``, ``-o/--output``,
``--plot``, ``--results``) and raises `OutputPathError` (printed as one ``yeastcell: error:``
line, exit status 2) when a path

- is an existing directory (a file name is needed),
- has a parent that does not exist or is not a directory (no folder is created for you: a typo in
  a folder name should not silently create a new tree),
- lies in a directory this process cannot create files in (tried with a temporary file, which is
  removed again; permission bits alone do not tell, e.g. for root or on read-only mounts),
- or, for ``--plot``, has a suffix matplotlib cannot write (.png, .pdf, .svg, ...).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..exceptions import YeastcellError

# argparse destination -> the option as the user typed it (for the message)
OUTPUT_OPTIONS = (("out", "-o"), ("output", "-o"), ("plot", "--plot"), ("results", "--results"))


class OutputPathError(YeastcellError, ValueError):
    """An output path that cannot be written (checked before any work)."""


def check_outputs(args) -> None:
    """Check every output path of a parsed command line (see module docstring).

    Raises:
        OutputPathError: the first path that cannot be written, with the option and the reason.
    """
    for dest, flag in OUTPUT_OPTIONS:
        value = getattr(args, dest, None)
        if value:
            check_output_path(value, flag)
            if dest == "plot":
                check_plot_suffix(value, flag)


def check_output_path(path: str | os.PathLike, flag: str = "-o") -> Path:
    """`path` as a `Path` if a file can be written there (see module docstring), else raise."""
    p = Path(path)
    if p.is_dir():
        raise OutputPathError(f"{flag} {path}: is a directory; give a file name inside it")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.exists():
        raise OutputPathError(f"{flag} {path}: the directory {parent} does not exist")
    if not parent.is_dir():
        raise OutputPathError(f"{flag} {path}: {parent} is not a directory")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".check", dir=parent)
    except OSError as err:
        raise OutputPathError(f"{flag} {path}: cannot write in {parent} ({err.strerror or err})") from None
    os.close(fd)
    os.unlink(tmp)
    return p


def check_plot_suffix(path: str | os.PathLike, flag: str = "--plot") -> None:
    """Raise unless matplotlib can write a figure with the suffix of `path`."""
    from matplotlib.backend_bases import FigureCanvasBase

    formats = FigureCanvasBase.get_supported_filetypes()
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in formats:
        raise OutputPathError(
            f"{flag} {path}: unknown figure format {('.' + suffix) if suffix else '(no suffix)'}; "
            f"use one of {', '.join('.' + f for f in sorted(formats))}"
        )
