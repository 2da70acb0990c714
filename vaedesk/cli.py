"""The ``vaedesk`` command: the app with no arguments, headless work with a sub-command."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import re
import shlex
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import NoReturn

from vaedesk import __version__
from vaedesk.errors import ModelError, VaedeskError
from vaedesk.support.limits import DEFAULT_FRAME_SIZE
from vaedesk.training.config import DATA_HELP, TrainConfig, TrainingError

# C0 and C1 control characters (ESC starts terminal escape sequences), line and paragraph
# separators, and the bidirectional marks and overrides that reorder what a terminal shows.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def terminal_text(text: object) -> str:
    """``text`` safe to print: control characters shown as escapes (``\\x1b``, ``\\n``), so text
    from a file (a model card, a file name) can't recolour the terminal or add lines."""
    return _CONTROL.sub(lambda m: ascii(m.group())[1:-1], str(text))


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


# As vaedesk.insight.evaluation.MAX_IWAE_SAMPLES (not imported: it would load torch to parse arguments).
_MAX_IWAE = 5000


def _iwae_samples(text: str) -> int:
    value = _positive_int(text)
    if value > _MAX_IWAE:
        raise argparse.ArgumentTypeError(f"must be at most {_MAX_IWAE}, got {value}")
    return value


# PyTorch raises above 2**31 - 1 threads and crashes (SIGSEGV) on its next matrix product
# with 100000; no machine vaedesk runs on has more cores than this.
_MAX_THREADS = 1024


