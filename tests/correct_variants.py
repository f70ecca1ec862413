"""Correct student solutions written in styles other than the reference's, as test fixtures.

Every entry of ``VARIANTS`` is a "variant student": a mapping from the grade_id of a solution
cell to a full replacement source for that cell. Each one is written from the exercise text and
the docstrings only (not from the hidden checks) and is correct per the docstring; they differ
from the reference in how they vectorize (einsum, np.dot, broadcasting, np.add.at, bincount),
use explicit loops where the exercise allows them, handle dtypes (preserving float32 where the
docstring leaves the dtype open), choose other stable formulations (logsumexp, expm1, tanh),
or copy their inputs defensively. ``tests/test_correct_variants.py`` grades each variant on the
grading path and requires full marks: a valid solution must never lose points.

Notebook 06's capstone ``build_and_train`` (minutes of training) is not varied here.

``NB06_FLOAT32_BITS`` was a false positive of the check until it accepted any float dtype for
the bits (the docstring asks for "ndarray ... of float", naming no precision).
"""

# ---------------------------------------------------------------------------------------------
# 01 linear regression
# ---------------------------------------------------------------------------------------------

NB01_EINSUM = {
    "predict": '''
def predict(X, W, b):
    return np.einsum("nd,dm->nm", X, W) + b[np.newaxis, :]
''',
    "mse_loss": '''
def mse_loss(y_hat, y):
    diff = np.ravel(y_hat - y)
    return float(diff @ diff) / (2 * y.shape[0])
''',
    "mse_gradients": '''
def mse_gradients(X, y, W, b):
    N = X.shape[0]
    error = np.einsum("nd,dm->nm", X, W) + b - y
    dW = np.einsum("nd,nm->dm", X, error) / N
    db = error.mean(axis=0)
    return dW, db
''',
    "gradient_descent_step": '''
def gradient_descent_step(W, b, dW, db, learning_rate):
    W_new = np.array(W, copy=True)
    b_new = np.array(b, copy=True)
    W_new -= learning_rate * dW
    b_new -= learning_rate * db
    return W_new, b_new
''',
    "iterate_minibatches": '''
def iterate_minibatches(X, y, batch_size, rng=None, shuffle=True):
    N = X.shape[0]
    order = rng.permutation(N) if shuffle else np.arange(N)
    for batch in np.split(order, np.arange(batch_size, N, batch_size)):
        yield X[batch], y[batch]
''',
    "standardize": '''
def fit_standardizer(X):
    N = X.shape[0]
    mean = X.sum(axis=0) / N
    std = np.sqrt(((X - mean) ** 2).sum(axis=0) / N)
    std[std <= 1e-8] = 1.0
    return mean, std


def standardize(X, mean, std):
    return (X - mean[np.newaxis, :]) / std[np.newaxis, :]


def standardize_split(X_train, X_test):
    mean, std = fit_standardizer(X_train)
    return tuple(standardize(part, mean, std) for part in (X_train, X_test))
''',
    "fit_gradient_descent": '''
def fit_gradient_descent(X, y, *, learning_rate, epochs, batch_size, rng):
    W = np.zeros_like(X, shape=(X.shape[1], y.shape[1]))
    b = np.zeros_like(X, shape=(y.shape[1],))
    losses = []
    for _ in range(epochs):
        for X_batch, y_batch in iterate_minibatches(X, y, batch_size, rng=rng, shuffle=True):
            dW, db = mse_gradients(X_batch, y_batch, W, b)
            W, b = gradient_descent_step(W, b, dW, db, learning_rate)
        losses.append(float(mse_loss(predict(X, W, b), y)))
    return W, b, losses
''',
    "huber_loss": '''
def huber_loss(pred, target, delta=1.0):
    r = pred - np.asarray(target).reshape(pred.shape)
    N = r.shape[0]
    inside = np.abs(r) <= delta
    loss = (0.5 * np.sum(r[inside] ** 2)
            + delta * np.sum(np.abs(r[~inside]) - 0.5 * delta)) / N
    dpred = np.where(inside, r, delta * np.sign(r)) / N
    return float(loss), dpred
''',
}

NB01_LOOPS = {
    "predict": '''
def predict(X, W, b):
    return np.dot(X, W) + b.reshape(1, -1)
''',
    "mse_loss": '''
def mse_loss(y_hat, y):
    N = len(y)
    total = 0.0
    for i in range(N):
        total += float(np.sum((y_hat[i] - y[i]) ** 2))
    return total / (2 * N)
''',
    "mse_gradients": '''
def mse_gradients(X, y, W, b):
    N = X.shape[0]
    error = np.dot(X, W) + b - y
    dW = np.dot(X.T, error) / N
    db = np.ones(N) @ error / N
    return dW, db
''',
    "gradient_descent_step": '''
def gradient_descent_step(W, b, dW, db, learning_rate):
    return np.subtract(W, learning_rate * dW), np.subtract(b, learning_rate * db)
''',
    "iterate_minibatches": '''
def iterate_minibatches(X, y, batch_size, rng=None, shuffle=True):
    N = len(X)
    order = np.arange(N)
    if shuffle:
        rng.shuffle(order)
    start = 0
    while start < N:
        idx = order[start:start + batch_size]
        yield np.take(X, idx, axis=0), np.take(y, idx, axis=0)
        start += batch_size
''',
    "standardize": '''
def fit_standardizer(X):
    N, D = X.shape
    mean = np.einsum("nd->d", X) / N
    centered = X - mean
    std = np.sqrt(np.einsum("nd,nd->d", centered, centered) / N)
    std = np.where(std <= 1e-8, 1.0, std)
    return mean, std


def standardize(X, mean, std):
    return (X - mean) * (1.0 / std)


def standardize_split(X_train, X_test):
    stats = fit_standardizer(X_train)
    X_train_std = standardize(X_train, *stats)
    X_test_std = standardize(X_test, *stats)
    return X_train_std, X_test_std
''',
    "fit_gradient_descent": '''
def fit_gradient_descent(X, y, *, learning_rate, epochs, batch_size, rng):
    N, D = X.shape
    M = y.shape[1]
    W = np.zeros((D, M), dtype=X.dtype)
    b = np.zeros((M,), dtype=X.dtype)
    losses = [0.0] * epochs
    epoch = 0
    while epoch < epochs:
        batches = iterate_minibatches(X, y, batch_size, rng)
        for X_batch, y_batch in batches:
            grads = mse_gradients(X_batch, y_batch, W, b)
            W, b = gradient_descent_step(W, b, grads[0], grads[1], learning_rate)
        losses[epoch] = mse_loss(predict(X, W, b), y)
        epoch += 1
    return W, b, losses
''',
    "huber_loss": '''
def huber_loss(pred, target, delta=1.0):
    target = np.reshape(target, np.shape(pred))
    N = pred.shape[0]
    dpred = np.zeros(pred.shape, dtype=np.result_type(pred, 1.0))
    total = 0.0
    for idx in np.ndindex(pred.shape):
        r = float(pred[idx] - target[idx])
        if abs(r) <= delta:
            total += 0.5 * r * r
            dpred[idx] = r / N
        else:
            total += delta * (abs(r) - 0.5 * delta)
            dpred[idx] = delta * np.sign(r) / N
    return total / N, dpred
''',
}

NB01_DTYPE = {
    "predict": '''
def predict(X, W, b):
    out = np.matmul(X, W)
    return out + b
''',
    "mse_loss": '''
def mse_loss(y_hat, y):
    per_example = np.square(y_hat - y).sum(axis=1)
    return float(per_example.mean() / 2)
''',
    "mse_gradients": '''
def mse_gradients(X, y, W, b):
    scaled_error = (predict(X, W, b) - y) / X.shape[0]
    return X.T.dot(scaled_error), scaled_error.sum(0)
''',
    "gradient_descent_step": '''
def gradient_descent_step(W, b, dW, db, learning_rate):
    # keep the parameters' own dtype (float32 parameters stay float32)
    W_new = (W - learning_rate * dW).astype(W.dtype, copy=False)
    b_new = (b - learning_rate * db).astype(b.dtype, copy=False)
    return W_new, b_new
''',
    "iterate_minibatches": '''
def iterate_minibatches(X, y, batch_size, rng=None, shuffle=True):
    if shuffle:
        perm = rng.permutation(X.shape[0])
        X, y = X[perm], y[perm]          # shuffled copies; the caller's arrays are untouched
    for start in range(0, X.shape[0], batch_size):
        yield X[start:start + batch_size], y[start:start + batch_size]
''',
    "standardize": '''
def fit_standardizer(X):
    X64 = np.asarray(X, dtype=np.float64)
    mean = X64.mean(axis=0)
    std = X64.std(axis=0)
    std[std <= 1e-8] = 1.0
    return mean, std


def standardize(X, mean, std):
    # statistics in float64, the result in the dtype of the data
    return ((X - mean) / std).astype(X.dtype, copy=False)


def standardize_split(X_train, X_test):
    mean, std = fit_standardizer(X_train)
    return standardize(X_train.copy(), mean, std), standardize(X_test.copy(), mean, std)
''',
    "fit_gradient_descent": '''
def fit_gradient_descent(X, y, *, learning_rate, epochs, batch_size, rng):
    W = np.zeros((X.shape[1], y.shape[1])).astype(X.dtype)
    b = np.zeros(y.shape[1]).astype(X.dtype)
    losses = []
    for epoch in range(epochs):
        batches = list(iterate_minibatches(X, y, batch_size, rng))
        for X_batch, y_batch in batches:
            dW, db = mse_gradients(X_batch, y_batch, W, b)
            W, b = gradient_descent_step(W, b, dW, db, learning_rate)
        losses += [mse_loss(predict(X, W, b), y)]
    return W, b, losses
''',
    "huber_loss": '''
def huber_loss(pred, target, delta=1.0):
    r = pred - np.reshape(target, pred.shape)
    N = len(r)
    clipped = np.minimum(np.abs(r), delta)        # |r| inside, delta outside
    loss = np.sum(clipped * (np.abs(r) - 0.5 * clipped)) / N
    return float(loss), np.sign(r) * clipped / N
''',
}

