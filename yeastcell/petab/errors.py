"""The errors of the PEtab layer, under `yeastcell.exceptions.YeastcellError`."""

from __future__ import annotations

from ..exceptions import YeastcellError


class PetabError(YeastcellError, ValueError):
    """A PEtab problem cannot be read or used (the message names the file and the item)."""


class PetabValidationError(PetabError):
    """libpetab's validation found errors; ``messages`` holds each one with its file (and row)."""

    def __init__(self, path, messages: list[str]):
        self.path = str(path)
        self.messages = list(messages)
        body = "\n".join(f"  - {m}" for m in self.messages)
        super().__init__(f"{self.path}: the PEtab problem is not valid ({len(self.messages)} error(s)):\n{body}")


class UnsupportedPetabError(PetabError):
    """The problem uses a PEtab feature yeastcell does not implement (named in the message);
    raised when the problem is loaded, before anything is simulated."""

    def __init__(self, path, feature: str, detail: str = ""):
        self.path = str(path)
        self.feature = feature
        super().__init__(f"{self.path}: unsupported PEtab feature: {feature}" + (f" ({detail})" if detail else ""))


class ExportError(PetabError):
    """A yeastcell problem PEtab cannot express (the item is named), or an output folder that exists."""
