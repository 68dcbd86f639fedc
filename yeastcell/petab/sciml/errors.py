"""The error PEtab-SciML import and export raise for bad user input."""

from __future__ import annotations

from ...exceptions import YeastcellError


class SciMLFormatError(YeastcellError, ValueError):
    """A PEtab-SciML file (network YAML, array HDF5, problem table) is malformed or uses a layer,
    function or feature this importer does not support; the message names the item and the file."""