# ---------------------------------------------------------------------------------------------
# 02 softmax regression
# ---------------------------------------------------------------------------------------------

NB02_BROADCAST = {
    "one_hot": '''
def one_hot(y, num_classes):
    return (y[:, np.newaxis] == np.arange(num_classes)[np.newaxis, :]).astype(np.float64)
''',
    "softmax": '''
def softmax(scores):
    # logsumexp form: log p = s - (m + log sum exp(s - m))
    m = scores.max(axis=1, keepdims=True)
    log_norm = m + np.log(np.exp(scores - m).sum(axis=1, keepdims=True))
    return np.exp(scores - log_norm)
''',
    "cross_entropy": '''
def cross_entropy(probs, y):
    p_true = np.take_along_axis(probs, y[:, np.newaxis], axis=1)[:, 0]
    p_true = np.minimum(np.maximum(p_true, 1e-12), 1.0)
    return float(-np.log(p_true).mean())
''',
    "softmax_cross_entropy": '''
def softmax_cross_entropy(scores, y):
    N = scores.shape[0]
    probs = softmax(scores)
    loss = cross_entropy(probs, y)
    dscores = probs.copy()
    dscores[np.arange(N), y] -= 1.0
    dscores /= N
    return loss, dscores
''',
    "softmax_regression_loss": '''
def softmax_regression_loss(X, y, W, b):
    scores = np.einsum("nd,dc->nc", X, W) + b
    loss, dscores = softmax_cross_entropy(scores, y)
    dW = np.einsum("nd,nc->dc", X, dscores)
    db = np.einsum("nc->c", dscores)
    return loss, dW, db
''',
    "accuracy": '''
def accuracy(scores, y):
    return np.count_nonzero(scores.argmax(axis=1) == y) / len(y)
''',
}

NB02_LOOPS = {
    "one_hot": '''
def one_hot(y, num_classes):
    Y = np.zeros((len(y), num_classes), dtype=np.float64)
    for i, label in enumerate(y):
        Y[i, int(label)] = 1.0
    return Y
''',
    "softmax": '''
def softmax(scores):
    # one row at a time; float32 logits give float32 probabilities
    probs = np.empty(scores.shape, dtype=np.result_type(scores.dtype, np.float32))
    for i, row in enumerate(scores):
        e = np.exp(row - row.max())
        probs[i] = e / e.sum()
    return probs
''',
    "cross_entropy": '''
import math


def cross_entropy(probs, y):
    total = 0.0
    for i, label in enumerate(y):
        p = min(max(float(probs[i, label]), 1e-12), 1.0)
        total -= math.log(p)
    return total / len(y)
''',
    "softmax_cross_entropy": '''
def softmax_cross_entropy(scores, y):
    N, C = scores.shape
    probs = softmax(scores)
    Y = one_hot(y, C)
    return cross_entropy(probs, y), (probs - Y) * (1.0 / N)
''',
    "softmax_regression_loss": '''
def softmax_regression_loss(X, y, W, b):
    scores = np.dot(X, W) + b
    loss, dscores = softmax_cross_entropy(scores, y)
    dW = np.zeros(W.shape, dtype=np.result_type(X, dscores))
    for x_i, ds_i in zip(X, dscores):          # one outer product per example
        dW += np.outer(x_i, ds_i)
    db = dscores.sum(axis=0)
    return loss, dW, db
''',
    "accuracy": '''
def accuracy(scores, y):
    correct = 0
    for row, label in zip(scores, y):
        correct += int(np.argmax(row) == label)
    return correct / len(y)
''',
}

NB02_DEFENSIVE = {
    "one_hot": '''
def one_hot(y, num_classes):
    return np.eye(num_classes, dtype=np.float64)[np.asarray(y)]
''',
    "softmax": '''
def softmax(scores):
    s = np.array(scores, dtype=np.float64)              # a private float64 copy
    s -= s.max(axis=1).reshape(-1, 1)
    np.exp(s, out=s)
    s /= s.sum(axis=1)[:, np.newaxis]
    return s
''',
    "cross_entropy": '''
def cross_entropy(probs, y):
    C = probs.shape[1]
    picked = (probs * (np.arange(C)[np.newaxis, :] == y[:, np.newaxis])).sum(axis=1)
    return float(np.mean(-np.log(np.clip(picked, 1e-12, 1.0))))
''',
    "softmax_cross_entropy": '''
def softmax_cross_entropy(scores, y):
    N, C = np.shape(scores)
    probs = softmax(np.array(scores, copy=True))
    loss = float(cross_entropy(probs, y))
    dscores = np.divide(probs - one_hot(y, C), N)
    return loss, dscores
''',
    "softmax_regression_loss": '''
def softmax_regression_loss(X, y, W, b):
    scores = np.matmul(X, W) + b[None, :]
    loss, dscores = softmax_cross_entropy(scores, y)
    dW = np.tensordot(X, dscores, axes=([0], [0]))
    db = np.ones(X.shape[0]) @ dscores
    return loss, dW, db
''',
    "accuracy": '''
def accuracy(scores, y):
    predicted = np.argmax(np.asarray(scores), axis=-1)
    return float(np.mean(np.equal(predicted, np.asarray(y))))
''',
}

# ---------------------------------------------------------------------------------------------
# 03 backpropagation
# ---------------------------------------------------------------------------------------------

NB03_VECTOR = {
    "sigmoid": '''
def sigmoid_forward(z):
    a = np.exp(-np.logaddexp(0.0, -z))       # 1 / (1 + exp(-z)) = exp(-log(1 + exp(-z)))
    return a, a


def sigmoid_backward(da, cache):
    return da * (cache - cache * cache)
''',
    "tanh": '''
def tanh_forward(z):
    a = np.tanh(z)
    return a, a


def tanh_backward(da, cache):
    return da - da * cache * cache
''',
    "relu": '''
def relu_forward(z):
    return np.where(z > 0, z, 0), z


def relu_backward(da, cache):
    return np.where(cache > 0, da, 0)
''',
    "leaky_relu": '''
def leaky_relu_forward(z, alpha=0.01):
    return np.where(z > 0, 1.0, alpha) * z, (z, alpha)


def leaky_relu_backward(da, cache):
    z, alpha = cache
    return np.where(z > 0, da, alpha * da)
''',
    "elu": '''
def elu_forward(z, alpha=1.0):
    a = np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0)))
    return a, (z, a, alpha)


def elu_backward(da, cache):
    z, a, alpha = cache
    return np.where(z > 0, da, da * (a + alpha))
''',
    "j_forward_backward": '''
import math


def j_forward_backward(x):
    t = x * x
    u1 = math.sin(t)
    u2 = 3.0 * t
    u = u1 + u2
    J = math.cos(u)
    dJ_du = -math.sin(u)
    dJ_dt = dJ_du * math.cos(t) + dJ_du * 3.0
    dJ_dx = dJ_dt * 2.0 * x
    return float(J), float(dJ_dx)
''',
    "numerical_gradient": '''
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros(x.shape, dtype=np.float64)
    for k in range(x.size):
        idx = np.unravel_index(k, x.shape)
        saved = x[idx]
        try:
            x[idx] = saved + h
            f_plus = float(f(x))
            x[idx] = saved - h
            f_minus = float(f(x))
        finally:
            x[idx] = saved
        grad[idx] = (f_plus - f_minus) / (2.0 * h)
    return grad
''',
    "relative_error": '''
def relative_error(a, b):
    num = np.abs(a - b)
    den = np.maximum(np.abs(a) + np.abs(b), 1e-8)
    return float((num / den).max())
''',
    "affine_forward": '''
def affine_forward(x, W, b):
    return np.einsum("nd,dm->nm", x, W) + b, (x, W)
''',
    "affine_backward": '''
def affine_backward(dout, cache):
    x, W = cache
    dx = np.einsum("nm,dm->nd", dout, W)
    dW = np.einsum("nd,nm->dm", x, dout)
    db = np.einsum("nm->m", dout)
    return dx, dW, db
''',
    "l_layer_forward": '''
def l_layer_forward(X, params, activation="relu"):
    forward = {"sigmoid": sigmoid_forward, "tanh": tanh_forward, "relu": relu_forward,
               "leaky_relu": leaky_relu_forward, "elu": elu_forward}[activation]
    L = sum(1 for name in params if name.startswith("W"))
    caches = []
    A = X
    for l in range(1, L + 1):
        Z, affine_cache = affine_forward(A, params["W" + str(l)], params["b" + str(l)])
        if l == L:
            caches.append(affine_cache)
            return Z, caches
        A, activation_cache = forward(Z)
        caches.append((affine_cache, activation_cache, activation))
''',
    "l_layer_backward": '''
def l_layer_backward(dscores, caches):
    backward = {"sigmoid": sigmoid_backward, "tanh": tanh_backward, "relu": relu_backward,
                "leaky_relu": leaky_relu_backward, "elu": elu_backward}
    L = len(caches)
    grads = {}
    dA, dW, db = affine_backward(dscores, caches[-1])
    grads["W" + str(L)], grads["b" + str(L)] = dW, db
    for l in reversed(range(1, L)):
        affine_cache, activation_cache, activation = caches[l - 1]
        dA, dW, db = affine_backward(backward[activation](dA, activation_cache), affine_cache)
        grads["W" + str(l)], grads["b" + str(l)] = dW, db
    return grads
''',
    "initializers": '''
def xavier(fan_in, fan_out, rng, dtype=np.float64):
    return np.asarray(rng.standard_normal((fan_in, fan_out)) * (1.0 / np.sqrt(fan_in)),
                      dtype=dtype)


def he(fan_in, fan_out, rng, dtype=np.float64):
    return np.asarray(np.sqrt(2.0 / fan_in) * rng.standard_normal((fan_in, fan_out)),
                      dtype=dtype)
''',
    "initialize_params": '''
def initialize_params(layer_dims, method, rng, dtype=np.float64, std=0.01):
    draw = {
        "zeros": lambda n_in, n_out: np.zeros((n_in, n_out), dtype=dtype),
        "normal": lambda n_in, n_out: (std * rng.standard_normal((n_in, n_out))).astype(dtype),
        "xavier": lambda n_in, n_out: xavier(n_in, n_out, rng, dtype),
        "he": lambda n_in, n_out: he(n_in, n_out, rng, dtype),
    }
    if method not in draw:
        raise ValueError(f"unknown method {method!r}")
    params = {}
    for l, (n_in, n_out) in enumerate(zip(layer_dims[:-1], layer_dims[1:]), start=1):
        params[f"W{l}"] = draw[method](n_in, n_out)
        params[f"b{l}"] = np.zeros(n_out, dtype=dtype)
    return params
''',
}

