"""Fairness check for the held-out drawn digits: are they readable as their digits?

    python benchmarks/heldout_readability.py
    python benchmarks/heldout_readability.py --data /tmp/x.json.gz --cache /tmp/cnn.pt

Trains a small CNN on clean MNIST train (fixed seed, one thread, a few minutes), then
reports its accuracy on MNIST test and on the held-out drawings after
``vaedesk.preprocess_strokes``, overall and per digit.  People's drawings are readable
digits, so a fair set scores a little below MNIST test (the target is 0.93-0.97): much lower
means the generator draws shapes that are not the digit, near 1.00 means the set is too tame.

Also writes two contact sheets: 10 x 10 preprocessed drawings (row = digit) and the raw
strokes at canvas scale (one row per digit).
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw
from torch import nn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vaedesk.data.datasets import load_split
from vaedesk.data.strokes import preprocess_strokes

DEFAULT_DATA = ROOT / "resources" / "data" / "drawn-digits" / "heldout.json.gz"


def make_net() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10),
    )


def train(images: np.ndarray, labels: np.ndarray, epochs: int, seed: int) -> nn.Module:
    torch.manual_seed(seed)
    net = make_net()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x = torch.from_numpy(images[:, None])
    y = torch.from_numpy(labels)
    gen = torch.Generator().manual_seed(seed)
    for epoch in range(epochs):
        start = time.time()
        order = torch.randperm(len(x), generator=gen)
        net.train()
        for i in range(0, len(x), 128):
            idx = order[i:i + 128]
            loss = nn.functional.cross_entropy(net(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"epoch {epoch + 1}/{epochs}: loss {loss.item():.3f} ({time.time() - start:.0f} s)")
    return net


@torch.no_grad()
def predict(net: nn.Module, images: np.ndarray) -> np.ndarray:
    net.eval()
    out = [net(torch.from_numpy(images[i:i + 1000, None])).argmax(1).numpy()
           for i in range(0, len(images), 1000)]
    return np.concatenate(out)


def load_drawings(path: Path) -> dict:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return json.load(f)


def contact_sheet(images: np.ndarray, labels: np.ndarray, path: Path, per_row: int = 10) -> None:
    rows = []
    for d in range(10):
        picks = images[labels == d][:per_row]
        rows.append(np.concatenate([np.pad(im, 1, constant_values=0.3) for im in picks], axis=1))
    sheet = np.concatenate(rows, axis=0)
    Image.fromarray((sheet * 255).astype(np.uint8)).resize(
        (sheet.shape[1] * 3, sheet.shape[0] * 3), Image.NEAREST).save(path)


def raw_sheet(drawings: list[dict], path: Path, canvas: int, per_row: int = 8, cell: int = 140) -> None:
    """Raw strokes at canvas scale (shrunk to cell px), events as dots, one row per digit."""
    img = Image.new("RGB", (per_row * cell, 10 * cell), "white")
    draw = ImageDraw.Draw(img)
    k = cell / canvas
    for d in range(10):
        picks = [dr for dr in drawings if dr["label"] == d][:per_row]
        for j, dr in enumerate(picks):
            ox, oy = j * cell, d * cell
            draw.rectangle([ox, oy, ox + cell - 1, oy + cell - 1], outline=(200, 200, 200))
            for stroke in dr["strokes"]:
                pts = [(ox + x * k, oy + y * k) for x, y in stroke]
                if len(pts) > 1:
                    draw.line(pts, fill=(0, 0, 0), width=2)
                for x, y in pts:
                    draw.point((x, y), fill=(220, 0, 0))
            tag = dr["style"] + ("" if dr.get("writer", "steady") == "steady" else " " + dr["writer"])
            draw.text((ox + 3, oy + 2), tag, fill=(0, 0, 200))
    img.save(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", type=Path, default=None,
                        help="save the trained classifier here, or load it if it exists")
    parser.add_argument("--sheet", type=Path, default=Path("/tmp/heldout_sheet.png"))
    parser.add_argument("--raw-sheet", type=Path, default=Path("/tmp/heldout_raw.png"))
    args = parser.parse_args(argv)
    torch.set_num_threads(1)

    test = load_split("test")
    if args.cache is not None and args.cache.exists():
        net = make_net()
        net.load_state_dict(torch.load(args.cache, weights_only=True))
    else:
        tr = load_split("train")
        net = train(tr.images.astype(np.float32), tr.labels.astype(np.int64), args.epochs, args.seed)
        if args.cache is not None:
            torch.save(net.state_dict(), args.cache)
    mnist_acc = float((predict(net, test.images.astype(np.float32)) == test.labels).mean())

    data = load_drawings(args.data)
    drawings = data["drawings"]
    images = np.stack([preprocess_strokes([np.asarray(s, dtype=float) for s in d["strokes"]])
                       for d in drawings]).astype(np.float32)
    labels = np.array([d["label"] for d in drawings])
    styles = np.array([d["style"] for d in drawings])
    pred = predict(net, images)
    ok = pred == labels

    print(f"\nMNIST test accuracy: {mnist_acc:.4f}")
    print(f"held-out drawings:   {ok.mean():.4f}  ({ok.sum()}/{len(ok)}, {args.data.name})\n")
    print("digit  n   accuracy  most confused with")
    for d in range(10):
        m = labels == d
        wrong = pred[m & ~ok]
        confused = ", ".join(f"{v}x{c}" for v, c in zip(*np.unique(wrong, return_counts=True))) or "-"
        print(f"  {d}   {m.sum():3d}   {ok[m].mean():.3f}    {confused}")
    writers = np.array([d.get("writer", "steady") for d in drawings])
    print("\nwriter        n   accuracy")
    for wr in ("steady", "fast", "sloppy", "fast-sloppy"):
        m = writers == wr
        if m.any():
            print(f"  {wr:11s} {m.sum():3d}   {ok[m].mean():.3f}")
    print("\nerrors by style:")
    for d in range(10):
        for st in dict.fromkeys(styles[labels == d]):
            m = (labels == d) & (styles == st)
            if (~ok[m]).any():
                print(f"  {d} {st:14s} {(~ok[m]).sum()}/{m.sum()} wrong")

    contact_sheet(images, labels, args.sheet)
    raw_sheet(drawings, args.raw_sheet, int(data.get("canvas", 280)))
    print(f"\nsheets: {args.sheet}, {args.raw_sheet}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