def _threads(text: str) -> int:
    value = _positive_int(text)
    if value > _MAX_THREADS:
        raise argparse.ArgumentTypeError(f"must be at most {_MAX_THREADS}, got {value}")
    return value


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: the problem and where help is (no usage block)."""

    commands: Mapping[str, argparse.ArgumentParser]  # each command's parser, by name (set by build_parser)

    def error(self, message: str) -> NoReturn:
        # terminal_text: argparse echoes the arguments it refuses.
        self.exit(2, f"{self.prog}: error: {terminal_text(message)} (see {self.prog} --help)\n")


# How each kind of setting in TrainConfig's table is read from the command line (text and
# choices as written).
_SETTING_TYPES: dict[str, Callable[[str], object]] = {
    "count": _positive_int, "whole": int, "number": _number, "text": str, "choice": str,
}


def _add_setting_options(parser: argparse.ArgumentParser) -> None:
    """One option for each of TrainConfig's settings, made from its table (destinations are
    the field names, so TrainConfig.from_options reads them back)."""
    for name, default, option in TrainConfig.options():
        if option.kind == "switch":
            parser.add_argument(option.flag, dest=name, action="store_true", help=option.help)
            continue
        shown = "" if default is None else " (default: %(default)s)"
        parser.add_argument(option.flag, dest=name, default=default, type=_SETTING_TYPES[option.kind],
                            choices=option.choices or None, metavar=option.metavar, help=option.help + shown)
        if option.off_flag:
            parser.add_argument(option.off_flag, dest=name, action="store_const", const=0.0,
                                help=f"same as {option.flag} 0")


def build_parser() -> _Parser:
    parser = _Parser(
        prog="vaedesk",
        description="Explore a Variational AutoEncoder by drawing. With no command, opens the app; "
                    "vaedesk FILE opens it with that drawing or image.",
    )
    parser.add_argument("--version", action="version", version=f"vaedesk {__version__}")
    parser.add_argument("--info", action="store_true",
                        help="print the versions, folders and models of this installation, for a bug report")
    parser.add_argument("--reset-settings", action="store_true",
                        help="delete the app's settings file (window layout, pen, model shown; your drawings, "
                             "session and models stay)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("gui", help="open the app (what vaedesk does with no command); vaedesk FILE is short "
                                   "for vaedesk gui FILE")
    p.add_argument("file", nargs="?", metavar="FILE", help="a saved drawing (PNG) or any image of a digit to open")
    p.add_argument("--model", metavar="NAME|PATH", help="the model to show (default: the last one shown)")

    p = sub.add_parser("train", help="train a VAE or autoencoder and save it with its model card")
    _add_setting_options(p)
    p.add_argument("--from-model", metavar="NAME|PATH", help="fine-tune an existing model instead of starting afresh")
    p.add_argument("--threads", type=_threads, help="CPU threads for PyTorch (default: PyTorch's choice)")
    p.add_argument("--out", metavar="PATH", help="where to save (default: the user's model folder)")
    p.add_argument("--resume", metavar="DIR",
                   help="continue the stopped or killed run whose checkpoint is in DIR (OUT.run), with its own "
                        "settings; only --threads and --device may be given with it")

    p = sub.add_parser("eval", help="measure a model on the test set")
    p.add_argument("--model", metavar="NAME|PATH", help="model name or checkpoint path (default: the default model)")
    p.add_argument("--data", metavar="DIR", help=DATA_HELP + "; a model trained on some categories is measured "
                   "on those")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--iwae", type=_iwae_samples, metavar="K",
                   help="also estimate -log p(x) with K importance samples per test image (Burda et al.; "
                        "tighter than the -ELBO, K decodings per image)")
    p.add_argument("--per-digit", action="store_true",
                   help="also print the 5-NN accuracy of each digit, for MNIST's test digits and both sets of "
                        "drawn digits, as a Markdown table")

    p = sub.add_parser("encode", help="print the posterior of each image")
    p.add_argument("images", nargs="+", metavar="IMAGE")
    p.add_argument("--model", metavar="NAME|PATH")
    p.add_argument("--json", action="store_true", help="print one JSON object")

    p = sub.add_parser("morph", help="render a morph through latent space to a GIF or PNG frames")
    p.add_argument("--from", dest="start", required=True, metavar="POINT",
                   help="image file, latent coordinates like 0.5,-1.2, or test:INDEX")
    p.add_argument("--via", action="append", default=[], metavar="POINT", help="a waypoint (repeatable)")
    p.add_argument("--to", dest="end", required=True, metavar="POINT")
    p.add_argument("--out", required=True, metavar="PATH", help="NAME.gif, or a folder for PNG frames")
    p.add_argument("--model", metavar="NAME|PATH")
    p.add_argument("--frames", type=int, default=48, help="frames along the path (default: 48)")
    p.add_argument("--fps", type=_number, default=24, help="frames per second (default: 24)")
    p.add_argument("--size", type=int, default=DEFAULT_FRAME_SIZE, help="frame size in pixels (default: %(default)s)")
    p.add_argument("--method", choices=["linear", "spherical"], default="linear")
    p.add_argument("--easing", default="linear", help="linear, ease-in-out, ease-in or ease-out")
    p.add_argument("--pingpong", action="store_true", help="play forward then backward")

    p = sub.add_parser("traverse", help="decode a point with each latent dimension swept, to a PNG grid or a GIF")
    p.add_argument("--from", dest="start", required=True, metavar="POINT",
                   help="image file, latent coordinates like 0.5,-1.2, or test:INDEX")
    p.add_argument("--out", required=True, metavar="PATH", help="NAME.png (one row per dimension) or NAME.gif")
    p.add_argument("--model", metavar="NAME|PATH")
    p.add_argument("--steps", type=int, default=9, help="decodings per dimension (default: %(default)s)")
    p.add_argument("--span", type=_number, default=3.0,
                   help="how far each dimension moves either side of 0, in prior standard deviations "
                        "(default: %(default)s)")

    p = sub.add_parser("views", help="fit a model's neighbourhood (UMAP) view and store it beside its weights "
                                     "(NAME.neighbours.npz), so the app shows that view at once")
    p.add_argument("model", metavar="NAME|PATH", help="model name or checkpoint path")
    p.add_argument("--seed", type=int, default=0, help="UMAP's random seed (default: %(default)s, as the app uses)")

    sub.add_parser("models", help="list the available models")
    parser.commands = sub.choices  # each command's parser, by name
    return parser


class ProgressBar:
    """A one-line progress bar on stderr (plain lines when stderr is not a terminal)."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr  # looked up now, not at import: tests capture it
        self.tty = self.stream.isatty()

    def __call__(self, report) -> None:
        done = (report.epoch - 1) * report.steps_per_epoch + (report.step - 1) % report.steps_per_epoch + 1
        fraction = done / (report.epochs * report.steps_per_epoch)
        bar = "#" * int(24 * fraction)
        line = (
            f"epoch {report.epoch}/{report.epochs} [{bar:<24}] {fraction:4.0%}  "
            f"recon {report.recon:7.2f}  KL {report.kl:6.2f}  {report.images_per_second:6.0f} img/s"
        )
        if report.epoch_done:
            test = report.test
            line += f"  | test -ELBO {test['neg_elbo']:.2f} (recon {test['recon']:.2f} + KL {test['kl']:.2f})"
            self.stream.write(("\r" if self.tty else "") + line + "\n")
        elif self.tty:
            self.stream.write("\r" + line)
        self.stream.flush()