NB03_MASKS = {
    "sigmoid": '''
def sigmoid_forward(z):
    a = np.empty(np.shape(z), dtype=np.result_type(z, np.float32))
    pos = z >= 0
    a[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    a[~pos] = ez / (1.0 + ez)
    return a, a


def sigmoid_backward(da, cache):
    return np.multiply(da, cache * (1.0 - cache))
''',
    "tanh": '''
def tanh_forward(z):
    # tanh z = sign(z) (1 - e) / (1 + e) with e = exp(-2|z|), written with expm1
    em = np.expm1(-2.0 * np.abs(z))
    a = -np.sign(z) * em / (2.0 + em)
    return a, a


def tanh_backward(da, cache):
    return da * (1.0 - cache) * (1.0 + cache)
''',
    "relu": '''
def relu_forward(z):
    a = np.array(z, copy=True)
    a[a < 0] = 0
    return a, z


def relu_backward(da, cache):
    dz = np.array(da, copy=True)
    dz[cache <= 0] = 0
    return dz
''',
    "leaky_relu": '''
def leaky_relu_forward(z, alpha=0.01):
    a = np.array(z, dtype=np.result_type(z, np.float32), copy=True)
    a[z <= 0] *= alpha
    return a, (z, alpha)


def leaky_relu_backward(da, cache):
    z, alpha = cache
    dz = np.array(da, dtype=np.result_type(da, np.float32), copy=True)
    dz[z <= 0] *= alpha
    return dz
''',
    "elu": '''
def elu_forward(z, alpha=1.0):
    a = np.array(z, dtype=np.result_type(z, np.float32), copy=True)
    neg = z <= 0
    a[neg] = alpha * (np.exp(z[neg]) - 1.0)
    return a, (z, a, alpha)


def elu_backward(da, cache):
    z, a, alpha = cache
    return da * np.where(z > 0, 1.0, alpha * np.exp(np.minimum(z, 0)))
''',
    "j_forward_backward": '''
def j_forward_backward(x):
    # closed form of the chain rule: dJ/dx = -sin(u) (cos(x^2) + 3) 2x
    x = float(x)
    u = np.sin(x ** 2) + 3.0 * x ** 2
    J = np.cos(u)
    dJ_dx = -np.sin(u) * (np.cos(x ** 2) + 3.0) * 2.0 * x
    return float(J), float(dJ_dx)
''',
    "numerical_gradient": '''
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"])
    while not it.finished:
        i = it.multi_index
        original = float(x[i])
        x[i] = original + h
        f_plus = f(x)
        x[i] = original - h
        f_minus = f(x)
        x[i] = original
        grad[i] = (float(f_plus) - float(f_minus)) / (2 * h)
        it.iternext()
    return grad
''',
    "relative_error": '''
def relative_error(a, b):
    worst = 0.0
    for ai, bi in zip(np.ravel(a), np.ravel(b)):
        ai, bi = float(ai), float(bi)
        worst = max(worst, abs(ai - bi) / max(1e-8, abs(ai) + abs(bi)))
    return worst
''',
    "affine_forward": '''
def affine_forward(x, W, b):
    out = np.dot(x, W) + b
    return out, (x, W)
''',
    "affine_backward": '''
def affine_backward(dout, cache):
    x, W = cache
    dx = np.dot(dout, W.T)
    dW = np.zeros(W.shape, dtype=np.result_type(x, dout))
    for n in range(x.shape[0]):                # one example at a time
        dW += np.outer(x[n], dout[n])
    db = dout.sum(axis=0)
    return dx, dW, db
''',
    "l_layer_forward": '''
def l_layer_forward(X, params, activation="relu"):
    forward = {"sigmoid": sigmoid_forward, "tanh": tanh_forward, "relu": relu_forward,
               "leaky_relu": leaky_relu_forward, "elu": elu_forward}
    caches = []
    A = X
    l = 1
    while f"W{l + 1}" in params:               # every layer but the last
        Z, affine_cache = affine_forward(A, params[f"W{l}"], params[f"b{l}"])
        A, activation_cache = forward[activation](Z)
        caches.append((affine_cache, activation_cache, activation))
        l += 1
    scores, affine_cache = affine_forward(A, params[f"W{l}"], params[f"b{l}"])
    caches.append(affine_cache)
    return scores, caches
''',
    "l_layer_backward": '''
def l_layer_backward(dscores, caches):
    L = len(caches)
    grads = {}
    dA, grads[f"W{L}"], grads[f"b{L}"] = affine_backward(dscores, caches[-1])
    for offset, (affine_cache, activation_cache, activation) in enumerate(reversed(caches[:-1])):
        l = L - 1 - offset
        if activation == "sigmoid":
            dZ = sigmoid_backward(dA, activation_cache)
        elif activation == "tanh":
            dZ = tanh_backward(dA, activation_cache)
        elif activation == "relu":
            dZ = relu_backward(dA, activation_cache)
        elif activation == "leaky_relu":
            dZ = leaky_relu_backward(dA, activation_cache)
        elif activation == "elu":
            dZ = elu_backward(dA, activation_cache)
        else:
            raise ValueError(activation)
        dA, grads[f"W{l}"], grads[f"b{l}"] = affine_backward(dZ, affine_cache)
    return grads
''',
    "initializers": '''
def xavier(fan_in, fan_out, rng, dtype=np.float64):
    W = rng.standard_normal(size=(fan_in, fan_out))
    W /= np.sqrt(fan_in)
    return W.astype(dtype, copy=False)


def he(fan_in, fan_out, rng, dtype=np.float64):
    W = rng.standard_normal(size=(fan_in, fan_out))
    W *= np.sqrt(2.0 / fan_in)
    return W.astype(dtype, copy=False)
''',
    "initialize_params": '''
def initialize_params(layer_dims, method, rng, dtype=np.float64, std=0.01):
    params = {}
    L = len(layer_dims) - 1
    for l in range(1, L + 1):
        shape = (layer_dims[l - 1], layer_dims[l])
        if method == "zeros":
            W = np.zeros(shape, dtype)
        elif method == "normal":
            W = rng.normal(0.0, std, size=shape).astype(dtype)
        elif method == "xavier":
            W = xavier(*shape, rng, dtype=dtype)
        elif method == "he":
            W = he(*shape, rng, dtype=dtype)
        else:
            raise ValueError(method)
        params["W%d" % l] = W
        params["b%d" % l] = np.zeros((shape[1],), dtype)
    return params
''',
}

