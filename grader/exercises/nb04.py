"""Hidden tests for notebook 04 (optimizers).

One ``check_<exercise id>`` per graded exercise. Each compares the student's function with the
reference in ``course.optim`` (or the small reference below for the weighted-average form of
momentum) on inputs from ``rng_for``, over several consecutive updates that share one config.
Messages say what is wrong; the catalogued bugs below name the likely mistake
(``grader.diagnose``).
"""
from __future__ import annotations

import numpy as np

from course import optim
from course.checks import as_plain_array, check_scalar, check_true
from grader.exercises.common import check_array, rng_for
from grader.registry import Bug, Exercise

SHAPES = [(1,), (1, 7), (4, 3), (2, 3, 5)]
N_STEPS = 4


def momentum_ewa_reference(w, dw, config=None):
    """Momentum in its weighted-average form: m <- beta m + (1 - beta) dw; w <- w - lr m."""
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("beta", 0.9)
    m = config.get("average")
    if m is None:
        m = np.zeros_like(w)
    m = config["beta"] * m + (1.0 - config["beta"]) * dw
    config["average"] = m
    return w - config["learning_rate"] * m, config


# ---------------------------------------------------------------- helpers
def _call(student_fn, w, dw, cfg, what):
    """Call the student's update on copies; check it returns (w, config) and leaves w alone."""
    w_in, dw_in = w.copy(), dw.copy()
    result = student_fn(w_in, dw_in, cfg)
    check_true(isinstance(result, tuple) and len(result) == 2,
               f"{what} must return a tuple (w, config), got {type(result).__name__}.")
    new_w, new_cfg = result
    check_true(isinstance(new_cfg, dict), f"{what} must return the config dict as its second value.")
    check_true(bool(np.array_equal(w_in, w)),
               f"{what} modified its input w in place; return a new array instead (w = w - ..., not w -= ...).")
    return as_plain_array("w", new_w), new_cfg


def _check_optimizer(student_fn, reference_fn, exercise, hyper_cases, state_keys, hint):
    """Run N_STEPS updates on several hidden shapes and compare w and the state each time."""
    for case, shape in enumerate(SHAPES):
        rng = rng_for(exercise, case)
        hypers = hyper_cases[case % len(hyper_cases)]
        w = rng.standard_normal(shape) * 2.0
        s_cfg, r_cfg = dict(hypers), dict(hypers)
        for step in range(N_STEPS):
            scale = [1.0, 10.0, 0.01, 1.0][step]
            dw = rng.standard_normal(shape) * scale + 0.3
            s_w, s_cfg = _call(student_fn, w, dw, s_cfg, exercise)
            r_w, r_cfg = reference_fn(w.copy(), dw.copy(), r_cfg)
            where = f"after update {step + 1} on a hidden input of shape {shape}"
            check_array(f"w {where}", s_w, r_w, rtol=1e-6, atol=1e-10, hint=hint)
            for key in state_keys:
                check_true(key in s_cfg, f"config['{key}'] is missing {where}: store the state in config "
                                         "so the next call can use it.")
                if isinstance(r_cfg[key], int):
                    check_true(isinstance(s_cfg[key], (int, np.integer)),
                               f"config['{key}'] {where} must be an integer count, got "
                               f"{type(s_cfg[key]).__name__}.")
                if np.ndim(r_cfg[key]) == 0:
                    check_scalar(f"config['{key}'] {where}", s_cfg[key], float(r_cfg[key]))
                else:
                    check_array(f"config['{key}'] {where}", s_cfg[key], r_cfg[key], rtol=1e-6, atol=1e-12)
            w = r_w
    # defaults: config None and {} behave like the reference with {}
    rng = rng_for(exercise, 99)
    w = rng.standard_normal((3, 2))
    dw = rng.standard_normal((3, 2))
    r_w, r_cfg = reference_fn(w.copy(), dw.copy(), {})
    for start in (None, {}):
        s_w, s_cfg = _call(student_fn, w, dw, start, exercise)
        missing = sorted(set(r_cfg) - set(start if start is not None else r_cfg))
        check_true(not missing, f"{exercise} returned a new config but left the caller's dict without "
                                f"{missing}: update the dict it was given and return that same dict.")
        check_array(f"w after one update with config={start!r} (default hyperparameters)", s_w, r_w,
                    rtol=1e-6, atol=1e-10, hint="use the default hyperparameters given in the docstring.")
        for key, value in r_cfg.items():
            if np.ndim(value) == 0 and key != "t":
                check_true(key in s_cfg and float(s_cfg[key]) == float(value),
                           f"the default {key}={value} should be stored in config.")
    # float32 parameters stay float32
    w32 = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
    dw32 = np.linspace(0.5, -0.3, 6, dtype=np.float32).reshape(2, 3)
    out, _ = student_fn(w32.copy(), dw32.copy(), dict(hyper_cases[0]))
    check_true(isinstance(out, np.ndarray) and out.dtype == np.float32,
               f"{exercise} turned float32 parameters into {getattr(out, 'dtype', type(out))}: keep the dtype "
               "(use Python floats for the hyperparameters and np.zeros_like(w) for the state).")


