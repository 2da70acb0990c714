"""The glossary: every word of the loss and of the views is explained, found by its key, and
turned into tooltips and links the same way everywhere. Headless."""

from __future__ import annotations

import subprocess
import sys

import pytest

from vaedesk.insight import glossary
from vaedesk.insight.glossary import (
    GLOSSARY,
    GROUPS,
    UnknownTermError,
    keys,
    linked_term,
    status_tip,
    term,
    term_link,
    tooltip,
)

# The words the window shows that a student who has just read a note on VAEs may not know.
REQUIRED = ("nats", "reconstruction", "kl", "neg_elbo", "iwae", "percentile", "prior", "aggregate_posterior",
            "posterior", "beta", "active_unit", "knn5", "pca", "lda", "umap", "latent_space", "manifold", "morph",
            "autoencoder", "vae")


def test_no_term_is_missing_and_every_key_is_listed_once():
    assert set(REQUIRED) <= set(keys())
    assert len(keys()) == len(GLOSSARY) == len(set(keys()))
    assert keys() == tuple(entry.key for entry in GLOSSARY)


@pytest.mark.parametrize("entry", GLOSSARY, ids=lambda entry: entry.key)
def test_every_term_has_a_name_and_one_or_two_sentences(entry):
    assert entry.key.isidentifier() and entry.key == entry.key.lower()
    assert entry.name.strip() == entry.name and entry.name
    assert entry.group in GROUPS
    sentences = entry.text.count(". ") + 1
    assert entry.text.endswith(".") and 1 <= sentences <= 3, entry.text  # "e.g."-free: a ". " ends a sentence
    assert 60 <= len(entry.text) <= 420, len(entry.text)
    assert "\n" not in entry.text and "  " not in entry.text


def test_the_terms_say_what_is_true_of_this_app():
    assert "per drawing" in term("nats").text  # summed, not averaged
    assert "test digits" in term("percentile").text and "−ELBO" in term("percentile").text
    assert "N(0, I)" in term("kl").text and "nats" in term("kl").text
    assert "reconstruction + KL" in term("neg_elbo").text
    assert "five" in term("knn5").text
    assert "μ" in term("posterior").text and "σ" in term("posterior").text
    from vaedesk.insight.diagnostics import ACTIVE_UNIT_VARIANCE

    assert f"{ACTIVE_UNIT_VARIANCE:g}" in term("active_unit").text  # the threshold the app really uses


def test_a_lookup_finds_the_term_and_an_unknown_key_says_which_exist():
    assert term("kl").name == "KL divergence"
    with pytest.raises(UnknownTermError, match=r"no glossary term 'elbo' \(the terms: latent_space, .*umap\)"):
        term("elbo")
    with pytest.raises(KeyError):  # an UnknownTermError is a KeyError too
        term("")
    with pytest.raises(UnknownTermError):
        term(None)  # type: ignore[arg-type]


def test_tooltips_and_status_tips_carry_the_name_and_the_text():
    tip = tooltip("kl")
    assert tip.startswith("<p><b>KL divergence</b>: ") and tip.endswith("</p>")
    assert "q(z|x) ‖ N(0, I)" in tip  # escaped, not dropped
    assert tooltip("percentile").count("<") == tip.count("<")  # the text's own marks are escaped
    assert status_tip("iwae") == f"{term('iwae').name}: {term('iwae').text}"
    assert "\n" not in status_tip("iwae")
    with pytest.raises(UnknownTermError):
        tooltip("nope")


def test_links_point_at_terms_and_are_read_back():
    assert term_link("kl", "KL") == '<a href="glossary:kl">KL</a>'
    assert term_link("neg_elbo") == '<a href="glossary:neg_elbo">−ELBO</a>'
    assert term_link("prior", "N(0, I) & <more>") == '<a href="glossary:prior">N(0, I) &amp; &lt;more&gt;</a>'
    for key in keys():
        assert linked_term(term_link(key).split('"')[1]) == key
    assert linked_term("glossary:unknown") is None
    assert linked_term("https://example.org") is None and linked_term("kl") is None
    with pytest.raises(UnknownTermError):
        term_link("elbo")


@pytest.mark.subprocess
def test_the_glossary_imports_no_qt_and_no_torch():
    code = (f"import sys, {glossary.__name__}; "
            "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'torch'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
