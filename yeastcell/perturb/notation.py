"""A one-line notation for perturbations: condition strings of datasets, labs, the loop and the CLI.

Parts joined with ``+`` are applied together::

    wt                       wild type
    ko:PDC1,PDC5,PDC6        knockout of one or more genes (ORF or standard name)
    kd:PFK1=0.3              knockdown to 30 % of the wild-type protein level
    oe:HXK2=2                two-fold overexpression
    inhibit:TDH3=5/2         inhibitor at dose 5 with Ki 2 (same units) on a gene or reaction
    set:GLC_e=20             initial concentration (mM)
    clamp:GLC_e=50           hold a species constant (mM)
    pulse:GLC_e=10@20        add 10 mM at t = 20 min
    step:GLC_e=0@30          set to 0 mM at t = 30 min
    cond:teusink2000         a named condition of the model file
    nacl:0.4                 osmotic shock: medium NaCl stepped to 0.4 M at t = 0 (whole-cell model)
    nacl:0.4@10              ... at t = 10 min;  nacl:0.4@10/30  a 30-min pulse starting at 10 min
    stress:osmotic=0.4       the same through the stress name (level in M NaCl)
    nitrogen:0@30            medium nitrogen source stepped to 0 mM ammonium equivalents at 30 min
    nitrogen:0.1>75.7        ... from a pre-shift medium of 0.1 mM to 75.7 mM (an upshift) at t = 0
    rapamycin:219@5          rapamycin 219 nM (200 ng/mL) added at 5 min (TORC1 via FKBP12)
    dose:rapamycin_e=2e-4@5  a drug / signal species set to 2e-4 mM at t = 5 min ('@' optional)
    param:PFK.Vmax=120       a model parameter set to a value (core units: mM, min, L)
    param:PFK.Vmax*0.5       ... or scaled by a factor

A ``#`` ends a part with a label that names a repeated run and changes nothing in the
perturbation: ``kd:PFK1=0.3#2`` is ``kd:PFK1=0.3`` measured again as a separate experiment (a
separate condition of a Dataset, e.g. a second clone or another day). :func:`perturbation_key`
gives the label-free form.
"""

from __future__ import annotations

from ..exceptions import PerturbationError
from . import constructors as P
from .types import Perturbation


def parse_perturbation(text: str) -> Perturbation:
    """Parse the notation above into a symbolic perturbation.

    Raises:
        PerturbationError: naming the part that cannot be parsed.
    """
    if not isinstance(text, str) or not text.strip():
        raise PerturbationError("empty perturbation; use 'wt' for the wild type")
    out = P.wild_type()
    for part in text.split("+"):
        out = out + _part(_unlabelled(part), text)
    return out


_TIMED_KINDS = frozenset(
    {"pulse", "step", "nacl", "osmotic", "stress", "dose", "drug", "nitrogen", "n", "rapamycin", "rap"}
)


def delayed_notation(text: str, minutes: float) -> str:
    """The notation of ``yeastcell.perturb.delayed(parse_perturbation(text), minutes)``: every timed part
    (pulse, step, nacl, stress, dose, nitrogen, rapamycin) `minutes` later, its ``@TIME`` added or moved;
    run labels are kept. ``delayed_notation("nitrogen:0.1>75.7+ko:FPR1", 60)`` ->
    ``"nitrogen:0.1>75.7@60+ko:FPR1"``.

    Raises:
        PerturbationError: `text` does not parse, or `minutes` is negative or not finite.
    """
    parse_perturbation(text)
    m = _num(str(minutes), "lead-in")
    if not (m >= 0 and m != float("inf")):
        raise PerturbationError(f"lead-in must be a finite number >= 0 min, got {minutes!r}")
    out = []
    for raw in text.split("+"):
        body, hash_, label = raw.partition("#")
        part = body.strip()
        kind = part.split(":", 1)[0].strip().lower() if ":" in part else ""
        if kind in _TIMED_KINDS:
            head, at_sep, rest = part.partition("@")
            at, slash, duration = rest.partition("/")
            t = _num(at.strip(), part) if at_sep and at.strip() else 0.0
            part = f"{head}@{t + m:g}" + (f"/{duration.strip()}" if slash else "")
        out.append(part + (hash_ + label if hash_ else ""))
    return "+".join(out)


def perturbation_key(text: str) -> str:
    """`text` without its run labels (``"kd:PFK1=0.3#2"`` -> ``"kd:PFK1=0.3"``): conditions with the
    same key are the same perturbation, so a simulator may solve them once."""
    return "+".join(_unlabelled(part) for part in text.split("+"))


