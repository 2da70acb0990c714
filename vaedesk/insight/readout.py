"""The posterior readout under the canvas, as text. No Qt."""

from __future__ import annotations

from vaedesk.model.posterior import Posterior

READOUT_DIMENSIONS = 8  # the readout lists this many dimensions, then says how many more


def describe_posterior(posterior: Posterior) -> str:
    """μ and σ per dimension (the first eight, two to a line) and the KL of a batch-of-one
    posterior; for a plain autoencoder, its code and why there is nothing more."""
    mean, std = posterior.mean[0], posterior.std
    if std is None:
        values = "  ".join(f"z{i + 1}={m:+.2f}" for i, m in enumerate(mean[:READOUT_DIMENSIONS]))
        return (f"{values}\nA plain autoencoder encodes a point, not a distribution: "
                "no variance, nothing to sample, no KL pull toward N(0, I).")
    rows = [f"z{i + 1:<2} μ={m:+.2f} σ={s:.2f}" for i, (m, s) in enumerate(zip(mean, std[0]))]
    if len(rows) > READOUT_DIMENSIONS:
        rows = rows[:READOUT_DIMENSIONS] + [f"… {len(rows) - READOUT_DIMENSIONS} more dimensions"]
    columns = [rows[i] + ("    " + rows[i + 1] if i + 1 < len(rows) else "") for i in range(0, len(rows), 2)]
    return "\n".join(columns) + f"\nKL(q‖N(0,I)) = {float(posterior.kl()[0]):.2f} nats"
