"""The Markdown model card (NAME.md): made from the JSON card, written by training, shipped."""

from __future__ import annotations

import json
import re

import pytest

from vaedesk.model.card_markdown import body, card_markdown_for, markdown_card, markdown_file, write_markdown_card
from vaedesk.model.model import list_models, load_model

from tests.support.paths import REPO


def _front(markdown: str) -> str:
    match = re.match(r"---\n(.*?\n)---\n", markdown, re.DOTALL)
    assert match, markdown[:200]
    return match.group(1)


def _card(**fields):
    card = json.loads((REPO / "models" / "mnist-vae-2d.json").read_text(encoding="utf-8"))
    card.update(fields)
    return card


def test_front_matter_and_sections_hugging_face_style():
    card = _card()
    markdown = markdown_card(card)
    front = _front(markdown)
    for line in ("license: mit", "library_name: vaedesk", '- "ylecun/mnist"', '- "variational-autoencoder"',
                 f'weights_sha256: "{card["weights_sha256"]}"', f"      value: {card['metrics']['neg_elbo']}"):
        assert line in front.splitlines(), line
    for heading in ("# mnist-vae-2d", "## Model", "## Intended use", "## Limitations", "## Training",
                    "## Evaluation", "## Licence"):
        assert f"\n{heading}\n" in markdown, heading
    assert f"```bash\n{card['command']}\n```" in markdown
    assert "```bash\nvaedesk eval --model mnist-vae-2d\n```" in markdown
    assert f"| seed | {card['seed']} |" in markdown and f"| epochs | {card['epochs']} |" in markdown
    assert "Yann LeCun, Corinna Cortes and Christopher J.C. Burges" in markdown and "CC BY-SA 3.0" in markdown
    assert "MIT" in markdown
    assert body(markdown).startswith("# mnist-vae-2d\n")


def test_an_autoencoder_and_other_data():
    card = _card(kind="ae", dataset="quickdraw-cat", metrics={"recon": 100.5},
                 training={"data_dir": "/data/cats", "seed": 3})
    markdown = markdown_card(card)
    assert '"autoencoder"' in _front(markdown) and "ylecun/mnist" not in markdown
    assert "```bash\nvaedesk eval --model mnist-vae-2d --data /data/cats\n```" in markdown
    assert "CC BY-SA" not in markdown and "it is there to compare with a VAE" in markdown


def test_untrusted_card_text_stays_text():
    card = _card(name="x](file:///etc/passwd) <img src=a> *b* | c", command="echo ```\n## not a heading",
                 dataset="<b>bold</b>")
    markdown = markdown_card(card)
    assert "````bash\necho ``` ## not a heading\n````" in markdown  # the fence outgrows the backticks
    shown = re.sub(r"(`{3,})bash\n.*?\n\1\n", "", body(markdown), flags=re.DOTALL)  # code blocks are literal
    for construct in (r"<img", r"<b>", r"\]\(file", r"\*b\*", r"\| c(\.|$)"):
        assert not re.search(r"(?<!\\)" + construct, shown, re.MULTILINE), construct
    assert r"\<img src=a\>" in shown  # shown as the text it is
    assert "\n## not a heading" not in shown  # a new line in a value does not start one
    front = _front(markdown)
    assert "- name: " + json.dumps(card["name"]) in front  # YAML reads a JSON string as the same string


def test_training_writes_the_markdown_card_beside_the_model(tiny_model, tmp_path, monkeypatch):
    from vaedesk.training.saving import save_and_evaluate

    monkeypatch.setattr("vaedesk.insight.evaluation.evaluate",
                        lambda *a, **k: {"neg_elbo": 1.5, "recon": 1.0, "kl": 0.5})
    path = save_and_evaluate(load_model(tiny_model.path), tmp_path / "m")
    md = markdown_file(path)
    assert md == tmp_path / "m.md"
    card = json.loads(path.with_suffix(".json").read_text())
    assert md.read_text(encoding="utf-8") == markdown_card(card)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary left


def test_the_window_gets_the_file_when_it_belongs_to_the_weights(tiny_model, tmp_path):
    path = tiny_model.save(tmp_path / "m")
    card = load_model(path).card
    assert card_markdown_for(path, card) == markdown_card(card)  # none written: made now
    write_markdown_card(path, card)
    edited = markdown_file(path).read_text(encoding="utf-8") + "\nNotes by the author.\n"
    markdown_file(path).write_text(edited, encoding="utf-8")
    assert card_markdown_for(path, card) == edited
    other = dict(card, weights_sha256="0" * 64)  # new weights saved under the same name
    assert card_markdown_for(path, other) == markdown_card(other)
    markdown_file(path).write_bytes(b"\xff\xfe not text")
    assert card_markdown_for(path, card) == markdown_card(card)


def test_the_notes_say_what_sets_a_model_apart_and_an_autoencoder_no_prior():
    card = {"name": "m", "kind": "ae", "latent_dim": 16,
            "architecture": {"name": "conv-v1", "width": 32, "hidden": 128},
            "notes": "The recipe of mnist-vae-16d without the KL term."}
    markdown = markdown_card(card)
    assert "\n\nThe recipe of mnist-vae-16d without the KL term.\n\n## Intended use" in markdown
    assert "points drawn from N(0, I) are not what it learnt to decode" in markdown
    assert "samples from the prior are plausible" not in markdown


@pytest.mark.parametrize("name", ["mnist-vae-2d", "mnist-vae-16d", "mnist-ae-2d", "mnist-vae-2d-beta4", "mnist-ae-16d"])
def test_each_shipped_model_has_its_current_markdown_card(name):
    assert name in list_models()
    card = json.loads((REPO / "models" / f"{name}.json").read_text(encoding="utf-8"))
    md = REPO / "models" / f"{name}.md"
    assert md.read_text(encoding="utf-8") == markdown_card(card), (
        f"models/{name}.md is not the card of models/{name}.json; regenerate it with "
        f"python -c 'import json, vaedesk.model.card_markdown as m; m.write_markdown_card(\"models/{name}\", "
        f"json.load(open(\"models/{name}.json\")))'")