NB03_DEFENSIVE = {
    "sigmoid": '''
def sigmoid_forward(z):
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))                      # never overflows
    a = np.where(z >= 0, 1.0, e) / (1.0 + e)
    return a, a.copy()


def sigmoid_backward(da, cache):
    a = np.asarray(cache)
    return da * a * (1 - a)
''',
    "tanh": '''
def tanh_forward(z):
    a = np.tanh(np.asarray(z, dtype=np.float64))
    return a, a.copy()


def tanh_backward(da, cache):
    return da * (1.0 - np.square(cache))
''',
    "relu": '''
def relu_forward(z):
    return z.clip(min=0), z.copy()


def relu_backward(da, cache):
    return da * (cache > 0).astype(np.result_type(da, np.float32))
''',
    "leaky_relu": '''
def leaky_relu_forward(z, alpha=0.01):
    # the positive part plus alpha times the negative part (also right for z = +-inf)
    return np.maximum(z, 0) + alpha * np.minimum(z, 0), (z.copy(), alpha)


def leaky_relu_backward(da, cache):
    z, alpha = cache
    return da * ((z > 0) + alpha * (z <= 0))
''',
    "elu": '''
def elu_forward(z, alpha=1.0):
    a = np.maximum(z, 0) + alpha * np.expm1(np.minimum(z, 0))
    return a, (z.copy(), a.copy(), alpha)


def elu_backward(da, cache):
    z, a, alpha = cache
    dz = np.array(da, dtype=np.result_type(da, np.float32), copy=True)
    neg = z <= 0
    dz[neg] *= (a + alpha)[neg]
    return dz
''',
    "j_forward_backward": '''
def j_forward_backward(x):
    # a tiny tape: forward values by name, then adjoints in reverse order
    v = {"x": float(x)}
    v["t"] = v["x"] ** 2
    v["u1"] = np.sin(v["t"])
    v["u2"] = 3 * v["t"]
    v["u"] = v["u1"] + v["u2"]
    v["J"] = np.cos(v["u"])
    g = {"J": 1.0}
    g["u"] = g["J"] * -np.sin(v["u"])
    g["u1"] = g["u"]
    g["u2"] = g["u"]
    g["t"] = g["u1"] * np.cos(v["t"]) + g["u2"] * 3
    g["x"] = g["t"] * 2 * v["x"]
    return float(v["J"]), float(g["x"])
''',
    "numerical_gradient": '''
def numerical_gradient(f, x, h=1e-5):
    grad = np.empty(x.shape, dtype=np.float64)
    for idx in np.ndindex(*x.shape):
        keep = x[idx].copy()
        x[idx] = keep + h
        up = f(x)
        x[idx] = keep - h
        down = f(x)
        x[idx] = keep
        grad[idx] = (up - down) / (2 * h)
    return grad
''',
    "relative_error": '''
def relative_error(a, b):
    a = np.array(a, dtype=np.float64)
    b = np.array(b, dtype=np.float64)
    ratio = np.abs(a - b) / np.clip(np.abs(a) + np.abs(b), 1e-8, None)
    return float(np.max(ratio))
''',
    "affine_forward": '''
def affine_forward(x, W, b):
    out = np.matmul(x, W)
    out = out + b.reshape(1, -1)
    return out, (x, W)
''',
    "affine_backward": '''
def affine_backward(dout, cache):
    x, W = cache
    dx = np.matmul(dout, W.swapaxes(0, 1))
    dW = np.tensordot(x, dout, axes=([0], [0]))
    db = np.ones(dout.shape[0], dtype=dout.dtype) @ dout
    return dx, dW, db
''',
    "l_layer_forward": '''
def l_layer_forward(X, params, activation="relu"):
    # recursive: one hidden layer, then the rest of the network on its output
    forward = dict(sigmoid=sigmoid_forward, tanh=tanh_forward, relu=relu_forward,
                   leaky_relu=leaky_relu_forward, elu=elu_forward)[activation]
    L = max(int(name[1:]) for name in params if name.startswith("W"))

    def run(A, l):
        Z, affine_cache = affine_forward(A, params[f"W{l}"], params[f"b{l}"])
        if l == L:
            return Z, [affine_cache]
        A_next, activation_cache = forward(Z)
        scores, rest = run(A_next, l + 1)
        return scores, [(affine_cache, activation_cache, activation)] + rest

    return run(X, 1)
''',
    "l_layer_backward": '''
def l_layer_backward(dscores, caches):
    backward = dict(sigmoid=sigmoid_backward, tanh=tanh_backward, relu=relu_backward,
                    leaky_relu=leaky_relu_backward, elu=elu_backward)
    grads = {}
    upstream = dscores
    for l in range(len(caches), 0, -1):
        cache = caches[l - 1]
        if l < len(caches):
            affine_cache, activation_cache, activation = cache
            upstream = backward[activation](upstream, activation_cache)
        else:
            affine_cache = cache
        upstream, grads[f"W{l}"], grads[f"b{l}"] = affine_backward(upstream, affine_cache)
    return dict(sorted(grads.items()))
''',
    "initializers": '''
def xavier(fan_in, fan_out, rng, dtype=np.float64):
    draws = rng.standard_normal((fan_in, fan_out))
    return (draws / np.sqrt(fan_in)).astype(dtype)


def he(fan_in, fan_out, rng, dtype=np.float64):
    draws = rng.standard_normal((fan_in, fan_out))
    return (draws * np.sqrt(2 / fan_in)).astype(dtype)
''',
    "initialize_params": '''
def initialize_params(layer_dims, method, rng, dtype=np.float64, std=0.01):
    dims = list(layer_dims)
    weights = []
    for fan_in, fan_out in zip(dims, dims[1:]):
        if method == "zeros":
            weights.append(np.zeros((fan_in, fan_out), dtype=dtype))
        elif method == "normal":
            weights.append(np.asarray(std * rng.standard_normal((fan_in, fan_out)), dtype))
        elif method in ("xavier", "he"):
            init = xavier if method == "xavier" else he
            weights.append(init(fan_in, fan_out, rng, dtype))
        else:
            raise ValueError(f"unknown method {method!r}")
    params = {}
    for l, W in enumerate(weights, start=1):
        params[f"W{l}"] = W
        params[f"b{l}"] = np.zeros(W.shape[1], dtype=dtype)
    return params
''',
}

# ---------------------------------------------------------------------------------------------
# 04 optimizers
# ---------------------------------------------------------------------------------------------

NB04_FILTER = {
    "ewa": '''
from scipy.signal import lfilter


def ewa(values, beta, bias_correction=True):
    # v_t = beta v_{t-1} + (1 - beta) theta_t is a first-order linear filter
    theta = np.asarray(values, dtype=np.float64)
    averages = lfilter([1.0 - beta], [1.0, -beta], theta)
    if bias_correction:
        averages = averages / (1.0 - beta ** np.arange(1, len(theta) + 1))
    return averages
''',
    "momentum": '''
def momentum(w, dw, config=None):
    config = {} if config is None else config
    for key, default in {"learning_rate": 1e-2, "momentum": 0.9}.items():
        if key not in config:
            config[key] = default
    if "velocity" not in config:
        config["velocity"] = np.zeros_like(w)
    v = np.array(config["velocity"], copy=True)
    v *= config["momentum"]
    v -= config["learning_rate"] * dw
    config["velocity"] = v
    w_new = np.array(w, copy=True)
    w_new += v
    return w_new, config
''',
    "momentum_ewa": '''
def momentum_ewa(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("beta", 0.9)
    if "average" not in config:
        config["average"] = np.zeros_like(w)
    beta = config["beta"]
    config["average"] = beta * config["average"] + (1 - beta) * dw
    return w - config["learning_rate"] * config["average"], config
''',
    "nesterov": '''
def nesterov(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    mu, lr = config["momentum"], config["learning_rate"]
    v_prev = config["velocity"] if "velocity" in config else np.zeros_like(w)
    v = mu * v_prev - lr * dw
    config["velocity"] = v
    # w + v + mu (v - v_prev): the same update, grouped differently
    return w + v + mu * (v - v_prev), config
''',
    "rmsprop": '''
def rmsprop(w, dw, config=None):
    config = {} if config is None else config
    for key, default in (("learning_rate", 1e-2), ("decay_rate", 0.99), ("epsilon", 1e-8)):
        config.setdefault(key, default)
    rho = config["decay_rate"]
    s = config["cache"] if "cache" in config else np.zeros_like(w)
    s = rho * s + (1 - rho) * np.square(dw)
    config["cache"] = s
    step = config["learning_rate"] * dw / (np.sqrt(s) + config["epsilon"])
    return w - step, config
''',
    "adam": '''
import math


def adam(w, dw, config=None):
    # the paper's "efficient" form: fold both corrections into the step size and epsilon
    config = {} if config is None else config
    defaults = {"learning_rate": 1e-2, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}
    for key, value in defaults.items():
        config.setdefault(key, value)
    b1, b2, eps = config["beta1"], config["beta2"], config["epsilon"]
    m = config["m"] if "m" in config else np.zeros_like(w)
    v = config["v"] if "v" in config else np.zeros_like(w)
    t = config.get("t", 0) + 1
    m = b1 * m + (1 - b1) * dw
    v = b2 * v + (1 - b2) * dw * dw
    correction = math.sqrt(1 - b2 ** t)         # a Python float keeps float32 w float32
    step_size = config["learning_rate"] * correction / (1 - b1 ** t)
    w_new = w - step_size * m / (np.sqrt(v) + eps * correction)
    config.update(m=m, v=v, t=t)
    return w_new, config
''',
    "lr_schedules": '''
import math


def step_decay(lr0, epoch, *, drop=0.5, every=10):
    return float(lr0 * math.pow(drop, math.floor(epoch / every)))


def exponential_decay(lr0, epoch, *, k):
    return float(lr0 * math.exp(-k * epoch))


def inverse_time_decay(lr0, epoch, *, k):
    return float(lr0 * (1 + k * epoch) ** -1)
''',
}

NB04_LOOPS = {
    "ewa": '''
def ewa(values, beta, bias_correction=True):
    out = []
    v = 0.0
    weight_sum = 0.0                         # 1 - beta**t, accumulated step by step
    for theta in values:
        v = beta * v + (1 - beta) * float(theta)
        weight_sum = beta * weight_sum + (1 - beta)
        out.append(v / weight_sum if bias_correction else v)
    return np.array(out, dtype=np.float64)
''',
    "momentum": '''
def momentum(w, dw, config=None):
    if config is None:
        config = {}
    lr = config.setdefault("learning_rate", 1e-2)
    mu = config.setdefault("momentum", 0.9)
    v = config.get("velocity")
    v = np.zeros_like(w) if v is None else v
    config["velocity"] = mu * v - lr * dw
    # same dtype as w
    return (w + config["velocity"]).astype(w.dtype, copy=False), config
''',
    "momentum_ewa": '''
def momentum_ewa(w, dw, config=None):
    if config is None:
        config = {}
    lr = config.setdefault("learning_rate", 1e-2)
    beta = config.setdefault("beta", 0.9)
    m = config.get("average")
    if m is None:
        m = np.zeros_like(w)
    m = m + (1.0 - beta) * (dw - m)          # = beta m + (1 - beta) dw
    config["average"] = m
    return (w - lr * m).astype(w.dtype, copy=False), config
''',
    "nesterov": '''
def nesterov(w, dw, config=None):
    if config is None:
        config = {}
    lr = config.setdefault("learning_rate", 1e-2)
    mu = config.setdefault("momentum", 0.9)
    v_prev = config.get("velocity")
    if v_prev is None:
        v_prev = np.zeros_like(w)
    v = mu * v_prev - lr * dw
    config["velocity"] = v
    # expanded: w - mu v_prev + (1 + mu)(mu v_prev - lr dw) = w + mu^2 v_prev - (1 + mu) lr dw
    return (w + mu * mu * v_prev - (1.0 + mu) * lr * dw).astype(w.dtype, copy=False), config
''',
    "rmsprop": '''
def rmsprop(w, dw, config=None):
    if config is None:
        config = {}
    lr = config.setdefault("learning_rate", 1e-2)
    rho = config.setdefault("decay_rate", 0.99)
    eps = config.setdefault("epsilon", 1e-8)
    s = config.get("cache")
    if s is None:
        s = np.zeros_like(w)
    s = rho * s + (1.0 - rho) * dw * dw
    config["cache"] = s
    return (w - lr * dw / (np.sqrt(s) + eps)).astype(w.dtype, copy=False), config
''',
    "adam": '''
def adam(w, dw, config=None):
    if config is None:
        config = {}
    lr = config.setdefault("learning_rate", 1e-2)
    beta1 = config.setdefault("beta1", 0.9)
    beta2 = config.setdefault("beta2", 0.999)
    eps = config.setdefault("epsilon", 1e-8)
    m = config.get("m")
    v = config.get("v")
    m = np.zeros_like(w) if m is None else m
    v = np.zeros_like(w) if v is None else v
    t = int(config.get("t", 0)) + 1
    m = beta1 * m + (1.0 - beta1) * dw
    v = beta2 * v + (1.0 - beta2) * np.square(dw)
    m_hat = np.divide(m, 1.0 - beta1 ** t)
    v_hat = np.divide(v, 1.0 - beta2 ** t)
    config["m"] = m
    config["v"] = v
    config["t"] = t
    return (w - lr * m_hat / (np.sqrt(v_hat) + eps)).astype(w.dtype, copy=False), config
''',
    "lr_schedules": '''
def step_decay(lr0, epoch, *, drop=0.5, every=10):
    lr = float(lr0)
    for _ in range(int(epoch) // int(every)):
        lr *= drop
    return lr


def exponential_decay(lr0, epoch, *, k):
    return float(lr0 / np.exp(k * epoch))


def inverse_time_decay(lr0, epoch, *, k):
    return float(lr0) / (1.0 + float(k) * float(epoch))
''',
}

