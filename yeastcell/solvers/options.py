"""`SolverOptions`: tolerances, step limits, the solver and its step-size controller, as one value.

The solver is a value (`Rodas4P()`, `BatchBDF()`, any diffrax solver); which code integrates a cell
under which solver is decided in one place, `yeastcell.solvers.solve`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import equinox as eqx
import jax.numpy as jnp

from ..exceptions import SimulationInputError
from .bdf import BatchBDF

if TYPE_CHECKING:
    import diffrax


# diffrax is imported where an option needs it, not with this module: `import yeastcell` and a
# stored program's first result in a new process then skip diffrax's import (~0.3 s;
# benchmarks/bench_first_result.py, `yeastcell.simulate`'s default options)
def default_solver() -> diffrax.AbstractSolver:
    """The solver `SolverOptions` uses unless told otherwise: `Rodas4P()`."""
    from .rosenbrock import Rodas4P

    return Rodas4P()


def default_adjoint() -> diffrax.AbstractAdjoint:
    """The adjoint `SolverOptions` uses unless told otherwise: `diffrax.RecursiveCheckpointAdjoint()`."""
    import diffrax

    return diffrax.RecursiveCheckpointAdjoint()


class SolverOptions(eqx.Module):
    """Settings of the ODE solve.

    Attributes:
        rtol, atol: relative and absolute (mM) tolerances of the adaptive step control.
        max_steps: maximum number of solver steps per segment.
        solver: a diffrax solver, or `BatchBDF()`; default `Rodas4P` (yeastcell/solvers/rosenbrock.py: a Rosenbrock method for
            stiff systems, one Jacobian + LU per step, no Newton iteration). For an ESDIRK method use
            `yeastcell.solvers.esdirk(diffrax.Kvaerno5)` (chord-iteration tolerances decoupled
            from rtol/atol; plain `diffrax.Kvaerno5()` takes ~4x more steps on the core model).
        negative_tol: a concentration below ``-negative_tol`` mM marks the trajectory as failed
            (None disables the check, e.g. for SBML models whose variables may be negative).
        max_events: maximum number of state-event executions (SBML events) per trajectory;
            beyond it the status is `Status.TOO_MANY_EVENTS`.
        adjoint: how diffrax differentiates the solve: `RecursiveCheckpointAdjoint` (default,
            reverse mode) or `diffrax.ForwardMode()` (forward sensitivities for `jax.jacfwd`; what
            `yeastcell.fit` uses, see docs/hybrid.md).
        pcoeff, icoeff: the PID step-size controller's proportional and integral coefficients.
            Default: a plain integral controller (0, 1). Measured on the core model (20 perturbed
            100-min Teusink time courses, rtol 1e-6): 231 accepted + 15 rejected steps per trajectory,
            against 292 + 13 with the PI setting (0.3, 0.4) diffrax suggests for stiff problems, and
            the same trajectories to 3.4e-6 relative.
        min_step_fraction: a trajectory fails with `Status.STEP_SIZE_TOO_SMALL` once the step size
            falls below this fraction of the integration interval (CVODE's "t + h = t" failure). A
            state that turned NaN or a finite-time blow-up shrinks the step towards zero; without
            this floor such a trajectory takes zero-length steps until `max_steps`, and under
            `vmap` the whole batch steps with it. 0 disables the floor. Default 1e-14: a step that
            small needs 1e14 steps to cross the interval.
        jacobian: "structured" (default) builds the solver's Jacobian from the reaction structure
            (compressed forward differentiation of the flux vector, yeastcell/solvers/jacobian.py);
            "dense" uses `jax.jacfwd` of the right-hand side. Only Rosenbrock solvers use it.
    """

    rtol: float = eqx.field(static=True, default=1e-7)
    atol: float = eqx.field(static=True, default=1e-10)
    max_steps: int = eqx.field(static=True, default=50_000)
    solver: diffrax.AbstractSolver | BatchBDF = eqx.field(static=True, default_factory=default_solver)
    negative_tol: float | None = eqx.field(static=True, default=1e-6)
    max_events: int = eqx.field(static=True, default=1000)
    adjoint: diffrax.AbstractAdjoint = eqx.field(static=True, default_factory=default_adjoint)
    jacobian: str = eqx.field(static=True, default="structured")
    pcoeff: float = eqx.field(static=True, default=0.0)
    icoeff: float = eqx.field(static=True, default=1.0)
    min_step_fraction: float = eqx.field(static=True, default=1e-14)

    def controller(
        self, span, *, pcoeff: float | None = None, icoeff: float | None = None, dtmax=None
    ) -> diffrax.PIDController:
        """The adaptive step-size controller these options describe, for an interval of length `span`.

        Args:
            span: length of the integration interval (min; may be traced); sets the step floor
                ``min_step_fraction * span``.
            pcoeff, icoeff: override the options' controller coefficients (the SBML path keeps its own).
            dtmax: largest step (min; None: unbounded).
        """
        import diffrax

        dtmin = None if self.min_step_fraction == 0 else self.min_step_fraction * jnp.abs(span)
        return diffrax.PIDController(
            rtol=self.rtol,
            atol=self.atol,
            pcoeff=self.pcoeff if pcoeff is None else pcoeff,
            icoeff=self.icoeff if icoeff is None else icoeff,
            dtmin=dtmin,
            force_dtmin=False,
            dtmax=dtmax,
        )

    def __check_init__(self):
        if not (self.rtol > 0 and self.atol > 0):
            raise SimulationInputError(f"rtol and atol must be positive, got {self.rtol}, {self.atol}")
        if self.max_steps <= 0:
            raise SimulationInputError(f"max_steps must be positive, got {self.max_steps}")
        if not 0 <= self.min_step_fraction < 1:
            raise SimulationInputError(f"min_step_fraction must be in [0, 1), got {self.min_step_fraction}")
        if self.jacobian not in ("structured", "dense"):
            raise SimulationInputError(f"jacobian must be 'structured' or 'dense', got {self.jacobian!r}")
