#!/usr/bin/env python3
"""Generate PyTorch reference fixtures for DeepSwift's NN layer tests.

Usage (needs numpy + torch; CPU is enough):

    python3 -m venv /work/venv-torch && /work/venv-torch/bin/pip install numpy torch
    /work/venv-torch/bin/python Tests/Fixtures/torch/generate_torch_fixtures.py

Writes optimizers.npz, losses.npz, activations.npz, dense.npz and MANIFEST.md
next to this script. MANIFEST.md lists every key with dtype, shape and the
torch expression / config that produced it.

Conventions
-----------
* One generator, np.random.default_rng(7), drawn in a fixed order (A, B, C, D);
  torch.manual_seed(0) as well, although nothing here draws from torch's RNG.
* torch.set_default_dtype(torch.float64); every computation is float64.
* torch.set_num_threads(1) so reductions are evaluated in a fixed order.
* Saved with np.savez (ZIP_STORED, fixed 1980-01-01 member timestamps), so a
  re-run with the same torch/numpy versions gives byte-identical files.
"""

import os
import sys
import warnings

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fixture_tools as ft  # noqa: E402
from fixture_tools import T  # noqa: E402

OUT = HERE

ft.setup_torch()
rng = np.random.default_rng(7)

MANIFEST = []  # (fname, items, notes)


class Store(ft.Store):
    """fixture_tools.Store (no dtype rule) that also registers itself for MANIFEST.md on save."""

    def __init__(self, fname, notes=None):
        super().__init__(fname, OUT, notes=notes)

    def save(self):
        super().save()
        MANIFEST.append((self.fname, self.items, self.notes))


def fmt_defaults(opt):
    d = dict(opt.defaults)
    keep = {}
    for k, v in d.items():
        if k in ("foreach", "fused", "capturable", "differentiable", "maximize") and not v:
            continue
        if v is None:
            continue
        keep[k] = v
    return ", ".join(f"{k}={v!r}" for k, v in sorted(keep.items()))


