"""Measured data: the `Dataset` (conditions × replicates × times × observables), its HDF5 format
(docs/dataset_format.md), long tables (CSV/TSV) and readers of published data sets."""

from ._hdf5 import FORMAT as FORMAT
from ._hdf5 import FORMAT_VERSION as FORMAT_VERSION
from .dataset import Dataset as Dataset
from .tables import read_table as read_table
from .tables import to_minutes as to_minutes
from .tables import write_table as write_table

__all__ = ["FORMAT", "FORMAT_VERSION", "Dataset", "read_table", "to_minutes", "write_table"]
