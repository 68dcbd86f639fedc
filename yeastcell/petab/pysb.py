"""PySB models (PEtab ``language: pysb``) exported to SBML for `yeastcell.sbml`.

`pysb_to_sbml` runs the model file, generates its reaction network with BioNetGen
(`pysb.bng.generate_equations`; BNG2.pl from ``$BNGPATH``, else the copy bundled with the
``bionetgen`` package) and writes pysb's SBML export to a cache folder (the reference data stays
read-only). Ids PEtab tables use for a PySB model are returned as aliases onto the SBML ids:
a species pattern (``A_() ** compartment``, as in a mapping table) -> its species ``__sN``; an
observable name -> the single species it counts (coefficient 1) or else its ``__obsK`` rule.
Needs ``pysb`` and ``bionetgen`` (``pip install -e .[bench]``).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import tempfile
from pathlib import Path

from ..io import atomic_path
from .errors import UnsupportedPetabError


def _bng_path() -> str | None:
    if os.environ.get("BNGPATH"):
        return os.environ["BNGPATH"]
    spec = importlib.util.find_spec("bionetgen")
    if spec is None or spec.origin is None:
        return None
    d = Path(spec.origin).parent / "bng-linux"
    return str(d) if (d / "BNG2.pl").is_file() else None


def pysb_to_sbml(model_py: Path) -> tuple[Path, dict[str, str]]:
    """(SBML file, PEtab id -> SBML id aliases) of a PySB model file.

    Raises:
        UnsupportedPetabError: pysb or BioNetGen is not installed, or the export failed.
    """
    model_py = Path(model_py)
    if importlib.util.find_spec("pysb") is None:
        raise UnsupportedPetabError(model_py, "PySB models without pysb installed", "pip install pysb bionetgen")
    bng = _bng_path()
    if bng is None:
        raise UnsupportedPetabError(model_py, "PySB models without BioNetGen", "pip install bionetgen or set BNGPATH")
    os.environ.setdefault("BNGPATH", bng)
    from pysb.bng import generate_equations
    from pysb.core import SelfExporter
    from pysb.export import export

    SelfExporter.cleanup()
    spec = importlib.util.spec_from_file_location(f"_petab_pysb_{abs(hash(model_py))}", model_py)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
        model = module.model
        generate_equations(model)
        sbml = export(model, "sbml")
    except Exception as err:  # noqa: BLE001 - pysb/BNG failures, reported with the file
        raise UnsupportedPetabError(model_py, "PySB model export", f"{type(err).__name__}: {err}") from None
    finally:
        SelfExporter.cleanup()
    sbml = _add_unused_parameters(sbml, model)
    digest = hashlib.sha256(sbml.encode()).hexdigest()[:16]
    out = Path(tempfile.gettempdir()) / "yeastcell_pysb" / f"{model_py.stem}_{digest}.xml"
    if not out.is_file():
        with atomic_path(out) as tmp:
            tmp.write_text(sbml)
    aliases = {str(s): f"__s{i}" for i, s in enumerate(model.species)}
    for k, obs in enumerate(model.observables):
        single = len(obs.species) == 1 and list(obs.coefficients) == [1]
        aliases[obs.name] = f"__s{obs.species[0]}" if single else f"__obs{k}"
    return out, aliases


def _add_unused_parameters(sbml: str, model) -> str:
    """pysb's export leaves out parameters no rule uses; PEtab conditions and observables may still
    name them (a condition-specific offset), so they are added as constant SBML parameters."""
    import libsbml

    doc = libsbml.readSBMLFromString(sbml)
    m = doc.getModel()
    for p in model.parameters:
        if m.getElementBySId(p.name) is None:
            q = m.createParameter()
            q.setId(p.name)
            q.setValue(float(p.value))
            q.setConstant(True)
    return libsbml.writeSBMLToString(doc)