def _unlabelled(part: str) -> str:
    """One part of the notation without its ``#`` run label."""
    return part.split("#", 1)[0].strip()


def _split_value(arg: str, part: str) -> tuple[str, str]:
    if "=" not in arg:
        raise PerturbationError(f"{part!r}: expected NAME=VALUE")
    name, value = arg.split("=", 1)
    return name.strip(), value.strip()


def _num(value: str, part: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise PerturbationError(f"{part!r}: {value!r} is not a number") from None


def _part(part: str, whole: str) -> Perturbation:
    if part.lower() in ("wt", "wild_type", "wildtype", "wild-type"):
        return P.wild_type()
    if ":" not in part:
        raise PerturbationError(
            f"cannot parse {part!r} in {whole!r}: expected KIND:ARGS (see yeastcell.perturb.notation)"
        )
    kind, arg = (s.strip() for s in part.split(":", 1))
    kind = kind.lower()
    if kind in ("ko", "knockout"):
        return P.knockout(*[g for g in (x.strip() for x in arg.split(",")) if g])
    if kind in ("kd", "knockdown"):
        g, v = _split_value(arg, part)
        return P.knockdown(g, _num(v, part))
    if kind in ("oe", "overexpress"):
        g, v = _split_value(arg, part)
        return P.overexpress(g, _num(v, part))
    if kind == "inhibit":
        g, v = _split_value(arg, part)
        if "/" not in v:
            raise PerturbationError(f"{part!r}: expected TARGET=DOSE/KI")
        dose, ki = v.split("/", 1)
        return P.inhibit(g, _num(dose, part), _num(ki, part))
    if kind in ("set", "initial"):
        s, v = _split_value(arg, part)
        return P.initial(s, _num(v, part))
    if kind == "clamp":
        s, v = _split_value(arg, part)
        return P.clamp(s, _num(v, part))
    if kind in ("pulse", "step"):
        s, v = _split_value(arg, part)
        if "@" not in v:
            raise PerturbationError(f"{part!r}: expected SPECIES=VALUE@TIME")
        value_text, at_text = v.split("@", 1)
        fn = P.pulse if kind == "pulse" else P.step
        return fn(s, _num(value_text, part), _num(at_text, part))
    if kind in ("cond", "condition"):
        return P.condition(arg)
    if kind in ("nacl", "osmotic"):
        value, at, duration = _timed(arg, part)
        return P.osmotic_shock(value, at=at, duration=duration)
    if kind == "stress":
        name, v = _split_value(arg, part)
        value, at, duration = _timed(v, part)
        return P.stress(name, value, at=at, duration=duration)
    if kind in ("nitrogen", "n"):
        before, _, after = arg.rpartition(">")
        value, at, duration = _timed(after, part)
        if duration is not None:
            raise PerturbationError(f"{part!r}: a nitrogen shift takes no duration")
        return P.nitrogen_shift(value, at=at, before_mM=_num(before.strip(), part) if before.strip() else None)
    if kind in ("rapamycin", "rap"):
        value, at, duration = _timed(arg, part)
        if duration is not None:
            raise PerturbationError(f"{part!r}: a rapamycin dose takes no duration")
        return P.rapamycin(value, at=at)
    if kind in ("dose", "drug"):
        s, v = _split_value(arg, part)
        value, at, duration = _timed(v, part)
        if duration is not None:
            raise PerturbationError(f"{part!r}: a dose takes no duration")
        return P.dose(s, value, at=at)
    if kind in ("param", "parameter"):
        if "*" in arg and "=" not in arg:
            name, factor = arg.rsplit("*", 1)
            return P.parameter(name.strip(), factor=_num(factor.strip(), part))
        name, v = _split_value(arg, part)
        return P.parameter(name, _num(v, part))
    raise PerturbationError(
        f"unknown perturbation kind {kind!r} in {part!r}; "
        "known: wt, ko, kd, oe, inhibit, set, clamp, pulse, step, cond, nacl, stress, nitrogen, rapamycin, dose, param"
    )


def _timed(text: str, part: str) -> tuple[float, float, float | None]:
    """VALUE[@TIME[/DURATION]] -> (value, time, duration or None)."""
    value, _, rest = text.partition("@")
    at, _, duration = rest.partition("/")
    return (
        _num(value.strip(), part),
        _num(at.strip(), part) if at.strip() else 0.0,
        _num(duration.strip(), part) if duration.strip() else None,
    )