def _cmd_train(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from vaedesk.training.distributed import Processes
    from vaedesk.training.events import EpochSaved, Evaluating, Notice, Progress, Saved
    from vaedesk.training.run import TrainingRequest, run_training

    given = _options_given(argv)
    if args.resume:
        extra = given - {"--resume", "--threads", "--device"}
        if extra:
            raise TrainingError(f"--resume continues a run with its own settings: drop {', '.join(sorted(extra))}")
        request = TrainingRequest(resume=args.resume, device=args.device if "--device" in given else None,
                                  threads=args.threads)
    else:
        config = TrainConfig.from_options(args)
        if (config.decoder_only or config.keep_means) and not args.from_model:
            raise TrainingError(f"--{'decoder-only' if config.decoder_only else 'keep-means'} fine-tunes a model: "
                                "give the model with --from-model")
        command = f"{Processes.from_environment().launcher()}vaedesk " + shlex.join(argv)
        request = TrainingRequest(config=config, out=args.out, initial=args.from_model, command=command,
                                  threads=args.threads)
    progress_bar = ProgressBar()
    told: list[bool] = []  # one entry once the checkpoints' folder was named

    def show(event) -> None:
        if isinstance(event, Progress):
            progress_bar(event)
        elif isinstance(event, EpochSaved) and not told:  # where the checkpoints are, once
            told.append(True)
            print(f"checkpoint in {event.run_dir} after every epoch (if the run stops: vaedesk train --resume "
                  f"{shlex.quote(str(event.run_dir))})", file=sys.stderr)
        elif isinstance(event, Evaluating):
            print("evaluating on the test set...", file=sys.stderr)
        elif isinstance(event, Notice):
            print(terminal_text(event.text), file=sys.stderr)
        elif isinstance(event, Saved):
            print(f"saved {event.path} and its card {event.path.with_suffix('.json')}")
            _print_metrics(event.metrics)

    run_training(request, show)
    return 0


def _options_given(argv: Sequence[str]) -> set[str]:
    """The long options on a command line (``--name`` or ``--name=value``)."""
    return {arg.split("=", 1)[0] for arg in argv if arg.startswith("--")}


_METRIC_LABELS = {
    "neg_elbo": "test negative ELBO (nats)",
    "recon": "  reconstruction (BCE, nats)",
    "kl": "  KL to the prior (nats)",
    "active_units": "active latent units",
    "knn5_test": "5-NN accuracy, test means",
    "knn5_drawings": "5-NN accuracy, training-family drawings",
    "knn5_heldout": "5-NN accuracy, held-out drawings",
}

_PER_DIGIT_ROWS = {"test": "MNIST test digits", "drawings": "training-family drawings",
                   "heldout": "held-out drawings"}


def _per_digit_table(per_digit: dict) -> str:
    """The 5-NN accuracy of each digit as a Markdown table, one row per set."""
    lines = ["| digit | " + " | ".join(str(d) for d in range(10)) + " |", "|---" * 11 + "|"]
    for key, label in _PER_DIGIT_ROWS.items():
        if key in per_digit:
            cells = ["—" if v is None else f"{v:.2f}" for v in per_digit[key]]
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _print_metrics(metrics: dict) -> None:
    labels = {}
    for key, label in _METRIC_LABELS.items():
        labels[key] = label
        if key == "neg_elbo":  # the IWAE estimate, whatever its K, beside the -ELBO it bounds
            labels.update({k: f"  IWAE -log p(x), K={k[5:]} (nats)" for k in metrics if k.startswith("iwae_")})
    for key, label in labels.items():
        if key in metrics:
            value = metrics[key]
            if value is None:
                print(f"{label:<40} — (an autoencoder has no posterior to sample)")
            else:
                print(f"{label:<40} {value:.4g}" if isinstance(value, float) else f"{label:<40} {value}")


def _cmd_eval(args: argparse.Namespace) -> int:
    from vaedesk.insight.evaluation import evaluate
    from vaedesk.model.model import load_model

    model = load_model(args.model)
    digits = args.data is None  # the drawn digits only mean something for MNIST
    metrics = evaluate(model, args.data, drawings=50 if digits else 0, iwae=args.iwae or 0, heldout=digits,
                       per_digit=args.per_digit)
    per_digit = metrics.pop("per_digit", None)
    broken = [key for key, value in metrics.items() if value is not None and not math.isfinite(value)]
    if broken:  # no "nan" in a report, no NaN (invalid JSON) in --json
        raise ModelError(f"{model.name}: the model produced NaN or infinite values on the test set ({broken[0]})")
    if args.json:
        extra = {"per_digit": per_digit} if per_digit is not None else {}
        print(json.dumps({"model": model.name, "kind": model.kind, "latent_dim": model.latent_dim, **metrics,
                          **extra}, allow_nan=False))
    else:
        print(f"{terminal_text(model.name)}: {model.kind}, {model.latent_dim}-d latent")
        _print_metrics(metrics)
        if per_digit is not None:
            print()
            print(_per_digit_table(per_digit))
    return 0


def _cmd_encode(args: argparse.Namespace) -> int:
    import numpy as np

    from vaedesk.data.images import preprocess_file
    from vaedesk.model.model import load_model

    model = load_model(args.model)
    inputs = np.stack([preprocess_file(path) for path in args.images])
    posterior = model.encode(inputs)
    rows = []
    for i, path in enumerate(args.images):
        std = None if posterior.std is None else posterior.std[i].round(4).tolist()
        rows.append({"image": path, "mean": posterior.mean[i].round(4).tolist(), "std": std})
    if args.json:
        print(json.dumps({"model": model.name, "kind": model.kind, "images": rows}))
    else:
        for row in rows:
            mean = ", ".join(f"{v:+.3f}" for v in row["mean"])
            std = "n/a (autoencoder)" if row["std"] is None else ", ".join(f"{v:.3f}" for v in row["std"])
            print(f"{row['image']}: mean [{mean}]  std [{std}]")
    return 0


def _cmd_morph(args: argparse.Namespace) -> int:
    from vaedesk.latent.morphing import morph
    from vaedesk.model.model import load_model

    model = load_model(args.model)
    endpoints = [args.start, *args.via, args.end]
    path = morph(
        model, endpoints, args.out, frames=args.frames, fps=args.fps, size=args.size,
        method=args.method, easing=args.easing, pingpong=args.pingpong,
    )
    print(f"wrote {path}")
    return 0


def _cmd_traverse(args: argparse.Namespace) -> int:
    from vaedesk.latent.morphing import resolve_endpoint
    from vaedesk.latent.traversal import save_traversal, traverse
    from vaedesk.model.model import load_model

    model = load_model(args.model)
    result = traverse(model, resolve_endpoint(model, args.start), steps=args.steps, span=args.span)
    path = save_traversal(result, args.out)
    inactive = [f"z{d + 1}" for d in result.order if not result.active[d]]
    print(f"wrote {path}: {len(result.order)} dimensions by average KL"
          + (f"; inactive (KL < 0.01 nats): {', '.join(inactive)}" if inactive else ""))
    return 0


class StageLine:
    """A fit's stages on stderr as ``stage  42%``, one line per stage (redrawn on a terminal)."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self._stage = ""

    def __call__(self, stage: str, fraction: float | None) -> None:
        new = stage != self._stage
        if new and self._stage and self.tty:
            self.stream.write("\n")
        self._stage = stage
        line = stage + ("" if fraction is None else f"  {fraction:4.0%}")
        if self.tty:
            self.stream.write("\r" + line)
        elif new:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self._stage and self.tty:
            self.stream.write("\n")


def _cmd_views(args: argparse.Namespace) -> int:
    import numpy as np

    from vaedesk.data.datasets import model_split
    from vaedesk.latent.views import NeighbourView, fit_neighbour_view, neighbour_view_path, save_neighbour_view
    from vaedesk.model.encodings import cached_means, data_digest
    from vaedesk.model.model import load_model
    from vaedesk.service.model_service import SCATTER_LIMIT

    model = load_model(args.model)
    if model.path is None or model.digest is None:
        raise VaedeskError(f"{model.name}: a model without a weights file has nowhere to keep its view")
    if model.latent_dim <= 2:
        raise VaedeskError(f"{model.name}: a {model.latent_dim}-d latent space is its own plane; it needs no "
                           "neighbourhood view")
    target = neighbour_view_path(model.path)
    stages = StageLine()
    try:
        view = fit_neighbour_view(model, args.seed, progress=stages)
    finally:
        stages.close()
    # The app's test-set scatter placed now, as the stored (float16) view places it, so that
    # the app need not place its 10,000 points when it shows the view.
    stored = NeighbourView(view.fitted_latents.astype(np.float16), view.fitted_plane)
    scatter = model_split(model.card, "test", as_uint8=True).images[:SCATTER_LIMIT]
    view = view.with_known_places({data_digest(scatter): stored.to_plane(cached_means(model, scatter))})
    try:
        save_neighbour_view(view, target, seed=args.seed, weights_sha256=model.digest)
    except OSError as exc:
        raise VaedeskError(f"{target}: cannot write ({exc.strerror or exc})") from None
    print(f"wrote {target}: {len(view.fitted_latents)} training means of {model.name} and their UMAP plane "
          f"(seed {args.seed})")
    return 0


def _cmd_models() -> int:
    from vaedesk.model.model import list_models, load_model

    for name in list_models():
        try:
            model = load_model(name)
        except VaedeskError as exc:  # listed, so the user sees it is there and why it won't load
            print(terminal_text(f"{name}  (broken: {exc})"))
            continue
        metrics = model.card.get("metrics", {})
        quality = f"  test -ELBO {metrics['neg_elbo']:.1f}" if "neg_elbo" in metrics else ""
        print(terminal_text(f"{name}  {model.kind}, {model.latent_dim}-d{quality}"))
    return 0


def _start_gui(file: str | None = None, model: str | None = None) -> int:
    if file is not None:
        _check_file_to_open(file)
    try:
        from vaedesk.gui import main as gui_main
    except ImportError as exc:
        raise VaedeskError(f"the desktop app cannot start: {exc}") from None
    missing = missing_display()
    if missing:
        raise VaedeskError(missing)
    return gui_main(file=file, model=model)


def _check_file_to_open(file: str) -> None:
    """A name that is no file at all is refused before any window opens (a typo in the
    terminal gets its answer there); a file that exists but is no drawing or image opens the
    app with that message, as napari and labelme do."""
    try:
        path = Path(file)
        if not file:
            raise VaedeskError("no file name given")
        if not path.exists():
            # A bare word is more likely a mistyped command than a file without an extension.
            bare = not path.suffix and len(path.parts) == 1
            also = " and not a command (gui, train, eval, encode, morph, traverse, models)" if bare else ""
            raise VaedeskError(f"{file}: no such file{also}")
        if path.is_dir():
            raise VaedeskError(f"{file}: is a folder, not a drawing or an image")
    except OSError as exc:  # a name the system refuses (too long)
        raise VaedeskError(f"{file}: cannot open ({exc.strerror or exc})") from None


def _cmd_info() -> int:
    from vaedesk.support.info import collect

    try:  # the Qt library PySide6 runs on (QtCore only: no display needed)
        from PySide6.QtCore import qVersion

        qt = qVersion()
    except ImportError:
        qt = None
    for line in collect(qt).splitlines():  # paths and model names may hold control characters
        print(terminal_text(line))
    return 0


def _cmd_reset_settings() -> int:
    from vaedesk.support.settings import reset_settings

    removed = reset_settings()
    if not removed:
        from vaedesk.support.paths import settings_path

        print(terminal_text(f"no settings to remove ({settings_path()} does not exist)"))
    for path in removed:
        print(terminal_text(f"removed {path}"))
    return 0


def missing_display(environ: Mapping[str, str] | None = None, platform: str | None = None) -> str | None:
    """Why Qt could not open a window here (it would abort with plugin errors), or None.

    On Linux a window needs an X11 or Wayland display unless Qt is told to draw elsewhere."""
    if environ is None:
        environ = os.environ
    if not (platform or sys.platform).startswith("linux"):
        return None
    chosen = environ.get("QT_QPA_PLATFORM", "")
    if chosen and not chosen.startswith(("xcb", "wayland")):
        return None  # offscreen, vnc, eglfs, ...: no display needed
    if environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"):
        return None
    return ("no display to open the window on: DISPLAY and WAYLAND_DISPLAY are not set (on a server, run it "
            "under xvfb-run, or set QT_QPA_PLATFORM=offscreen to run without a screen)")


_POINT_OPTIONS = ("--from", "--via", "--to")


def _glue_points(argv: list[str]) -> list[str]:
    """``--via -0.5,1`` -> ``--via=-0.5,1``: argparse takes a value that starts with "-" and
    is not a plain number for an option, so a point with a negative first coordinate
    would be refused as a missing argument."""
    out: list[str] = []
    for arg in argv:
        if out and out[-1] in _POINT_OPTIONS and re.match(r"-\.?\d", arg):
            out[-1] = f"{out[-1]}={arg}"
        else:
            out.append(arg)
    return out


def _open_file_shorthand(argv: list[str], commands) -> list[str]:
    """``vaedesk FILE ...`` -> ``vaedesk gui FILE ...``: a first word that is neither a command
    nor an option names a file to open in the app."""
    if argv and argv[0] not in commands and not argv[0].startswith("-"):
        return ["gui", *argv]
    return argv


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    argv = _open_file_shorthand(argv, parser.commands)
    args, unknown = parser.parse_known_args(_glue_points(argv))
    if unknown:  # named by the command's parser, so the hint is that command's --help
        parser.commands.get(args.command, parser).error(f"unrecognized arguments: {' '.join(unknown)}")
    try:
        if args.info or args.reset_settings:
            if args.command is not None:
                parser.error(f"{'--info' if args.info else '--reset-settings'} takes no command")
            code = _with_output(_cmd_info) if args.info else 0
            return _with_output(_cmd_reset_settings) if args.reset_settings else code
        if args.command is None:
            return _start_gui(None, None)
        if args.command == "gui":
            return _start_gui(args.file, args.model)
        if args.command == "train":
            return _with_output(lambda: _cmd_train(args, argv))
        if args.command == "eval":
            return _with_output(lambda: _cmd_eval(args))
        if args.command == "encode":
            return _with_output(lambda: _cmd_encode(args))
        if args.command == "morph":
            return _with_output(lambda: _cmd_morph(args))
        if args.command == "traverse":
            return _with_output(lambda: _cmd_traverse(args))
        if args.command == "views":
            return _with_output(lambda: _cmd_views(args))
        return _with_output(_cmd_models)
    except VaedeskError as exc:
        # One line, even when it quotes a file name with a line break or an escape in it.
        print(f"vaedesk: error: {terminal_text(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nvaedesk: interrupted; nothing was written", file=sys.stderr)
        return 130
    except BrokenPipeError:  # "vaedesk models | head -1": the reader has all it wanted
        _discard_stdout()
        return 1


def _with_output(command: Callable[[], int]) -> int:
    """Run ``command`` holding what it prints, then write that to stdout in one place, so a
    full disk or a closed pipe there is one error line and a non-zero exit, not a traceback
    (or, for the last buffered bytes, a complaint at exit). An error prints nothing."""
    held = io.StringIO()
    with contextlib.redirect_stdout(held):
        code = command()
    try:
        sys.stdout.write(held.getvalue())
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        _discard_stdout()
        raise VaedeskError(f"cannot write the output ({exc.strerror or exc})") from None
    return code


def _discard_stdout() -> None:
    """Point stdout at the null device: the bytes it still holds would fail again at exit."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        pass  # not a real file (a test's capture): nothing is flushed to it at exit


if __name__ == "__main__":
    sys.exit(main())