NB04_DEFENSIVE = {
    "ewa": '''
def ewa(values, beta, bias_correction=True):
    theta = np.array(values, dtype=np.float64)
    T = theta.shape[0]
    averages = np.empty(T, dtype=np.float64)
    v = 0.0
    for t in range(T):
        v = beta * v + (1.0 - beta) * theta[t]
        averages[t] = v
    if bias_correction:
        steps = np.arange(1, T + 1)
        averages /= 1.0 - np.power(beta, steps)
    return averages
''',
    "momentum": '''
def momentum(w, dw, config=None):
    config = config if config is not None else {}
    config["learning_rate"] = config.get("learning_rate", 1e-2)
    config["momentum"] = config.get("momentum", 0.9)
    v = config.get("velocity")
    if v is None:
        v = np.zeros(np.shape(w), dtype=np.asarray(w).dtype)
    v = np.subtract(config["momentum"] * v, config["learning_rate"] * dw)
    config.update(velocity=v)
    return np.add(w, v), config
''',
    "momentum_ewa": '''
def momentum_ewa(w, dw, config=None):
    config = config if config is not None else {}
    config["learning_rate"] = config.get("learning_rate", 1e-2)
    config["beta"] = config.get("beta", 0.9)
    m = config.get("average")
    m = np.zeros(np.shape(w), dtype=np.asarray(w).dtype) if m is None else np.copy(m)
    m *= config["beta"]
    m += (1 - config["beta"]) * dw
    config.update(average=m)
    return np.subtract(w, config["learning_rate"] * m), config
''',
    "nesterov": '''
def nesterov(w, dw, config=None):
    config = config if config is not None else {}
    config["learning_rate"] = config.get("learning_rate", 1e-2)
    config["momentum"] = config.get("momentum", 0.9)
    mu = config["momentum"]
    v_prev = config.get("velocity")
    v_prev = np.zeros_like(w) if v_prev is None else np.copy(v_prev)
    v = mu * v_prev - config["learning_rate"] * dw
    config["velocity"] = v
    w_new = np.copy(w)
    w_new -= mu * v_prev
    w_new += (1 + mu) * v
    return w_new, config
''',
    "rmsprop": '''
def rmsprop(w, dw, config=None):
    config = config if config is not None else {}
    config["learning_rate"] = config.get("learning_rate", 1e-2)
    config["decay_rate"] = config.get("decay_rate", 0.99)
    config["epsilon"] = config.get("epsilon", 1e-8)
    s = config.get("cache")
    s = np.zeros_like(w) if s is None else np.copy(s)
    s *= config["decay_rate"]
    s += (1 - config["decay_rate"]) * dw ** 2
    config["cache"] = s
    denom = np.sqrt(s)
    denom += config["epsilon"]
    return w - config["learning_rate"] * (dw / denom), config
''',
    "adam": '''
def adam(w, dw, config=None):
    config = config if config is not None else {}
    for key, default in [("learning_rate", 1e-2), ("beta1", 0.9), ("beta2", 0.999),
                         ("epsilon", 1e-8), ("t", 0)]:
        config[key] = config.get(key, default)
    for key in ("m", "v"):
        if config.get(key) is None:
            config[key] = np.zeros_like(w)
    t = config["t"] + 1
    m = config["beta1"] * config["m"] + (1 - config["beta1"]) * dw
    v = config["beta2"] * config["v"] + (1 - config["beta2"]) * dw ** 2
    m_hat = m / (1 - config["beta1"] ** t)
    s_hat = np.sqrt(v / (1 - config["beta2"] ** t))
    config["m"], config["v"], config["t"] = m, v, t
    return w - config["learning_rate"] * m_hat / (s_hat + config["epsilon"]), config
''',
    "lr_schedules": '''
def step_decay(lr0, epoch, *, drop=0.5, every=10):
    return float(lr0 * np.power(drop, np.floor_divide(epoch, every)))


def exponential_decay(lr0, epoch, *, k):
    return float(np.multiply(lr0, np.exp(np.multiply(-k, epoch))))


def inverse_time_decay(lr0, epoch, *, k):
    return float(np.divide(lr0, 1.0 + k * epoch))
''',
}

# ---------------------------------------------------------------------------------------------
# 05 regularization
# ---------------------------------------------------------------------------------------------

NB05_EINSUM = {
    "standardize": '''
def fit_standardizer(X):
    N = X.shape[0]
    mean = np.einsum("nd->d", X) / N
    centered = X - mean
    std = np.sqrt(np.einsum("nd,nd->d", centered, centered) / N)
    std[std < 1e-8] = 1.0
    return mean, std


def standardize(X, mean, std):
    return (X - mean[None, :]) / std[None, :]
''',
    "pca_whitening": '''
def fit_pca_whitening(X, n_components=None):
    # eigendecomposition of the covariance matrix instead of the SVD of the data
    X = np.asarray(X, dtype=np.float64)
    N, D = X.shape
    mean = X.mean(axis=0)
    Xc = X - mean
    eigvals, eigvecs = np.linalg.eigh(Xc.T @ Xc / N)
    order = np.argsort(eigvals)[::-1]
    k = min(N, D) if n_components is None else n_components
    components = eigvecs[:, order[:k]].T
    variances = np.clip(eigvals[order[:k]], 0.0, None)
    return mean, components, variances


def pca_whiten(X, mean, components, variances, eps=1e-5):
    return np.einsum("nd,kd->nk", X - mean, components) / np.sqrt(variances + eps)
''',
    "early_stopping": '''
import copy


class EarlyStopping:
    def __init__(self, patience, min_delta=0.0):
        self.patience = patience
        self.min_delta = min_delta
        self.best_value = -np.inf
        self.best_epoch = None
        self.best_params = None
        self.wait = 0

    def step(self, val_metric, params, epoch):
        if val_metric > self.best_value + self.min_delta:
            self.best_value, self.best_epoch, self.wait = val_metric, epoch, 0
            self.best_params = copy.deepcopy(dict(params))
            return False
        self.wait += 1
        return self.wait >= self.patience
''',
    "penalties": '''
def l2_penalty(W, lam):
    return 0.5 * lam * float(np.vdot(W, W)), lam * W


def l1_penalty(W, lam):
    return lam * float(np.abs(W).sum()), lam * np.sign(W)
''',
    "dropout": '''
def dropout_forward(x, keep_prob, mode, rng):
    if mode != "train":
        return x, (None, mode)
    kept = rng.binomial(1, keep_prob, size=x.shape)
    mask = (kept / keep_prob).astype(x.dtype)
    return x * mask, (mask, mode)


def dropout_backward(dout, cache):
    mask, mode = cache
    return dout * mask if mode == "train" else dout
''',
    "dropconnect": '''
def dropconnect_forward(x, W, b, keep_prob, mode, rng):
    if mode != "train":
        return np.einsum("nd,dm->nm", x, W) + b, (x, W, None, mode)
    mask = (rng.binomial(1, keep_prob, size=W.shape) / keep_prob).astype(W.dtype)
    W_used = W * mask
    return np.einsum("nd,dm->nm", x, W_used) + b, (x, W_used, mask, mode)


def dropconnect_backward(dout, cache):
    x, W_used, mask, mode = cache
    dx = np.einsum("nm,dm->nd", dout, W_used)
    dW = np.einsum("nd,nm->dm", x, dout)
    if mask is not None:
        dW = dW * mask
    return dx, dW, np.einsum("nm->m", dout)
''',
    "batchnorm_forward": '''
def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    N, D = x.shape
    if "running_mean" not in bn_param:
        bn_param["running_mean"] = np.zeros(D, dtype=x.dtype)
    if "running_var" not in bn_param:
        bn_param["running_var"] = np.ones(D, dtype=x.dtype)
    if mode == "train":
        mean = np.einsum("nd->d", x) / N
        centered = x - mean
        var = np.einsum("nd,nd->d", centered, centered) / N
        bn_param["running_mean"] = momentum * bn_param["running_mean"] + (1 - momentum) * mean
        bn_param["running_var"] = momentum * bn_param["running_var"] + (1 - momentum) * var
    else:
        mean, var = bn_param["running_mean"], bn_param["running_var"]
        centered = x - mean
    inv_std = (var + eps) ** -0.5
    x_hat = centered * inv_std
    return x_hat * gamma + beta, (x_hat, gamma, inv_std, mode)
''',
    "batchnorm_backward": '''
def batchnorm_backward(dout, cache):
    x_hat, gamma, inv_std, mode = cache
    N = dout.shape[0]
    dbeta = np.einsum("nd->d", dout)
    dgamma = np.einsum("nd,nd->d", dout, x_hat)
    if mode == "train":
        dx = gamma * inv_std * (dout - dbeta / N - x_hat * dgamma / N)
    else:
        dx = dout * (gamma * inv_std)
    return dx, dgamma, dbeta
''',
    "augment": '''
def shift_images(X, dx, dy):
    images = X.reshape(-1, 28, 28)
    if abs(dx) >= 28 or abs(dy) >= 28:
        return np.zeros_like(X)
    padded = np.pad(images, ((0, 0), (28, 28), (28, 28)))
    out = padded[:, 28 - dy:56 - dy, 28 - dx:56 - dx]
    return np.ascontiguousarray(out).reshape(X.shape)


def add_noise(X, std, rng):
    noisy = X + rng.normal(0.0, std, size=X.shape)
    return np.clip(noisy, 0.0, 1.0).astype(X.dtype, copy=False)
''',
    "log_uniform": '''
def log_uniform(low, high, size, rng):
    # low * (high / low) ** u with u ~ Uniform(0, 1)
    return low * (high / low) ** rng.random(size)
''',
}

