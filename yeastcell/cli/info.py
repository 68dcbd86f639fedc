"""``yeastcell info MODEL``: a summary of a model (native YAML or SBML) without simulating it.

Prints the model's id, name and file; compartments (size in L, source); species counted by
compartment and kind; reactions by compartment; genes; named conditions; observables; and the
model-level parameters with their units and sources. ``--parameters`` also lists every parameter a
fit or ``simulate --params`` can set (the compiled cell's ``theta_names``, core units: mM, min).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from ..compile import compile_model
from ..load import is_sbml_path, load_model
from ..spec import SPECIES_KINDS, ModelSpec
from ._help import examples


def add_parser(sub, default_model: str) -> None:
    """Register ``yeastcell info`` on an argparse sub-parser set."""
    i = sub.add_parser(
        "info",
        help="summarise a model: compartments, species, reactions, genes, conditions, parameters",
        description="Summarise a model (embedded name, YAML file or SBML file) without simulating it.",
        epilog=examples(
            "yeastcell info",
            "yeastcell info yeast_cell --parameters",
            "yeastcell info BIOMD0000000064_teusink2000.xml",
        ),
    )
    i.add_argument(
        "model", nargs="?", default=default_model, help="model: embedded name, YAML file or SBML file (.xml, .sbml)"
    )
    i.add_argument(
        "--parameters",
        action="store_true",
        help="also list every fittable parameter (names for 'fit -p' and 'simulate --params') with its value",
    )
    i.set_defaults(func=run)


def run(args) -> int:
    """Print the summary of `args.model`; exit status 0."""
    spec = load_model(args.model)
    path = spec.path or (str(args.model) if Path(args.model).is_file() else None)
    print("\n".join(summary(spec, sbml=is_sbml_path(args.model), path=path)))
    if args.parameters:
        cell = compile_model(spec)
        theta = [float(x) for x in cell.theta]
        print(f"\nfittable parameters ({len(theta)}; names for 'fit -p' and 'simulate --params'):")
        width = max((len(n) for n in cell.theta_names), default=0)
        for name, value in zip(cell.theta_names, theta):
            print(f"  {name:{width}s}  {value:.6g}")
    return 0


def summary(spec: ModelSpec, sbml: bool = False, path: str | None = None) -> list[str]:
    """The lines of the model summary (see the module docstring); `path` is the model's file."""
    out = [f"model {spec.id}: {spec.name}" + (f" (version {spec.version})" if spec.version else "")]
    fmt = "SBML" if sbml or spec.semantics == "sbml" else "yeastcell YAML"
    path = path or spec.path
    if path:
        out.append(f"file: {path} ({fmt})")
    else:
        out.append(f"format: {fmt}")
    if fmt == "SBML":
        out.append("units: the file's own; its substance, volume and time units stand for mmol, L, min (docs/sbml.md)")
    else:
        out.append("units: concentrations mM, time min, volumes L, fluxes mM/min (core units)")

    out.append(f"\ncompartments ({len(spec.compartments)}):")
    rows: list[tuple[str, ...]] = [
        (c.id, c.name or "", f"{c.volume_L:.4g}", "L" if c.dimensions == 3 else f"({c.dimensions:g}-D)", c.source or "")
        for c in spec.compartments
    ]
    out += _table(("id", "name", "size", "unit", "source"), rows)

    n_const = sum(1 for s in spec.species if s.constant or s.boundary)
    out.append(f"\nspecies: {len(spec.species)} ({n_const} constant or boundary)")
    count = Counter((s.compartment, s.kind) for s in spec.species)
    kinds = [k for k in SPECIES_KINDS if any(k == kk for _, kk in count)]
    kinds += sorted({k for _, k in count} - set(kinds))
    rows = [
        (c.id, *(str(count.get((c.id, k), 0)) for k in kinds), str(sum(count.get((c.id, k), 0) for k in kinds)))
        for c in spec.compartments
        if any(count.get((c.id, k)) for k in kinds)
    ]
    out += _table(("compartment", *kinds, "total"), rows)

    by_comp = Counter(r.compartment for r in spec.reactions)
    out.append(
        f"\nreactions: {len(spec.reactions)}"
        + (" (" + ", ".join(f"{c} {n}" for c, n in by_comp.most_common()) + ")" if by_comp else "")
    )
    n_rate = sum(len(r.rate_law.parameters) for r in spec.reactions)
    kinds_rl = Counter(r.rate_law.kind for r in spec.reactions)
    if kinds_rl:
        out.append("  rate laws: " + ", ".join(f"{k} {n}" for k, n in kinds_rl.most_common()))
    with_gpr = sum(1 for r in spec.reactions if r.gpr)
    out.append(f"\ngenes: {len(spec.genes)}" + (f" ({with_gpr} reactions with gene rules)" if spec.genes else ""))
    if spec.genes:
        names = [f"{g.name} ({g.orf})" if g.name else g.orf for g in spec.genes]
        out.append(
            "  "
            + ", ".join(names[:12])
            + (f", ... ({len(names) - 12} more; see 'yeastcell genes')" if len(names) > 12 else "")
        )

    out.append(f"\nconditions ({len(spec.conditions)}):" + ("" if spec.conditions else " none"))
    rows = [
        (c.id, c.name or "", f"{len(c.clamp)} clamped, {len(c.initial)} initial", c.source or "")
        for c in spec.conditions
    ]
    if rows:
        out += _table(("id", "name", "sets", "source"), rows)

    if spec.observables:
        out.append(f"\nobservables ({len(spec.observables)}):")
        out += _table(("id", "unit", "name"), [(o.id, o.unit or "", o.name or "") for o in spec.observables])

    out.append(f"\nparameters: {len(spec.parameters)} model-level, {n_rate} in rate laws")
    if spec.parameters:
        rows = [(p.id, f"{p.value:.6g}", p.unit or "", p.source or "") for p in spec.parameters]
        out += _table(("id", "value", "unit", "source"), rows)
    if spec.references:
        out.append(
            f"\nreferences: {len(spec.references)} ({', '.join(list(spec.references)[:8])}"
            + (", ..." if len(spec.references) > 8 else "")
            + ")"
        )
    return out


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    """Rows as left-aligned columns, indented two spaces (long cells cut at 60 characters)."""
    cells = [tuple(x if len(x) <= 60 else x[:57] + "..." for x in r) for r in rows]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *cells)]
    return ["  " + "  ".join(f"{x:{w}s}" for x, w in zip(r, widths)).rstrip() for r in (header, *cells)]