# ---------------------------------------------------------------------------
# A. optimizers.npz
# ---------------------------------------------------------------------------
def gen_optimizers():
    s = Store("optimizers.npz")
    X = rng.standard_normal((16, 5))
    Y = rng.standard_normal((16, 3))
    W0 = rng.standard_normal((5, 3))
    b0 = rng.standard_normal((3,))
    s.put("X", X, "rng.standard_normal((16,5))")
    s.put("Y", Y, "rng.standard_normal((16,3))")
    s.put("W0", W0, "rng.standard_normal((5,3))")
    s.put("b0", b0, "rng.standard_normal((3,))")
    Xt, Yt = T(X), T(Y)

    def loss_fn(W, b):
        return torch.mean((Xt @ W + b - Yt) ** 2)

    with torch.no_grad():
        s.put("loss0", loss_fn(T(W0), T(b0)), "torch.mean((X @ W0 + b0 - Y)**2)  (0-d, before any update)")

    O = torch.optim
    configs = [
        ("sgd", "SGD(lr=0.1)", lambda p: O.SGD(p, lr=0.1), None),
        ("sgd_momentum", "SGD(lr=0.05, momentum=0.9)", lambda p: O.SGD(p, lr=0.05, momentum=0.9), None),
        ("sgd_nesterov", "SGD(lr=0.05, momentum=0.9, nesterov=True)",
         lambda p: O.SGD(p, lr=0.05, momentum=0.9, nesterov=True), None),
        ("sgd_dampening", "SGD(lr=0.05, momentum=0.9, dampening=0.5)",
         lambda p: O.SGD(p, lr=0.05, momentum=0.9, dampening=0.5), None),
        ("sgd_weight_decay", "SGD(lr=0.1, weight_decay=0.01)", lambda p: O.SGD(p, lr=0.1, weight_decay=0.01), None),
        ("adam", "Adam(lr=0.01)", lambda p: O.Adam(p, lr=0.01), None),
        ("adam_weight_decay", "Adam(lr=0.01, weight_decay=0.1)  (L2 added to the gradient)",
         lambda p: O.Adam(p, lr=0.01, weight_decay=0.1), None),
        ("amsgrad", "Adam(lr=0.01, amsgrad=True)", lambda p: O.Adam(p, lr=0.01, amsgrad=True), None),
        ("adamw", "AdamW(lr=0.01, weight_decay=0.1)", lambda p: O.AdamW(p, lr=0.01, weight_decay=0.1), None),
        ("adamax", "Adamax(lr=0.01)", lambda p: O.Adamax(p, lr=0.01), None),
        ("nadam", "NAdam(lr=0.01)", lambda p: O.NAdam(p, lr=0.01), None),
        ("rmsprop", "RMSprop(lr=0.01)", lambda p: O.RMSprop(p, lr=0.01), None),
        ("rmsprop_centered", "RMSprop(lr=0.01, centered=True, momentum=0.5)",
         lambda p: O.RMSprop(p, lr=0.01, centered=True, momentum=0.5), None),
        ("adagrad", "Adagrad(lr=0.1)", lambda p: O.Adagrad(p, lr=0.1), None),
        ("adadelta", "Adadelta(lr=1.0)", lambda p: O.Adadelta(p, lr=1.0), None),
        ("clip_norm", "SGD(lr=0.1); torch.nn.utils.clip_grad_norm_([W,b], max_norm=0.5) before each step",
         lambda p: O.SGD(p, lr=0.1), lambda p: torch.nn.utils.clip_grad_norm_(p, max_norm=0.5)),
        ("clip_value", "SGD(lr=0.1); torch.nn.utils.clip_grad_value_([W,b], 0.05) before each step",
         lambda p: O.SGD(p, lr=0.1), lambda p: torch.nn.utils.clip_grad_value_(p, 0.05)),
    ]
    for name, desc, make, clip in configs:
        W = T(W0, grad=True)
        b = T(b0, grad=True)
        opt = make([W, b])
        full = fmt_defaults(opt)
        for step in range(1, 101):
            opt.zero_grad()
            loss = loss_fn(W, b)
            loss.backward()
            if clip is not None:
                clip([W, b])
            opt.step()
            if step in (1, 10, 100):
                s.put(f"{name}_W_{step}", W, f"W after step {step} of torch.optim.{desc}  [all options: {full}]")
                s.put(f"{name}_b_{step}", b, f"b after step {step} (same run)")

    # --- learning-rate schedules -----------------------------------------
    S = torch.optim.lr_scheduler

    def lr_seq(make_sched, n=30, metrics=None):
        p = torch.zeros(1, requires_grad=True)
        opt = torch.optim.SGD([p], lr=0.1)
        sched = make_sched(opt)
        out = []
        for e in range(n):
            out.append(opt.param_groups[0]["lr"])
            opt.step()
            if e < n - 1:
                if metrics is None:
                    sched.step()
                else:
                    sched.step(metrics[e])
        return np.array(out, dtype=np.float64)

    common = ("lr used at epoch 0..29 (optimizer.param_groups[0]['lr'] read before each scheduler.step()), "
              "SGD base lr 0.1, torch.optim.lr_scheduler.")
    scheds = [
        ("lr_step", "StepLR(step_size=7, gamma=0.5)", lambda o: S.StepLR(o, step_size=7, gamma=0.5)),
        ("lr_multistep", "MultiStepLR(milestones=[5, 12, 20], gamma=0.3)",
         lambda o: S.MultiStepLR(o, milestones=[5, 12, 20], gamma=0.3)),
        ("lr_exponential", "ExponentialLR(gamma=0.9)", lambda o: S.ExponentialLR(o, gamma=0.9)),
        ("lr_polynomial", "PolynomialLR(total_iters=20, power=2.0)",
         lambda o: S.PolynomialLR(o, total_iters=20, power=2.0)),
        ("lr_cosine", "CosineAnnealingLR(T_max=10, eta_min=0.001)",
         lambda o: S.CosineAnnealingLR(o, T_max=10, eta_min=0.001)),
        ("lr_cosine_restarts", "CosineAnnealingWarmRestarts(T_0=5, T_mult=2, eta_min=0.001)",
         lambda o: S.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2, eta_min=0.001)),
        ("lr_onecycle", "OneCycleLR(max_lr=0.1, total_steps=30)  (anneal_strategy='cos', pct_start=0.3, "
         "div_factor=25, final_div_factor=1e4, three_phase=False; cycle_momentum=True also cycles SGD momentum — lr only recorded)",
         lambda o: S.OneCycleLR(o, max_lr=0.1, total_steps=30)),
        ("lr_warmup_cosine", "SequentialLR(o, [LinearLR(o, start_factor=0.1, total_iters=5), "
         "CosineAnnealingLR(o, T_max=25)], milestones=[5])  (LinearLR end_factor=1.0, cosine eta_min=0)",
         lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.1, total_iters=5),
                                      S.CosineAnnealingLR(o, T_max=25)], milestones=[5])),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for key, desc, make in scheds:
            s.put(key, lr_seq(make), common + desc)
        # ReduceLROnPlateau: improves, stalls (drop), improves, stalls (drop), stalls (drop), ...
        metrics = np.array([
            1.00, 0.80, 0.60, 0.50, 0.45,          # 0-4 improving
            0.45, 0.46, 0.455, 0.47,               # 5-8 no improvement -> drop after 3 bad epochs
            0.40, 0.35, 0.30, 0.299995,            # 9-12 improve; 12 is < threshold (rel 1e-4) improvement -> bad
            0.31, 0.32,                            # 13-14 bad -> drop
            0.25, 0.20, 0.18, 0.17, 0.16,          # 15-19 improving
            0.16, 0.16, 0.16, 0.16, 0.16,          # 20-24 flat -> drop, then counting again
            0.16, 0.16, 0.16, 0.15, 0.14,          # 25-29
        ], dtype=np.float64)
        assert metrics.shape == (30,)
        s.put("plateau_metrics", metrics,
              "metric fed to ReduceLROnPlateau.step(metrics[e]) after reading the lr of epoch e (e = 0..28)")
        lp = lr_seq(lambda o: S.ReduceLROnPlateau(o, mode="min", factor=0.5, patience=2, threshold=1e-4),
                    metrics=metrics)
        assert len(set(lp.tolist())) >= 3, lp
        s.put("lr_plateau", lp, common + "ReduceLROnPlateau(mode='min', factor=0.5, patience=2, threshold=1e-4)"
              "  (threshold_mode='rel', cooldown=0, min_lr=0, eps=1e-8); sched.step(plateau_metrics[e]) after epoch e")

    s.notes += [
        "Problem: parameters W (5,3), b (3,) start at W0, b0; loss(W,b) = mean((X @ W + b - Y)**2) over all 48 elements. "
        "Each config: 100 iterations of `opt.zero_grad(); loss = loss(W,b); loss.backward(); [clip]; opt.step()`, "
        "float64 throughout, single-tensor (non-foreach) CPU code path. `{name}_W_k` / `{name}_b_k` = parameters after step k.",
        "dL/dW = (2/48) X^T R, dL/db = (2/48) sum_rows(R) with R = X@W + b - Y.",
        "torch semantics worth matching: SGD momentum buffer is initialised to the (weight-decayed) gradient at step 1 "
        "(dampening is NOT applied on that first step); nesterov uses g + momentum*buf. Adam/AdamW: "
        "denom = sqrt(v)/sqrt(1-beta2^t) + eps, step = lr/(1-beta1^t) * m/denom; AdamW decays p *= (1 - lr*wd) before the update; "
        "Adam weight_decay adds wd*p to the gradient. AMSGrad keeps max of v (un-bias-corrected) and divides by sqrt(1-beta2^t). "
        "Adamax: u = max(beta2*u, |g|+eps), p -= lr/(1-beta1^t) * m/u. "
        "NAdam (momentum_decay=0.004, betas (0.9,0.999), eps 1e-8): mu_t = beta1*(1 - 0.5*0.96^(t*0.004)), "
        "P_t = mu_1*...*mu_t, denom = sqrt(v/(1-beta2^t)) + eps, "
        "p -= lr*(1-mu_t)/(1-P_t) * g/denom + lr*mu_{t+1}/(1-P_t*mu_{t+1}) * m/denom. "
        "RMSprop: alpha=0.99, avg = sqrt(v) + eps (centered: sqrt(v - mean_g^2) + eps), momentum buffer b = mom*b + g/avg, p -= lr*b. "
        "Adagrad: sum += g^2, p -= lr * g / (sqrt(sum) + 1e-10). Adadelta (rho=0.9, eps=1e-6): v = rho*v + (1-rho)*g^2, "
        "delta = sqrt(u + eps)/sqrt(v + eps) * g, u = rho*u + (1-rho)*delta^2, p -= lr*delta. "
        "Adamax: eps is added inside the max, not to the denominator.",
        "These formulas were checked against an independent NumPy re-implementation: all stored W/b agree to <= 1e-13.",
        "clip_norm: total 2-norm over both tensors' gradients, scale = max_norm/(total_norm + 1e-6), applied only when < 1 "
        "(torch: clip_coef_clamped = clamp(max_norm/(norm+1e-6), max=1.0)). clip_value: clamp each grad element to [-0.05, 0.05].",
        "LR schedules: torch's chainable (recursive) formulas, so values may differ from the closed form in the last bits. "
        "lr_cosine keeps following the recursive cosine past T_max=10 (it rises again towards 0.1 at epoch 20, as torch does). "
        "lr_polynomial is 0 from epoch 20 on. ReduceLROnPlateau: a drop (lr *= 0.5) happens at the step where "
        "num_bad_epochs > patience; improvement means metric < best*(1-1e-4).",
    ]
    s.save()