# ---------------------------------------------------------------- ewa
def check_ewa(student_ewa):
    """Compare ewa() with course.optim.ewa on hidden sequences, with and without correction."""
    cases = [(1, 0.9), (7, 0.5), (60, 0.98), (25, 0.0), (40, 0.999), (9, 0.8)]
    for case, (length, beta) in enumerate(cases):
        rng = rng_for("ewa", case)
        values = 5.0 + rng.standard_normal(length) * 2.0
        if case == 5:   # integer measurements: the averages are still floats
            values = rng.integers(0, 20, size=length)
        for corrected in (True, False):
            got = student_ewa(values.copy(), beta, bias_correction=corrected)
            want = optim.ewa(values, beta, bias_correction=corrected)
            check_array(f"ewa on a hidden sequence of length {length} (beta={beta}, "
                        f"bias_correction={corrected})", got, want, rtol=1e-8, atol=1e-10,
                        hint="a_0 = 0, a_t = beta a_{t-1} + (1 - beta) theta_t, corrected by "
                             "1 - beta**t with t from 1.")


# ---------------------------------------------------------------- momentum
def check_momentum(student_momentum):
    """Compare momentum() with course.optim.momentum over several updates and shapes."""
    hypers = [{"learning_rate": 0.1, "momentum": 0.9}, {"learning_rate": 0.03, "momentum": 0.5},
              {"learning_rate": 1e-3, "momentum": 0.99}]

    _check_optimizer(student_momentum, optim.momentum, "momentum", hypers, ("velocity",),
                     "v = mu * v - learning_rate * dw; w = w + v, with v stored in config['velocity'].")


def check_momentum_ewa(student_fn):
    """Compare momentum_ewa() with the weighted-average reference over several updates."""
    hypers = [{"learning_rate": 0.5, "beta": 0.9}, {"learning_rate": 0.03, "beta": 0.5},
              {"learning_rate": 2.0, "beta": 0.99}]

    _check_optimizer(student_fn, momentum_ewa_reference, "momentum_ewa", hypers, ("average",),
                     "m = beta * m + (1 - beta) * dw; w = w - learning_rate * m.")


def check_nesterov(student_nesterov):
    """Compare nesterov() with course.optim.nesterov over several updates and shapes."""
    hypers = [{"learning_rate": 0.1, "momentum": 0.9}, {"learning_rate": 0.03, "momentum": 0.5},
              {"learning_rate": 1e-3, "momentum": 0.99}]

    _check_optimizer(student_nesterov, optim.nesterov, "nesterov", hypers, ("velocity",),
                     "the velocity follows momentum's rule, and the returned w must be the next "
                     "look-ahead point (where momentum's weights land plus mu times the new velocity), "
                     "expressed through the w received and the velocities before and after the call.")


def check_rmsprop(student_rmsprop):
    """Compare rmsprop() with course.optim.rmsprop, including a large epsilon."""
    hypers = [{"learning_rate": 0.01, "decay_rate": 0.9}, {"learning_rate": 0.1, "decay_rate": 0.99},
              {"learning_rate": 1e-3, "decay_rate": 0.5, "epsilon": 0.1}]

    _check_optimizer(student_rmsprop, optim.rmsprop, "rmsprop", hypers, ("cache",),
                     "s = rho * s + (1 - rho) * dw**2; w = w - lr * dw / (sqrt(s) + epsilon).")