NB05_LOOPS = {
    "standardize": '''
def fit_standardizer(X):
    N, D = X.shape
    mean = np.zeros(D)
    std = np.ones(D)
    for j in range(D):
        column = X[:, j]
        mean[j] = column.mean()
        s = column.std()
        std[j] = s if s >= 1e-8 else 1.0
    return mean, std


def standardize(X, mean, std):
    out = np.empty(X.shape, dtype=np.result_type(X, mean, std))
    for j in range(X.shape[1]):
        out[:, j] = (X[:, j] - mean[j]) / std[j]
    return out
''',
    "pca_whitening": '''
def fit_pca_whitening(X, n_components=None):
    X64 = np.array(X, dtype=np.float64)
    N = X64.shape[0]
    mean = X64.mean(axis=0)
    _, S, Vt = np.linalg.svd(X64 - mean, full_matrices=False)
    if n_components is not None:
        S, Vt = S[:n_components], Vt[:n_components]
    return mean, Vt, np.square(S) / N


def pca_whiten(X, mean, components, variances, eps=1e-5):
    scale = 1.0 / np.sqrt(np.asarray(variances) + eps)
    projected = np.dot(X - mean, components.T)
    return projected * scale[np.newaxis, :]
''',
    "early_stopping": '''
class EarlyStopping:
    def __init__(self, patience, min_delta=0.0):
        self.patience = int(patience)
        self.min_delta = float(min_delta)
        self.best_value = float("-inf")
        self.best_epoch = None
        self.best_params = None
        self.wait = 0

    def step(self, val_metric, params, epoch):
        improved = val_metric > self.best_value + self.min_delta
        if improved:
            self.best_value = val_metric
            self.best_epoch = epoch
            self.best_params = {}
            for name in params:
                self.best_params[name] = np.array(params[name], copy=True)
            self.wait = 0
        else:
            self.wait = self.wait + 1
        return bool(self.wait >= self.patience)
''',
    "penalties": '''
def l2_penalty(W, lam):
    return float(0.5 * lam * np.sum(np.square(W))), np.multiply(lam, W)


def l1_penalty(W, lam):
    sign = np.where(W > 0, 1.0, np.where(W < 0, -1.0, 0.0))
    return float(lam * np.sum(np.abs(W))), lam * sign
''',
    "dropout": '''
def dropout_forward(x, keep_prob, mode, rng):
    if mode == "test":
        return x.copy(), (None, "test")
    keep = rng.uniform(0.0, 1.0, size=x.shape) < keep_prob
    mask = np.where(keep, 1.0 / keep_prob, 0.0).astype(x.dtype)
    return x * mask, (mask, mode)


def dropout_backward(dout, cache):
    mask, mode = cache
    if mask is None:
        return dout.copy()
    return np.multiply(dout, mask)
''',
    "dropconnect": '''
def dropconnect_forward(x, W, b, keep_prob, mode, rng):
    if mode == "test":
        return np.dot(x, W) + b, (x, W, None, mode)
    keep = rng.uniform(size=W.shape) < keep_prob
    mask = np.where(keep, 1.0 / keep_prob, 0.0).astype(W.dtype)
    W_used = np.multiply(W, mask)
    return np.dot(x, W_used) + b, (x, W_used, mask, mode)


def dropconnect_backward(dout, cache):
    x, W_used, mask, mode = cache
    dx = np.dot(dout, W_used.T)
    if mode == "test":
        dW = np.dot(x.T, dout)
    else:
        dW = np.dot(x.T, dout) * mask
    db = np.sum(dout, axis=0)
    return dx, dW, db
''',
    "batchnorm_forward": '''
def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.setdefault("eps", 1e-5)
    momentum = bn_param.setdefault("momentum", 0.9)
    D = x.shape[1]
    running_mean = bn_param.get("running_mean")
    running_var = bn_param.get("running_var")
    if running_mean is None:
        running_mean = np.zeros(D, dtype=x.dtype)
    if running_var is None:
        running_var = np.ones(D, dtype=x.dtype)
    if mode == "train":
        mean = x.mean(axis=0)
        var = ((x - mean) ** 2).mean(axis=0)
        running_mean = momentum * running_mean + (1.0 - momentum) * mean
        running_var = momentum * running_var + (1.0 - momentum) * var
    else:
        mean, var = running_mean, running_var
    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_var
    std = np.sqrt(var + eps)
    inv_std = 1.0 / std
    x_hat = (x - mean) / std
    out = gamma[np.newaxis, :] * x_hat + beta[np.newaxis, :]
    return out, (x_hat, gamma, inv_std, mode)
''',
    "batchnorm_backward": '''
def batchnorm_backward(dout, cache):
    # staged chain rule: through x_hat, the variance and the mean, as in a computational graph
    x_hat, gamma, inv_std, mode = cache
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx_hat = dout * gamma
    if mode == "test":
        return dx_hat * inv_std, dgamma, dbeta
    centered = x_hat / inv_std
    dvar = np.sum(dx_hat * centered, axis=0) * -0.5 * inv_std ** 3
    dmean = -np.sum(dx_hat * inv_std, axis=0) + dvar * np.mean(-2.0 * centered, axis=0)
    dx = dx_hat * inv_std + dvar * 2.0 * centered / N + dmean / N
    return dx, dgamma, dbeta
''',
    "augment": '''
def shift_images(X, dx, dy):
    images = X.reshape(-1, 28, 28)
    out = np.zeros_like(images)
    for r in range(28):
        src_r = r - dy
        if not 0 <= src_r < 28:
            continue
        for c in range(28):
            src_c = c - dx
            if 0 <= src_c < 28:
                out[:, r, c] = images[:, src_r, src_c]
    return out.reshape(X.shape)


def add_noise(X, std, rng):
    out = np.array(X, dtype=np.float64, copy=True)
    out += std * rng.standard_normal(out.shape)
    np.clip(out, 0.0, 1.0, out=out)
    return out.astype(X.dtype)
''',
    "log_uniform": '''
def log_uniform(low, high, size, rng):
    log_low, log_high = np.log(low), np.log(high)
    return np.exp(log_low + (log_high - log_low) * rng.random(size))
''',
}

