"""The `yeastcell` command line: every command-line entry point, one module per command group.

    yeastcell --version
    yeastcell simulate [-m MODEL] [-c CONDITION] [-p PERTURBATION ...] [--t-end MIN] [--points N]
                       [--params FIT.json] [-o OUT.csv|OUT.h5] [--plot OUT.png] [--species ID ...]
    yeastcell info [MODEL] [--parameters]
    yeastcell genes [-m MODEL]
    yeastcell screen --gem|-m MODEL [--medium TSV] [--genes ...] [--pairs A+B ...] [--all-pairs] [-o OUT.csv]
    yeastcell gem-test essentiality|chemostat
    yeastcell bench list [-v]
    yeastcell bench run TASK [--quick] [--set KEY=VALUE ...] [--record] [--results FILE]
    yeastcell bench sbml [--cases 1-100] [--workers N] [--record]     (= bench run sbml)
    yeastcell loop run CONFIG.json FOLDER | yeastcell loop report FOLDER [--plot OUT.png]
    yeastcell compare -d DATA.h5|DATA.csv [-m MODEL] [-c CONDITION] [--map OBS=QUANTITY ...]
                      [-o METRICS.csv] [--plot OUT.png|OUT.pdf]
    yeastcell fit DATA.h5|DATA.csv [-m MODEL] [-p NAME[=LOWER:UPPER] ...] [--residual REACTION ...]
                  [-o RESULT.json]
    yeastcell predict [STRAIN ...] [-m MODEL|RESIDUAL.h5] [--proteome FILE] [--strains-file FILE]
                      [--all-strains] [-c CONDITION] [--params FIT.json] [-o OUT.csv|OUT.h5]

MODEL is an embedded model name, a YAML model file or an SBML file (.xml, .sbml); every option's
help shows its default (``yeastcell COMMAND --help``).

Modules: `dispatch` (parser and `main`), `_help` (help formatting), `simulate`, `info`, `genes`,
`gem` (screen, gem-test), `bench`, `loop` (with `loop_config`, the loop's JSON configuration),
`compare`, `fit`, `predict`. Also runs as ``python -m yeastcell.cli``.
"""

from .dispatch import build_parser as build_parser
from .dispatch import main as main
