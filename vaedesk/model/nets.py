"""The neural networks: a small convolutional encoder and decoder for 28x28 images.

The VAE and the plain autoencoder share this architecture so that their latent spaces can
be compared fairly; the only differences are the encoder's log-variance head and the loss.
"""

from __future__ import annotations

import torch
from torch import nn

from vaedesk.model.card import ARCHITECTURE, KINDS  # noqa: F401  (a card names them; no torch there)


class Encoder(nn.Module):
    """28x28 image -> latent mean (and log-variance for a VAE)."""

    def __init__(self, latent_dim: int, variational: bool, width: int = 32, hidden: int = 512):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, width, 4, stride=2, padding=1),  # 14x14
            nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 4, stride=2, padding=1),  # 7x7
            nn.LeakyReLU(0.2),
            nn.Flatten(),
            nn.Linear(2 * width * 7 * 7, hidden),
            nn.LeakyReLU(0.2),
        )
        self.mean = nn.Linear(hidden, latent_dim)
        self.logvar = nn.Linear(hidden, latent_dim) if variational else None

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        h = self.features(x.unsqueeze(1))
        return self.mean(h), (self.logvar(h) if self.logvar is not None else None)


class Decoder(nn.Module):
    """Latent vector -> logits of Bernoulli pixel probabilities (28x28)."""

    def __init__(self, latent_dim: int, width: int = 32, hidden: int = 512):
        super().__init__()
        self.width = width
        self.dense = nn.Sequential(
            nn.Linear(latent_dim, hidden),
            nn.LeakyReLU(0.2),
            nn.Linear(hidden, hidden),
            nn.LeakyReLU(0.2),
            nn.Linear(hidden, 2 * width * 7 * 7),
            nn.LeakyReLU(0.2),
        )
        self.upsample = nn.Sequential(
            nn.ConvTranspose2d(2 * width, width, 4, stride=2, padding=1),  # 14x14
            nn.LeakyReLU(0.2),
            nn.ConvTranspose2d(width, 1, 4, stride=2, padding=1),  # 28x28
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.dense(z).view(-1, 2 * self.width, 7, 7)
        if not self.training:
            # oneDNN's transposed convolutions run faster on channels-last input, with
            # bit-identical results.
            # Training keeps the default layout, so training runs are unchanged.
            h = h.contiguous(memory_format=torch.channels_last)
        return self.upsample(h).squeeze(1)


class AutoEncoder(nn.Module):
    """A VAE (``kind="vae"``) or a plain deterministic autoencoder (``kind="ae"``)."""

    def __init__(self, kind: str, latent_dim: int, width: int = 32, hidden: int = 512):
        super().__init__()
        if kind not in KINDS:
            raise ValueError(f"unknown model kind {kind!r}; expected one of {KINDS}")
        self.kind = kind
        self.latent_dim = latent_dim
        self.encoder = Encoder(latent_dim, kind == "vae", width, hidden)
        self.decoder = Decoder(latent_dim, width, hidden)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """Return (reconstruction logits, mean, logvar) using one reparameterised sample."""
        mean, logvar = self.encoder(x)
        if logvar is None:
            z = mean
        else:
            z = mean + torch.randn_like(mean) * torch.exp(0.5 * logvar)
        return self.decoder(z), mean, logvar


def kl_to_prior(mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(q(z|x) || N(0, I)) of each row of a diagonal Gaussian, in nats."""
    return 0.5 * (mean.pow(2) + logvar.exp() - 1.0 - logvar).sum(1)


def loss_terms(
    logits: torch.Tensor, target: torch.Tensor, mean: torch.Tensor | None, logvar: torch.Tensor | None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-image reconstruction (BCE summed over pixels) and KL(q(z|x) || N(0, I)), in nats."""
    recon = nn.functional.binary_cross_entropy_with_logits(logits, target, reduction="none").sum((1, 2))
    if mean is None or logvar is None:  # an autoencoder, or the reconstruction term alone
        kl = torch.zeros_like(recon)
    else:
        kl = kl_to_prior(mean, logvar)
    return recon, kl