def check_adam(student_adam):
    """Compare adam() with course.optim.adam over several updates, including the step count t."""
    hypers = [{"learning_rate": 0.01}, {"learning_rate": 0.1, "beta1": 0.5, "beta2": 0.9},
              {"learning_rate": 1e-3, "beta1": 0.95, "beta2": 0.99, "epsilon": 1e-3}]

    _check_optimizer(student_adam, optim.adam, "adam", hypers, ("m", "v", "t"),
                     "m, v: weighted averages of dw and dw**2; divide by (1 - beta**t) with t counted from 1.")


def check_adamw(student_adamw):
    """Compare adamw() with course.optim.adamw over several updates, shapes and decay strengths."""
    hypers = [{"learning_rate": 0.01, "weight_decay": 0.1},
              {"learning_rate": 0.1, "beta1": 0.5, "beta2": 0.9, "weight_decay": 0.3},
              {"learning_rate": 1e-3, "beta1": 0.95, "beta2": 0.99, "epsilon": 1e-3, "weight_decay": 2.0}]

    _check_optimizer(student_adamw, optim.adamw, "adamw", hypers, ("m", "v", "t"),
                     "m, v and t exactly as in Adam, from dw alone; the weights w the call received are "
                     "shrunk by the factor of one SGD step on the L2 penalty, beside Adam's step.")
    # a weight with zero gradient: Adam's step is zero, only the decay acts
    for case, (lr, decay) in enumerate([(0.1, 0.5), (0.03, 3.0)]):
        w = rng_for("adamw", 50 + case).standard_normal((2, 3))
        s_w, s_cfg, r_w, r_cfg = w.copy(), {"learning_rate": lr, "weight_decay": decay}, w.copy(), \
            {"learning_rate": lr, "weight_decay": decay}
        for step in range(3):
            s_w, s_cfg = _call(student_adamw, s_w, np.zeros_like(w), s_cfg, "adamw")
            r_w, r_cfg = optim.adamw(r_w, np.zeros_like(w), r_cfg)
            check_array(f"w after update {step + 1} with a zero gradient on a hidden input of shape (2, 3)",
                        s_w, r_w, rtol=1e-9, atol=1e-12,
                        hint="with dw = 0 only the decay acts: one constant factor per call.")


# ---------------------------------------------------------------- schedules
def check_lr_schedules(step_decay, exponential_decay, inverse_time_decay):
    """Compare the three schedules with course.optim at many epochs and settings."""
    for lr0, drop, every in [(0.1, 0.5, 10), (1.0, 0.1, 3), (0.03, 0.9, 1), (2.0, 0.25, 7)]:
        for epoch in range(0, 25):
            got = step_decay(lr0, epoch, drop=drop, every=every)
            want = optim.step_decay(lr0, epoch, drop=drop, every=every)
            check_scalar(f"step_decay on a hidden setting at epoch {epoch}", got, want, rtol=1e-9,
                         hint="drop ** (epoch // every): integer division, so the rate is constant "
                              "within a block.")
    for epoch in range(0, 25):   # the docstring's defaults
        check_scalar(f"step_decay with its default drop and every, at epoch {epoch}",
                     step_decay(0.1, epoch), optim.step_decay(0.1, epoch), rtol=1e-9,
                     hint="use the defaults drop and every of the docstring.")
    for lr0, k in [(0.1, 0.05), (1.0, 1.5), (0.003, 0.3)]:
        for epoch in [0, 1, 2, 5, 13, 40, 2.5]:
            got = exponential_decay(lr0, epoch, k=k)
            check_scalar(f"exponential_decay on a hidden setting at epoch {epoch}", got,
                         optim.exponential_decay(lr0, epoch, k=k), rtol=1e-9,
                         hint="lr0 * exp(-k * epoch).")
            got = inverse_time_decay(lr0, epoch, k=k)
            check_scalar(f"inverse_time_decay on a hidden setting at epoch {epoch}", got,
                         optim.inverse_time_decay(lr0, epoch, k=k), rtol=1e-9,
                         hint="lr0 / (1 + k * epoch): keep the 1 and divide, do not multiply.")


