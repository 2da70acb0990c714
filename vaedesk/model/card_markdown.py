"""A model's card as Markdown, in the style of a Hugging Face model card: YAML front matter
(licence, data set, tags, metrics) and sections on the model, its intended use, its limits,
its training, its evaluation and the licences. Made from the JSON card by pure code (no Qt,
no PyTorch); ``vaedesk train`` writes it beside the model and the window shows it (Help →
About).

It is ``NAME.md`` beside ``NAME.safetensors`` and ``NAME.json``: one folder holds several
models, so the Hub's single ``README.md`` cannot be each one's card, and the shared stem
keeps the three files together when they are copied (to publish a model on the Hub, upload
``NAME.md`` as its ``README.md``). Its front matter repeats the weights' SHA-256, so a card
left behind by an earlier model of the same name is recognised and not shown.

Card values are untrusted text (a user's model may come from anywhere): every one is escaped
for Markdown, and for YAML written as a JSON string (which YAML reads as the same string).
"""

from __future__ import annotations

import json
import math
import os
import re
import shlex
from pathlib import Path
from typing import Any

from vaedesk.errors import ModelError
from vaedesk.model.catalog import model_files
from vaedesk.support.atomic import atomic_path
from vaedesk.support.limits import CARD_LIMIT
from vaedesk.support.safe_read import read_limited

MARKDOWN_SUFFIX = ".md"
# Hugging Face data set ids of the data sets vaedesk names (vaedesk.data.datasets.dataset_name).
HUB_DATASETS = {"mnist": "ylecun/mnist", "fashion-mnist": "zalando-datasets/fashion_mnist"}
MNIST_CREDIT = ("MNIST is by Yann LeCun, Corinna Cortes and Christopher J.C. Burges, licensed under the "
                "Creative Commons Attribution-Share Alike 3.0 licence (CC BY-SA 3.0, "
                "https://creativecommons.org/licenses/by-sa/3.0/).")

# Metric key -> (Hub metric type, what it is); in the order shown.
METRICS = {
    "neg_elbo": ("neg_elbo", "Test negative ELBO (nats per image; lower is better)"),
    "recon": ("reconstruction_bce", "Reconstruction: binary cross-entropy summed over pixels (nats)"),
    "kl": ("kl_divergence", "KL divergence to the prior N(0, I) (nats)"),
    "active_units": ("active_units", "Active latent units"),
    "knn5_test": ("accuracy", "5-NN accuracy of the test digits' latent means"),
    "knn5_drawings": ("accuracy", "5-NN accuracy of synthetic mouse drawings (training family)"),
    "knn5_heldout": ("accuracy", "5-NN accuracy of held-out drawn digits"),
}
_FRONT = re.compile(r"\A---\n(.*?\n)---\n", re.DOTALL)
_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()<>|!~&])")  # all that can start a construct inside a line
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


def markdown_file(path: str | os.PathLike) -> Path:
    """``NAME.md`` for a model named by either of its files or its stem."""
    weights = model_files(Path(path))[0]
    return weights.with_name(weights.name.removesuffix(".safetensors") + MARKDOWN_SUFFIX)


def text(value: Any) -> str:
    """Any card value as Markdown inside a line that shows exactly its text: one line, the
    marks that could start emphasis, code, a link, an image, HTML or a table cell escaped."""
    return _PUNCTUATION.sub(r"\\\1", _CONTROL.sub(" ", str(value)))


def _code_block(value: str) -> str:
    """A fenced code block for ``value``, its fence longer than any run of backticks in it."""
    longest = max((len(run) for run in re.findall(r"`+", value)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}bash\n{_CONTROL.sub(' ', value)}\n{fence}"


def _yaml(value: Any) -> str:
    return json.dumps(value)  # a JSON string or number is the same value in YAML


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return text(value)
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.7g}" if math.isfinite(value) else text(value)


def _dataset(card: dict[str, Any]) -> str:
    return str(card.get("dataset") or "unknown")


def _dataset_title(card: dict[str, Any]) -> str:
    dataset = _dataset(card)
    return {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}.get(dataset, dataset)


def _eval_command(card: dict[str, Any]) -> str:
    name = str(card.get("name", "NAME"))
    data_dir = (card.get("training") or {}).get("data_dir")
    command = f"vaedesk eval --model {shlex.quote(name)}"
    return command + (f" --data {shlex.quote(str(data_dir))}" if data_dir else "")


