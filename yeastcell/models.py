"""The embedded model files (installed with the package) and how names resolve to paths."""

from __future__ import annotations

from pathlib import Path

from .exceptions import ModelFileError, UnknownNameError

DEFAULT_MODEL = "yeast_core"


def models_dir() -> Path:
    """Directory of the embedded models: inside the installed package, or the repo's `models/`."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "models", here.parent / "models"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("yeastcell's embedded models directory is missing from this installation")


def available_models() -> list[str]:
    """Names of the embedded models (file stems; module files, which only other models include,
    are not models of their own)."""
    return sorted(p.stem for p in models_dir().glob("*.yaml") if not _is_module(p))


def _is_module(path: Path) -> bool:
    with path.open() as fh:
        head = fh.read(4096)
    return any(
        line.strip().replace('"', "").replace("'", "") == "format: yeastcell-module/1" for line in head.splitlines()
    )


def resolve_model_path(name_or_path: str | Path) -> Path:
    """An existing file path, or the embedded model of that name (``"yeast_core"``).

    Raises:
        ModelFileError: neither a file nor an embedded model of that name exists.
    """
    p = Path(name_or_path)
    if p.is_file():
        return p
    if p.suffix == "" and not p.parent.parts:
        candidate = models_dir() / f"{p.name}.yaml"
        if candidate.is_file():
            return candidate
        if str(name_or_path) not in available_models():
            err = UnknownNameError("embedded model", str(name_or_path), available_models())
            raise ModelFileError(p, "file", f"no such file, and {err}")
    raise ModelFileError(p, "file", "no such file")