def check_warmup_cosine(warmup_cosine):
    """Compare warmup_cosine() with course.optim.warmup_cosine at every epoch of several settings."""
    settings = [(0.1, 10, 2), (1.0, 7, 0), (0.003, 30, 5), (2.0, 3, 1), (0.5, 1, 0), (0.02, 12, 11)]
    rng = rng_for("warmup_cosine", 0)
    settings.append((float(rng.uniform(0.01, 1.0)), int(rng.integers(5, 40)), int(rng.integers(1, 5))))
    for lr0, epochs, warmup in settings:
        for epoch in range(epochs):
            got = warmup_cosine(lr0, epoch, epochs=epochs, warmup=warmup)
            check_scalar(f"warmup_cosine on a hidden setting ({epochs} epochs, {warmup} warm-up) at epoch {epoch}",
                         got, optim.warmup_cosine(lr0, epoch, epochs=epochs, warmup=warmup), rtol=1e-9, atol=1e-15,
                         hint="warm-up: lr0 / W at epoch 0 rising linearly to lr0 at epoch W - 1; then half a "
                              "cosine period from lr0 at epoch W to 0 at epoch E.")
    for epoch in range(6):   # the default: no warm-up
        check_scalar(f"warmup_cosine with the default warmup, at epoch {epoch} of 6",
                     warmup_cosine(0.1, epoch, epochs=6), optim.warmup_cosine(0.1, epoch, epochs=6),
                     rtol=1e-9, atol=1e-15, hint="warmup=0 by default: the cosine starts at lr0 at epoch 0.")


