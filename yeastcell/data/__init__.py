"""Measured data: the `Dataset` (conditions × replicates × times × observables), its HDF5 format
(docs/dataset_format.md), long tables (CSV/TSV), the reference-data folder and the mapping of
measured observables onto a model. Readers of single published studies are in `yeastcell.studies`."""

from ._hdf5 import FORMAT as FORMAT
from ._hdf5 import FORMAT_VERSION as FORMAT_VERSION
from .dataset import Dataset as Dataset
from .dataset import merge as merge
from .dataset import read_table as read_table
from .mapping import map_to_model as map_to_model
from .mapping import phosphosite_mapping as phosphosite_mapping
from .reference import data_root as data_root
from .tables import to_minutes as to_minutes
from .tables import write_table as write_table

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "Dataset",
    "data_root",
    "map_to_model",
    "merge",
    "phosphosite_mapping",
    "read_table",
    "to_minutes",
    "write_table",
]
