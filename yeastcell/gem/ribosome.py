"""The translation machinery of an enzyme-constrained GEM: ribosomes priced by the protein they make.

Yeast-GEM synthesises protein in an enzyme-free pseudoreaction (``r_4047``, "protein
pseudoreaction": aminoacyl-tRNAs → ``protein`` + tRNAs). Proteome-constrained models (pcYeast,
Elsemman et al. 2022 Nat Commun 13:801; ME/RBA models) make translation cost protein: a ribosome
elongates at ``k_el`` amino acids per second, so making protein at ``J`` mmol amino acids gDW⁻¹ h⁻¹
needs ``J / (3600 · k_el)`` mmol of translating ribosomes per gDW. Their ribosomal-protein mass

    R = ρ · v_protein,    ρ = n_aa · 10⁻³ · M_rp / (3600 · k_el)       (g gDW⁻¹ per unit flux)

with ``v_protein`` the flux of the protein pseudoreaction, ``n_aa`` the amino acids it consumes
per unit flux (mmol; the sum of its substrate coefficients, which are all aminoacyl-tRNAs in
Yeast-GEM) and ``M_rp`` the r-protein mass of one ribosome (g mol⁻¹). Equivalently, with a mean
residue mass ``m_aa`` the ribosome's translation capacity is ``k = 3600 · k_el · m_aa / M_80S``
g protein per g ribosome per h (:meth:`Ribosome.translation_capacity`, ≈ 1.2 h⁻¹), the ribosome
mass is ``J_protein(g) / k`` and its protein part ``M_rp / M_80S`` of that; the rRNA part belongs to
the biomass RNA and costs no protein.

Constants (yeast, 30 °C):

* ``k_el`` = 10 aa s⁻¹ per translating ribosome: elongation rate independent of the growth rate
  (Bonven & Gulløv 1979 Mol Gen Genet 170:225); 7–8 aa s⁻¹ from polysome profiles (Arava et al.
  2003 PNAS 100:3889), 8.8 aa s⁻¹ per ribosome in fast growth (Waldron et al. 1977 Biochem J
  168:409). A parameter;
* ``reserve_fraction`` = 0.08: ribosomal proteins that do not translate, a constant mass fraction of
  the proteome at every growth rate (Metzl-Raz et al. 2017 eLife 6:e28034: "excess ribosomal
  proteins, amounting to a constant ≈8% of the proteome", ≈25 % of the r-proteins of fast-growing
  cells; the idle fraction rises as growth slows, as Waldron et al. 1977 Biochem J 168:409 found
  from RNA and protein contents: 84 % of ribosomes engaged at 0.54 doublings h⁻¹, 50 % at 0.30,
  with an unchanged elongation rate). The ribosomal mass is then the Metzl-Raz line
  ``R = φ_idle · Ptot + ρ · v_protein``: linear in μ with a non-zero intercept;
* the 80S ribosome: 3.3 MDa, 79 proteins and 5,475 nt of rRNA (Ben-Shem et al. 2011 Science
  334:1524); ``M_rp`` = 1.42 MDa is the sum of the UniProt masses of its proteins (one paralog per
  family, ``RPL*``, ``RPS*``, ``RPP0``/``RPP1``/``RPP2``, ``ASC1``; the ubiquitin moieties of the
  RPL40/RPS31 fusions excluded), as tabulated in GECKO's ``uniprot.tsv``.

The ribosomes' share of the pool (:mod:`yeastcell.gem.enzyme`) is a mass fraction ``f_r`` of the
proteome that joins the enzymes' ``f``: by default the measured one of the cytosolic r-protein genes
(:func:`ribosomal_genes`; PaxDb, :func:`~yeastcell.gem.enzyme_data.load_enzyme_data`), or
:func:`ribosomal_fraction` at the growth rate the pool is calibrated to (what the model's own
ribosomes, translating and idle, take there; :func:`~yeastcell.gem.chemostat.ribosomal_fraction_for_growth`).
"""

from __future__ import annotations

import dataclasses
import math

from yeastcell.gem.enzyme_data import RIBOSOMAL_PROTEIN_NAMES, EnzymeDataError, ribosomal_genes
from yeastcell.gem.load import GEM, reaction_index

__all__ = [
    "Ribosome",
    "YEAST_RIBOSOME",
    "RIBOSOMAL_PROTEIN_NAMES",
    "ribosomal_genes",
    "amino_acids_per_flux",
    "ribosome_cost",
    "ribosomal_fraction",
]


