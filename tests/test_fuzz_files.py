"""Property-based tests: hostile files at vaedesk's readers (IDX data, models and cards, images).

Every file either loads as what it claims to be or raises DataError / ModelError / ImageError
with one line that names the file and says what is wrong; nothing else may escape, nothing
in a file is ever executed, and a file's claims (sizes in headers) never make a reader
allocate or inflate more than the file really holds.
"""

from __future__ import annotations

import gzip
import io
import json
import math
import pickle
import re
import struct
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image, ImageFile
from safetensors.torch import save_file

from vaedesk.data.idx import read_idx, write_idx
from vaedesk.data.images import MAX_IMAGE_PIXELS, load_image, preprocess_image
from vaedesk.errors import DataError, ImageError, ModelError
from vaedesk.model.model import Model, list_models, load_model, new_card, read_card
from vaedesk.model.nets import AutoEncoder

# Slow cases (big files, decoders) get a fraction of the budget.
FEW = settings(max_examples=max(5, settings.default.max_examples // 3))


def assert_names_file(exc: BaseException, path: Path, *patterns: str) -> str:
    """One line that names ``path`` and matches one of ``patterns`` (a specific cause)."""
    message = str(exc)
    assert "\n" not in message and str(path) in message, message
    assert any(re.search(p, message) for p in patterns), message
    return message


# =========================================================================== IDX

IDX_CODES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
MAX_IDX_BYTES = 1 << 30  # vaedesk.data.idx refuses headers claiming more data


def idx_problem(raw: bytes) -> str | None:
    """What the IDX format says is wrong with ``raw`` (None: a valid file), as a regex."""
    if len(raw) < 4:
        return r"too short to be an IDX file"
    zero, code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or code not in IDX_CODES:
        return r"not an IDX file \(bad magic number 0x[0-9a-f]{8}\)"
    if ndim == 0:
        return r"declares zero dimensions"
    if len(raw) < 4 + 4 * ndim:
        return r"truncated IDX header"
    shape = struct.unpack(f">{ndim}I", raw[4 : 4 + 4 * ndim])
    # A side of 0 counts as 1 too.
    if math.prod(max(side, 1) for side in shape) * np.dtype(IDX_CODES[code]).itemsize > MAX_IDX_BYTES:
        return r"claims an implausible size"
    count = math.prod(shape)
    data = len(raw) - 4 - 4 * ndim
    expected = count * np.dtype(IDX_CODES[code]).itemsize
    if data < expected:
        return rf"truncated: header says .* \({expected} bytes of data\), found {data}"
    if data > expected:
        return r"unexpected bytes after the data declared by the header"
    return None


@st.composite
def idx_like(draw):
    """Mostly well-formed IDX headers with lying fields, odd sizes and cut-off data."""
    zero = draw(st.sampled_from([0, 0, 0, 0, 1, 0x0100, 0xFFFF]))
    code = draw(st.one_of(st.sampled_from(sorted(IDX_CODES)), st.integers(0, 255)))
    dims = draw(st.lists(st.one_of(st.integers(0, 5), st.integers(0, 2**32 - 1),
                                   st.sampled_from([65536, 2**31, 2**32 - 1])), max_size=5))
    ndim = draw(st.one_of(st.just(len(dims)), st.integers(0, 255)))
    header = struct.pack(">HBB", zero, code, ndim) + b"".join(struct.pack(">I", d) for d in dims)
    count = math.prod(dims) if dims else 0
    size = count * np.dtype(IDX_CODES.get(code, ">u1")).itemsize
    # Data of exactly the declared size (when small), or any length around it.
    length = draw(st.one_of(st.just(min(size, 2000)), st.integers(0, 300),
                            st.integers(max(0, min(size, 2000) - 3), min(size, 2000) + 3)))
    raw = header + draw(st.binary(min_size=length, max_size=length))
    cut = draw(st.one_of(st.none(), st.integers(0, len(raw))))
    return raw[:cut]


@given(idx_like(), st.booleans())
def test_idx_files_load_exactly_or_say_what_is_wrong(tmp_path, raw, gz):
    path = tmp_path / ("data.idx.gz" if gz else "data.idx")
    path.write_bytes(gzip.compress(raw, mtime=0) if gz else raw)
    problem = idx_problem(raw)
    if problem is None:
        array = read_idx(path)
        # Nothing was lost or invented: written back, it is the same file.
        shape = struct.unpack(f">{raw[3]}I", raw[4 : 4 + 4 * raw[3]])
        assert array.shape == shape and array.dtype.isnative
        assert np.asarray(array, dtype=IDX_CODES[raw[2]]).tobytes() == raw[4 + 4 * raw[3] :]
    else:
        with pytest.raises(DataError) as info:
            read_idx(path)
        assert_names_file(info.value, path, problem)


@pytest.mark.parametrize("shape", [(65536,) * 4, (0, 2**31, 2**31)])
def test_idx_shapes_numpy_cannot_hold(tmp_path, shape):
    # 65536**4 == 2**64: a 64-bit product wraps around to 0 elements; NumPy cannot even
    # describe an empty array whose other sides are that large.
    path = tmp_path / "wrap.idx"
    path.write_bytes(struct.pack(">HBB", 0, 0x0B, len(shape)) + struct.pack(f">{len(shape)}I", *shape))
    with pytest.raises(DataError) as info:
        read_idx(path)
    assert_names_file(info.value, path, r"implausible size")


idx_arrays = hnp.arrays(
    st.sampled_from([np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]),
    hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=6),
)


@given(idx_arrays, st.booleans())
def test_idx_round_trip(tmp_path, array, gz):
    path = tmp_path / "a.idx"
    write_idx(path, array, compress=gz)
    back = read_idx(path)
    assert back.dtype == array.dtype and back.shape == array.shape
    assert np.array_equal(back, array, equal_nan=array.dtype.kind == "f")


@st.composite
def damaged_gzip(draw):
    array = draw(hnp.arrays(np.uint8, hnp.array_shapes(min_dims=1, max_dims=3, max_side=8)))
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    packed = bytearray(gzip.compress(header + array.tobytes(), mtime=0))
    how = draw(st.sampled_from(["flip", "cut", "garbage"]))
    if how == "flip":
        i = draw(st.integers(10, len(packed) - 1))  # past the gzip header's free-form fields
        packed[i] ^= draw(st.integers(1, 255))
    elif how == "cut":
        packed = packed[: draw(st.integers(2, len(packed) - 1))]
    else:
        packed += draw(st.binary(min_size=1, max_size=40).filter(lambda b: any(b)))  # zeros are padding
    return array, bytes(packed)


@given(damaged_gzip())
def test_idx_damaged_gzip(tmp_path, case):
    array, packed = case
    path = tmp_path / "d.gz"
    path.write_bytes(packed)
    try:
        back = read_idx(path)
    except DataError as exc:
        assert_names_file(exc, path, r"corrupt or truncated gzip data", r"truncated", r"unexpected bytes",
                          r"bad magic", r"too short", r"zero dimensions", r"implausible")
    else:  # a flip that gzip cannot notice never goes unnoticed in the data
        assert np.array_equal(back, array)


def write_gzip_of_zeros(path: Path, prefix: bytes, zeros: int) -> None:
    with gzip.open(path, "wb", compresslevel=1) as fh:
        fh.write(prefix)
        block = bytes(1 << 20)
        for start in range(0, zeros, len(block)):
            fh.write(block[: min(len(block), zeros - start)])


def refused_idx_with_peak(path):
    """read_idx's DataError for ``path``, and the peak of the memory it allocated meanwhile."""
    tracemalloc.start()
    try:
        with pytest.raises(DataError) as info:
            read_idx(path)
        return info, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@settings(max_examples=3)
@given(st.integers(1, 1000), st.integers(8, 32))
def test_idx_gzip_bomb_is_not_inflated(tmp_path, declared, megabytes):
    # A header declaring a few bytes, then tens of megabytes of zeros that compress to ~1/1000.
    path = tmp_path / "bomb.gz"
    write_gzip_of_zeros(path, b"\x00\x00\x08\x01" + struct.pack(">I", declared), megabytes << 20)
    assert path.stat().st_size < (megabytes << 20) // 100
    info, peak = refused_idx_with_peak(path)
    assert_names_file(info.value, path, r"unexpected bytes after the data")
    assert peak < 4 << 20, f"read {peak / 2**20:.0f} MB of a bomb"


@settings(max_examples=10)
@given(st.lists(st.integers(1, 2**32 - 1), min_size=1, max_size=3), st.sampled_from(sorted(IDX_CODES)),
       st.booleans())
def test_idx_lying_size_allocates_only_what_is_there(tmp_path, shape, code, gz):
    itemsize = np.dtype(IDX_CODES[code]).itemsize
    assume(10_000 < math.prod(shape) and math.prod(shape) * itemsize <= MAX_IDX_BYTES)
    raw = struct.pack(">HBB", 0, code, len(shape)) + struct.pack(f">{len(shape)}I", *shape) + bytes(1000)
    path = tmp_path / "liar.idx"
    path.write_bytes(gzip.compress(raw) if gz else raw)
    info, peak = refused_idx_with_peak(path)
    assert_names_file(info.value, path, rf"truncated: header says .* \({math.prod(shape) * itemsize} bytes")
    assert peak < 4 << 20, f"allocated {peak / 2**20:.0f} MB for a 1 kB file"


def test_idx_not_files(tmp_path):
    for path, pattern in [(tmp_path / "missing", r"file not found"), (tmp_path, r"is a folder"),
                          (tmp_path / ("n" * 300), r"cannot open \(File name too long\)")]:
        with pytest.raises(DataError) as info:
            read_idx(path)
        assert_names_file(info.value, path, pattern)


# =========================================================================== models


class SmallModel(tuple):
    def __repr__(self) -> str:  # keeps hypothesis's failure reports readable
        return "<small model: weights bytes, card, state dict>"


@pytest.fixture(scope="module")
def small_model(tmp_path_factory):
    """Bytes of a small, valid model's weights, its card (a dict) and its state dict."""
    torch.manual_seed(0)
    net = AutoEncoder("vae", 2, width=2, hidden=4)
    weights = Model(net, new_card("vae", 2, width=2, hidden=4)).save(tmp_path_factory.mktemp("m") / "small")
    card = json.loads(weights.with_suffix(".json").read_text())
    state = {k: v.clone() for k, v in net.state_dict().items()}
    return SmallModel((weights.read_bytes(), card, state))


def write_model(folder: Path, weights: bytes, card: dict | str | bytes) -> Path:
    path = folder / "fuzz.safetensors"
    path.write_bytes(weights)
    card_path = path.with_suffix(".json")
    if isinstance(card, dict):
        card = json.dumps(card)
    card_path.write_bytes(card if isinstance(card, bytes) else card.encode())
    return path


def without_digest(card: dict) -> dict:
    return {k: v for k, v in card.items() if k != "weights_sha256"}


@given(st.one_of(st.binary(max_size=300),
                 # A plausible 8-byte header length and then anything.
                 st.tuples(st.integers(0, 400), st.binary(max_size=300)).map(
                     lambda t: struct.pack("<Q", t[0]) + t[1])), st.booleans())
def test_random_bytes_are_not_weights(tmp_path, small_model, weights, keep_digest):
    _, card, _ = small_model
    path = write_model(tmp_path, weights, card if keep_digest else without_digest(card))
    with pytest.raises(ModelError) as info:
        load_model(path)
    if keep_digest:
        assert_names_file(info.value, path.with_suffix(".json"), r"SHA-256 differs")
    else:
        assert_names_file(info.value, path, r"not a valid safetensors weights file")


safetensors_dtypes = st.sampled_from(["F32", "F16", "BF16", "F64", "I8", "U8", "I32", "I64", "BOOL",
                                      "F8_E4M3", "X", "", "F32 "])


@st.composite
def safetensors_header(draw, state):
    """A safetensors file whose JSON header lies: dtypes, shapes and offsets are drawn."""
    names = draw(st.lists(st.one_of(st.sampled_from(sorted(state)), st.text(max_size=8)), max_size=4,
                          unique=True))
    header, data_len = {}, draw(st.integers(0, 256))
    for name in names:
        start = draw(st.integers(0, 300))
        header[name] = {
            "dtype": draw(safetensors_dtypes),
            "shape": draw(st.lists(st.one_of(st.integers(0, 8), st.integers(-2, 2**40)), max_size=4)),
            "data_offsets": draw(st.one_of(st.tuples(st.just(start), st.integers(0, 320)).map(list),
                                           st.lists(st.integers(-5, 2**64), max_size=3))),
        }
    if draw(st.booleans()):
        header["__metadata__"] = draw(st.dictionaries(st.text(max_size=4), st.one_of(st.text(max_size=4),
                                                                                      st.integers())))
    blob = json.dumps(header).encode()
    blob += b" " * draw(st.integers(0, 7))
    return struct.pack("<Q", len(blob)) + blob + draw(st.binary(min_size=data_len, max_size=data_len))


@given(st.data())
def test_lying_safetensors_headers(tmp_path, small_model, data):
    _, card, state = small_model
    weights = data.draw(safetensors_header(state))
    path = write_model(tmp_path, weights, without_digest(card))
    with pytest.raises(ModelError) as info:  # a Rust panic (BaseException) would fail here too
        load_model(path)
    assert_names_file(info.value, path, r"not a valid safetensors weights file",
                      r"weights do not match the card's architecture", r"NaN or infinite",
                      r"weights must be floating point")


@st.composite
def altered_state(draw, state):
    """The right tensors with some keys dropped, added, reshaped, retyped or poisoned."""
    state = dict(state)
    keys = sorted(state)
    for key in draw(st.lists(st.sampled_from(keys), max_size=2, unique=True)):
        change = draw(st.sampled_from(["drop", "reshape", "dtype", "nan"]))
        tensor = state[key]
        if change == "drop":
            del state[key]
        elif change == "reshape":
            shape = draw(st.lists(st.integers(0, 6), min_size=1, max_size=4))
            assume(list(tensor.shape) != shape)
            state[key] = torch.zeros(shape)
        elif change == "dtype":
            dtype = draw(st.sampled_from([torch.float16, torch.bfloat16, torch.float64, torch.int32, torch.uint8]))
            state[key] = tensor.to(dtype)
        else:
            tensor = tensor.clone().reshape(-1)
            tensor[draw(st.integers(0, tensor.numel() - 1))] = draw(st.sampled_from([math.nan, math.inf]))
            state[key] = tensor.reshape(state[key].shape)
    for name in draw(st.lists(st.text(min_size=1, max_size=6), max_size=2)):
        state.setdefault(name, torch.zeros(2))
    return State(state)


class State(dict):
    def __repr__(self) -> str:  # names, shapes and dtypes; the values would fill pages
        return repr({k: (tuple(v.shape), str(v.dtype)) for k, v in self.items()})


@given(st.data())
def test_weights_that_do_not_fit_the_card(tmp_path, small_model, data):
    _, card, reference = small_model
    state = data.draw(altered_state(reference))
    weights = tmp_path / "w.safetensors"
    save_file({k: v.contiguous() for k, v in state.items()}, str(weights))
    path = write_model(tmp_path, weights.read_bytes(), without_digest(card))
    fits = state.keys() == reference.keys() and all(state[k].shape == reference[k].shape for k in state)
    finite = all(torch.isfinite(v.float()).all() for v in state.values())
    floating = all(v.is_floating_point() for v in state.values())
    if fits and finite and floating:
        model = load_model(path)  # other float dtypes are converted, as torch's load_state_dict does
        assert all(p.dtype == torch.float32 and p.device.type == "cpu" for p in model.net.parameters())
        images = model.decode(np.zeros((1, 2), np.float32))
        assert images.shape == (1, 28, 28) and np.isfinite(images).all()
        return
    with pytest.raises(ModelError) as info:
        load_model(path)
    if not floating:  # integer or boolean weights are refused, not converted with a warning
        assert_names_file(info.value, path, r"weights must be floating point, not (int|uint|bool)")
    elif not fits:
        assert_names_file(info.value, path, r"weights do not match the card's architecture \(.+\)")
    else:
        assert_names_file(info.value, path, r"weights contain NaN or infinite values")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
KINDS = ("vae", "ae")


def card_problem(card) -> str | None:
    """What read_card must say about ``card`` (a parsed JSON value) when it lies about the
    fields lying_card changes; None when those are valid (the schema: vaedesk.model.card)."""
    if not isinstance(card, dict):
        return r"model card must be a JSON object"
    if "kind" not in card:
        return r"card field kind is missing"
    if card["kind"] not in KINDS:
        return r'card field kind must be one of "vae", "ae", not .+'
    dim = card.get("latent_dim")
    if not (type(dim) is int and 1 <= dim <= 512):
        return r"card field latent_dim (is missing|must be a whole number from 1 to 512, not .+)"
    if "architecture" not in card:
        return r"card field architecture is missing"
    arch = card["architecture"]
    if not isinstance(arch, dict):
        return r"card field architecture must be an object, not .+"
    if arch.get("name") != "conv-v1":
        return r'card field architecture.name (is missing|must be "conv-v1" \(the architecture this version reads\))'
    for key in ("width", "hidden"):
        value = arch.get(key)
        if not (type(value) is int and 1 <= value <= 1024):
            return rf"card field architecture.{key} (is missing|must be a whole number from 1 to 1024, not .+)"
    if not isinstance(card.get("weights_sha256"), (str, type(None))):
        return r"card field weights_sha256 must be a string or null, not .+"
    return None


@st.composite
def lying_card(draw, card):
    """The real card with some fields replaced by arbitrary JSON values or near misses."""
    card = json.loads(json.dumps(card))
    arch = dict(card["architecture"])
    near = {
        "kind": st.sampled_from(["vae", "ae", "VAE", "gan", "", None, 1]),
        "latent_dim": st.one_of(st.integers(-3, 600), st.just(2.0), st.just(True), st.just("2"),
                                st.integers(10**20, 10**30)),
        "width": st.one_of(st.integers(-2, 1100), st.just(2.5), st.just(False)),
        "hidden": st.one_of(st.integers(-2, 1100), st.just("4")),
        "name": st.sampled_from(["conv-v1", "conv-v2", "", None]),
        "weights_sha256": st.one_of(st.just(card["weights_sha256"]), st.text(max_size=64),
                                    st.just("0" * 64), st.integers()),
    }
    for field in draw(st.lists(st.sampled_from(sorted(near)), min_size=1, max_size=3, unique=True)):
        value = draw(st.one_of(near[field], json_values))
        if field in ("width", "hidden", "name"):
            arch[field] = value
        else:
            card[field] = value
    card["architecture"] = draw(st.one_of(st.just(arch), st.just(arch), json_values))
    return card


@given(st.data())
def test_cards_that_lie(tmp_path, small_model, data):
    weights, real, _ = small_model
    card = data.draw(lying_card(real))
    path = write_model(tmp_path, weights, card)
    card_path = path.with_suffix(".json")
    problem = card_problem(card)
    if problem is None and card.get("weights_sha256") not in (None, real["weights_sha256"]):  # null: no digest
        problem = r"the card does not match its weights \(SHA-256 differs\)"
    if problem is None:
        same = all(card[k] == real[k] for k in ("kind", "latent_dim")) and all(
            card["architecture"][k] == real["architecture"][k] for k in ("width", "hidden"))
        if same:
            assert load_model(path).latent_dim == 2
            return
        with pytest.raises(ModelError) as info:
            load_model(path)
        assert_names_file(info.value, path, r"weights do not match the card's architecture")
        return
    with pytest.raises(ModelError) as info:
        load_model(path)
    assert_names_file(info.value, card_path, problem)


@given(st.one_of(
    json_values.map(json.dumps),
    st.text(max_size=40),
    st.binary(max_size=40),
    st.sampled_from(["", "[" * 100_000, "{\"a\":" * 50_000, "9" * 5000, '{"latent_dim": ' + "9" * 5000 + "}",
                     "NaN", "Infinity", "\ufeff{}", "{\"kind\": \"vae\"", b"\xff\xfe{\x00}\x00"]),
))
def test_cards_that_are_not_cards(tmp_path, value):
    path = tmp_path / "card.json"
    path.write_bytes(value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass"))
    try:
        parsed = json.loads(value.decode("utf-8") if isinstance(value, bytes) else value)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        parsed = None
        problem = r"model card is not (valid|usable) JSON|model card is not UTF-8 text"
    else:
        problem = card_problem(parsed)
        assume(problem is not None)
    with pytest.raises(ModelError) as info:
        read_card(path)
    assert_names_file(info.value, path, problem)


# Each card field and the JSON types it may hold (None: null), written out here apart from
# vaedesk.model.card so that the test does not check the schema against itself.
NUM = (int, float)
CARD_FIELD_TYPES = {
    "kind": (str,), "latent_dim": (int,), "architecture": (dict,), "architecture.name": (str,),
    "architecture.width": (int,), "architecture.hidden": (int,), "name": (str,), "weights_sha256": (str, None),
    "weights_dtype": (str,),
    "dataset": (str,), "training": (dict, None), "training.epochs": (int,), "training.batch_size": (int,),
    "training.lr": NUM, "training.beta": NUM, "training.seed": (int,), "training.data_dir": (str, None),
    "training.limit": (int, None), "training.augment": NUM, "training.pen_style": NUM, "training.elastic": NUM,
    "training.sketches": NUM, "training.jitter": NUM, "training.ema": NUM, "training.device": (str,),
    "training.amp": (bool,),
    "training.categories": (str, None), "seed": (int,),
    "epochs": NUM, "command": (str, None), "history": (list,), "history[0]": (dict,), "history[0].epoch": NUM,
    "history[0].test_kl": NUM, "train_seconds": NUM, "created": (str,), "vaedesk_version": (str,),
    "torch_version": (str,), "threads": (int,), "device": (str,), "processes": (int,), "torch_cuda": (str, None),
    "resumed": (int,), "stopped_early": (bool,), "metrics": (dict,), "notes": (str,),
    "metrics.neg_elbo": NUM, "metrics.recon": NUM, "metrics.kl": NUM, "metrics.active_units": (int,),
    "metrics.knn5_test": NUM, "metrics.knn5_drawings": NUM, "metrics.knn5_heldout": NUM,
    "fine_tuned_from": (dict, None),
    "fine_tuned_from.name": (str, None), "fine_tuned_from.command": (str, None),
    "fine_tuned_from.seed": (int, None), "fine_tuned_from.epochs": NUM + (None,),
    "fine_tuned_from.weights_sha256": (str, None), "fine_tuned_from.fine_tuned_from": (dict, None),
}


def test_the_field_table_covers_the_schema():
    from vaedesk.model import card as schema

    def paths(fields, prefix=""):
        for key, (_, check) in fields.items():
            yield prefix + key
            if isinstance(check, dict):
                yield from paths(check, prefix + key + ".")

    known = set(paths(schema.CARD_SCHEMA)) | set(paths(schema.ANCESTOR_SCHEMA, "fine_tuned_from."))
    assert known | {"fine_tuned_from", "fine_tuned_from.fine_tuned_from"} <= set(CARD_FIELD_TYPES)


JSON_TYPES = {
    None: st.none(),
    bool: st.booleans(),
    # Control characters, escapes and separators: a card's text reaches terminals.
    str: st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
    | st.sampled_from(["\x1b[2J", "a\nb", "\u202eevil", "\x00", "vae "]),
    int: st.integers() | st.sampled_from([2**63, -(2**63) - 1, 10**300, -(10**300)]),
    float: st.floats() | st.sampled_from([math.nan, math.inf, -math.inf, 1e308]),
    list: st.lists(st.none() | st.integers(0, 9) | st.text(max_size=3), max_size=3),
    dict: st.dictionaries(st.text(max_size=5), st.none() | st.integers(0, 9) | st.text(max_size=3), max_size=3),
}


def _json_type(value):
    return None if value is None else type(value)


def _set_field(card: dict, path: str, value) -> None:
    node = card
    parts = path.replace("[0]", ".0").split(".")
    for part in parts[:-1]:
        key = int(part) if part.isdigit() else part
        if node[key] is None:  # a model trained from scratch has no parent: give it one
            node[key] = {}
        node = node[key]
    node[int(parts[-1]) if parts[-1].isdigit() else parts[-1]] = value


WRONG_TYPES = [(path, kind) for path, allowed in sorted(CARD_FIELD_TYPES.items())
               for kind in JSON_TYPES if kind not in allowed]


def check_card_change(tmp_path, monkeypatch, capsys, tiny_model_path, path, value) -> None:
    """load_model says which field is wrong (ModelError, one line) and nothing else escapes;
    `vaedesk models` lists the model as broken and `vaedesk eval` gives one line of error."""
    import vaedesk.model.catalog
    from vaedesk.cli import main

    card = json.loads(tiny_model_path.with_suffix(".json").read_text())
    _set_field(card, path, value)
    weights = write_model(tmp_path, tiny_model_path.read_bytes(), card)
    wrong_type = _json_type(value) not in CARD_FIELD_TYPES[path]
    try:
        load_model(weights)
    except ModelError as exc:
        if wrong_type:
            assert_names_file(exc, weights.with_suffix(".json"), rf"card field {re.escape(path)} must be ")
        else:  # in range or not, or a latent size or width its weights do not have
            blamed = weights if "weights do not match" in str(exc) else weights.with_suffix(".json")
            assert_names_file(exc, blamed,
                              r"card field \S+ (must be|is missing|nests)|the card does not match|weights do not match")
    else:
        assert not wrong_type, f"{path} = {value!r} was accepted"
        return
    monkeypatch.setattr(vaedesk.model.catalog, "_search_dirs", lambda: [tmp_path])
    assert main(["models"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("fuzz  (broken: ") and out.count("\n") == 1 and not err, (out, err)
    assert main(["eval", "--model", str(weights)]) == 1
    out, err = capsys.readouterr()
    assert not out and err.startswith("vaedesk: error: ") and err.count("\n") == 1, err
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f\u202e]", out + err)  # escaped for the terminal


# Every field with every JSON type it may not hold (~250 pairs), a few values of each.
@pytest.mark.parametrize("path, kind", WRONG_TYPES,
                         ids=[f"{p}-{getattr(k, '__name__', 'null')}" for p, k in WRONG_TYPES])
@settings(max_examples=max(2, settings.default.max_examples // 50))
@given(st.data())
def test_every_card_field_of_the_wrong_type(tmp_path, monkeypatch, capsys, tiny_model_path, path, kind, data):
    check_card_change(tmp_path, monkeypatch, capsys, tiny_model_path, path, data.draw(JSON_TYPES[kind]))


@given(st.sampled_from(sorted(CARD_FIELD_TYPES)), st.one_of(*JSON_TYPES.values()))
def test_every_card_field_with_any_value(tmp_path, monkeypatch, capsys, tiny_model_path, path, value):
    """Values of the right type may still be out of range: loaded, or a ModelError, nothing else."""
    check_card_change(tmp_path, monkeypatch, capsys, tiny_model_path, path, value)


class Exploit:
    """Unpickling this creates ``marker``: proof that a file's code ran."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@settings(max_examples=max(5, settings.default.max_examples // 4))
@given(st.sampled_from(["pickle", "torch.save", "torch.save-legacy"]), st.integers(0, pickle.HIGHEST_PROTOCOL),
       st.sampled_from(["fuzz.safetensors", "fuzz.pt", "fuzz.json"]), st.booleans())
def test_pickles_are_refused_and_never_run(tmp_path, small_model, how, protocol, name, keep_digest):
    _, card, _ = small_model
    marker = tmp_path / "PWNED"
    payload = {"state_dict": Exploit(marker)}
    buf = io.BytesIO()
    if how == "pickle":
        pickle.dump(payload, buf, protocol=protocol)
    else:
        torch.save(payload, buf, pickle_protocol=max(protocol, 2),
                   _use_new_zipfile_serialization=how == "torch.save")
    # The payload is live: unpickling it really would create the marker.
    pickle.loads(pickle.dumps(Exploit(tmp_path / "live"))).close()
    assert (tmp_path / "live").exists()

    path = write_model(tmp_path, b"", card if keep_digest else without_digest(card))
    target = tmp_path / name
    target.write_bytes(buf.getvalue())
    with pytest.raises(ModelError) as info:
        load_model(target)
    if name == "fuzz.json":  # the pickle is the card
        assert_names_file(info.value, target, r"model card is not (valid|usable) JSON|model card is not UTF-8 text")
    elif name == "fuzz.pt":  # only NAME.safetensors is ever read as weights
        assert_names_file(info.value, tmp_path / "fuzz.pt.safetensors", r"model weights not found")
    elif keep_digest:
        assert_names_file(info.value, path.with_suffix(".json"), r"SHA-256 differs")
    else:
        assert_names_file(info.value, path, r"not a valid safetensors weights file")
    assert not marker.exists()


@settings(max_examples=5)
@given(st.integers(900, 1024), st.integers(900, 1024), st.integers(64, 512))
def test_card_claiming_a_huge_network_allocates_nothing(tmp_path, small_model, width, hidden, latent):
    weights, card, _ = small_model
    card = dict(without_digest(card), latent_dim=latent,
                architecture={"name": "conv-v1", "width": width, "hidden": hidden})
    path = write_model(tmp_path, weights, card)
    import time

    started = time.perf_counter()
    with pytest.raises(ModelError) as info:
        load_model(path)
    # Building the claimed network would take up to 1 GB and seconds; the file has 10 kB.
    assert time.perf_counter() - started < 0.5
    assert_names_file(info.value, path, r"weights do not match the card's architecture")


@given(st.text(st.characters(blacklist_characters="\x00\n\r"), min_size=1, max_size=300))
@example("n" * 300)  # a valid model name, too long for the file system
@example("sub/" + "n" * 300)
def test_model_names_and_paths_that_do_not_exist(tmp_path, monkeypatch, text):
    monkeypatch.chdir(tmp_path)  # empty: nothing there is a model
    assume(text not in list_models())
    with pytest.raises(ModelError) as info:
        load_model(text)
    message = str(info.value)
    assert "\n" not in message
    assert re.search(r"^no model named|: model weights not found$|: is a folder, expected a model file|"
                     r": cannot open \(File name too long\)$", message), message


# =========================================================================== images

FORMAT_MODES = {
    "PNG": ["1", "L", "P", "RGB", "RGBA", "I;16", "LA"],
    "GIF": ["L", "P", "RGB"],
    "BMP": ["1", "L", "P", "RGB"],
    "TIFF": ["1", "L", "P", "RGB", "RGBA", "CMYK", "YCbCr", "LAB", "I", "I;16", "F", "LA", "PA"],
    "JPEG": ["L", "RGB", "CMYK"],
    "WEBP": ["RGB", "RGBA"],
    "PPM": ["1", "L", "RGB", "I", "F"],
    "TGA": ["L", "P", "RGB", "RGBA", "LA"],
    "PCX": ["1", "L", "P", "RGB"],
    "ICO": ["L", "RGBA"],
    "SGI": ["L", "RGB", "RGBA"],
    "QOI": ["RGB", "RGBA"],
    "DDS": ["RGBA"],
}


@st.composite
def image_file(draw, max_side=48):
    """(format, bytes) of a valid image: random paper with a block of ink, or noise."""
    fmt = draw(st.sampled_from(sorted(FORMAT_MODES)))
    mode = draw(st.sampled_from(FORMAT_MODES[fmt]))
    width, height = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    gray = np.full((height, width), draw(st.integers(0, 255)), np.uint8)
    if draw(st.booleans()):
        seed = draw(st.integers(0, 2**32 - 1))
        gray = np.random.default_rng(seed).integers(0, 256, (height, width), dtype=np.uint8)
    y, x = draw(st.integers(0, height - 1)), draw(st.integers(0, width - 1))
    gray[y : y + max(1, height // 2), x : x + max(1, width // 5)] = draw(st.integers(0, 255))
    image = Image.fromarray(gray, "L").convert("RGBA" if mode in ("LA", "PA") else mode)
    if mode in ("LA", "PA", "RGBA"):
        alpha = np.where(gray > 127, 255, draw(st.integers(0, 255))).astype(np.uint8)
        image.putalpha(Image.fromarray(alpha))
        image = image.convert(mode)
    buf = io.BytesIO()
    image.save(buf, format=fmt)
    return fmt, buf.getvalue()


def check_loaded(path: Path):
    """load_image -> preprocess_image gives a digit, or an ImageError that says why not."""
    try:
        image = load_image(path)
    except ImageError as exc:
        assert_names_file(exc, path, r"not an image file", r"truncated or corrupt image", r"cannot decode image",
                          r"image too large", r"file is empty", r"image has no pixels")
        return None
    assert image.size[0] * image.size[1] <= MAX_IMAGE_PIXELS
    try:
        out = preprocess_image(image)
    except ImageError as exc:
        assert re.search(r"^image is blank \(|^image has NaN or infinite values$", str(exc)), str(exc)
        return None
    assert out.shape == (28, 28) and out.dtype == np.float32
    assert np.isfinite(out).all() and out.min() >= 0.0 and out.max() <= 1.0 and out.max() > 0
    return out


@FEW
@given(image_file())
def test_image_files_of_every_format_and_mode(tmp_path, case):
    fmt, data = case
    path = tmp_path / f"digit.{fmt.lower()}"
    path.write_bytes(data)
    image = load_image(path)  # a valid file always loads
    with Image.open(io.BytesIO(data)) as original:
        assert image.size == original.size
    check_loaded(path)


@FEW
@given(image_file(max_side=24), st.data())
def test_damaged_image_files(tmp_path, case, data):
    fmt, raw = case
    raw = bytearray(raw)
    how = data.draw(st.sampled_from(["cut", "flip", "insert"]))
    if how == "cut":
        raw = raw[: data.draw(st.integers(0, len(raw) - 1))]
    elif how == "flip":
        for _ in range(data.draw(st.integers(1, 4))):
            raw[data.draw(st.integers(0, len(raw) - 1))] ^= data.draw(st.integers(1, 255))
    else:
        i = data.draw(st.integers(0, len(raw)))
        raw[i:i] = data.draw(st.binary(min_size=1, max_size=16))
    path = tmp_path / f"damaged.{fmt.lower()}"
    path.write_bytes(bytes(raw))
    check_loaded(path)


@given(st.binary(max_size=400), st.sampled_from(["x.png", "x.gif", "x.jpg", "x", "x.tif"]))
def test_random_bytes_as_images(tmp_path, raw, name):
    path = tmp_path / name
    path.write_bytes(raw)
    check_loaded(path)


def png_claiming(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    Image.new("L", (1, 1), 255).save(buf, format="PNG")
    data = buf.getvalue()
    ihdr = b"IHDR" + struct.pack(">II", width, height) + data[24:29]
    return data[:12] + ihdr + struct.pack(">I", zlib.crc32(ihdr)) + data[33:]


def gif_claiming(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    Image.new("L", (1, 1), 255).save(buf, format="GIF")
    data = bytearray(buf.getvalue())
    data[6:10] = struct.pack("<HH", width, height)  # logical screen
    i = data.index(b",")  # image descriptor: left, top, width, height
    data[i + 5 : i + 9] = struct.pack("<HH", width, height)
    return bytes(data)


def bmp_claiming(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    Image.new("L", (1, 1), 255).save(buf, format="BMP")
    data = bytearray(buf.getvalue())
    data[18:26] = struct.pack("<ii", width, height)
    return bytes(data)


BOMBS = {"png": (png_claiming, 2**31 - 1), "gif": (gif_claiming, 2**16 - 1), "bmp": (bmp_claiming, 2**31 - 1)}


@settings(max_examples=max(10, settings.default.max_examples // 2))
@given(st.sampled_from(sorted(BOMBS)), st.data())
def test_decompression_bombs_are_refused_before_decoding(tmp_path, monkeypatch, kind, data):
    build, limit = BOMBS[kind]
    width = data.draw(st.integers(MAX_IMAGE_PIXELS // limit + 1, limit))
    height = data.draw(st.integers(MAX_IMAGE_PIXELS // width + 1, limit))
    assert width * height > MAX_IMAGE_PIXELS
    path = tmp_path / f"bomb.{kind}"
    path.write_bytes(build(width, height))
    decoded = []
    original = ImageFile.ImageFile.load

    def spy(self):
        decoded.append(self.size)
        return original(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    with pytest.raises(ImageError) as info:
        load_image(path)
    assert_names_file(info.value, path, r"image too large .*possible decompression bomb")
    assert decoded == [], "the pixels were decoded before the size was checked"


@FEW
@given(st.sampled_from(["GIF", "PNG", "WEBP", "TIFF"]), st.integers(2, 4), st.integers(0, 2**32 - 1))
def test_animated_images_load_their_first_frame(tmp_path, fmt, n_frames, seed):
    rng = np.random.default_rng(seed)
    frames = [np.zeros((20, 16), np.uint8) for _ in range(n_frames)]
    for i, frame in enumerate(frames):  # a block of ink somewhere, and a mark that tells frames apart
        y, x = rng.integers(0, 12), rng.integers(0, 10)
        frame[y : y + 8, x : x + 6] = 255
        frame[-1, -1] = 60 * (i + 1)  # writers merge identical frames
    images = [Image.fromarray(f) for f in frames]
    if fmt == "WEBP":
        images = [im.convert("RGB") for im in images]
    path = tmp_path / f"anim.{fmt.lower()}"
    kwargs = {"lossless": True} if fmt == "WEBP" else {}
    images[0].save(path, format=fmt, save_all=True, append_images=images[1:], duration=100, **kwargs)
    with Image.open(path) as check:
        assert getattr(check, "n_frames", 1) == n_frames
    first = np.asarray(load_image(path).convert("L"))
    assert np.array_equal(first, frames[0])


@given(st.text(st.characters(blacklist_characters="\n\r"), min_size=1, max_size=400), st.booleans())
@example("n" * 300, False)  # the system refuses the name itself (not just its missing folder)
def test_image_paths_that_name_nothing(tmp_path, text, in_missing_folder):
    path = (tmp_path / "missing" if in_missing_folder else tmp_path / "empty") / text
    (tmp_path / "empty").mkdir(exist_ok=True)
    with pytest.raises(ImageError) as info:
        load_image(path)
    assert_names_file(info.value, path, r": file not found$", r": cannot open \(File name too long\)$",
                      r": is a folder, not an image file$",  # "." or ".."
                      r": not a valid file name \(it contains a NUL byte\)$")


def test_image_special_files(tmp_path):
    (tmp_path / "empty.png").write_bytes(b"")
    for path, pattern in [(tmp_path / "empty.png", r"file is empty"), (tmp_path, r"is a folder, not an image")]:
        with pytest.raises(ImageError) as info:
            load_image(path)
        assert_names_file(info.value, path, pattern)


@pytest.mark.parametrize("key", ["\n", " ", "a\x1b[31m"])
def test_a_history_key_of_any_text_is_named_on_one_line(tmp_path, tiny_model_path, key):
    # Found by hypothesis: a key holding a line break split the message in two.
    import json
    import shutil

    from vaedesk.errors import ModelError
    from vaedesk.model.catalog import model_files
    from vaedesk.model.model import load_model

    weights, card = model_files(tiny_model_path)
    shutil.copy(weights, tmp_path / "m.safetensors")
    data = json.loads(card.read_text())
    data["history"] = [{key: None}]
    (tmp_path / "m.json").write_text(json.dumps(data))
    with pytest.raises(ModelError) as error:
        load_model(tmp_path / "m.safetensors")
    message = str(error.value)
    assert "\n" not in message and "\x1b" not in message
    assert re.search(r"card field history\[0\]\[\S+ must be ", message)