def _front_matter(card: dict[str, Any]) -> list[str]:
    kind, dataset = card.get("kind"), _dataset(card)
    tags = ["vaedesk", "pytorch", "safetensors", "image-generation",
            "variational-autoencoder" if kind == "vae" else "autoencoder", dataset]
    lines = ["---", "license: mit", "library_name: vaedesk", "pipeline_tag: unconditional-image-generation", "tags:"]
    lines += [f"- {_yaml(tag)}" for tag in tags]
    if dataset in HUB_DATASETS:
        lines += ["datasets:", f"- {_yaml(HUB_DATASETS[dataset])}"]
    given = card.get("metrics") or {}
    metrics = {k: given[k] for k in METRICS if isinstance(given.get(k), (int, float))
               and not isinstance(given[k], bool) and math.isfinite(given[k])}
    if metrics:
        lines += ["metrics:"] + [f"- {_yaml(kind)}" for kind in dict.fromkeys(METRICS[k][0] for k in metrics)]
        lines += ["model-index:", f"- name: {_yaml(str(card.get('name', 'model')))}", "  results:",
                  "  - task:", "      type: unconditional-image-generation", "    dataset:",
                  f"      name: {_yaml(dataset)}", f"      type: {_yaml(HUB_DATASETS.get(dataset, dataset))}",
                  "      split: test", "    metrics:"]
        for key, value in metrics.items():
            lines += [f"    - type: {_yaml(METRICS[key][0])}", f"      name: {_yaml(METRICS[key][1])}",
                      f"      value: {_yaml(value)}"]
    if card.get("weights_sha256"):
        lines.append(f"weights_sha256: {_yaml(str(card['weights_sha256']))}")
    lines.append("---")
    return lines


def _training(card: dict[str, Any]) -> list[str]:
    training = card.get("training") or {}
    lines = ["## Training", ""]
    if card.get("command"):
        lines += ["Trained with:", "", _code_block(str(card["command"])), ""]
    rows = [("seed", card.get("seed", training.get("seed"))), ("epochs", card.get("epochs", training.get("epochs"))),
            ("batch size", training.get("batch_size")), ("learning rate", training.get("lr")),
            ("β (weight of the KL term)", training.get("beta") if card.get("kind") == "vae" else None),
            ("distorted share of each batch", training.get("augment")),
            ("synthetic drawings share", training.get("sketches")),
            ("jittered share of each batch (input and target)", training.get("jitter") or None),
            ("moving average of the weights, decay per step", training.get("ema") or None),
            ("data", _dataset_title(card)), ("training time (s)", card.get("train_seconds")),
            ("threads", card.get("threads")), ("device", card.get("device")),
            ("vaedesk", card.get("vaedesk_version")), ("PyTorch", card.get("torch_version")),
            ("saved", card.get("created"))]
    rows = [(label, value) for label, value in rows if value is not None]
    if rows:
        lines += ["| setting | value |", "|---|---|"]
        lines += [f"| {text(label)} | {_number(value)} |" for label, value in rows] + [""]
    parents: list[dict] = []
    parent = card.get("fine_tuned_from")
    while isinstance(parent, dict) and len(parents) < 100:
        parents.append(parent)
        parent = parent.get("fine_tuned_from")
    if parents:
        lines += ["Fine-tuned from earlier weights; the commands, oldest first:", ""]
        for number, ancestor in enumerate(reversed(parents), 1):
            command = ancestor.get("command")
            lines.append(f"{number}. {text(command or '(not recorded)')}")
        lines.append("")
    return lines


def _evaluation(card: dict[str, Any]) -> list[str]:
    metrics = card.get("metrics") or {}
    lines = ["## Evaluation", ""]
    if not metrics:
        return lines + ["Not measured yet: `vaedesk eval --model NAME` measures it.", ""]
    lines += ["Measured with (seed 0, on the 10,000 test images; the same measurement `vaedesk train` makes "
              "when it saves a model):", "", _code_block(_eval_command(card)), "",
              "| metric | value |", "|---|---|"]
    for key in list(METRICS) + sorted(k for k in metrics if k not in METRICS):
        if key in metrics:
            label = METRICS[key][1] if key in METRICS else key
            lines.append(f"| {text(label)} | {_number(metrics[key])} |")
    lines += ["", "5-NN: a 5-nearest-neighbour vote among the latent means of the 60,000 training images. "
              "The drawn digits (digit data only) pass through the app's own preprocessing.", ""]
    return lines


