"""Train a neural residual on virtual-lab data with hidden regulation, and plot what it learned.

The virtual lab's truth is the yeast core model plus a regulation the model lacks (glycerol-3-phosphate
dehydrogenase inhibited by fructose-1,6-bisphosphate) and a 30 % faster ATP turnover. The hybrid gets
a multiplicative residual on the GPD and ATPASE rates, is trained on knockdown time courses, and is
compared with the mechanistic model on a held-out knockdown. Writes a PNG.

    python examples/train_hybrid_virtual_lab.py [--out train_hybrid_virtual_lab.png]   # full
    python examples/train_hybrid_virtual_lab.py --smoke    # seconds-scale settings (CI)
"""

from __future__ import annotations

import argparse

import numpy as np


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--smoke", action="store_true", help="tiny settings for a quick check")
    ap.add_argument("-o", "--out", "--output", dest="output", default="train_hybrid_virtual_lab.png")
    args = ap.parse_args(argv)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import optax

    import yeastcell as yc
    from yeastcell.fit import fit
    from yeastcell.hybrid import attribution, hybridize
    from yeastcell.lab import HiddenRegulation, MeasurementModel, VirtualLab, hidden_truth

    cell = yc.load_cell("yeast_core")
    truth = hidden_truth(
        cell,
        [HiddenRegulation("GPD", "F16BP_c", K_mM=2.0, n=2.0, kind="inhibit")],
        parameter_changes={"ATPASE.KATPASE": 1.3},
        reference="cond:teusink2000",  # the regulation is normalised at the base's steady state
    )
    obs = ["GLY_e", "ETOH_e", "GLC_e", "F16BP_c", "ATP_c"]
    lab = VirtualLab(truth, obs, base="cond:teusink2000", seed=0, measurement=MeasurementModel(sigma_log=0.05))
    times = [0.0, 2.0, 5.0, 10.0] if args.smoke else [0.0, 1.0, 2.0, 5.0, 10.0, 20.0]
    genes = ["PFK1", "HXK2", "TDH3"] if args.smoke else ["PFK1", "HXK2", "TDH3", "PGK1", "CDC19", "FBA1", "ENO2"]
    # one run of the lab (one batched solve of the truth), split into training and held-out conditions
    data = lab.run(["wt"] + [f"kd:{g}=0.5" for g in genes] + ["kd:GPM1=0.5"], times)
    held_out = lab.condition("kd:GPM1=0.5")
    train = data.subset(conditions=[c for c in data.conditions if c != held_out])
    test = data.subset(conditions=[held_out])
    hyb = hybridize(
        cell,
        rate_targets=["GPD", "ATPASE"],
        input_species=["F16BP_c", "ATP_c", "NADH_c"],
        input_genes=genes + ["GPM1"],
        width=2 if args.smoke else 8,  # smoke: 22 weights, forward-mode gradients (compile ~2x faster)
        depth=1,
    )
    res = fit(
        hyb,
        train,
        train="residual",
        optimizer=optax.adam(2e-2),
        epochs=3 if args.smoke else 60,
        sigma_log2=0.1,
        progress=True,
    )
    print(f"training loss {res.history[0]['loss']:.3f} -> {res.loss:.3f} over {len(res.history)} epochs")
    t = np.linspace(times[0], times[-1], 50)
    pert = yc.condition("teusink2000") + yc.knockdown("GPM1", 0.5)
    mech = yc.simulate(cell, pert, t)
    hybt = yc.simulate(res.model, pert, t)
    fig, axes = plt.subplots(1, len(obs), figsize=(3.2 * len(obs), 3))
    for k, (ax, o) in enumerate(zip(axes, obs)):
        m = test.mask[0, :, :, k]
        for r in range(test.values.shape[1]):
            ax.plot(test.times_min[m[r]], test.values[0, r, m[r], k], "k.", label="virtual lab" if r == 0 else None)
        ax.plot(t, mech.species(o), label="mechanistic")
        ax.plot(t, hybt.species(o), "--", label="hybrid")
        ax.set_title(o)
        ax.set_xlabel("min")
    axes[0].set_ylabel("mM")
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(args.output, dpi=120)
    print(f"wrote {args.output}")
    A = attribution(res.model.net, np.asarray(hybt.conc))
    print("which inputs drive which corrections:\n" + A.round(3).to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
