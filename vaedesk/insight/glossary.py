"""The words of the loss and of the views, each explained in one or two plain sentences. No Qt.

:data:`GLOSSARY` is the one table: Help → Glossary lists it, and the window's labels and
menu entries take their tooltips (:func:`tooltip`, :func:`status_tip`) and their links
(:func:`term_link`) from it, so a term is explained the same way wherever it appears.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from vaedesk.insight.diagnostics import ACTIVE_UNIT_VARIANCE

__all__ = ["GLOSSARY", "GROUPS", "LINK_SCHEME", "Term", "UnknownTermError", "keys", "linked_term", "status_tip",
           "term", "term_link", "tooltip"]

#: A link to a term is ``glossary:KEY`` (e.g. ``<a href="glossary:kl">KL</a>``).
LINK_SCHEME = "glossary"


@dataclass(frozen=True)
class Term:
    """One entry: ``key`` names it in code and links, ``name`` is how the window writes it,
    ``text`` explains it, ``group`` is the heading it is listed under and ``where`` says
    where the window shows it ("" for a word the window does not print as such)."""

    key: str
    name: str
    text: str
    group: str
    where: str = ""


_MODEL, _LOSS, _VIEWS = "The model", "The loss", "The views"
#: The headings, in the order the glossary lists them.
GROUPS = (_MODEL, _LOSS, _VIEWS)

GLOSSARY: tuple[Term, ...] = (
    Term("latent_space", "Latent space",
         "The space of codes z that the encoder maps drawings into and the decoder maps back to images; it has "
         "as many dimensions as the model's latent size. For a 2-D model the plane is the whole latent space; "
         "above two dimensions the plane is a view of it.",
         _MODEL, "the plane in the middle of the window, View → Plane"),
    Term("autoencoder", "Autoencoder (AE)",
         "A network that squeezes a drawing into a code (the encoder) and redraws it from that code (the "
         "decoder), trained only to reconstruct. Its code is a single point and nothing shapes where the codes "
         "lie, so points between or away from them need not decode to digits.",
         _MODEL),
    Term("vae", "Variational autoencoder (VAE)",
         "An autoencoder whose encoder returns a distribution q(z|x) instead of a point, trained on "
         "reconstruction plus a KL term that keeps every posterior near the prior N(0, I). That is why its "
         "latent space is continuous and draws from N(0, I) decode to digits.",
         _MODEL),
    Term("posterior", "Posterior q(z|x), mean μ and spread σ",
         "What a VAE's encoder makes of your drawing x: not one point but a Gaussian, with a mean μ (its "
         "centre) and a spread σ in every latent dimension; the code z is sampled from it. The plane draws μ "
         "with its 1σ and 2σ ellipses, and the samples under the readout are decodings of draws from it.",
         _MODEL, "the Posterior q(z|x) readout under the canvas, and the plane"),
    Term("prior", "Prior N(0, I)",
         "The distribution a VAE generates from: a standard normal over the latent space, mean 0 and spread 1 "
         "in every dimension. The dashed circles on the plane mark its 1σ, 2σ and 3σ.",
         _MODEL, "the dashed circles on the plane, View → Sample the prior, the KL caption"),
    Term("aggregate_posterior", "Aggregate posterior",
         "All the training digits' posteriors taken together: where the encoder really puts codes. The KL "
         "term pulls it toward the prior; where the two differ, draws from the prior land where no training "
         "digit's code lies.",
         _MODEL, "View → Encoded training set density, View → Sample the prior"),
    Term("beta", "β (beta)",
         "The weight of the KL term in a VAE's training loss: reconstruction + β·KL. β = 1 is the standard "
         "VAE; a larger β pulls the posteriors harder toward the prior, so they are wider and overlap more, "
         "the latent space is smoother and the reconstructions blurrier.",
         _MODEL, "the Model menu, beside each model"),
    Term("nats", "nats",
         "The unit of the loss: information measured with the natural logarithm (1 nat ≈ 1.44 bits). Every "
         "loss here is per drawing: summed over its 784 pixels or its latent dimensions, not averaged.",
         _LOSS, "the Distribution tab's loss, the Dimensions tab"),
    Term("reconstruction", "Reconstruction",
         "How badly the decoder redraws your digit from codes z sampled from q(z|x): the binary cross-entropy "
         "between your 28×28 input and the decoding, summed over the pixels, in nats. Lower is a closer copy.",
         _LOSS, "the Distribution tab's loss"),
    Term("kl", "KL divergence",
         "KL(q(z|x) ‖ N(0, I)): how far your drawing's posterior strays from the prior, in nats per drawing, "
         "the sum of one term per latent dimension. It is the price a VAE pays for using its code; a plain "
         "autoencoder has no such term.",
         _LOSS, "the Distribution tab's loss, the posterior readout"),
    Term("neg_elbo", "−ELBO",
         "The negative evidence lower bound: reconstruction + KL, the loss a VAE is trained to make small "
         "(with β·KL for a β-VAE). It is an upper bound on −log p(x), how unlikely the model finds the "
         "drawing; lower is better.",
         _LOSS, "the Distribution tab's loss, the status bar"),
    Term("iwae", "Importance-weighted estimate (IWAE)",
         "An estimate of −log p(x) that averages many samples z ~ q(z|x), each weighted by how much likelier "
         "the prior and the decoder find it than q(z|x) does; it is tighter (lower) than the −ELBO. The gap "
         "between the two is how far q(z|x) is from the true posterior; it is computed when you lift the pen.",
         _LOSS, "the Distribution tab's loss"),
    Term("percentile", "Percentile (how unusual)",
         "How unusual your drawing is for this model: the share of the model's test digits whose −ELBO is "
         "lower than your drawing's. “More unusual than 97% of test digits” means only 3% of them cost the "
         "model more.",
         _LOSS, "the Distribution tab's loss"),
    Term("active_unit", "Active unit (inactive dimension)",
         "A latent dimension the model uses: its posterior mean varies across the test digits (variance above "
         f"{ACTIVE_UNIT_VARIANCE:g}). The KL term switches the dimensions it does not need off: they stay on "
         "the prior, carry nothing and are drawn grey as inactive.",
         _LOSS, "the KL bars in the Distribution tab, the Dimensions tab"),
    Term("manifold", "Manifold",
         "The decoder's picture of the latent space: a grid of points across the plane, each decoded, so you "
         "see which digit every region of the plane stands for.",
         _VIEWS, "View → Manifold overlay"),
    Term("morph", "Morph (interpolation)",
         "A path through the latent space from one code to another, decoded step by step. In a VAE the steps "
         "between two digits look like digits; in a plain autoencoder they need not.",
         _VIEWS, "View → Play morph, the Decode & morph tab"),
    Term("knn5", "5-NN (five nearest neighbours)",
         "A drawing's class by the vote of the five training digits whose posterior means lie nearest to its "
         "own, in every latent dimension. Its accuracy on test digits says how well a model's codes separate "
         "the classes, though the model was never told the labels.",
         _VIEWS, "the Where it landed tab"),
    Term("pca", "PCA (principal components)",
         "A linear view of a latent space above two dimensions: the plane of the two directions along which "
         "the training digits' codes vary most. Distances along the plane are kept; codes far apart in the "
         "hidden directions can overlap.",
         _VIEWS, "View → Plane (Alt+1)"),
    Term("lda", "LDA (linear discriminant analysis)",
         "A linear view that uses the training digits' labels: the plane that best separates the classes. It "
         "shows how separable the digits are, at the price of stretching some distances.",
         _VIEWS, "View → Plane (Alt+2)"),
    Term("umap", "UMAP (neighbourhoods)",
         "A non-linear map that keeps each training digit's code near its nearest neighbours, so clusters "
         "show clearly; distances between clusters and the axes mean little. New codes are placed among the "
         "training codes nearest to them.",
         _VIEWS, "View → Plane (Alt+4)"),
)

_BY_KEY = {entry.key: entry for entry in GLOSSARY}


class UnknownTermError(KeyError):
    """A key that names no glossary term (a KeyError whose message reads plainly)."""

    def __str__(self) -> str:
        return str(self.args[0])


def keys() -> tuple[str, ...]:
    """Every term's key, in the glossary's order."""
    return tuple(_BY_KEY)


def term(key: str) -> Term:
    """The term named ``key``; :class:`UnknownTermError` for a key the glossary does not have."""
    try:
        return _BY_KEY[key]
    except (KeyError, TypeError):
        raise UnknownTermError(f"no glossary term {key!r} (the terms: {', '.join(_BY_KEY)})") from None


def tooltip(key: str) -> str:
    """The term's short explanation as a tooltip: rich text, so that Qt wraps it."""
    entry = term(key)
    return f"<p><b>{html.escape(entry.name)}</b>: {html.escape(entry.text)}</p>"


def status_tip(key: str) -> str:
    """The term's explanation on one plain line (the status bar shows it under a menu entry)."""
    entry = term(key)
    return f"{entry.name}: {entry.text}"


def term_link(key: str, text: str | None = None) -> str:
    """A rich-text link to the term (its name unless ``text``), which Help → Glossary opens at."""
    entry = term(key)
    return f'<a href="{LINK_SCHEME}:{entry.key}">{html.escape(entry.name if text is None else text)}</a>'


def linked_term(link: str) -> str | None:
    """The key a :func:`term_link` link points at; None for any other link or an unknown term."""
    scheme, _, key = link.partition(":")
    return key if scheme == LINK_SCHEME and key in _BY_KEY else None