NB05_DEFENSIVE = {
    "standardize": '''
def fit_standardizer(X):
    X64 = np.asarray(X, dtype=np.float64)
    mean = X64.mean(axis=0)
    std = X64.std(axis=0)
    return mean, np.where(std < 1e-8, 1.0, std)


def standardize(X, mean, std):
    # statistics in float64, the result in the dtype of the data
    return ((X - mean) / std).astype(X.dtype, copy=False)
''',
    "pca_whitening": '''
def fit_pca_whitening(X, n_components=None):
    data = np.array(X, dtype=np.float64, copy=True)
    mean = data.mean(axis=0, keepdims=True)
    data -= mean
    _, singular_values, Vt = np.linalg.svd(data, full_matrices=False)
    k = len(singular_values) if n_components is None else int(n_components)
    variances = singular_values[:k] ** 2 / data.shape[0]
    return mean.ravel(), Vt[:k].copy(), variances


def pca_whiten(X, mean, components, variances, eps=1e-5):
    Z = (np.asarray(X) - mean) @ np.transpose(components)
    return Z * (1.0 / np.sqrt(variances + eps))
''',
    "early_stopping": '''
class EarlyStopping:
    def __init__(self, patience, min_delta=0.0):
        self.patience = patience
        self.min_delta = min_delta
        self.best_value = -np.inf
        self.best_epoch = None
        self.best_params = None
        self.wait = 0
        self.history = []

    def step(self, val_metric, params, epoch):
        self.history.append(val_metric)
        if not val_metric > self.best_value + self.min_delta:
            self.wait += 1
        else:
            self.best_value = val_metric
            self.best_epoch = epoch
            self.best_params = {k: np.copy(v) for k, v in params.items()}
            self.wait = 0
        stop = self.wait >= self.patience
        return stop
''',
    "penalties": '''
def l2_penalty(W, lam):
    W = np.asarray(W)
    penalty = 0.5 * lam * float(np.tensordot(W, W, axes=W.ndim))
    return penalty, (lam * W).astype(W.dtype, copy=False)


def l1_penalty(W, lam):
    W = np.asarray(W)
    penalty = lam * float(np.linalg.norm(W.ravel(), 1))
    return penalty, (lam * np.sign(W)).astype(W.dtype, copy=False)
''',
    "dropout": '''
def dropout_forward(x, keep_prob, mode, rng):
    if mode == "test":
        return x, (None, mode)
    keep = rng.random(x.shape) < keep_prob
    mask = np.zeros(x.shape, dtype=x.dtype)
    mask[keep] = 1.0 / keep_prob
    return x * mask, (mask, mode)


def dropout_backward(dout, cache):
    mask, mode = cache
    if mode == "test":
        return dout
    dx = np.array(dout, copy=True)
    dx *= mask
    return dx
''',
    "dropconnect": '''
def dropconnect_forward(x, W, b, keep_prob, mode, rng):
    if mode == "test":
        return np.matmul(x, W) + b, (x, W, None, mode)
    keep = rng.random(W.shape) < keep_prob
    mask = np.where(keep, 1.0 / keep_prob, 0.0).astype(W.dtype)
    W_used = np.where(keep, W / keep_prob, 0.0).astype(W.dtype)
    return np.matmul(x, W_used) + b, (x, W_used, mask, mode)


def dropconnect_backward(dout, cache):
    x, W_used, mask, mode = cache
    dx = np.matmul(dout, W_used.T)
    dW = np.matmul(x.T, dout)
    if mask is not None:
        dW *= mask
    db = np.ones(dout.shape[0], dtype=dout.dtype) @ dout
    return dx, dW, db
''',
    "batchnorm_forward": '''
def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    m = bn_param.get("momentum", 0.9)
    D = x.shape[1]
    running_mean = np.array(bn_param.get("running_mean", np.zeros(D, dtype=x.dtype)))
    running_var = np.array(bn_param.get("running_var", np.ones(D, dtype=x.dtype)))
    if mode == "train":
        mean = np.mean(x, axis=0)
        var = np.var(x, axis=0)
        running_mean *= m                    # private copies, updated in place
        running_mean += (1 - m) * mean
        running_var *= m
        running_var += (1 - m) * var
        bn_param["running_mean"], bn_param["running_var"] = running_mean, running_var
    else:
        mean, var = running_mean, running_var
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    return gamma * x_hat + beta, (x_hat, gamma, inv_std, mode)
''',
    "batchnorm_backward": '''
def batchnorm_backward(dout, cache):
    # explicit Jacobian per column: d x_hat_n / d x_k = (N delta_nk - 1 - x_hat_n x_hat_k) / (N s)
    x_hat, gamma, inv_std, mode = cache
    N, D = dout.shape
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    if mode == "test":
        return dout * gamma * inv_std, dgamma, dbeta
    dx = np.empty(dout.shape, dtype=np.result_type(dout, x_hat))
    for d in range(D):
        xh = x_hat[:, d]
        jac = (N * np.eye(N) - 1.0 - np.outer(xh, xh)) * (inv_std[d] / N)
        dx[:, d] = gamma[d] * (jac.T @ dout[:, d])
    return dx, dgamma, dbeta
''',
    "augment": '''
def shift_images(X, dx, dy):
    # one gather with a precomputed source index per output pixel (-1: outside)
    rows, cols = np.divmod(np.arange(784), 28)
    src_rows, src_cols = rows - dy, cols - dx
    valid = (src_rows >= 0) & (src_rows < 28) & (src_cols >= 0) & (src_cols < 28)
    src = np.where(valid, src_rows * 28 + src_cols, 0)
    flat = X.reshape(-1, 784)
    out = np.where(valid[np.newaxis, :], flat[:, src], 0).astype(X.dtype)
    return out.reshape(X.shape)


def add_noise(X, std, rng):
    noise = rng.standard_normal(np.shape(X))
    return np.minimum(np.maximum(X + std * noise, 0.0), 1.0).astype(X.dtype)
''',
    "log_uniform": '''
def log_uniform(low, high, size, rng):
    # base 10 instead of e: the same distribution
    return np.power(10.0, rng.uniform(np.log10(low), np.log10(high), size=size))
''',
}

# ---------------------------------------------------------------------------------------------
# 06 MNIST (the capstone build_and_train is not varied: it trains for minutes)
# ---------------------------------------------------------------------------------------------

NB06_BINCOUNT = {
    "darkness_fit": '''
def darkness_fit(X, y, num_classes=10):
    darkness = X.mean(axis=1)
    sums = np.bincount(y, weights=darkness, minlength=num_classes)
    return sums / np.bincount(y, minlength=num_classes)
''',
    "darkness_predict": '''
def darkness_predict(X, means):
    darkness = X.mean(axis=1)
    return np.abs(np.subtract.outer(darkness, means)).argmin(axis=1)
''',
    "four_bit_encode": '''
def four_bit_encode(y):
    packed = np.asarray(y, dtype=np.uint8)[:, np.newaxis]
    return np.unpackbits(packed, axis=1)[:, 4:].astype(np.float64)
''',
    "four_bit_decode": '''
def four_bit_decode(outputs):
    bits = outputs > 0.5
    return bits @ (1 << np.arange(3, -1, -1))
''',
    "worst_mistakes": '''
def worst_mistakes(probs, y, k):
    wrong = np.flatnonzero(np.argmax(probs, axis=1) != y)
    p_true = probs[wrong, y[wrong]]
    order = np.lexsort((wrong, p_true))          # by p_true, ties by row index
    return wrong[order[:k]]
''',
}

NB06_LOOPS = {
    "darkness_fit": '''
def darkness_fit(X, y, num_classes=10):
    darkness = X.mean(axis=1)
    sums = np.zeros(num_classes)
    counts = np.zeros(num_classes)
    np.add.at(sums, y, darkness)
    np.add.at(counts, y, 1)
    return sums / counts
''',
    "darkness_predict": '''
def darkness_predict(X, means):
    darkness = X.mean(axis=1)
    best = np.full(darkness.shape, np.inf)
    y_pred = np.zeros(darkness.shape, dtype=np.int64)
    for c, mu in enumerate(means):          # strict <: the first class wins a tie, like argmin
        distance = np.abs(darkness - mu)
        closer = distance < best
        best[closer] = distance[closer]
        y_pred[closer] = c
    return y_pred
''',
    "four_bit_encode": '''
def four_bit_encode(y):
    y = np.asarray(y).astype(np.int64)
    bits = np.zeros((len(y), 4))
    for k in range(4):
        bits[:, k] = (y >> (3 - k)) & 1
    return bits
''',
    "four_bit_decode": '''
def four_bit_decode(outputs):
    value = np.zeros(outputs.shape[0], dtype=np.int64)
    for k in range(4):
        value = 2 * value + (outputs[:, k] > 0.5)
    return value
''',
    "worst_mistakes": '''
def worst_mistakes(probs, y, k):
    predicted = probs.argmax(axis=1)
    mistakes = [i for i in range(len(y)) if predicted[i] != y[i]]
    mistakes.sort(key=lambda i: probs[i, y[i]])        # list.sort is stable
    return np.array(mistakes[:k], dtype=np.intp)
''',
}

NB06_DTYPE = {
    "darkness_fit": '''
def darkness_fit(X, y, num_classes=10):
    # the dtype of the images (float32 images give float32 means)
    darkness = X.mean(axis=1)
    return np.array([darkness[y == c].mean() for c in range(num_classes)])
''',
    "darkness_predict": '''
def darkness_predict(X, means):
    darkness = X.sum(axis=1) / X.shape[1]
    distance = np.abs(darkness.reshape(-1, 1) - np.asarray(means).reshape(1, -1))
    return np.argmin(distance, axis=1).astype(np.int64)
''',
    "four_bit_encode": '''
def four_bit_encode(y):
    codes = [[float(bit) for bit in format(int(label), "04b")] for label in y]
    return np.array(codes, dtype=np.float64).reshape(-1, 4)
''',
    "four_bit_decode": '''
def four_bit_decode(outputs):
    bits = (np.asarray(outputs) > 0.5).astype(np.uint8)
    return np.packbits(bits, axis=1, bitorder="big")[:, 0] >> 4
''',
    "worst_mistakes": '''
def worst_mistakes(probs, y, k):
    N = probs.shape[0]
    wrong = probs.argmax(axis=1) != y
    key = np.where(wrong, probs[np.arange(N), y], np.inf)   # correct rows sort last
    order = np.argsort(key, kind="stable")
    return order[:min(k, int(wrong.sum()))]
''',
}

NB06_FLOAT32_BITS = {
    "four_bit_encode": '''
def four_bit_encode(y):
    return ((y[:, None] >> np.array([3, 2, 1, 0])) & 1).astype(np.float32)
''',
}

NB06_ONEHOT = {
    "darkness_fit": '''
def darkness_fit(X, y, num_classes=10):
    darkness = np.einsum("nd->n", X) / X.shape[1]
    members = (y[:, np.newaxis] == np.arange(num_classes)).astype(np.float64)
    return members.T @ darkness / members.sum(axis=0)
''',
    "darkness_predict": '''
def darkness_predict(X, means):
    darkness = np.mean(X, axis=1, keepdims=True)          # (N, 1)
    return np.argmin(np.abs(darkness - means[np.newaxis, :]), axis=1)
''',
    "four_bit_encode": '''
def four_bit_encode(y):
    powers = 2 ** np.arange(3, -1, -1)
    return (np.floor_divide.outer(y, powers) % 2).astype(float)
''',
    "four_bit_decode": '''
def four_bit_decode(outputs):
    return np.einsum("nk,k->n", (outputs > 0.5).astype(np.int64), np.array([8, 4, 2, 1]))
''',
    "worst_mistakes": '''
def worst_mistakes(probs, y, k):
    rows = np.arange(len(y))
    wrong = rows[probs.argmax(axis=1) != y]
    ranked = sorted(zip(probs[wrong, y[wrong]], wrong))    # ties: smaller row index first
    return np.array([i for _, i in ranked[:k]], dtype=int)
''',
}


# ---------------------------------------------------------------------------------------------
# Choices the docstrings leave open, which a stricter check could wrongly pin down: NumPy
# scalars where a float is asked for (np.float64 is a float), another valid random draw from
# the same rng, state updated in place, other dtypes for integer or float results, other
# (equally valid) signs of the principal directions, the exact loss without the 1e-12 clip of
# cross_entropy (softmax_cross_entropy's docstring has none).
# ---------------------------------------------------------------------------------------------

