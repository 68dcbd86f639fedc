"""Measured data: the `Dataset` (conditions × replicates × times × observables), its HDF5 format
(docs/dataset_format.md), long tables (CSV/TSV) and readers of published data sets."""

from ._hdf5 import FORMAT as FORMAT
from ._hdf5 import FORMAT_VERSION as FORMAT_VERSION
from .dataset import Dataset as Dataset
from .merge import merge as merge
from .readers import VANHEERDEN2014_TO_CORE as VANHEERDEN2014_TO_CORE
from .readers import map_to_model as map_to_model
from .readers import phosphosite_mapping as phosphosite_mapping
from .readers import read_kanshin2015 as read_kanshin2015
from .readers import read_lahtvee2017 as read_lahtvee2017
from .readers import read_vanheerden2014 as read_vanheerden2014
from .tables import read_table as read_table
from .tables import to_minutes as to_minutes
from .tables import write_table as write_table

__all__ = ["FORMAT", "FORMAT_VERSION", "VANHEERDEN2014_TO_CORE", "Dataset", "map_to_model", "merge", "phosphosite_mapping",
           "read_kanshin2015",
           "read_lahtvee2017", "read_table", "read_vanheerden2014", "to_minutes", "write_table"]
