"""The `expression:` section (proteome layer) of a model file -> synthesis and turnover reactions.

Each entry names a gene with a protein species. The loader generates

* ``syn_<protein>`` (kind ``synthesis``): v = k_basal · Π_activators (1 + fold·x)/(1 + x) ·
  Π_repressors 1/(1 + x), x = (TF/K)^n, in mM/min of the protein's compartment;
* ``turnover_<form>`` (kind ``turnover``) for the protein and each of its other `forms`
  (phosphorylated, nuclear, ...): v = (k_deg + μ) · form, with k_deg = ln 2 / half-life and μ the
  model parameter ``growth_rate`` (1/min; dilution by growth; 0 if the model has none).

Without an explicit ``basal``, k_basal is set so that the authored initial amounts of the protein
and its forms are the steady state when the transcription factors sit at their ``reference`` levels
(default: their initial concentrations): k_basal = (k_deg + μ) · Σ_f c_f V_f / V_protein / Π factors.
See docs/model_format.md ("Proteome layer").
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NoReturn, Protocol

from .exceptions import UnknownNameError
from .spec import Expression, RateLaw, Reaction, _frozen
from .units import CONCENTRATION, RATE, TIME

GROWTH_RATE = "growth_rate"  # model parameter: specific growth rate (1/min), dilutes every protein
DEFAULT_HALF_LIFE = "protein_half_life"  # model parameter: default protein half-life (min)
_KEYS = {"gene", "half_life", "forms", "activators", "repressors", "basal", "reference", "note", "source"}


class _Loader(Protocol):
    """What `build_expression` uses of the model loader's `_Builder` (`yeastcell.load`)."""

    path: Path
    ids: dict[str, tuple[str, Path]]

    def fail(self, item: str, problem: str) -> NoReturn: ...
    def _at(self, entry) -> None: ...
    def _list(self, key: str) -> list: ...
    def _str(self, entry: Mapping, key: str, item: str, default=None, required: bool = False) -> Any: ...
    def _source(self, value, item: str, required: bool) -> Any: ...
    def _quantity(self, q, item: str, dims, required_source: bool) -> float: ...


