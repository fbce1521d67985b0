"""The Keras copies of pythae's MNIST benchmark networks (benchmarks/pythae_keras.py), which
benchmarks/vs_pytorch.py times against PyTorch, compute PyTorch's function: checked here
without PyTorch, against numpy written to PyTorch's definitions (NCHW, Conv2d padding=1,
ConvTranspose2d padding=1 / output_padding=1, the decoder's (C, 4, 4) reshape), on tiny widths
with weights in PyTorch's layout copied in as the benchmark copies them."""

import os
import sys

import numpy as np

from conftest import REPO

sys.path.insert(0, os.path.join(REPO, "benchmarks"))
import pythae_keras  # noqa: E402

FILTERS = (2, 3, 4, 5)
LATENT = 3
EPS = 1e-5


def torch_conv(x, weight, bias, stride=2, padding=1):
    """PyTorch's Conv2d: x [N, C, H, W], weight [O, C, kh, kw]."""
    kh, kw = weight.shape[2:]
    x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    height = (x.shape[2] - kh) // stride + 1
    width = (x.shape[3] - kw) // stride + 1
    out = np.zeros((x.shape[0], weight.shape[0], height, width))
    for a in range(kh):
        for b in range(kw):
            window = x[:, :, a:a + stride * height:stride, b:b + stride * width:stride]
            out += np.einsum("nchw,oc->nohw", window, weight[:, :, a, b])
    return out + bias[None, :, None, None]


def torch_conv_transpose(x, weight, bias, stride=2, padding=1, output_padding=0):
    """PyTorch's ConvTranspose2d: x [N, C, H, W], weight [C, O, kh, kw]; the full output
    cropped by `padding` on each side, less `output_padding` on the far side."""
    kh, kw = weight.shape[2:]
    n, _, h, w = x.shape
    full = np.zeros((n, weight.shape[1], (h - 1) * stride + kh, (w - 1) * stride + kw))
    for a in range(kh):
        for b in range(kw):
            full[:, :, a:a + stride * (h - 1) + 1:stride, b:b + stride * (w - 1) + 1:stride] += (
                np.einsum("nchw,co->nohw", x, weight[:, :, a, b]))
    end_h = full.shape[2] - padding + output_padding
    end_w = full.shape[3] - padding + output_padding
    return full[:, :, padding:end_h, padding:end_w] + bias[None, :, None, None]


def batch_norm_inference(x, gamma, beta):
    # fresh moving statistics: mean 0, variance 1
    return x / np.sqrt(1.0 + EPS) * gamma[None, :, None, None] + beta[None, :, None, None]


def torch_decoder_weights(rng):
    widths = list(reversed(FILTERS))[:3]
    w = {"layers.0.weight": rng.normal(size=(16 * widths[0], LATENT)),
         "layers.0.bias": rng.normal(size=16 * widths[0])}
    for i, (c_in, c_out) in enumerate(zip(widths, widths[1:] + [1]), start=1):
        w[f"layers.{i}.0.weight"] = rng.normal(size=(c_in, c_out, 3, 3)) * 0.3
        w[f"layers.{i}.0.bias"] = rng.normal(size=c_out)
        if i < 3:
            w[f"layers.{i}.1.weight"] = rng.normal(size=c_out)
            w[f"layers.{i}.1.bias"] = rng.normal(size=c_out)
    return w


def test_decoder_copy_is_pythaes_decoder():
    rng = np.random.default_rng(0)
    w = torch_decoder_weights(rng)
    z = rng.normal(size=(2, LATENT))
    x = (z @ w["layers.0.weight"].T + w["layers.0.bias"]).reshape(2, FILTERS[-1], 4, 4)
    for i, output_padding in ((1, 0), (2, 1), (3, 1)):
        x = torch_conv_transpose(x, w[f"layers.{i}.0.weight"], w[f"layers.{i}.0.bias"],
                                 output_padding=output_padding)
        if i < 3:
            x = np.maximum(batch_norm_inference(x, w[f"layers.{i}.1.weight"],
                                                w[f"layers.{i}.1.bias"]), 0.0)
    expected = 1.0 / (1.0 + np.exp(-x))  # [2, 1, 28, 28]

    decoder = pythae_keras.decoder(FILTERS, LATENT)
    pythae_keras.load_torch_weights(decoder, "decoder", w)
    got = decoder(z.astype(np.float32), training=False).numpy()
    assert got.shape == (2, 28, 28, 1)
    np.testing.assert_allclose(got, expected.transpose(0, 2, 3, 1), atol=1e-5)


def test_encoder_copy_is_pythaes_encoder():
    rng = np.random.default_rng(1)
    w, channels = {}, 1
    for i, width in enumerate(FILTERS):
        w[f"layers.{i}.0.weight"] = rng.normal(size=(width, channels, 4, 4)) * 0.3
        w[f"layers.{i}.0.bias"] = rng.normal(size=width)
        w[f"layers.{i}.1.weight"] = rng.normal(size=width)
        w[f"layers.{i}.1.bias"] = rng.normal(size=width)
        channels = width
    for head in ("embedding", "log_var"):
        w[f"{head}.weight"] = rng.normal(size=(LATENT, channels))
        w[f"{head}.bias"] = rng.normal(size=LATENT)
    images = rng.uniform(size=(2, 1, 28, 28))
    x = images
    for i in range(len(FILTERS)):
        x = torch_conv(x, w[f"layers.{i}.0.weight"], w[f"layers.{i}.0.bias"])
        x = np.maximum(batch_norm_inference(x, w[f"layers.{i}.1.weight"],
                                            w[f"layers.{i}.1.bias"]), 0.0)
    assert x.shape == (2, FILTERS[-1], 1, 1)  # 28 -> 14 -> 7 -> 3 -> 1, as in pythae
    flat = x.reshape(2, -1)
    expected = np.concatenate([flat @ w[f"{h}.weight"].T + w[f"{h}.bias"]
                               for h in ("embedding", "log_var")], axis=-1)

    encoder = pythae_keras.encoder(FILTERS, LATENT)
    pythae_keras.load_torch_weights(encoder, "encoder", w)
    got = encoder(images.transpose(0, 2, 3, 1).astype(np.float32), training=False).numpy()
    np.testing.assert_allclose(got, expected, atol=1e-4, rtol=1e-4)
