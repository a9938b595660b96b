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
    stages         -> the benchmark stages, kiln-bench's names: train_b<N> (one SGD step on
                      a batch of N) and infer_b<N> (forward + head on N samples); default
                      train_b64, infer_b1, infer_b64. A net lists its own where those do
                      not fit (ResNet-50: train_b8, train_b32, infer_b1, infer_b8, infer_b32).

FLOPs: forward_flops(net) counts one sample's forward pass from the built model (forward
hooks on a batch of 1): 2 F C/groups KH KW H' W' per Conv2d, 2 in out per Linear, nothing
for the elementwise layers, pools and batch norms. kiln-bench counts the same from the
network type; compare.py checks that the two agree.

Layer shapes follow DESIGN.md section 2: float32, features innermost, nn.Linear weight
[out, in]. Initialisation does not affect timing; PyTorch's default is kept.

To add a net: write a builder and add one line to NETS. Nothing else changes.
"""

import re
from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn


def _binary_target(n: int, generator: torch.Generator) -> torch.Tensor:
    # (N, 1) labels in {0, 1}, float32 as BCEWithLogitsLoss wants.
    return torch.randint(0, 2, (n, 1), generator=generator).to(torch.float32)


# The stages of every net that does not list its own (kiln-bench's default_stages).
DEFAULT_STAGES = ("train_b64", "infer_b1", "infer_b64")
_STAGE_RE = re.compile(r"^(train|infer)_b([1-9][0-9]*)$")


def parse_stage(stage: str):
    """'train_b32' -> (32, True); 'infer_b1' -> (1, False)."""
    m = _STAGE_RE.match(stage)
    if not m:
        raise ValueError(f"stage {stage!r}: expected train_b<N> or infer_b<N>")
    return int(m.group(2)), m.group(1) == "train"


@dataclass(frozen=True)
class Net:
    build: Callable[[], nn.Module]
    in_features: int
    out_features: int
    make_loss: Callable[[], nn.Module]
    predict: Callable[[torch.Tensor], torch.Tensor]
    make_target: Callable[[int, torch.Generator], torch.Tensor]
    in_shape: tuple = ()
    stages: tuple = DEFAULT_STAGES
    gpu_stages: tuple = ()  # more stages, timed on a GPU only (--device cuda)

    def stages_on(self, device: str) -> tuple:
        return self.stages + (self.gpu_stages if device == "cuda" else ())


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


class _Bottleneck(nn.Module):
    """C4W2A1's identity_block (shortcut = x) and convolutional_block (shortcut = 1x1 conv
    with stride s + batch norm): 1x1 (stride s) -> BN -> ReLU -> fxf same -> BN -> ReLU ->
    1x1 -> BN, plus the shortcut, then ReLU. Every conv has a bias, as Keras' Conv2D."""

    def __init__(self, c_in, f, filters, stride, projection, bn):
        super().__init__()
        f1, f2, f3 = filters
        self.main = nn.Sequential(
            nn.Conv2d(c_in, f1, 1, stride=stride), bn(f1), nn.ReLU(),
            nn.Conv2d(f1, f2, f, padding=f // 2), bn(f2), nn.ReLU(),  # "same" for odd f
            nn.Conv2d(f2, f3, 1), bn(f3))
        self.shortcut = (nn.Sequential(nn.Conv2d(c_in, f3, 1, stride=stride), bn(f3))
                         if projection else nn.Identity())
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.main(x) + self.shortcut(x))


def _resnet50(h, w, classes, stages=("train_b8", "train_b32", "infer_b1", "infer_b8",
                                     "infer_b32"), gpu_stages=()) -> Net:
    """C4W2A1 ResNet-50 (networks/c4w2_resnet50/net.hpp): ZeroPad 3, conv 7x7/2 64, BN, ReLU,
    max pool 3/2 valid; bottleneck stages [64,64,256]x3 (stride 1), [128,128,512]x4,
    [256,256,1024]x6, [512,512,2048]x3 (stride 2), the first block of each a convolutional
    block; avg pool 2x2 valid, flatten, dense -> classes (softmax + cross-entropy). Keras'
    BatchNormalization: eps 1e-3, momentum 0.99, i.e. PyTorch's momentum 0.01. At 64x64 the
    pool leaves 1x1x2048, at 224x224 3x3x2048. (kiln flattens (C, W, H) channels innermost,
    PyTorch (C, H, W): a permutation of the dense weight's rows, the same work.)"""
    def bn(c):
        return nn.BatchNorm2d(c, eps=1e-3, momentum=0.01)

    def out_extent(n):  # conv 7x7/2 after the pad, max pool 3/2, three stride-2 stages, pool 2
        n = (n + 6 - 7) // 2 + 1
        n = (n - 3) // 2 + 1
        for _ in range(3):
            n = (n - 1) // 2 + 1
        return n // 2

    def build():
        layers = [nn.ZeroPad2d(3), nn.Conv2d(3, 64, 7, stride=2), bn(64), nn.ReLU(),
                  nn.MaxPool2d(3, 2)]
        c = 64
        for filters, blocks, stride in (((64, 64, 256), 3, 1), ((128, 128, 512), 4, 2),
                                        ((256, 256, 1024), 6, 2), ((512, 512, 2048), 3, 2)):
            for i in range(blocks):
                layers.append(_Bottleneck(c, 3, filters, stride if i == 0 else 1, i == 0, bn))
                c = filters[2]
        layers += [nn.AvgPool2d(2), nn.Flatten(),
                   nn.Linear(c * out_extent(h) * out_extent(w), classes)]
        return nn.Sequential(*layers)
    return Net(build=build, in_features=h * w * 3, out_features=classes,
               make_loss=nn.CrossEntropyLoss, predict=lambda z: torch.softmax(z, dim=1),
               make_target=_class_target(classes), in_shape=(3, h, w), stages=stages,
               gpu_stages=gpu_stages)


