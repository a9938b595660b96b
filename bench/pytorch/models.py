"""PyTorch twins of kiln's benchmark networks: the one table to extend.

Each entry maps the kiln net name (as it appears in `BM_<net>/<stage>/<schedule>`) to a
`Net`:
    build()        -> nn.Module mapping (N, in_features) float32 to the LOGITS (N, out);
                      no final activation, so training can use the fused, stable loss.
                      Image nets map (N, C, H, W) instead (see in_shape).
    in_features    -> features per sample (innermost axis).
    in_shape       -> image nets only: (C, H, W), PyTorch's NCHW order. bench.py makes the
                      input in PyTorch's default contiguous (NCHW) memory format, or with
                      --channels-last in channels-last (NHWC in memory: the byte order of
                      kiln's (C, W, H) image sample), the model converted to match.
    out_features   -> width of the logits.
    make_loss()    -> loss module taking (logits, target) and returning a scalar mean.
    predict(z)     -> the inference head applied to the logits (kiln's infer stages return
                      probabilities, so ours include the sigmoid too).
    make_target(n, generator) -> random target batch of the right shape and dtype.

Layer shapes follow DESIGN.md section 2: float32, features innermost, nn.Linear weight
[out, in]. Initialisation does not affect timing; PyTorch's default is kept.

To add a net: write a builder and add one line to NETS. Nothing else changes.
"""

from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn


def _binary_target(n: int, generator: torch.Generator) -> torch.Tensor:
    # (N, 1) labels in {0, 1}, float32 as BCEWithLogitsLoss wants.
    return torch.randint(0, 2, (n, 1), generator=generator).to(torch.float32)


@dataclass(frozen=True)
class Net:
    build: Callable[[], nn.Module]
    in_features: int
    out_features: int
    make_loss: Callable[[], nn.Module]
    predict: Callable[[torch.Tensor], torch.Tensor]
    make_target: Callable[[int, torch.Generator], torch.Tensor]
    in_shape: tuple = ()


def _mlp(sizes, hidden_act):
    """Dense stack sizes[0] -> ... -> sizes[-1]; hidden_act after every layer but the last."""
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i + 1 < len(sizes) - 1:
            layers.append(hidden_act())
    return nn.Sequential(*layers)


def _binary(sizes, hidden_act=nn.ReLU) -> Net:
    """Binary classifier: dense stack to 1 logit, sigmoid + binary cross-entropy."""
    return Net(
        build=lambda: _mlp(sizes, hidden_act),
        in_features=sizes[0],
        out_features=sizes[-1],
        make_loss=nn.BCEWithLogitsLoss,
        predict=torch.sigmoid,
        make_target=_binary_target,
    )


def _class_target(classes):
    def make(n: int, generator: torch.Generator) -> torch.Tensor:
        # (N,) class indices, as CrossEntropyLoss wants (kiln takes the one-hot rows).
        return torch.randint(0, classes, (n,), generator=generator)
    return make


def _softmax(sizes) -> Net:
    """Classifier over sizes[-1] classes: ReLU dense stack, softmax + cross-entropy."""
    return Net(
        build=lambda: _mlp(sizes, nn.ReLU),
        in_features=sizes[0],
        out_features=sizes[-1],
        make_loss=nn.CrossEntropyLoss,
        predict=lambda z: torch.softmax(z, dim=1),
        make_target=_class_target(sizes[-1]),
    )


def _signs_cnn(h, w, c, classes) -> Net:
    """C4W1 SIGNS CNN: conv 4x4x8 same, relu, maxpool 8, conv 2x2x16 same, relu, maxpool 4,
    flatten, dense -> classes (softmax + cross-entropy). "same" as TensorFlow (and kiln) pads
    an even kernel: the odd pixel after, i.e. (1, 2) for 4x4 and (0, 1) for 2x2. "same" pools
    need no padding when 8 and 4 divide the sides, as they do at 64x64."""
    assert h % 32 == 0 and w % 32 == 0, "pad the pools for sides that 32 does not divide"

    def build():
        return nn.Sequential(
            nn.ZeroPad2d((1, 2, 1, 2)), nn.Conv2d(c, 8, 4), nn.ReLU(), nn.MaxPool2d(8),
            nn.ZeroPad2d((0, 1, 0, 1)), nn.Conv2d(8, 16, 2), nn.ReLU(), nn.MaxPool2d(4),
            nn.Flatten(), nn.Linear(16 * (h // 32) * (w // 32), classes))
    return Net(build=build, in_features=h * w * c, out_features=classes,
               make_loss=nn.CrossEntropyLoss, predict=lambda z: torch.softmax(z, dim=1),
               make_target=_class_target(classes), in_shape=(c, h, w))


def _happy_house() -> Net:
    """C4W1 Happy House (Keras' Sequential): zero-pad 3, conv 7x7x32, batch norm, relu,
    maxpool 2, flatten, dense 1 (sigmoid + binary cross-entropy)."""
    def build():
        return nn.Sequential(
            nn.ZeroPad2d(3), nn.Conv2d(3, 32, 7), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(32 * 32 * 32, 1))
    return Net(build=build, in_features=64 * 64 * 3, out_features=1,
               make_loss=nn.BCEWithLogitsLoss, predict=torch.sigmoid,
               make_target=_binary_target, in_shape=(3, 64, 64))


# name -> Net. Keep names identical to kiln's benchmark names (underscores).
NETS = {
    # 64x64x3 image flattened -> 1
    "logistic_regression": _binary([12288, 1]),
    # 2 -> 4 tanh -> 1
    "planar_classifier": _binary([2, 4, 1], hidden_act=nn.Tanh),
    # 12288 -> 7 relu -> 1
    "two_layer_nn": _binary([12288, 7, 1]),
    # 12288 -> 20 relu -> 7 relu -> 5 relu -> 1
    "l_layer_nn": _binary([12288, 20, 7, 5, 1]),
    # C2W1: 2 -> 10 -> 5 -> 1, and 2 -> 20 -> 3 -> 1 (dropout is off in the benchmark)
    "init_circles": _binary([2, 10, 5, 1]),
    "regularization": _binary([2, 20, 3, 1]),
    # C2W2: 2 -> 5 -> 2 -> 1
    "optimizers": _binary([2, 5, 2, 1]),
    # C2W3: 12288 -> 25 -> 12 -> 6 softmax, and 784 -> 25 -> 12 -> 10 (Fashion-MNIST)
    "signs_mlp": _softmax([12288, 25, 12, 6]),
    "fashion_mlp": _softmax([784, 25, 12, 10]),
    # C4W1: the SIGNS CNN at 64x64x3 -> 6, and the Happy House model 64x64x3 -> 1
    "signs_cnn": _signs_cnn(64, 64, 3, 6),
    "happy_house": _happy_house(),
}

# stage -> (batch, training?). Same names as kiln's `<stage>`.
STAGES = {
    "train_b64": (64, True),
    "infer_b1": (1, False),
    "infer_b64": (64, False),
}
