"""Published studies: readers of their data sets (from the reference-data folder) and the scores
that compare the model with them, one module per study.

* `goncalves2017` (readers in `goncalves2017_nitrogen` and `goncalves2017_nacl`): time courses of nitrogen
  upshift / downshift and rapamycin (FIA-MS metabolome from raw intensities, phosphoproteome, transcriptome,
  OD600) and of NaCl / alpha-factor (targeted and untargeted metabolome, phosphoproteome), the authored maps
  ``maps/goncalves2017_metabolites.tsv`` and ``maps/goncalves2017_site_map.tsv`` and their coverage reports;
  experiments without a perturbation in the notation need ``conditions=`` (docs/goncalves2017.md);
* `kanshin2015`: phosphoproteome after 0.4 M NaCl (13 time points, log2 fold change), the authored
  site map (``maps/kanshin2015_site_map.tsv``, shipped with the package) and the direction-of-change
  comparison with the whole-cell model;
* `lahtvee2017`: absolute proteome and exchange fluxes of chemostats under NaCl, heat and ethanol
  stress (steady states: one time point), and the direction-of-change score of the NaCl proteome;
* `vanheerden2014`: intracellular metabolites after a 110 mM glucose pulse to a chemostat;
* `zelezniak2018`: proteomes and metabolomes of kinase-knockout strains (log2 ratios to the wild
  type) and the authored metabolite map (``maps/zelezniak2018_metabolites.tsv``).

Generic pieces (the `Dataset`, the reference-data folder, mapping observables to a model) live in
`yeastcell.data`.
"""

from .goncalves2017 import goncalves2017_metabolite_coverage as goncalves2017_metabolite_coverage
from .goncalves2017 import goncalves2017_metabolite_map as goncalves2017_metabolite_map
from .goncalves2017 import goncalves2017_site_coverage as goncalves2017_site_coverage
from .goncalves2017 import goncalves2017_site_map as goncalves2017_site_map
from .goncalves2017_nacl import read_goncalves2017_nacl_metabolome as read_goncalves2017_nacl_metabolome
from .goncalves2017_nacl import read_goncalves2017_nacl_phospho as read_goncalves2017_nacl_phospho
from .goncalves2017_nacl import read_goncalves2017_nacl_targeted as read_goncalves2017_nacl_targeted
from .goncalves2017_nitrogen import read_goncalves2017_nitrogen_growth as read_goncalves2017_nitrogen_growth
from .goncalves2017_nitrogen import read_goncalves2017_nitrogen_metabolome as read_goncalves2017_nitrogen_metabolome
from .goncalves2017_nitrogen import read_goncalves2017_nitrogen_phospho as read_goncalves2017_nitrogen_phospho
from .goncalves2017_nitrogen import (
    read_goncalves2017_nitrogen_transcriptome as read_goncalves2017_nitrogen_transcriptome,
)
from .kanshin2015 import compare_kanshin2015 as compare_kanshin2015
from .kanshin2015 import read_kanshin2015 as read_kanshin2015
from .kanshin2015 import read_site_map as read_site_map
from .lahtvee2017 import LAHTVEE2017_FLUXES as LAHTVEE2017_FLUXES
from .lahtvee2017 import read_lahtvee2017 as read_lahtvee2017
from .vanheerden2014 import VANHEERDEN2014_TO_CORE as VANHEERDEN2014_TO_CORE
from .vanheerden2014 import read_vanheerden2014 as read_vanheerden2014
from .zelezniak2018 import read_zelezniak2018_metabolome as read_zelezniak2018_metabolome
from .zelezniak2018 import read_zelezniak2018_proteome as read_zelezniak2018_proteome
from .zelezniak2018 import zelezniak2018_map_coverage as zelezniak2018_map_coverage
from .zelezniak2018 import zelezniak2018_metabolite_map as zelezniak2018_metabolite_map
from .zelezniak2018 import zelezniak2018_metabolite_matrix as zelezniak2018_metabolite_matrix
from .zelezniak2018 import zelezniak2018_proteome_standard_errors as zelezniak2018_proteome_standard_errors

__all__ = [
    "LAHTVEE2017_FLUXES",
    "VANHEERDEN2014_TO_CORE",
    "compare_kanshin2015",
    "goncalves2017_metabolite_coverage",
    "goncalves2017_metabolite_map",
    "goncalves2017_site_coverage",
    "goncalves2017_site_map",
    "read_goncalves2017_nacl_metabolome",
    "read_goncalves2017_nacl_phospho",
    "read_goncalves2017_nacl_targeted",
    "read_goncalves2017_nitrogen_growth",
    "read_goncalves2017_nitrogen_metabolome",
    "read_goncalves2017_nitrogen_phospho",
    "read_goncalves2017_nitrogen_transcriptome",
    "read_kanshin2015",
    "read_lahtvee2017",
    "read_site_map",
    "read_vanheerden2014",
    "read_zelezniak2018_metabolome",
    "read_zelezniak2018_proteome",
    "zelezniak2018_map_coverage",
    "zelezniak2018_metabolite_map",
    "zelezniak2018_metabolite_matrix",
    "zelezniak2018_proteome_standard_errors",
]