# ---------------------------------------------------------------------------
# B. losses.npz
# ---------------------------------------------------------------------------
def gen_losses():
    s = Store("losses.npz")
    logits = rng.standard_normal((6, 5)) * 3.0
    logits[0, 0] = 100.0
    logits[1, 2] = -100.0
    labels = rng.integers(0, 5, size=(6,)).astype(np.int64)
    labels[0] = 0  # row 0 label on the +100 logit (loss ~ 0)
    labels[1] = 2  # row 1 label on the -100 logit (loss ~ 100+)
    labels_ignore = labels.copy()
    labels_ignore[3] = -100
    tp_raw = rng.standard_normal((6, 5))
    target_probs = np.exp(tp_raw - tp_raw.max(1, keepdims=True))
    target_probs /= target_probs.sum(1, keepdims=True)
    class_weights = rng.uniform(0.5, 2.0, size=(5,))
    bin_logits = rng.standard_normal((6, 4)) * 3.0
    bin_logits[0, 1] = 50.0
    bin_logits[2, 3] = -50.0
    bin_targets = rng.integers(0, 2, size=(6, 4)).astype(np.float64)
    bin_targets[0, 1] = 0.0  # extreme logit with the "wrong" target -> loss ~ 50
    bin_targets[2, 3] = 0.0  # extreme negative logit with matching target -> loss ~ 0
    bin_probs = 1.0 / (1.0 + np.exp(-rng.standard_normal((6, 4))))
    reg_pred = rng.standard_normal((6, 4))
    reg_target = reg_pred + rng.uniform(-2.5, 2.5, size=(6, 4))
    diff = np.abs(reg_pred - reg_target)
    assert (diff > 1).sum() >= 4 and (diff < 1).sum() >= 4 and (diff < 0.5).sum() >= 2
    assert np.all(np.abs(diff - 1) > 1e-3) and np.all(np.abs(diff - 0.5) > 1e-3) and np.all(diff > 1e-3)
    hinge_pred = rng.standard_normal((6, 4))
    hinge_target = np.where(rng.uniform(size=(6, 4)) < 0.5, -1.0, 1.0)
    assert np.all(np.abs(1 - hinge_target * hinge_pred) > 1e-3)
    pois_pred = rng.uniform(0.1, 3.0, size=(6, 4))
    pois_target = rng.poisson(pois_pred).astype(np.float64)

    s.put("logits", logits, "rng.standard_normal((6,5))*3; logits[0,0]=100; logits[1,2]=-100")
    s.put("labels", labels, "rng.integers(0,5,(6,)) int64; then labels[0]=0, labels[1]=2 (the extreme logits)")
    s.put("labels_ignore", labels_ignore, "labels with labels[3] = -100")
    s.put("target_probs", target_probs, "softmax(rng.standard_normal((6,5)), axis=1)")
    s.put("class_weights", class_weights, "rng.uniform(0.5, 2, (5,))")
    s.put("bin_logits", bin_logits, "rng.standard_normal((6,4))*3; bin_logits[0,1]=50; bin_logits[2,3]=-50")
    s.put("bin_targets", bin_targets, "rng.integers(0,2,(6,4)) as float64; bin_targets[0,1]=0; bin_targets[2,3]=0")
    s.put("bin_probs", bin_probs, "1/(1+exp(-rng.standard_normal((6,4))))")
    s.put("reg_pred", reg_pred, "rng.standard_normal((6,4))")
    s.put("reg_target", reg_target, "reg_pred + rng.uniform(-2.5, 2.5, (6,4))  (|diff| spans <0.5, 0.5..1, >1)")
    s.put("hinge_pred", hinge_pred, "rng.standard_normal((6,4))")
    s.put("hinge_target", hinge_target, "where(rng.uniform(size=(6,4)) < 0.5, -1, +1) float64")
    s.put("pois_pred", pois_pred, "rng.uniform(0.1, 3, (6,4))  (rates, not log-rates)")
    s.put("pois_target", pois_target, "rng.poisson(pois_pred) as float64")

    lab = torch.tensor(labels)
    lab_ig = torch.tensor(labels_ignore)

    def run(name, inp, fn, expr, wrt="logits"):
        x = T(inp, grad=True)
        val = fn(x)
        val.sum().backward()
        s.put(name, val, expr)
        gexpr = (f"d/d{wrt} of sum({name})" if val.dim() > 0 else f"d({name})/d{wrt}")
        s.put(name + "_grad", x.grad, gexpr)

    run("ce", logits, lambda z: F.cross_entropy(z, lab), "F.cross_entropy(logits, labels)")
    run("ce_sum", logits, lambda z: F.cross_entropy(z, lab, reduction="sum"),
        "F.cross_entropy(logits, labels, reduction='sum')")
    run("ce_none", logits, lambda z: F.cross_entropy(z, lab, reduction="none"),
        "F.cross_entropy(logits, labels, reduction='none')  (per sample)")
    run("ce_smoothing", logits, lambda z: F.cross_entropy(z, lab, label_smoothing=0.1),
        "F.cross_entropy(logits, labels, label_smoothing=0.1)  (target = 0.9*onehot + 0.1/5)")
    run("ce_weights", logits, lambda z: F.cross_entropy(z, lab, weight=T(class_weights)),
        "F.cross_entropy(logits, labels, weight=class_weights)  (mean = sum(w[y_i]*l_i)/sum(w[y_i]))")
    run("ce_ignore", logits, lambda z: F.cross_entropy(z, lab_ig, ignore_index=-100),
        "F.cross_entropy(logits, labels_ignore, ignore_index=-100)  (mean over the 5 non-ignored rows; row 3 grad = 0)")
    run("ce_probs", logits, lambda z: F.cross_entropy(z, T(target_probs)),
        "F.cross_entropy(logits, target_probs)  (soft targets; mean over rows)")
    run("bce_logits", bin_logits, lambda z: F.binary_cross_entropy_with_logits(z, T(bin_targets)),
        "F.binary_cross_entropy_with_logits(bin_logits, bin_targets)", wrt="bin_logits")
    run("bce", bin_probs, lambda z: F.binary_cross_entropy(z, T(bin_targets)),
        "F.binary_cross_entropy(bin_probs, bin_targets)", wrt="bin_probs")
    log_probs = F.log_softmax(T(logits), 1).numpy()
    s.put("log_probs", log_probs, "F.log_softmax(logits, 1)  (the input for nll / kl; provided for convenience)")
    run("nll", log_probs, lambda z: F.nll_loss(z, lab), "F.nll_loss(log_probs, labels)", wrt="log_probs")
    run("kl", log_probs, lambda z: F.kl_div(z, T(target_probs), reduction="batchmean"),
        "F.kl_div(log_probs, target_probs, reduction='batchmean')  (= sum(t*(log t - lp))/6)", wrt="log_probs")
    rt = T(reg_target)
    run("mse", reg_pred, lambda z: F.mse_loss(z, rt), "F.mse_loss(reg_pred, reg_target)", wrt="reg_pred")
    run("l1", reg_pred, lambda z: F.l1_loss(z, rt), "F.l1_loss(reg_pred, reg_target)", wrt="reg_pred")
    run("huber", reg_pred, lambda z: F.huber_loss(z, rt, delta=1.0),
        "F.huber_loss(reg_pred, reg_target, delta=1.0)", wrt="reg_pred")
    run("smooth_l1", reg_pred, lambda z: F.smooth_l1_loss(z, rt, beta=0.5),
        "F.smooth_l1_loss(reg_pred, reg_target, beta=0.5)  (= huber(delta=0.5)/0.5)", wrt="reg_pred")
    ht = T(hinge_target)
    run("hinge", hinge_pred, lambda z: torch.mean(torch.clamp(1 - ht * z, min=0)),
        "torch.mean(torch.clamp(1 - hinge_target*hinge_pred, min=0))  (Keras hinge)", wrt="hinge_pred")
    run("squared_hinge", hinge_pred, lambda z: torch.mean(torch.clamp(1 - ht * z, min=0) ** 2),
        "torch.mean(torch.clamp(1 - hinge_target*hinge_pred, min=0)**2)  (Keras squared_hinge)", wrt="hinge_pred")
    run("cosine", reg_pred, lambda z: -torch.mean(F.cosine_similarity(z, rt, dim=1)),
        "-torch.mean(F.cosine_similarity(reg_pred, reg_target, dim=1))  (eps=1e-8; per-row cos over the 4 columns)",
        wrt="reg_pred")
    run("poisson", pois_pred, lambda z: F.poisson_nll_loss(z, T(pois_target), log_input=False, full=False, eps=1e-8),
        "F.poisson_nll_loss(pois_pred, pois_target, log_input=False, full=False, eps=1e-8)  "
        "(= mean(pred - target*log(pred + 1e-8)))", wrt="pois_pred")
    s.notes += [
        "Every loss `{name}` is 0-d (reduction 'mean' unless the name says sum/none); `{name}_grad` has the shape of the "
        "differentiated input (named in the expression). For `ce_none` the value is the (6,) per-sample vector and the "
        "gradient is that of its sum.",
        "Extra key not in the original request: `log_probs` (the input of nll and kl).",
    ]
    s.save()