# ---------------------------------------------------------------- catalogued bugs
BUGS = [
    # ewa
    Bug("ewa_no_bias_correction", "ewa",
        "averages[t - 1] = v / (1.0 - beta**t) if bias_correction else v",
        "averages[t - 1] = v",
        "The averages are never bias-corrected: divide a_t by (1 - beta**t) when bias_correction is True."),
    Bug("ewa_always_corrected", "ewa",
        "averages[t - 1] = v / (1.0 - beta**t) if bias_correction else v",
        "averages[t - 1] = v / (1.0 - beta**t)",
        "The averages are corrected although bias_correction=False: correct only when asked."),
    Bug("ewa_weights_swapped", "ewa",
        "v = beta * v + (1.0 - beta) * values[t - 1]",
        "v = (1.0 - beta) * v + beta * values[t - 1]",
        "beta and 1 - beta are swapped: beta is the weight of the previous average, 1 - beta of the new value."),
    Bug("ewa_correction_t_from_zero", "ewa",
        "averages[t - 1] = v / (1.0 - beta**t) if bias_correction else v",
        "averages[t - 1] = v / (1.0 - beta**(t - 1)) if bias_correction else v",
        "The correction counts t from 0: the first average is divided by 1 - beta**0 = 0. Count t from 1."),
    Bug("ewa_corrected_value_fed_back", "ewa",
        "averages[t - 1] = v / (1.0 - beta**t) if bias_correction else v",
        "v = v / (1.0 - beta**t) if bias_correction else v\n        averages[t - 1] = v",
        "The corrected value replaces the running average: keep the raw v for the recursion and correct only what you return."),
    # momentum (velocity form)
    Bug("momentum_wrong_sign", "momentum",
        "return w + v, config", "return w - v, config",
        "The step has the wrong sign: the velocity already contains -lr * dw, so the update is w + v."),
    Bug("momentum_velocity_adds_gradient", "momentum",
        'v = config["momentum"] * v - config["learning_rate"] * dw',
        'v = config["momentum"] * v + config["learning_rate"] * dw',
        "The velocity adds the gradient: v = mu * v - lr * dw, so that w + v goes downhill."),
    Bug("momentum_velocity_not_stored", "momentum",
        '    config["velocity"] = v\n', "",
        "The velocity is not stored in config, so every call starts from zero velocity (plain SGD)."),
    Bug("momentum_one_minus_mu", "momentum",
        'v = config["momentum"] * v - config["learning_rate"] * dw',
        'v = config["momentum"] * v - (1 - config["momentum"]) * config["learning_rate"] * dw',
        "The gradient is scaled by (1 - mu): that mixes in the weighted-average form. Velocity form: v = mu v - lr dw."),
    Bug("momentum_no_defaults", "momentum",
        '    config.setdefault("momentum", 0.9)\n', "",
        "The default momentum 0.9 is not filled in: config={} raises a KeyError or uses no momentum."),
    # momentum, weighted-average form
    Bug("momentum_ewa_missing_one_minus_beta", "momentum_ewa",
        'm = config["beta"] * m + (1.0 - config["beta"]) * dw',
        'm = config["beta"] * m + dw',
        "The factor (1 - beta) on the gradient is missing: m must be an average of gradients, not a sum."),
    Bug("momentum_ewa_wrong_sign", "momentum_ewa",
        'return w - config["learning_rate"] * m, config', 'return w + config["learning_rate"] * m, config',
        "The step goes uphill: w - lr * m."),
    Bug("momentum_ewa_weights_swapped", "momentum_ewa",
        'm = config["beta"] * m + (1.0 - config["beta"]) * dw',
        'm = (1.0 - config["beta"]) * m + config["beta"] * dw',
        "beta and 1 - beta are swapped: beta weighs the previous average m."),
    Bug("momentum_ewa_not_stored", "momentum_ewa",
        '    config["average"] = m\n', "",
        "The average is not stored in config['average'], so each call forgets the previous gradients."),
    # nesterov
    Bug("nesterov_plain_momentum", "nesterov",
        'return w - mu * v_prev + (1.0 + mu) * v, config', 'return w + v, config',
        "This is ordinary momentum's step: the stored w is the look-ahead point, so the returned w must "
        "also include the inertial move mu * v that the next call looks ahead by."),
    Bug("nesterov_one_minus_mu", "nesterov",
        'return w - mu * v_prev + (1.0 + mu) * v, config', 'return w - mu * v_prev + (1.0 - mu) * v, config',
        "The new velocity is weighted by (1 + mu), not (1 - mu)."),
    Bug("nesterov_v_prev_after_update", "nesterov",
        'v = mu * v_prev - config["learning_rate"] * dw',
        'v = mu * v_prev - config["learning_rate"] * dw\n    v_prev = v',
        "v_prev must be the velocity before this update; you overwrote it with the new velocity."),
    Bug("nesterov_v_prev_sign", "nesterov",
        'return w - mu * v_prev + (1.0 + mu) * v, config', 'return w + mu * v_prev + (1.0 + mu) * v, config',
        "The mu * v_prev term has the wrong sign: the w received already includes the look-ahead move "
        "mu * v_prev, which the update must take back out."),
    Bug("nesterov_velocity_not_stored", "nesterov",
        '    config["velocity"] = v\n', "",
        "The velocity is not stored in config, so every call starts from zero velocity."),
    # rmsprop
    Bug("rmsprop_no_sqrt", "rmsprop",
        "(np.sqrt(s) + config[\"epsilon\"])", "(s + config[\"epsilon\"])",
        "The square root is missing: divide by sqrt(s) + epsilon, the root mean square."),
    Bug("rmsprop_eps_inside_sqrt", "rmsprop",
        "(np.sqrt(s) + config[\"epsilon\"])", "np.sqrt(s + config[\"epsilon\"])",
        "epsilon belongs outside the square root: sqrt(s) + epsilon."),
    Bug("rmsprop_decay_swapped", "rmsprop",
        "s = rho * s + (1.0 - rho) * dw**2", "s = (1.0 - rho) * s + rho * dw**2",
        "rho and 1 - rho are swapped: rho weighs the previous cache."),
    Bug("rmsprop_gradient_not_squared", "rmsprop",
        "s = rho * s + (1.0 - rho) * dw**2", "s = rho * s + (1.0 - rho) * np.abs(dw)",
        "The cache must average dw**2, the squared gradient."),
    Bug("rmsprop_cache_not_stored", "rmsprop",
        '    config["cache"] = s\n', "",
        "The cache is not stored in config['cache'], so each step only sees the current gradient."),
    # adam
    Bug("adam_no_bias_correction", "adam",
        "m_hat = m / (1.0 - beta1**t)\n    v_hat = v / (1.0 - beta2**t)",
        "m_hat = m\n    v_hat = v",
        "The bias correction is missing: the first steps are about 3 times too large."),
    Bug("adam_t_not_incremented", "adam",
        't = config.get("t", 0) + 1', 't = config.get("t", 1)',
        "t must be incremented at every update (and be 1 at the first one)."),
    Bug("adam_correct_m_only", "adam",
        "v_hat = v / (1.0 - beta2**t)", "v_hat = v",
        "Only m is bias-corrected; correct v with (1 - beta2**t) too."),
    Bug("adam_correct_v_only", "adam",
        "m_hat = m / (1.0 - beta1**t)", "m_hat = m",
        "Only v is bias-corrected; correct m with (1 - beta1**t) too."),
    Bug("adam_wrong_sign", "adam",
        'return w - config["learning_rate"] * m_hat', 'return w + config["learning_rate"] * m_hat',
        "The step goes uphill: w - lr * m_hat / (sqrt(v_hat) + epsilon)."),
    Bug("adam_no_sqrt", "adam",
        "(np.sqrt(v_hat) + config[\"epsilon\"])", "(v_hat + config[\"epsilon\"])",
        "The square root of v_hat is missing."),
    Bug("adam_second_moment_not_squared", "adam",
        "v = beta2 * v + (1.0 - beta2) * dw**2", "v = beta2 * v + (1.0 - beta2) * np.abs(dw)",
        "v must average the squared gradient dw**2."),
    # adamw
    Bug("adamw_decay_in_gradient", "adamw",
        '    t = config.get("t", 0) + 1\n',
        '    t = config.get("t", 0) + 1\n    dw = dw + config["weight_decay"] * w\n',
        "The decay term was added to the gradient, so m and v average it and sqrt(v_hat) rescales it: that is "
        "an L2 penalty inside Adam. Decoupled decay never enters m and v; it only shrinks w by 1 - lr * weight_decay."),
    Bug("adamw_decay_without_lr", "adamw",
        'return (1.0 - lr * config["weight_decay"]) * w - step, config',
        'return (1.0 - config["weight_decay"]) * w - step, config',
        "The decay factor is missing the learning rate: one SGD step on the penalty shrinks w by 1 - lr * weight_decay."),
    Bug("adamw_decay_after_step", "adamw",
        'return (1.0 - lr * config["weight_decay"]) * w - step, config',
        'return (1.0 - lr * config["weight_decay"]) * (w - step), config',
        "The decay shrinks the already-updated weights; it applies to the w the call received: "
        "(1 - lr * weight_decay) * w - step."),
    Bug("adamw_decay_grows", "adamw",
        'return (1.0 - lr * config["weight_decay"]) * w - step, config',
        'return (1.0 + lr * config["weight_decay"]) * w - step, config',
        "The factor 1 + lr * weight_decay makes the weights grow; the penalty's gradient step shrinks them: 1 - lr * weight_decay."),
    Bug("adamw_no_bias_correction", "adamw",
        "m_hat = m / (1.0 - beta1**t)\n    v_hat = v / (1.0 - beta2**t)",
        "m_hat = m\n    v_hat = v",
        "The bias correction of Adam is missing: AdamW changes only the decay, the moments are corrected as in Adam."),
    # schedules
    Bug("step_decay_no_floor", "lr_schedules",
        "return float(lr0 * drop ** (epoch // every))", "return float(lr0 * drop ** (epoch / every))",
        "Use integer division epoch // every: the step schedule is constant between drops."),
    Bug("step_decay_product", "lr_schedules",
        "return float(lr0 * drop ** (epoch // every))", "return float(lr0 * drop * (epoch // every))",
        "The drop is applied as a power, drop ** (epoch // every); a product gives 0 at epoch 0."),
    Bug("exponential_wrong_sign", "lr_schedules",
        "return float(lr0 * np.exp(-k * epoch))", "return float(lr0 * np.exp(k * epoch))",
        "The exponent must be negative, exp(-k * epoch), or the learning rate grows."),
    Bug("inverse_time_missing_one", "lr_schedules",
        "return float(lr0 / (1.0 + k * epoch))", "return float(lr0 / (k * epoch))",
        "The 1 in 1 + k * epoch is missing: the schedule divides by zero at epoch 0."),
    # ---- written from the student notebooks and docstrings alone by an outside tester
    # (issue 14); the comment above each names the input on which it differs
    # witness: values=[1.,1.], beta=0.5 -> ref [1,1], bug [1/(1-0.25), 1/(1-0.125)]
    Bug("ewa_correction_off_by_one", "ewa",
        "v / (1.0 - beta**t)", "v / (1.0 - beta**(t + 1))",
        "Uses beta**(t+1) in the bias correction, counting steps from 2."),
    # witness: values=[2.,4.], beta=0.5, corrected -> ref [2, 3.33], bug [4, 4]
    Bug("ewa_init_first_value", "ewa",
        "    v = 0.0\n", "    v = values[0]\n",
        "Starts the average at the first value instead of 0, which the bias correction then over-corrects."),
    # witness: values=np.array([1, 2]) (int), beta=0.5 -> ref float [1, 1.67], bug int [1, 1]
    Bug("ewa_int_input", "ewa",
        "values = np.asarray(values, dtype=np.float64)", "values = np.asarray(values)",
        "Keeps an integer input's dtype, so the averages are truncated to integers instead of float64."),
    # witness: bias_correction=False, values=[1.], beta=0.5 -> ref 0.5, bug 1.0
    Bug("ewa_always_corrected_b", "ewa",
        "v / (1.0 - beta**t) if bias_correction else v", "v / (1.0 - beta**t)",
        "Always applies the bias correction, ignoring bias_correction=False."),
    # witness: config={"momentum": 0.5} -> bug overwrites it with 0.9
    Bug("momentum_overwrites_mu", "momentum",
        "config.setdefault(\"momentum\", 0.9)", "config[\"momentum\"] = 0.9",
        "Overwrites the caller's momentum with the default instead of only filling a missing value."),
    # witness: cfg={}; momentum(w, dw, cfg) -> ref cfg has 'velocity', bug leaves cfg empty
    Bug("momentum_copies_config", "momentum",
        "    if config is None:\n        config = {}\n", "    config = dict(config or {})\n",
        "Works on a copy of config, so the caller's dict is not updated with the velocity and defaults."),
    # witness: w=ones(2) -> the caller's w is changed by the call
    Bug("momentum_inplace_w", "momentum",
        "return w + v, config", "w += v\n    return w, config",
        "Updates the parameter array in place, although w must not be modified."),
    # witness: w float32 -> ref float32, bug float64 (velocity created as float64)
    Bug("momentum_velocity_float64", "momentum",
        "v = np.zeros_like(w)", "v = np.zeros(w.shape)",
        "Creates the initial velocity as float64, so float32 parameters come back as float64."),
    # witness: two steps with dw=1 -> second step uses a zero average (state stored under the wrong key)
    Bug("momentum_ewa_wrong_key", "momentum_ewa",
        "config[\"average\"] = m", "config[\"velocity\"] = m",
        "Stores the running average under 'velocity' (copied from momentum), so it is reset every step."),
    # witness: two steps with dw=1 -> second step differs (sign of the v_prev term)
    Bug("nesterov_sign_vprev", "nesterov",
        "w - mu * v_prev + (1.0 + mu) * v", "w + mu * v_prev + (1.0 + mu) * v",
        "Adds mu * v_prev instead of subtracting it; identical on the first step, wrong from the second."),
    # witness: config=None -> ref decay_rate 0.99, bug 0.9
    Bug("rmsprop_default_rho", "rmsprop",
        "config.setdefault(\"decay_rate\", 0.99)", "config.setdefault(\"decay_rate\", 0.9)",
        "Uses 0.9 as the default decay rate instead of the documented 0.99."),
    # witness: two steps -> bug keeps t missing, bias correction with t=1 every step
    Bug("adam_t_not_stored", "adam",
        "config[\"m\"], config[\"v\"], config[\"t\"] = m, v, t", "config[\"m\"], config[\"v\"] = m, v",
        "Never stores the step counter t, so every step is bias-corrected as if it were the first."),
    # witness: one step, dw=1 -> ref step lr, bug step lr*sqrt(0.1/0.001)/... differs
    Bug("adam_vhat_beta1", "adam",
        "v_hat = v / (1.0 - beta2**t)", "v_hat = v / (1.0 - beta1**t)",
        "Bias-corrects the second moment with beta1 instead of beta2."),
    # witness: step_decay(1, 5, drop=0.5, every=10) -> ref 1.0, bug 0.707
    Bug("step_decay_no_floor_b", "lr_schedules",
        "drop ** (epoch // every)", "drop ** (epoch / every)",
        "Uses true division instead of floor division, so the rate decays smoothly instead of in steps."),
    # witness: step_decay(1, 9, every=10) -> ref 1.0, bug 0.5
    Bug("step_decay_epoch_from_one", "lr_schedules",
        "drop ** (epoch // every)", "drop ** ((epoch + 1) // every)",
        "Counts epochs from 1, dropping the rate one epoch too early."),
    # witness: inverse_time_decay(1, 2, k=1) -> ref 1/3, bug 1.0
    Bug("inverse_time_precedence", "lr_schedules",
        "lr0 / (1.0 + k * epoch)", "lr0 / (1.0 + k) * epoch",
        "Misplaces the parentheses: lr0/(1+k)*epoch instead of lr0/(1+k*epoch)."),
    # warm-up + cosine
    Bug("cosine_full_period", "warmup_cosine",
        "np.cos(np.pi * progress)", "np.cos(2 * np.pi * progress)",
        "A full cosine period climbs back to lr0 at the end; from lr0 down to 0 is half a period, cos(pi * progress)."),
    Bug("cosine_ignores_warmup", "warmup_cosine",
        "progress = (epoch - warmup) / (epochs - warmup)", "progress = epoch / epochs",
        "The cosine must start at lr0 at epoch W and reach 0 at epoch E: measure progress from W, over E - W epochs."),
    Bug("warmup_starts_at_zero", "warmup_cosine",
        "return float(lr0 * (epoch + 1) / warmup)", "return float(lr0 * epoch / warmup)",
        "The warm-up starts at 0, so epoch 0 does not train and epoch W - 1 stays below lr0: it should reach "
        "lr0 / W at epoch 0 and lr0 at epoch W - 1."),
    Bug("cosine_missing_half", "warmup_cosine",
        "return float(lr0 * 0.5 * (1.0 + np.cos(np.pi * progress)))",
        "return float(lr0 * (1.0 + np.cos(np.pi * progress)))",
        "1 + cos goes from 2 to 0: the factor 1/2 makes the schedule start at lr0."),
]