class _CharModel(nn.Module):
    """A recurrent layer over (N, T, V) one-hot characters (batch first: kiln's (V, T, N)
    memory order) and a Linear on every step's state; logits (N T, V), every step a sample
    of the cross-entropy (kiln's sequence loss: the mean over N T)."""

    def __init__(self, cell, vocabulary, hidden):
        super().__init__()
        self.rnn = cell(vocabulary, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, vocabulary)
        self.vocabulary = vocabulary

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.fc(y).reshape(-1, self.vocabulary)


def _char_model(cell, vocabulary, hidden, steps, stages) -> Net:
    def target(n: int, generator: torch.Generator) -> torch.Tensor:
        return torch.randint(0, vocabulary, (n * steps,), generator=generator)
    return Net(build=lambda: _CharModel(cell, vocabulary, hidden), in_features=steps * vocabulary,
               out_features=steps * vocabulary, make_loss=nn.CrossEntropyLoss,
               predict=lambda z: torch.softmax(z, dim=1), make_target=target, in_shape=(steps, vocabulary),
               stages=stages)


class _Emojify(nn.Module):
    """Emojify-V2: word indices (N, 10) -> a frozen embedding (320 x 100) -> LSTM(128) over
    every step -> LSTM(128), last state -> Linear(128, 5). The inputs are the benchmark's
    random numbers, clamped to rows as kiln's embedding clamps them; dropout is off (as in
    kiln-bench's training step)."""

    def __init__(self, rows=320, dim=100, hidden=128, classes=5):
        super().__init__()
        self.embedding = nn.Embedding(rows, dim)
        self.embedding.weight.requires_grad_(False)
        self.lstm1 = nn.LSTM(dim, hidden, batch_first=True)
        self.lstm2 = nn.LSTM(hidden, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, classes)
        self.rows = rows

    def forward(self, x):
        idx = x.reshape(x.shape[0], -1).long().clamp(0, self.rows - 1)
        y, _ = self.lstm1(self.embedding(idx))
        y, _ = self.lstm2(y)
        return self.fc(y[:, -1])


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
    # C4W2A1: ResNet-50 at the course's 64x64x3 -> 6, and on 224x224x3 images (kiln builds
    # that one only with -DKILN_BENCH_LARGE=ON)
    "resnet50": _resnet50(64, 64, 6),
    # batch 64 on a GPU: the batch of the GPU goal for 224x224 inference
    "resnet50_224": _resnet50(224, 224, 6, stages=("train_b8", "infer_b1", "infer_b8"),
                              gpu_stages=("infer_b64",)),
    # C5W1: the dinosaur-names RNN (27 characters, hidden 50, 27 steps) and the character
    # LSTM (96 characters, 128 units, 40 steps)
    "dinosaur_names": _char_model(nn.RNN, 27, 50, 27, ("train_b1", "train_b32", "infer_b1")),
    "text_lstm": _char_model(nn.LSTM, 96, 128, 40, ("train_b32", "infer_b1", "infer_b32")),
    # C5W1A3: the jazz LSTM (96 values, 64 units, 30 steps); C5W2A2: Emojify-V2 (10 words)
    "jazz_lstm": _char_model(nn.LSTM, 96, 64, 30, ("train_b32", "infer_b1")),
    "emojify_v2": Net(build=_Emojify, in_features=10, out_features=5, make_loss=nn.CrossEntropyLoss,
                      predict=lambda z: torch.softmax(z, dim=1), make_target=_class_target(5),
                      in_shape=(10,), stages=("train_b32", "infer_b1")),
}


def state_size(model: nn.Module) -> int:
    """Parameters plus batch norms' running mean and variance (kiln's arena holds both;
    num_batches_tracked, PyTorch's own bookkeeping, is left out)."""
    return (sum(p.numel() for p in model.parameters()) +
            sum(b.numel() for name, b in model.named_buffers()
                if name.endswith(("running_mean", "running_var"))))


def forward_flops(net: Net) -> int:
    """FLOPs of one sample's forward pass (see the module docstring for what counts)."""
    model = net.build().eval()
    total = 0

    def hook(module, inputs, output):
        nonlocal total
        if isinstance(module, nn.Conv2d):
            kh, kw = module.kernel_size
            total += (2 * module.out_channels * (module.in_channels // module.groups) * kh * kw *
                      output.shape[2] * output.shape[3])
        elif isinstance(module, nn.Linear):  # once per row: every step of a sequence
            total += 2 * module.in_features * module.out_features * (output.numel() // module.out_features)
        elif isinstance(module, (nn.RNN, nn.LSTM, nn.GRU)):  # every step: 2 G H (F + H)
            gates = {nn.RNN: 1, nn.LSTM: 4, nn.GRU: 3}[type(module)]
            steps = inputs[0].shape[1 if module.batch_first else 0]
            total += 2 * gates * module.hidden_size * (module.input_size + module.hidden_size) * steps

    handles = [m.register_forward_hook(hook) for m in model.modules()
               if isinstance(m, (nn.Conv2d, nn.Linear, nn.RNN, nn.LSTM, nn.GRU))]
    with torch.no_grad():
        model(torch.zeros(1, *(net.in_shape or (net.in_features,))))
    for h in handles:
        h.remove()
    return total
