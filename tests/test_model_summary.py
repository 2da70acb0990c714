"""A model described from its card's facts: the Model menu's line and About's opening. Headless."""

from __future__ import annotations

import copy
import json

import pytest

from vaedesk.model.card import read_card
from vaedesk.model.catalog import list_models, model_files, resolve_model_path
from vaedesk.model.summary import model_description, model_summary


def _card(kind: str, latent_dim: int, beta: float | None = 1.0, hidden: int = 512, **extra) -> dict:
    card = {"kind": kind, "latent_dim": latent_dim, "name": extra.pop("name", f"my-{kind}-{latent_dim}d"),
            "architecture": {"name": "conv-v1", "width": 32, "hidden": hidden}, **extra}
    if beta is not None:
        card["training"] = {"beta": beta}
    return card


def _sentences(text: str) -> int:
    return text.count(". ") + 1


@pytest.mark.parametrize("card, summary", [
    (_card("vae", 2), "VAE · 2-D · β 1 — tight posteriors, sharp digits"),
    (_card("vae", 2, beta=4.0, hidden=128), "VAE · 2-D · β 4 — wide posteriors, blurrier digits"),
    (_card("ae", 16, hidden=256), "AE · 16-D · no KL term — N(0, I) draws decode mostly to noise"),
    (_card("ae", 2, hidden=128), "AE · 2-D · no KL term — points, not distributions"),
    (_card("vae", 16), "VAE · 16-D · β 1 — tight posteriors, sharp digits"),
    (_card("vae", 8, beta=0.25), "VAE · 8-D · β 0.25 — tight posteriors, a less regular latent space"),
    (_card("vae", 2, beta=0), "VAE · 2-D · β 0 — no pull toward the prior: an autoencoder with noise"),
    (_card("vae", 2, beta=None), "VAE · 2-D · β 1 — tight posteriors, sharp digits"),  # β as TrainConfig's default
])
def test_the_summary_says_kind_size_beta_and_what_it_shows(card, summary):
    assert model_summary(card) == summary


def test_the_summary_comes_from_the_facts_not_the_name():
    wide = _card("vae", 2, beta=4.0, name="mnist-vae-2d")  # named like the standard one
    assert "wide posteriors" in model_summary(wide) and "β 4" in model_summary(wide)
    ae = _card("ae", 16, beta=1.0, name="mnist-vae-16d")
    assert model_summary(ae).startswith("AE · 16-D · no KL term")  # an AE's card may record β; it had no KL


def test_a_wide_posterior_vae_is_described_for_a_student():
    text = model_description(_card("vae", 2, beta=4.0, hidden=128, name="mnist-vae-2d-beta4"))
    assert text.startswith("mnist-vae-2d-beta4 is a variational autoencoder (VAE) with a 2-dimensional latent")
    for words in ("β = 4", "wide", "visibly different digits", "blurrier", "whole latent space", "128 units"):
        assert words in text, words
    assert 3 <= _sentences(text) <= 5


def test_a_16_d_autoencoder_is_described_for_a_student():
    text = model_description(_card("ae", 16, hidden=256, name="mnist-ae-16d"))
    assert text.startswith("mnist-ae-16d is a plain autoencoder (AE) with a 16-dimensional latent space")
    for words in ("single point", "no KL term", "decode mostly to noise", "Compare it with a VAE", "View → Plane"):
        assert words in text, words
    assert "β" not in text and "small network" not in text
    assert 3 <= _sentences(text) <= 5


def test_active_units_are_said_when_the_card_measured_them():
    card = _card("vae", 16, metrics={"active_units": 13})
    assert "13 of its 16 dimensions are active" in model_description(card)
    assert "active" not in model_description(_card("vae", 16))


@pytest.mark.parametrize("card", [
    {},
    {"kind": "vae", "latent_dim": True, "training": None, "architecture": []},
    {"kind": "ae", "latent_dim": -3, "training": {"beta": "x"}, "metrics": {"active_units": "13"}},
    {"kind": "vae", "latent_dim": 4, "training": {"beta": float("nan")}, "architecture": {"hidden": 64.5}},
])
def test_odd_cards_still_get_words(card):
    before = copy.deepcopy(card)
    assert " · " in model_summary(card)
    assert model_description(card).endswith(".")
    assert json.dumps(card, default=str) == json.dumps(before, default=str)  # the card is left alone


@pytest.mark.parametrize("name", list_models())
def test_each_shipped_model_has_a_summary_and_three_to_five_sentences(name):
    card = read_card(model_files(resolve_model_path(name))[1])
    summary, text = model_summary(card), model_description(card)
    assert summary.startswith(f"{card['kind'].upper()} · {card['latent_dim']}-D · ")
    assert text.startswith(f"{name} is a ") and 3 <= _sentences(text) <= 5