# ---------------------------------------------------------------- the registry
EXERCISES = [
    Exercise("test_ewa", points=5, check=check_ewa,
             functions=('ewa',),
             references=('course.optim.ewa',)),
    Exercise("test_momentum", points=6, check=check_momentum,
             functions=('momentum',),
             references=('course.optim.momentum', 'course.inplace.momentum')),
    Exercise("test_momentum_ewa", points=5, check=check_momentum_ewa,
             functions=('momentum_ewa',)),
    Exercise("test_nesterov", points=6, check=check_nesterov,
             functions=('nesterov',),
             references=('course.optim.nesterov', 'course.inplace.nesterov')),
    Exercise("test_rmsprop", points=6, check=check_rmsprop,
             functions=('rmsprop',),
             references=('course.optim.rmsprop', 'course.inplace.rmsprop')),
    Exercise("test_adam", points=7, check=check_adam,
             functions=('adam',),
             references=('course.optim.adam', 'course.inplace.adam')),
    Exercise("test_adamw", points=5, check=check_adamw,
             functions=('adamw',),
             references=('course.optim.adamw',)),
    Exercise("test_lr_schedules", points=5, check=check_lr_schedules,
             functions=('step_decay', 'exponential_decay', 'inverse_time_decay'),
             references=('course.optim.step_decay', 'course.optim.exponential_decay', 'course.optim.inverse_time_decay')),
    Exercise("test_warmup_cosine", points=5, check=check_warmup_cosine,
             functions=('warmup_cosine',),
             references=('course.optim.warmup_cosine',)),
]
