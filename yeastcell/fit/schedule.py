"""The optimiser that trains neural residuals: Adam with clipped gradients and a cosine-decaying step.

A constant step of 1e-2..2e-2 overshoots once a residual fit nears the noise floor (the validation
loss climbs back after ~5 epochs, docs/hybrid.md); decaying it over the planned number of steps and
clipping the gradient's global norm at 1 keeps the first steps through a stiff solve from throwing
the weights far off.
"""

from __future__ import annotations


def residual_optimizer(learning_rate: float, steps: int, final_fraction: float = 0.02):
    """optax transformation: clip the global gradient norm at 1, then Adam whose step decays from
    `learning_rate` to `final_fraction` × `learning_rate` over `steps` updates (cosine).

    Args:
        learning_rate: first step size (in the trained weights' own units, dimensionless).
        steps: number of optimiser updates planned (epochs × minibatches per epoch), >= 1.
        final_fraction: step size at the end, as a fraction of the first, in (0, 1].
    """
    import optax

    if not steps >= 1:
        raise ValueError(f"steps must be >= 1, got {steps!r}")
    if not (learning_rate > 0 and 0 < final_fraction <= 1):
        raise ValueError(
            f"learning_rate must be > 0 and final_fraction in (0, 1], got {learning_rate!r}, {final_fraction!r}"
        )
    return optax.chain(
        optax.clip_by_global_norm(1.0),
        optax.adam(optax.cosine_decay_schedule(learning_rate, int(steps), final_fraction)),
    )