def markdown_card(card: dict[str, Any]) -> str:
    """The Markdown model card (front matter and sections) of a JSON card."""
    name, kind, dataset = str(card.get("name", "model")), card.get("kind"), _dataset(card)
    latent = card.get("latent_dim")
    arch = card.get("architecture") or {}
    what = "variational autoencoder (VAE)" if kind == "vae" else "plain (deterministic) autoencoder"
    mnist = dataset == "mnist"
    lines = _front_matter(card) + ["", f"# {text(name)}", "",
                                   f"A {text(what)} with a {text(latent)}-dimensional latent space, trained on "
                                   f"{text(_dataset_title(card))} images (28×28, grey levels in [0, 1]), for "
                                   "vaedesk: explore "
                                   "a VAE by drawing.", "",
                                   "## Model", "",
                                   "| | |", "|---|---|",
                                   f"| kind | {text(kind)} |", f"| latent dimensions | {text(latent)} |",
                                   f"| architecture | {text(arch.get('name'))}: convolution width "
                                   f"{text(arch.get('width'))}, dense units {text(arch.get('hidden'))} |",
                                   f"| weights | {text(name + '.safetensors')}, "
                                   f"{text(card.get('weights_dtype', 'float32'))} (loaded as float32) |"]
    if card.get("weights_sha256"):
        lines.append(f"| SHA-256 of the weights | {text(card['weights_sha256'])} |")
    lines += ["", "The encoder maps an image to " + (
        "a diagonal Gaussian posterior q(z|x); the decoder maps a latent point to Bernoulli pixel probabilities. "
        "The loss is the reconstruction (binary cross-entropy) plus the KL divergence to the prior N(0, I)."
        if kind == "vae" else
        "a single latent point; the decoder maps it back to pixel probabilities. The loss is the reconstruction "
        "alone (no prior), so its latent space has gaps: it is there to compare with a VAE."), ""]
    if card.get("notes"):
        lines += [text(card["notes"]), ""]
    lines += ["## Intended use", "",
              "Teaching and exploring what a variational autoencoder learns, in the vaedesk desktop app: draw "
              "a digit and see its posterior, browse the latent plane, decode any point, morph between "
              "drawings. Also from Python (`vaedesk.load_model`) and the command line (`vaedesk eval`).", "",
              "## Limitations", "",
              f"- It knows only what {text(_dataset_title(card))} shows: centred 28×28 images, white ink on "
              "black. Other pictures must be preprocessed as the app does (`vaedesk.preprocess_strokes` for drawings).",
              "- It is not a classifier: the 5-NN accuracies below measure how well classes separate in its "
              "latent space, nothing more.",
              "- A small latent space reconstructs blurrily; samples from the prior are plausible, not sharp."
              if kind == "vae" else
              "- It has no prior: points drawn from N(0, I) are not what it learnt to decode, and above two "
              "dimensions they mostly decode to blurs.",
              "- MNIST's digits were written by American Census Bureau employees and high-school students; "
              "other handwriting styles land less well." if mnist else
              "- Its data's biases are its own: it was not measured beyond its test split.",
              "- Not for any decision about people.", ""]
    lines += _training(card) + _evaluation(card)
    lines += ["## Licence", "", "vaedesk's code is under the MIT licence."]
    if mnist:
        lines += ["", f"The model was trained on MNIST. {MNIST_CREDIT}"]
    else:
        lines += ["", "The model was trained on the data named above, under that data's own licence."]
    return "\n".join(lines) + "\n"


def _committed_sha(markdown: str) -> str | None:
    front = _FRONT.match(markdown)
    if front is None:
        return None
    found = re.search(r"^weights_sha256: \"([0-9a-f]{64})\"$", front.group(1), re.MULTILINE)
    return found.group(1) if found else None


def body(markdown: str) -> str:
    """The Markdown without its YAML front matter (what a reader is shown)."""
    front = _FRONT.match(markdown)
    return markdown[front.end():].lstrip("\n") if front else markdown


def write_markdown_card(path: str | os.PathLike, card: dict[str, Any]) -> Path:
    """Write ``card``'s Markdown card beside the model at ``path`` (atomically)."""
    target = markdown_file(path)
    with atomic_path(target) as tmp:
        tmp.write_text(markdown_card(card), encoding="utf-8")
    return target


def card_markdown_for(path: str | os.PathLike | None, card: dict[str, Any]) -> str:
    """The model's Markdown card: its ``NAME.md`` when that belongs to these weights (same
    SHA-256), else one made from its JSON card now (a user's model from before the Markdown
    cards, or one whose card was left behind by earlier weights)."""
    if path is not None:
        try:
            markdown = read_limited(markdown_file(path), CARD_LIMIT, ModelError, "model card").decode("utf-8")
        except (ModelError, OSError, UnicodeDecodeError):
            markdown = None
        if markdown is not None and card.get("weights_sha256") and _committed_sha(markdown) == card["weights_sha256"]:
            return markdown
    return markdown_card(card)