# ---------------------------------------------------------------------------
# C. activations.npz
# ---------------------------------------------------------------------------
def gen_activations():
    s = Store("activations.npz")
    x = np.linspace(-6.0, 6.0, 28).reshape(4, 7) + 0.013
    g = rng.standard_normal((4, 7))
    s.put("x", x, "np.linspace(-6, 6, 28).reshape(4,7) + 0.013")
    s.put("g", g, "rng.standard_normal((4,7))  (upstream gradient)")
    gt = T(g)
    acts = [
        ("relu", F.relu, "F.relu(x)"),
        ("leaky_relu", lambda z: F.leaky_relu(z, 0.01), "F.leaky_relu(x, negative_slope=0.01)"),
        ("elu", lambda z: F.elu(z, alpha=1.0), "F.elu(x, alpha=1.0)"),
        ("selu", F.selu, "F.selu(x)  (alpha=1.6732632423543772848170429916717, scale=1.0507009873554804934193349852946)"),
        ("gelu", F.gelu, "F.gelu(x)  (exact, erf)"),
        ("gelu_tanh", lambda z: F.gelu(z, approximate="tanh"), "F.gelu(x, approximate='tanh')"),
        ("sigmoid", torch.sigmoid, "torch.sigmoid(x)"),
        ("hardsigmoid", F.hardsigmoid, "F.hardsigmoid(x)  (= relu6(x+3)/6)"),
        ("tanh", torch.tanh, "torch.tanh(x)"),
        ("hardtanh", lambda z: F.hardtanh(z, -1.0, 1.0), "F.hardtanh(x, -1, 1)"),
        ("relu6", F.relu6, "F.relu6(x)"),
        ("softmax", lambda z: F.softmax(z, dim=-1), "F.softmax(x, dim=-1)"),
        ("log_softmax", lambda z: F.log_softmax(z, dim=-1), "F.log_softmax(x, dim=-1)"),
        ("silu", F.silu, "F.silu(x)"),
        ("mish", F.mish, "F.mish(x)  (= x*tanh(softplus(x)))"),
        ("softplus", lambda z: F.softplus(z, beta=1.0, threshold=20.0),
         "F.softplus(x, beta=1, threshold=20)  (threshold never reached: max x = 6.013)"),
        ("softsign", F.softsign, "F.softsign(x)  (= x/(1+|x|))"),
    ]
    for name, fn, expr in acts:
        xt = T(x, grad=True)
        y = fn(xt)
        (y * gt).sum().backward()
        s.put(name, y, expr)
        s.put(name + "_grad", xt.grad, f"d/dx sum({name}(x) * g)")
        if name == "leaky_relu":  # keep prelu next to leaky_relu
            xt = T(x, grad=True)
            w = T(np.array([0.25]), grad=True)
            y = F.prelu(xt, w)
            (y * gt).sum().backward()
            s.put("prelu", y, "F.prelu(x, weight=[0.25])  (single shared weight, shape (1,))")
            s.put("prelu_grad", xt.grad, "d/dx sum(prelu(x) * g)")
            s.put("prelu_weight_grad", w.grad, "d/dweight sum(prelu(x) * g)  (= sum over x<0 of x*g), shape (1,)")
    s.notes += ["x avoids every kink exactly (0, ±1, ±3, 6): values are -5.987 + k*4/9, k = 0..27. "
                "`{name}_grad` = d/dx sum(f(x) * g) = f'(x)*g for elementwise f (softmax/log_softmax: full row Jacobian)."]
    s.save()