NB01_EDGE = {
    "mse_loss": '''
def mse_loss(y_hat, y):
    return np.sum((y_hat - y) ** 2) / (2 * y.shape[0])           # an np.float64
''',
    "iterate_minibatches": '''
def iterate_minibatches(X, y, batch_size, rng=None, shuffle=True):
    N = X.shape[0]
    order = np.argsort(rng.random(N)) if shuffle else np.arange(N)   # another random order
    for s in range(0, N, batch_size):
        idx = order[s:s + batch_size]
        yield X[idx], y[idx]
''',
    "standardize": '''
def fit_standardizer(X):
    mean = np.mean(X, axis=0)
    std = np.std(X, axis=0)
    return mean, np.where(std <= 1e-8, np.ones_like(std), std)


def standardize(X, mean, std):
    return np.divide(np.subtract(X, mean), std)


def standardize_split(X_train, X_test):
    mean, std = fit_standardizer(X_train)
    return standardize(X_train, mean, std), standardize(X_test, mean, std)
''',
}

NB02_EDGE = {
    "softmax_cross_entropy": '''
def softmax_cross_entropy(scores, y):
    # log-softmax directly: the exact loss of the docstring, no clipping
    N = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = float(-log_probs[np.arange(N), y].mean())
    dscores = np.exp(log_probs)
    dscores[np.arange(N), y] -= 1.0
    return loss, dscores / N
''',
    "cross_entropy": '''
def cross_entropy(probs, y):
    p = probs[np.arange(len(y)), y]
    return -np.mean(np.log(np.clip(p, 1e-12, 1.0)))                # an np.float64
''',
    "accuracy": '''
def accuracy(scores, y):
    return np.mean(np.argmax(scores, axis=1) == y)                 # an np.float64
''',
}

NB03_EDGE = {
    "initializers": '''
def xavier(fan_in, fan_out, rng, dtype=np.float64):
    return rng.normal(0.0, np.sqrt(1.0 / fan_in), size=(fan_in, fan_out)).astype(dtype)


def he(fan_in, fan_out, rng, dtype=np.float64):
    return rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_in, fan_out)).astype(dtype)
''',
    "sigmoid": '''
def sigmoid_forward(z):
    # float32 in, float32 out
    e = np.exp(-np.abs(z))
    one = np.ones_like(e)
    a = np.where(z >= 0, one, e) / (one + e)
    return a, a


def sigmoid_backward(da, cache):
    return da * cache * (1 - cache)
''',
}

NB04_EDGE = {
    "momentum": '''
def momentum(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    if config.get("velocity") is None:
        config["velocity"] = np.zeros_like(w)
    v = config["velocity"]                   # the state is updated in place
    v *= config["momentum"]
    v -= config["learning_rate"] * dw
    return w + v, config
''',
    "adam": '''
def adam(w, dw, config=None):
    if config is None:
        config = {}
    for key, default in (("learning_rate", 1e-2), ("beta1", 0.9), ("beta2", 0.999),
                         ("epsilon", 1e-8)):
        config.setdefault(key, default)
    if config.get("m") is None:
        config["m"] = np.zeros_like(w)
    if config.get("v") is None:
        config["v"] = np.zeros_like(w)
    config["t"] = config.get("t", 0) + 1
    t = config["t"]
    m, v = config["m"], config["v"]          # the state is updated in place
    m *= config["beta1"]
    m += (1 - config["beta1"]) * dw
    v *= config["beta2"]
    v += (1 - config["beta2"]) * dw * dw
    m_hat = m / (1 - config["beta1"] ** t)
    v_hat = v / (1 - config["beta2"] ** t)
    return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"]), config
''',
    "lr_schedules": '''
def step_decay(lr0, epoch, *, drop=0.5, every=10):
    return lr0 * np.power(drop, epoch // every, dtype=np.float64)      # np.float64 results


def exponential_decay(lr0, epoch, *, k):
    return lr0 * np.exp(-k * epoch)


def inverse_time_decay(lr0, epoch, *, k):
    return np.float64(lr0) / (1 + k * epoch)
''',
    "ewa": '''
def ewa(values, beta, bias_correction=True):
    out = np.zeros(len(values))
    v = 0.0
    for t, theta in enumerate(values, 1):
        v = beta * v + (1 - beta) * theta
        out[t - 1] = v / (1 - beta ** t) if bias_correction else v
    return out
''',
}

NB05_EDGE = {
    "batchnorm_forward": '''
def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    m = bn_param.get("momentum", 0.9)
    D = x.shape[1]
    rm = bn_param.setdefault("running_mean", np.zeros(D, dtype=x.dtype))
    rv = bn_param.setdefault("running_var", np.ones(D, dtype=x.dtype))
    if mode == "train":                      # the running averages are updated in place
        mean, var = x.mean(axis=0), x.var(axis=0)
        rm *= m
        rm += (1 - m) * mean
        rv *= m
        rv += (1 - m) * var
    else:
        mean, var = rm, rv
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    return gamma * x_hat + beta, (x_hat, gamma, inv_std, mode)
''',
    "dropout": '''
def dropout_forward(x, keep_prob, mode, rng):
    if mode == "test":
        return x, (None, mode)
    # float32 uniforms for float32 activations: another stream from the same rng
    u = rng.random(x.shape, dtype=np.float32) if x.dtype == np.float32 else rng.random(x.shape)
    mask = ((u < keep_prob) / keep_prob).astype(x.dtype)
    return x * mask, (mask, mode)


def dropout_backward(dout, cache):
    mask, mode = cache
    return dout if mode == "test" else dout * mask
''',
    "pca_whitening": '''
def fit_pca_whitening(X, n_components=None):
    X = np.asarray(X, dtype=np.float64)
    mean = X.mean(axis=0)
    _, S, Vt = np.linalg.svd(X - mean, full_matrices=False)
    # deterministic signs (as scikit-learn does): the largest entry of each direction > 0
    signs = np.sign(Vt[np.arange(len(Vt)), np.abs(Vt).argmax(axis=1)])
    Vt = Vt * signs[:, None]
    k = len(S) if n_components is None else n_components
    return mean, Vt[:k], S[:k] ** 2 / X.shape[0]


def pca_whiten(X, mean, components, variances, eps=1e-5):
    return (X - mean) @ components.T / np.sqrt(variances + eps)
''',
    "augment": '''
def shift_images(X, dx, dy):
    images = X.reshape(-1, 28, 28)
    out = np.zeros_like(images)
    if abs(dx) < 28 and abs(dy) < 28:
        out[:, max(dy, 0):28 + min(dy, 0), max(dx, 0):28 + min(dx, 0)] = \\
            images[:, max(-dy, 0):28 + min(-dy, 0), max(-dx, 0):28 + min(-dx, 0)]
    return out.reshape(X.shape)


def add_noise(X, std, rng):
    # noise drawn in the dtype of the images: another stream from the same rng
    dt = X.dtype if X.dtype in (np.float32, np.float64) else np.float64
    noise = rng.standard_normal(X.shape, dtype=dt)
    return np.clip(X + std * noise, 0, 1).astype(X.dtype)
''',
}

NB05_EDGE_FLOAT64 = {
    "batchnorm_forward": '''
def batchnorm_forward(x, gamma, beta, bn_param):
    # float64 running averages whatever the dtype of x
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    m = bn_param.get("momentum", 0.9)
    D = x.shape[1]
    rm = bn_param.get("running_mean", np.zeros(D))
    rv = bn_param.get("running_var", np.ones(D))
    if mode == "train":
        mean, var = x.mean(axis=0), x.var(axis=0)
        bn_param["running_mean"] = m * rm + (1 - m) * mean
        bn_param["running_var"] = m * rv + (1 - m) * var
    else:
        mean, var = rm, rv
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    return gamma * x_hat + beta, (x_hat, gamma, inv_std, mode)
''',
    "penalties": '''
def l2_penalty(W, lam):
    W64 = np.asarray(W, dtype=np.float64)     # float64 gradients
    return 0.5 * lam * float(np.sum(W64 ** 2)), lam * W64


def l1_penalty(W, lam):
    W64 = np.asarray(W, dtype=np.float64)
    return lam * float(np.sum(np.abs(W64))), lam * np.sign(W64)
''',
}

NB06_EDGE = {
    "darkness_predict": '''
def darkness_predict(X, means):
    d = X.mean(axis=1)
    return np.abs(d[:, None] - means[None, :]).argmin(axis=1).astype(np.int32)
''',
    "four_bit_decode": '''
def four_bit_decode(outputs):
    weights = np.array([8, 4, 2, 1], dtype=np.int32)
    return ((outputs > 0.5) * weights).sum(axis=1, dtype=np.int32)
''',
}

VARIANTS = {
    "01_linear_regression": [
        ("einsum", NB01_EINSUM),
        ("loops", NB01_LOOPS),
        ("dtype_preserving", NB01_DTYPE),
        ("open_choices", NB01_EDGE),
    ],
    "02_softmax_regression": [
        ("broadcast_logsumexp", NB02_BROADCAST),
        ("loops", NB02_LOOPS),
        ("defensive_copies", NB02_DEFENSIVE),
        ("open_choices", NB02_EDGE),
    ],
    "03_backpropagation": [
        ("vectorized", NB03_VECTOR),
        ("masks_and_loops", NB03_MASKS),
        ("defensive_copies", NB03_DEFENSIVE),
        ("open_choices", NB03_EDGE),
    ],
    "04_optimizers": [
        ("filter_and_paper_adam", NB04_FILTER),
        ("loops_dtype_preserving", NB04_LOOPS),
        ("defensive_copies", NB04_DEFENSIVE),
        ("open_choices", NB04_EDGE),
    ],
    "05_regularization": [
        ("einsum_eigh", NB05_EINSUM),
        ("loops", NB05_LOOPS),
        ("defensive_copies", NB05_DEFENSIVE),
        ("open_choices", NB05_EDGE),
        ("float64_state", NB05_EDGE_FLOAT64),
    ],
    "06_mnist": [
        ("float32_bits", NB06_FLOAT32_BITS),
        ("bincount", NB06_BINCOUNT),
        ("loops", NB06_LOOPS),
        ("dtype_preserving", NB06_DTYPE),
        ("one_hot_einsum", NB06_ONEHOT),
        ("int32_results", NB06_EDGE),
    ],
}