def build_expression(b: _Loader, species, parameters, genes, compartments) -> tuple[list[Reaction], list[Expression]]:
    """Validate the merged `expression` entries (b: the loader's `_Builder`) and generate reactions."""
    entries = b._list("expression")
    if not entries:
        return [], []
    vol = {c.id: c.volume_L for c in compartments.values()}
    by_name = {}
    for g in genes.values():
        by_name[g.orf.upper()] = g
        if g.name:
            by_name[g.name.upper()] = g
    mu_id = GROWTH_RATE if GROWTH_RATE in parameters else None
    mu = parameters[mu_id].value if mu_id else 0.0
    reactions, out = [], []
    seen: dict[str, Path] = {}  # gene orf -> the model file of its expression entry
    for i, e in enumerate(entries):
        b._at(e)
        item = f"expression[{i}]"
        unknown = set(e) - _KEYS
        if unknown:
            b.fail(item, f"unknown key(s) {sorted(unknown)}; allowed: {sorted(_KEYS)}")
        name = b._str(e, "gene", item, required=True)
        g = by_name.get(name.upper())
        if g is None:
            b.fail(item, str(UnknownNameError("gene", name, sorted(by_name))))
        item = f"expression of gene {name!r}"
        if g.protein is None:
            b.fail(item, "the gene has no protein species (give it 'protein:' in the genes table)")
        if g.orf in seen:
            b.fail(item, f"the gene already has an expression entry (in {seen[g.orf]})")
        seen[g.orf] = b.path
        prot = g.protein
        forms = e.get("forms") or []
        if not isinstance(forms, list) or not all(isinstance(f, str) for f in forms):
            b.fail(item, "'forms' must be a list of species ids")
        for f in forms:
            if f not in species or f == prot:
                b.fail(item, f"form {f!r} is not a species other than the protein {prot!r}")
            if species[f].kind not in ("protein", "complex"):
                b.fail(item, f"form {f!r} has kind {species[f].kind!r}, expected 'protein' or 'complex'")
        # degradation constant (1/min)
        if e.get("half_life") is not None:
            t_half = b._quantity(e["half_life"], f"{item} half_life", TIME, required_source=True)
        elif DEFAULT_HALF_LIFE in parameters:
            t_half = parameters[DEFAULT_HALF_LIFE].value
        else:
            b.fail(item, f"no 'half_life' and no model parameter {DEFAULT_HALF_LIFE!r} (default half-life, min)")
        if not t_half > 0:
            b.fail(f"{item} half_life", f"must be positive, got {t_half}")
        kdeg = 0.0 if math.isinf(t_half) else math.log(2.0) / t_half
        # regulators
        reference = e.get("reference") or {}
        if not isinstance(reference, Mapping):
            b.fail(item, "'reference' must map transcription-factor species -> concentration (mM)")
        params: dict[str, float] = {}
        roles: dict[str, str] = {}
        factor_ref = 1.0
        for role, key in (("act", "activators"), ("rep", "repressors")):
            regs = e.get(key) or []
            if not isinstance(regs, list):
                b.fail(item, f"'{key}' must be a list of {{tf, K, n{', fold' if role == 'act' else ''}, source}}")
            for k, r in enumerate(regs):
                ritem = f"{item} {key}[{k}]"
                if not isinstance(r, Mapping):
                    b.fail(ritem, "must be a mapping {tf, K, n, ...}")
                tf = b._str(r, "tf", ritem, required=True)
                if tf not in species:
                    b.fail(ritem, str(UnknownNameError("species", tf, species)))
                b._source(r.get("source"), ritem, required=True)
                K = b._quantity(r.get("K"), f"{ritem} K", CONCENTRATION, required_source=False)
                n = _number(b, r.get("n"), f"{ritem} n")
                if K <= 0 or n <= 0:
                    b.fail(ritem, f"K and n must be positive, got K={K} mM, n={n}")
                slot = f"{role}{k}"
                roles[slot] = tf
                params[f"K_{slot}"], params[f"n_{slot}"] = K, n
                if role == "act":
                    fold = _number(b, r.get("fold"), f"{ritem} fold")
                    if fold < 1:
                        b.fail(ritem, f"fold (maximal induction) must be >= 1, got {fold}")
                    params[f"fold_{slot}"] = fold
                elif "fold" in r:
                    b.fail(ritem, "repressors take no 'fold'")
                level = reference.get(tf, species[tf].initial_mM)
                if not isinstance(level, (int, float)) or level < 0:
                    b.fail(item, f"reference level of {tf!r} must be a non-negative number (mM)")
                x = (level / K) ** n
                factor_ref *= (
                    (1.0 + params.get(f"fold_{slot}", 1.0) * x) / (1.0 + x) if role == "act" else 1.0 / (1.0 + x)
                )
        for tf in reference:
            if tf not in roles.values():
                b.fail(item, f"'reference' names {tf!r}, which is not one of this gene's regulators")
        if e.get("basal") is not None:
            basal = b._quantity(e["basal"], f"{item} basal", RATE, required_source=True)
        else:
            amount = sum(species[f].initial_mM * vol[species[f].compartment] for f in [prot, *forms])
            basal = (kdeg + mu) * amount / vol[species[prot].compartment] / factor_ref
        params["k_basal"] = basal
        comp = species[prot].compartment
        syn = Reaction(
            f"syn_{prot}",
            f"synthesis of {prot}",
            comp,
            _frozen({prot: 1.0}),
            RateLaw("synthesis", (), (prot,), _frozen(roles), _frozen(params)),
            balanced=False,
            note=e.get("note"),
        )
        reactions.append(syn)
        turnover = []
        for f in [prot, *forms]:
            rid = f"turnover_{f}"
            turnover.append(rid)
            reactions.append(
                Reaction(
                    rid,
                    f"degradation and dilution of {f}",
                    species[f].compartment,
                    _frozen({f: -1.0}),
                    RateLaw(
                        "turnover", (f,), (), _frozen({}), _frozen({"kdeg": kdeg}), dilution=mu_id, reversible=False
                    ),
                    balanced=False,
                )
            )
        out.append(Expression(g.orf, prot, tuple(forms), syn.id, tuple(turnover)))
    for r in reactions:
        if r.id in b.ids:
            other, where = b.ids[r.id]
            b.fail(
                f"reaction {r.id!r}", f"generated by the expression section but already used by a {other} in {where}"
            )
        b.ids[r.id] = ("reaction", b.path)
    return reactions, out


def _number(b, v, item) -> float:
    if isinstance(v, Mapping):
        return b._quantity(v, item, (0, 0, 0), required_source=False)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or math.isnan(v):
        b.fail(item, f"must be a number, got {v!r}")
    return float(v)