# ---------------------------------------------------------------------------
# D. dense.npz
# ---------------------------------------------------------------------------
def gen_dense():
    s = Store("dense.npz")
    x = rng.standard_normal((4, 6))
    weight = rng.standard_normal((3, 6))
    bias = rng.standard_normal((3,))
    gy = rng.standard_normal((4, 3))
    s.put("x", x, "rng.standard_normal((4,6))")
    s.put("weight", weight, "rng.standard_normal((3,6))  (torch Linear layout: (out, in))")
    s.put("bias", bias, "rng.standard_normal((3,))")
    s.put("gy", gy, "rng.standard_normal((4,3))  (upstream gradient)")
    lin = torch.nn.Linear(6, 3)
    with torch.no_grad():
        lin.weight.copy_(T(weight))
        lin.bias.copy_(T(bias))
    xt = T(x, grad=True)
    y = lin(xt)
    (y * T(gy)).sum().backward()
    s.put("y", y, "torch.nn.Linear(6,3)(x) = x @ weight.T + bias")
    s.put("dx", xt.grad, "d/dx sum(y*gy) = gy @ weight")
    s.put("dweight", lin.weight.grad, "d/dweight sum(y*gy) = gy.T @ x")
    s.put("dbias", lin.bias.grad, "d/dbias sum(y*gy) = gy.sum(0)")
    s.save()


