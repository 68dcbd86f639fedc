"""Rate-law kinds: one vectorised function per kind, evaluated for a whole group of reactions.

Every kind maps gathered concentrations (mM) and parameters to rates (mM/min):

* ``S`` — substrates, shape (n_group, n_substrates), in the direction the parameters are given;
* ``P`` — products, shape (n_group, n_products);
* ``R`` — named roles (e.g. PFK's ATP, AMP), shape (n_group, n_roles);
* ``p`` — canonical parameters, shape (n_group, n_params), order given by `RateLawKind.param_names`;
* ``x`` — static per-reaction exponents (mass action only), shape (n_group, n_substrates + n_products).

The formulas follow Teusink et al. (2000) Eur J Biochem 267:5313 where a kind is named after them.
Parameters arrive in the model file's units and are converted to mM and min by `units.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from .units import CONCENTRATION, RATE

DIMLESS = (0, 0, 0)


def _conc_power(k: float) -> tuple[int, int, int]:
    return (int(k), 0, 0)


@dataclass(frozen=True)
class RateLawKind:
    """A rate-law kind: its parameters, roles and vectorised rate function.

    Attributes:
        name: the `kind:` string of the model file.
        roles: named roles beyond substrates/products (e.g. ``("F6P", "ATP", ...)``).
        n_substrates, n_products: required counts (None = any).
        rate: vectorised ``rate(S, P, R, p, x) -> (n_group,)`` in mM/min.
    """

    name: str
    param_names: Callable[[Sequence[str], Sequence[str]], list[str]]
    param_dims: Callable[[str, Sequence[float], Sequence[float]], tuple[int, int, int]]
    rate: Callable
    roles: tuple[str, ...] = ()
    n_substrates: int | None = None
    n_products: int | None = None
    optional: tuple[str, ...] = ()  # parameters that may be omitted (default given by `canonical`)

    def canonical(self, params: Mapping[str, float], subs: Sequence[str], prods: Sequence[str]) -> dict[str, float]:
        """Return the canonical parameter set (fills Haldane-derived and default parameters)."""
        return _CANONICAL.get(self.name, _identity)(dict(params), subs, prods)


def _identity(p, subs, prods):
    return p


# ---------------------------------------------------------------- mass action
def _ma_names(subs, prods):
    return ["kf", "kr"]


def _ma_dims(name, s_orders, p_orders):
    order = sum(s_orders) if name == "kf" else sum(p_orders)
    return (int(round(1 - order)), -1, 0)


def _prod_powers(B, x):
    """Π_k B[:, k] ** x[:, k]. With concrete integer exponents (stoichiometric orders, the usual case)
    as exact integer powers: ``B ** 1.0`` has an infinite second derivative at B = 0, which turns the
    sensitivities of the stiff solver (whose step differentiates the Jacobian) into NaN whenever a
    species starts at 0."""
    try:
        xe = np.asarray(x)
    except jax.errors.TracerArrayConversionError:  # traced exponents (compiled cells pass numpy)
        return jnp.prod(B**x, axis=1)
    if xe.size == 0 or not np.all(xe == np.round(xe)) or np.any(xe < 0):
        return jnp.prod(B**x, axis=1)
    out = jnp.zeros_like(B)
    for e in np.unique(xe).astype(int):
        out = out + np.asarray(xe == e, dtype=float) * jax.lax.integer_pow(B, int(e))
    return jnp.prod(out, axis=1)


def _ma_rate(S, P, R, p, x):
    ns = S.shape[1]
    fwd = p[:, 0] * _prod_powers(S, x[:, :ns])
    rev = p[:, 1] * _prod_powers(P, x[:, ns:])
    return fwd - rev


def _ma_canonical(p, subs, prods):
    p.setdefault("kr", 0.0)
    return p


# ---------------------------------------------------------------- Michaelis-Menten family
def _imm_names(subs, prods):
    return ["Vmax"] + [f"Km_{s}" for s in subs]


def _imm_rate(S, P, R, p, x):
    K = p[:, 1:]
    return p[:, 0] * jnp.prod(S / (K + S), axis=1)


def _rmm_names(subs, prods):
    return ["Vmax", "Keq"] + [f"Km_{s}" for s in subs] + [f"Km_{q}" for q in prods]


def _std_dims(name, s_orders, p_orders):
    if name in ("Vmax", "Vmax_r"):
        return RATE
    if name == "Keq":
        return _conc_power(len(p_orders) - len(s_orders))
    if name.startswith(("Km_", "Ki_", "Ka_")) or name == "K":
        return CONCENTRATION
    return DIMLESS


def _rmm_rate(S, P, R, p, x):
    ns = S.shape[1]
    Vmax, Keq = p[:, 0], p[:, 1]
    KS, KP = p[:, 2 : 2 + ns], p[:, 2 + ns :]
    num = Vmax / jnp.prod(KS, axis=1) * (jnp.prod(S, axis=1) - jnp.prod(P, axis=1) / Keq)
    den = jnp.prod(1.0 + S / KS + P / KP, axis=1)
    return num / den


def _haldane(p, subs, prods):
    """Complete {Vmax, Keq} from any two of Vmax, Vmax_r, Keq (Haldane relation)."""
    return _haldane_named(p, [f"Km_{s}" for s in subs], [f"Km_{q}" for q in prods])


def _tri_haldane(p, subs, prods):
    return _haldane_named(p, ["Km_A"] + (["Km_B"] if "Km_B" in p else []), ["Km_P", "Km_Q"])


def _haldane_named(p, ks_names, kp_names):
    """Haldane: Keq = Vmax·ΠKm_products / (Vmax_r·ΠKm_substrates); fills the missing one of Vmax, Keq."""
    ks = 1.0
    for n in ks_names:
        ks *= p[n]
    kp = 1.0
    for n in kp_names:
        kp *= p[n]
    has = {k for k in ("Vmax", "Vmax_r", "Keq") if k in p}
    if has == {"Vmax", "Vmax_r"}:
        p["Keq"] = p["Vmax"] * kp / (p["Vmax_r"] * ks)
    elif has == {"Vmax_r", "Keq"}:
        p["Vmax"] = p["Vmax_r"] * p["Keq"] * ks / kp
    p.pop("Vmax_r", None)
    return p


# ---------------------------------------------------------------- Hill
def _hill_rate(S, P, R, p, x):
    pos = S[:, 0] > 0  # (S/K)**n at S = 0: d/dn = 0·log 0 would be NaN; the rate is 0 there
    r = jnp.where(pos, (jnp.where(pos, S[:, 0], 1.0) / p[:, 1]) ** p[:, 2], 0.0)
    return p[:, 0] * r / (1.0 + r)


# ---------------------------------------------------------------- facilitated transport (Teusink GLT)
def _ft_rate(S, P, R, p, x):
    Vmax, Ko, Ki, Keq, alpha = (p[:, i] for i in range(5))
    So, Si = S[:, 0], P[:, 0]
    return Vmax / Ko * (So - Si / Keq) / (1.0 + So / Ko + Si / Ki + alpha * So * Si / (Ko * Ki))


def _ft_dims(name, s, q):
    return {"Vmax": RATE, "Km_out": CONCENTRATION, "Km_in": CONCENTRATION}.get(name, DIMLESS)


def _ft_canonical(p, subs, prods):
    p.setdefault("alpha", 0.0)
    p.setdefault("Keq", 1.0)
    return p


# ---------------------------------------------------------------- ordered uni-bi (Teusink ALD)
def _oub_rate(S, P, R, p, x):
    Vmax, Keq, KA, KP, KQ, KiP = (p[:, i] for i in range(6))
    A, Pp, Q = S[:, 0], P[:, 0], P[:, 1]
    den = 1.0 + A / KA + Pp / KP + Q / KQ + Pp * Q / (KP * KQ) + A * Pp / (KiP * KA)
    return Vmax / KA * (A - Pp * Q / Keq) / den


def _named_dims(name, s, q):
    if name in ("Vmax", "Vmax_r"):
        return RATE
    if name == "Keq":
        return _conc_power(len(q) - len(s))
    if name.startswith(("Km_", "Ki_", "K_")):
        return CONCENTRATION
    return DIMLESS


# ---------------------------------------------------------------- ordered bi-bi (Teusink ADH)
def _obb_rate(S, P, R, p, x):
    Vmax, Keq, KA, KB, KP, KQ, KiA, KiB, KiP, KiQ = (p[:, i] for i in range(10))
    A, B, Pp, Q = S[:, 0], S[:, 1], P[:, 0], P[:, 1]
    den = (
        1.0
        + A / KiA
        + KA * B / (KiA * KB)
        + KQ * Pp / (KiQ * KP)
        + Q / KiQ
        + A * B / (KiA * KB)
        + KQ * A * Pp / (KiA * KiQ * KP)
        + KA * B * Q / (KiA * KB * KiQ)
        + Pp * Q / (KiQ * KP)
        + A * B * Pp / (KiA * KB * KiP)
        + B * Pp * Q / (KiB * KiQ * KP)
    )
    return Vmax / (KiA * KB) * (A * B - Pp * Q / Keq) / den


# ---------------------------------------------------------------- PFK (Teusink 2000)
PFK_ROLES = ("F6P", "ATP", "AMP", "F26BP", "F16BP")
PFK_PARAMS = [
    "Vmax",
    "gR",
    "Km_F6P",
    "Km_ATP",
    "L0",
    "Ci_ATP",
    "Ki_ATP",
    "C_AMP",
    "K_AMP",
    "C_F26BP",
    "K_F26BP",
    "C_F16BP",
    "K_F16BP",
    "C_ATP",
]


def _pfk_rate(S, P, R, p, x):
    (Vmax, gR, KF6P, KATP, L0, CiATP, KiATP, CAMP, KAMP, CF26, KF26, CF16, KF16, CATP) = (p[:, i] for i in range(14))
    F6, AT, AM, F26, F16 = (R[:, i] for i in range(5))
    f, a = F6 / KF6P, AT / KATP
    Rr = 1.0 + f + a + gR * f * a
    T = 1.0 + CATP * a
    L = (
        L0
        * ((1.0 + CiATP * AT / KiATP) / (1.0 + AT / KiATP)) ** 2
        * ((1.0 + CAMP * AM / KAMP) / (1.0 + AM / KAMP)) ** 2
        * ((1.0 + CF26 * F26 / KF26 + CF16 * F16 / KF16) / (1.0 + F26 / KF26 + F16 / KF16)) ** 2
    )
    return Vmax * gR * f * a * Rr / (Rr**2 + L * T**2)


KINDS: dict[str, RateLawKind] = {
    k.name: k
    for k in [
        RateLawKind("mass_action", _ma_names, _ma_dims, _ma_rate, optional=("kr",)),
        RateLawKind("irreversible_mm", _imm_names, _std_dims, _imm_rate),
        RateLawKind("reversible_mm", _rmm_names, _std_dims, _rmm_rate),
        RateLawKind("hill", lambda s, q: ["Vmax", "K", "n"], _std_dims, _hill_rate, n_substrates=1),
        RateLawKind(
            "facilitated_transport",
            lambda s, q: ["Vmax", "Km_out", "Km_in", "Keq", "alpha"],
            _ft_dims,
            _ft_rate,
            n_substrates=1,
            n_products=1,
            optional=("Keq", "alpha"),
        ),
        RateLawKind(
            "ordered_uni_bi",
            lambda s, q: ["Vmax", "Keq", "Km_A", "Km_P", "Km_Q", "Ki_P"],
            _named_dims,
            _oub_rate,
            n_substrates=1,
            n_products=2,
        ),
        RateLawKind(
            "ordered_bi_bi",
            lambda s, q: ["Vmax", "Keq", "Km_A", "Km_B", "Km_P", "Km_Q", "Ki_A", "Ki_B", "Ki_P", "Ki_Q"],
            _named_dims,
            _obb_rate,
            n_substrates=2,
            n_products=2,
        ),
        RateLawKind("pfk_allosteric", lambda s, q: list(PFK_PARAMS), _named_dims, _pfk_rate, roles=PFK_ROLES),
    ]
}
EXPRESSION_KIND = "expression"
# kinds whose parameter set may be given as {Vmax_r, Keq} or {Vmax, Vmax_r}
_CANONICAL = {
    "mass_action": _ma_canonical,
    "reversible_mm": _haldane,
    "facilitated_transport": _ft_canonical,
    "ordered_uni_bi": _tri_haldane,
    "ordered_bi_bi": _tri_haldane,
}
HALDANE_KINDS = ("reversible_mm", "ordered_uni_bi", "ordered_bi_bi")


def modifier_factor(kind: str, conc, K):
    """General modifier factor: inhibitor 1/(1+I/Ki), activator A/(Ka+A) (dimensionless)."""
    return jnp.where(kind == 0, 1.0 / (1.0 + conc / K), conc / (K + conc))