@dataclasses.dataclass(frozen=True)
class Ribosome:
    """Translation parameters (see the module docstring for the sources).

    Attributes:
        elongation_rate: ``k_el``, amino acids per second per translating ribosome (> 0).
        protein_mass: ``M_rp``, r-protein mass of one ribosome, g mol⁻¹.
        mass: ``M_80S``, the whole ribosome with its rRNA, g mol⁻¹ (for
            :meth:`translation_capacity`; ``protein_mass <= mass``).
        protein_reaction: the GEM's protein-synthesis pseudoreaction (Yeast-GEM ``r_4047``).
        reserve_fraction: ``φ_idle``, mass fraction of total protein in ribosomal proteins that do
            not translate, independent of the growth rate (in [0, 1); 0: every ribosome translates).

    Raises:
        EnzymeDataError: a non-positive or non-finite rate or mass, a protein mass above the mass,
            a reserve fraction outside [0, 1).
    """

    elongation_rate: float = 10.0
    protein_mass: float = 1.42e6
    mass: float = 3.3e6
    protein_reaction: str = "r_4047"
    reserve_fraction: float = 0.08

    def __post_init__(self) -> None:
        for name in ("elongation_rate", "protein_mass", "mass"):
            x = getattr(self, name)
            if not (isinstance(x, (int, float)) and math.isfinite(x) and x > 0):
                unit = "aa/s per ribosome" if name == "elongation_rate" else "g/mol"
                raise EnzymeDataError(f"ribosome {name} must be positive and finite ({unit}), got {x!r}")
        if self.protein_mass > self.mass:
            raise EnzymeDataError(
                f"ribosome protein_mass ({self.protein_mass:g} g/mol) exceeds its mass ({self.mass:g} g/mol)"
            )
        r = self.reserve_fraction
        if not (isinstance(r, (int, float)) and math.isfinite(r) and 0 <= r < 1):
            raise EnzymeDataError(f"ribosome reserve_fraction must be in [0, 1) (of total protein), got {r!r}")

    def translation_capacity(self, residue_mass: float = 110.0) -> float:
        """Protein made per ribosome mass, g protein (g ribosome)⁻¹ h⁻¹, for a mean amino-acid
        residue mass in g mol⁻¹ (≈ 110)."""
        return 3600.0 * self.elongation_rate * residue_mass / self.mass


#: The yeast cytosolic ribosome at 30 °C with its idle reserve (module docstring).
YEAST_RIBOSOME = Ribosome()


def amino_acids_per_flux(gem: GEM, protein_reaction: str) -> float:
    """``n_aa``: mmol of amino acids one unit of ``protein_reaction``'s flux polymerises (the sum of
    its substrate coefficients).

    Raises:
        UnknownReactionError: the reaction is not in ``gem`` (close matches named).
        EnzymeDataError: it consumes nothing.
    """
    j = reaction_index(gem, protein_reaction)
    col = gem.S.tocsc()[:, [j]].toarray().ravel()
    n = float(-col[col < 0].sum())
    if not n > 0:
        raise EnzymeDataError(f"protein reaction {protein_reaction!r} consumes no amino acids")
    return n


def ribosome_cost(gem: GEM, ribosome: Ribosome) -> float:
    """``ρ``: g of ribosomal protein per gDW needed per unit flux (mmol gDW⁻¹ h⁻¹) of the protein
    reaction, i.e. g h mmol⁻¹ like an enzyme cost."""
    n_aa = amino_acids_per_flux(gem, ribosome.protein_reaction)
    return n_aa * 1e-3 * ribosome.protein_mass / (3600.0 * ribosome.elongation_rate)


def ribosomal_fraction(gem: GEM, ribosome: Ribosome, protein_flux: float, total_protein: float) -> float:
    """Mass fraction of the proteome in ribosomal proteins, translating and idle, at a protein-reaction
    flux (mmol gDW⁻¹ h⁻¹): ``φ_idle + ρ · v_protein / Ptot`` (``Ptot`` in g gDW⁻¹).

    Raises:
        EnzymeDataError: a negative or non-finite flux, a non-positive total protein.
    """
    if not (math.isfinite(protein_flux) and protein_flux >= 0):
        raise EnzymeDataError(f"protein_flux must be >= 0 and finite (mmol/gDW/h), got {protein_flux!r}")
    if not (math.isfinite(total_protein) and total_protein > 0):
        raise EnzymeDataError(f"total_protein must be positive and finite (g/gDW), got {total_protein!r}")
    return ribosome.reserve_fraction + ribosome_cost(gem, ribosome) * protein_flux / total_protein