# ---------------------------------------------------------------------------
def write_manifest():
    L = ["# PyTorch reference fixtures for DeepSwift", "",
         "Generated by `Tests/Fixtures/torch/generate_torch_fixtures.py` (torch %s, numpy %s; "
         "`np.random.default_rng(7)`, `torch.set_default_dtype(torch.float64)`, CPU, 1 thread). "
         "Do not edit by hand; re-run the script." % (torch.__version__, np.__version__), "",
         "General conventions:",
         "- All `.npz` files written with `np.savez` (ZIP_STORED, member names `<key>.npy`).",
         "- Every float array is float64 and every computation was done in float64 by PyTorch (not JAX/optax). "
         "Integer arrays are int64. `0-d` means shape `()`.",
         "- `F` = `torch.nn.functional`. Shapes are numpy shapes; `(n,)` is 1-D.",
         "- Gradients come from torch autograd (`.backward()`).", ""]
    for fname, items, notes in MANIFEST:
        L.append(f"## {fname}")
        L.append("")
        for n in notes:
            L.append(f"- Note: {ft.cell(n)}")
        if notes:
            L.append("")
        L += ft.table_lines(items)
        L.append("")
    with open(os.path.join(OUT, "MANIFEST.md"), "w") as fh:
        fh.write("\n".join(L))


def main():
    gen_optimizers()
    gen_losses()
    gen_activations()
    gen_dense()
    write_manifest()
    print(f"DeepSwift torch fixtures -> {OUT}  (torch {torch.__version__}, numpy {np.__version__})")
    sizes = ft.print_file_summary(OUT, ["optimizers.npz", "losses.npz", "activations.npz", "dense.npz",
                                        "MANIFEST.md"], 18)
    total = sum(sizes.values())
    print(f"  total: {total} bytes ({total / 1024:.1f} KiB)")
    if total >= 400 * 1024:
        print("ERROR: fixtures exceed 400 KB", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
