#!/usr/bin/env python3
"""Export the dnncc model zoo (models/zoo.json) to ONNX, with onnxruntime reference outputs.

For every model of the manifest this script
  1. builds it with deterministic weights: torch.manual_seed(seed), torchvision weights=None, then
     seeded random values for the parameters that a fresh init leaves trivial (BatchNorm running
     mean/var and affine parameters, LayerNorm affine parameters, ConvNeXt layer scale, the
     all-zero Conv/Linear biases) so that none of them is an identity and a wrong implementation
     of them shows up in the numbers;
  2. exports it with the TorchScript exporter (torch.onnx.export, dynamo=False, opset from the
     manifest, constant folding) to DIR/<name>/model.onnx;
  3. runs onnxruntime (CPU, one thread) on a fixed seeded input and writes ONNX backend-test-style
     data DIR/<name>/test_data_set_0/{input_0.pb, output_0.pb} (TensorProtos named after the graph's
     inputs and outputs), which `dnncc-run --data` and tests/models consume. A model with an
     "optimize" entry is first rewritten by onnxruntime's transformer optimizer (com.microsoft
     fused operators), and the reference outputs are those of the rewritten model.

A model is skipped when its stamp file (DIR/<name>/.stamp) matches the hash of its manifest entry,
this script and the torch/torchvision/onnxruntime versions; --force redoes it. Everything written
is generated: the default DIR (models/zoo) is git-ignored.

Run from the repository root inside the venv made by scripts/setup.sh:

    .venv/bin/python models/export_zoo.py                     # all models -> models/zoo
    .venv/bin/python models/export_zoo.py --only resnet18,bert_tiny --out /tmp/zoo --force
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import onnx
import onnx.numpy_helper
import onnxruntime as ort
import torch
import torch.nn.functional as F
import torchvision
from torch import nn

MODELS_DIR = Path(__file__).resolve().parent
DEFAULT_MANIFEST = MODELS_DIR / "zoo.json"
DEFAULT_OUT = MODELS_DIR / "zoo"


# --------------------------------------------------------------------------------------------
# Built-in models ("builtin:<fn>" sources)
# --------------------------------------------------------------------------------------------


class EncoderLayer(nn.Module):
    """One post-LN transformer encoder layer (BERT), written with plain ops for a clean export:
    Linear projections, MatMul attention with Softmax, residual Add + LayerNorm, GELU FFN."""

    def __init__(self, hidden: int, heads: int, ffn: int) -> None:
        super().__init__()
        self.heads = heads
        self.head_dim = hidden // heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)
        self.attn_out = nn.Linear(hidden, hidden)
        self.attn_norm = nn.LayerNorm(hidden, eps=1e-12)
        self.ffn_in = nn.Linear(hidden, ffn)
        self.ffn_out = nn.Linear(ffn, hidden)
        self.ffn_norm = nn.LayerNorm(hidden, eps=1e-12)

    def _split_heads(self, x: torch.Tensor) -> torch.Tensor:
        # [B, S, hidden] -> [B, heads, S, head_dim]; -1 keeps Shape ops out of the exported graph.
        return x.reshape(x.shape[0], -1, self.heads, self.head_dim).transpose(1, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q = self._split_heads(self.query(x))
        k = self._split_heads(self.key(x))
        v = self._split_heads(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(self.head_dim))
        context = torch.matmul(torch.softmax(scores, dim=-1), v)  # [B, heads, S, head_dim]
        context = context.transpose(1, 2).reshape(x.shape)  # [B, S, hidden]
        x = self.attn_norm(x + self.attn_out(context))
        return self.ffn_norm(x + self.ffn_out(F.gelu(self.ffn_in(x))))


class BertTiny(nn.Module):
    """A small BERT-style encoder: token + learned position embeddings, embedding LayerNorm,
    `layers` encoder layers; returns the last hidden state [B, S, hidden]. No attention mask."""

    def __init__(self, vocab: int = 1000, max_len: int = 128, hidden: int = 256, heads: int = 4,
                 layers: int = 4, ffn: int = 1024) -> None:
        super().__init__()
        self.token_embedding = nn.Embedding(vocab, hidden)
        self.position_embedding = nn.Parameter(torch.randn(1, max_len, hidden) * 0.02)
        self.embedding_norm = nn.LayerNorm(hidden, eps=1e-12)
        self.layers = nn.ModuleList(EncoderLayer(hidden, heads, ffn) for _ in range(layers))
        for module in self.modules():  # BERT's initialisation
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.normal_(module.weight, std=0.02)
            if isinstance(module, nn.Linear):
                nn.init.normal_(module.bias, std=0.02)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        seq_len = input_ids.shape[1]
        x = self.token_embedding(input_ids) + self.position_embedding[:, :seq_len]
        x = self.embedding_norm(x)
        for layer in self.layers:
            x = layer(x)
        return x


class LstmKeywordSpotter(nn.Module):
    """A keyword-spotting model in the style of "Hello Edge" (Zhang et al. 2017): 49 frames of 40
    MFCC features, a 2-layer LSTM (hidden 128), and a linear classifier over 12 keywords on the
    last frame's hidden state. The exporter emits ONNX LSTM nodes (one per layer)."""

    def __init__(self, features: int = 40, hidden: int = 128, layers: int = 2,
                 classes: int = 12) -> None:
        super().__init__()
        self.lstm = nn.LSTM(features, hidden, num_layers=layers, batch_first=True)
        self.classifier = nn.Linear(hidden, classes)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        states, _ = self.lstm(frames)
        return self.classifier(states[:, -1])


class ConvBnSiLU(nn.Sequential):
    """Conv (no bias) + BatchNorm + SiLU, "same" padding: the detector's basic layer."""

    def __init__(self, cin: int, cout: int, k: int = 1, s: int = 1) -> None:
        super().__init__(nn.Conv2d(cin, cout, k, s, k // 2, bias=False), nn.BatchNorm2d(cout),
                         nn.SiLU())


class C2f(nn.Module):
    """CSP block with two convs (YOLOv8's C2f): a 1x1 conv to 2c channels split in halves, n
    residual bottlenecks (two 3x3 convs) chained on the second half, every intermediate
    concatenated and mixed by a 1x1 conv."""

    def __init__(self, cin: int, cout: int, n: int, shortcut: bool = True) -> None:
        super().__init__()
        self.c = cout // 2
        self.cv1 = ConvBnSiLU(cin, 2 * self.c)
        self.cv2 = ConvBnSiLU((2 + n) * self.c, cout)
        self.blocks = nn.ModuleList(
            nn.Sequential(ConvBnSiLU(self.c, self.c, 3), ConvBnSiLU(self.c, self.c, 3))
            for _ in range(n))
        self.shortcut = shortcut

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        parts = list(self.cv1(x).chunk(2, 1))
        for block in self.blocks:
            y = block(parts[-1])
            parts.append(parts[-1] + y if self.shortcut else y)
        return self.cv2(torch.cat(parts, 1))


class Sppf(nn.Module):
    """Spatial pyramid pooling, fast: three chained 5x5 stride-1 max pools, all concatenated."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.cv1 = ConvBnSiLU(cin, cin // 2)
        self.cv2 = ConvBnSiLU(cin // 2 * 4, cout)
        self.pool = nn.MaxPool2d(5, 1, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = [self.cv1(x)]
        for _ in range(3):
            y.append(self.pool(y[-1]))
        return self.cv2(torch.cat(y, 1))


class YoloDetector(nn.Module):
    """A one-stage anchor-free detector in the style of YOLOv8-n (Jocher et al., Ultralytics
    2023; width 0.25, depth 0.33): a SiLU CSP backbone (C2f blocks, SPPF), a PAN neck (nearest
    upsampling, concats, strided convs) and a decoupled head per stride 8/16/32 (box branch: 4
    distances as distributions over 16 bins, decoded by softmax and their expectation; class
    branch: 80 sigmoid scores). Output [1, 84, anchors]: box centre x, y, width, height in pixels,
    then the class scores, as the exported Ultralytics models give it. 320x320 input."""

    def __init__(self, classes: int = 80, size: int = 320, bins: int = 16) -> None:
        super().__init__()
        w = [16, 32, 64, 128, 256]
        self.stem = nn.Sequential(ConvBnSiLU(3, w[0], 3, 2), ConvBnSiLU(w[0], w[1], 3, 2),
                                  C2f(w[1], w[1], 1))
        self.stage3 = nn.Sequential(ConvBnSiLU(w[1], w[2], 3, 2), C2f(w[2], w[2], 2))
        self.stage4 = nn.Sequential(ConvBnSiLU(w[2], w[3], 3, 2), C2f(w[3], w[3], 2))
        self.stage5 = nn.Sequential(ConvBnSiLU(w[3], w[4], 3, 2), C2f(w[4], w[4], 1),
                                    Sppf(w[4], w[4]))
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.top4 = C2f(w[4] + w[3], w[3], 1, shortcut=False)
        self.top3 = C2f(w[3] + w[2], w[2], 1, shortcut=False)
        self.down3 = ConvBnSiLU(w[2], w[2], 3, 2)
        self.bottom4 = C2f(w[2] + w[3], w[3], 1, shortcut=False)
        self.down4 = ConvBnSiLU(w[3], w[3], 3, 2)
        self.bottom5 = C2f(w[3] + w[4], w[4], 1, shortcut=False)
        box_c, cls_c = max(16, w[2] // 4, 4 * bins), max(w[2], classes)
        self.box_heads = nn.ModuleList(
            nn.Sequential(ConvBnSiLU(c, box_c, 3), ConvBnSiLU(box_c, box_c, 3),
                          nn.Conv2d(box_c, 4 * bins, 1)) for c in (w[2], w[3], w[4]))
        self.cls_heads = nn.ModuleList(
            nn.Sequential(ConvBnSiLU(c, cls_c, 3), ConvBnSiLU(cls_c, cls_c, 3),
                          nn.Conv2d(cls_c, classes, 1)) for c in (w[2], w[3], w[4]))
        self.bins = bins
        # Anchor points (cell centres, in cells) and strides of the three levels.
        points, strides = [], []
        for stride in (8, 16, 32):
            n = size // stride
            ys, xs = torch.meshgrid(torch.arange(n) + 0.5, torch.arange(n) + 0.5, indexing="ij")
            points.append(torch.stack([xs.flatten(), ys.flatten()]))
            strides.append(torch.full((1, n * n), float(stride)))
        self.register_buffer("anchors", torch.cat(points, 1))  # [2, A]
        self.register_buffer("strides", torch.cat(strides, 1))  # [1, A]
        self.register_buffer("bin_values", torch.arange(bins, dtype=torch.float32))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        p3 = self.stage3(self.stem(x))
        p4 = self.stage4(p3)
        p5 = self.stage5(p4)
        t4 = self.top4(torch.cat([self.up(p5), p4], 1))
        n3 = self.top3(torch.cat([self.up(t4), p3], 1))
        n4 = self.bottom4(torch.cat([self.down3(n3), t4], 1))
        n5 = self.bottom5(torch.cat([self.down4(n4), p5], 1))
        levels = [torch.cat([box(f), cls(f)], 1).flatten(2)
                  for f, box, cls in zip((n3, n4, n5), self.box_heads, self.cls_heads)]
        y = torch.cat(levels, 2)  # [1, 4 * bins + classes, A]
        box, scores = y.split([4 * self.bins, y.shape[1] - 4 * self.bins], 1)
        # Each side's distance: the expectation of a softmax over the bins (distribution focal
        # loss decoding), in cells.
        dist = box.reshape(1, 4, self.bins, -1).softmax(2)
        dist = (dist * self.bin_values.reshape(1, 1, -1, 1)).sum(2)  # [1, 4, A]
        lt, rb = dist.split(2, 1)
        top_left, bottom_right = self.anchors - lt, self.anchors + rb
        boxes = torch.cat([(top_left + bottom_right) / 2, bottom_right - top_left], 1)
        return torch.cat([boxes * self.strides, scores.sigmoid()], 1)


class HfBert(nn.Module):
    """A BERT encoder as Hugging Face transformers builds it (BertModel: hidden 128, 2 layers,
    4 heads, FFN 512, vocab 1000, seeded random weights): inputs input_ids, attention_mask,
    token_type_ids; returns the last hidden state [B, S, hidden]. The export is then fused by
    onnxruntime's transformer optimizer (the manifest's "optimize"), as users deploying BERT to
    onnxruntime do."""

    def __init__(self) -> None:
        super().__init__()
        from transformers import BertConfig, BertModel  # only this model needs transformers
        config = BertConfig(vocab_size=1000, hidden_size=128, num_hidden_layers=2,
                            num_attention_heads=4, intermediate_size=512,
                            max_position_embeddings=128)
        self.bert = BertModel(config, add_pooling_layer=False)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                token_type_ids: torch.Tensor) -> torch.Tensor:
        return self.bert(input_ids=input_ids, attention_mask=attention_mask,
                         token_type_ids=token_type_ids).last_hidden_state


BUILTIN_MODELS = {"bert_tiny": BertTiny, "hf_bert": HfBert, "lstm_kws": LstmKeywordSpotter,
                  "yolo_detector": YoloDetector}


# --------------------------------------------------------------------------------------------
# Building, exporting, running
# --------------------------------------------------------------------------------------------


def randomize_trivial_parameters(model: nn.Module, gen: torch.Generator) -> None:
    """Give the parameters that a fresh init leaves trivial seeded non-trivial values.

    BatchNorm: running_mean ~ N(0, 0.1^2), running_var ~ U(0.5, 1.5), weight ~ U(0.5, 1.5),
    bias ~ N(0, 0.1^2). LayerNorm: weight ~ U(0.5, 1.5), bias ~ N(0, 0.1^2). ConvNeXt layer scale
    (1e-6 at init, which would hide the whole block) ~ U(0.1, 0.3). Conv/Linear biases that are all
    zero ~ N(0, 0.02^2) (zero biases would hide a dropped bias, and the exporter deduplicates equal
    initializers into Identity nodes). Note that the TorchScript exporter folds eval-mode BatchNorm
    into the preceding Conv, so the zoo graphs contain no BatchNormalization nodes."""

    def uniform(t: torch.Tensor, lo: float, hi: float) -> torch.Tensor:
        return lo + (hi - lo) * torch.rand(t.shape, generator=gen)

    def normal(t: torch.Tensor, std: float) -> torch.Tensor:
        return std * torch.randn(t.shape, generator=gen)

    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                module.running_mean.copy_(normal(module.running_mean, 0.1))
                module.running_var.copy_(uniform(module.running_var, 0.5, 1.5))
            if isinstance(module, (nn.modules.batchnorm._BatchNorm, nn.LayerNorm)):
                if module.weight is not None:
                    module.weight.copy_(uniform(module.weight, 0.5, 1.5))
                    module.bias.copy_(normal(module.bias, 0.1))
            if isinstance(module, torchvision.models.convnext.CNBlock):
                module.layer_scale.copy_(uniform(module.layer_scale, 0.1, 0.3))
            if isinstance(module, (nn.Linear, nn.modules.conv._ConvNd)) and module.bias is not None:
                if not module.bias.any():
                    module.bias.copy_(normal(module.bias, 0.02))


def build_model(entry: dict) -> nn.Module:
    """Construct the model of a manifest entry with deterministic weights, in eval mode."""
    torch.manual_seed(entry["seed"])
    kind, _, fn = entry["source"].partition(":")
    if kind == "torchvision":
        model = torchvision.models.get_model(fn, weights=None)
    elif kind == "builtin":
        model = BUILTIN_MODELS[fn]()
    else:
        raise ValueError(f"{entry['name']}: unknown source '{entry['source']}'")
    randomize_trivial_parameters(model, torch.Generator().manual_seed(entry["seed"] + 1))
    return model.eval()


def make_inputs(entry: dict) -> list[np.ndarray]:
    """The fixed test inputs of a model: standard normal floats, uniform integers in [low, high)."""
    rng = np.random.default_rng(entry["seed"])
    inputs = []
    for spec in entry["inputs"]:
        dtype = np.dtype(spec["dtype"])
        if dtype.kind == "f":
            inputs.append(rng.standard_normal(spec["shape"]).astype(dtype))
        else:
            inputs.append(rng.integers(spec["low"], spec["high"], spec["shape"], dtype=dtype))
    return inputs


def run_onnxruntime(model_path: Path, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


def write_test_data(directory: Path, names: list[str], arrays: list[np.ndarray], prefix: str) -> None:
    for i, (name, array) in enumerate(zip(names, arrays)):
        tensor = onnx.numpy_helper.from_array(np.ascontiguousarray(array), name)
        (directory / f"{prefix}_{i}.pb").write_bytes(tensor.SerializeToString())


def optimize(entry: dict, model_path: Path) -> None:
    """Rewrites the exported model with onnxruntime's transformer optimizer ("optimize":
    {"model_type", "num_heads", "hidden_size"}, opt_level 0: only its fusions into com.microsoft
    operators), and checks that it fused what "expect_ops" lists."""
    from onnxruntime.transformers import optimizer
    o = entry["optimize"]
    fused = optimizer.optimize_model(str(model_path), model_type=o["model_type"],
                                     num_heads=o["num_heads"], hidden_size=o["hidden_size"],
                                     opt_level=0)
    fused.save_model_to_file(str(model_path))
    ops = {n.op_type for n in fused.model.graph.node if n.domain == "com.microsoft"}
    missing = sorted(set(o.get("expect_ops", [])) - ops)
    if missing:
        raise RuntimeError(f"onnxruntime's optimizer fused no {', '.join(missing)}")


def export_model(entry: dict, out_dir: Path) -> str:
    """Export one model and its test data into out_dir; return a one-line summary."""
    model = build_model(entry)
    inputs = make_inputs(entry)
    input_names = [spec["name"] for spec in entry["inputs"]]
    output_names = entry["outputs"]
    model_path = out_dir / "model.onnx"
    out_dir.mkdir(parents=True, exist_ok=True)

    torch_inputs = tuple(torch.from_numpy(a) for a in inputs)
    with torch.no_grad():
        torch.onnx.export(model, torch_inputs, str(model_path), opset_version=entry["opset"],
                          dynamo=False, do_constant_folding=True, input_names=input_names,
                          output_names=output_names)
        expected = model(*torch_inputs)
    onnx.checker.check_model(str(model_path), full_check=True)
    if "optimize" in entry:
        optimize(entry, model_path)

    graph = onnx.load(str(model_path), load_external_data=False).graph
    graph_inputs = [i.name for i in graph.input]
    graph_outputs = [o.name for o in graph.output]
    assert graph_inputs == input_names and graph_outputs == output_names, (graph_inputs, graph_outputs)

    outputs = run_onnxruntime(model_path, dict(zip(input_names, inputs)))
    data_dir = out_dir / "test_data_set_0"
    data_dir.mkdir(exist_ok=True)
    write_test_data(data_dir, input_names, inputs, "input")
    write_test_data(data_dir, output_names, outputs, "output")

    # Sanity check of the export itself: onnxruntime should agree with torch.
    expected = expected if isinstance(expected, (tuple, list)) else (expected,)
    max_diff = max(float(np.max(np.abs(o - e.numpy()))) for o, e in zip(outputs, expected))
    scale = max(float(np.max(np.abs(o))) for o in outputs)
    if max_diff > 1e-3 * max(scale, 1.0):
        raise RuntimeError(f"onnxruntime and torch disagree: max |diff| {max_diff:.3g}, max |out| {scale:.3g}")
    return (f"{len(graph.node)} nodes, {model_path.stat().st_size / 1e6:.1f} MB, "
            f"max |out| {scale:.3g}, |ort - torch| {max_diff:.2g}")


def stamp_of(entry: dict) -> str:
    """Hash of everything an export depends on: the manifest entry, this script, the versions."""
    h = hashlib.sha256()
    h.update(json.dumps(entry, sort_keys=True).encode())
    h.update(Path(__file__).read_bytes())
    h.update(f"{torch.__version__} {torchvision.__version__} {ort.__version__} {onnx.__version__}".encode())
    return h.hexdigest()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory (default: models/zoo)")
    parser.add_argument("--manifest", type=Path, default=DEFAULT_MANIFEST, help="zoo manifest (default: models/zoo.json)")
    parser.add_argument("--only", help="comma-separated model names (default: all)")
    parser.add_argument("--force", action="store_true", help="re-export models that are up to date")
    args = parser.parse_args()

    entries = json.loads(args.manifest.read_text())["models"]
    if args.only:
        wanted = args.only.split(",")
        unknown = sorted(set(wanted) - {e["name"] for e in entries})
        if unknown:
            parser.error(f"unknown model(s): {', '.join(unknown)}")
        entries = [e for e in entries if e["name"] in wanted]

    torch.set_num_threads(1)  # deterministic torch reference; exports are not compute-bound
    failures = 0
    for entry in entries:
        name = entry["name"]
        out_dir = args.out / name
        stamp_path = out_dir / ".stamp"
        stamp = stamp_of(entry)
        if not args.force and stamp_path.exists() and stamp_path.read_text().strip() == stamp:
            print(f"export_zoo: {name:20s} up to date")
            continue
        stamp_path.unlink(missing_ok=True)
        start = time.perf_counter()
        try:
            summary = export_model(entry, out_dir)
        except Exception as error:  # report, go on with the other models
            failures += 1
            print(f"export_zoo: {name:20s} FAILED after {time.perf_counter() - start:.1f} s: {error}")
            continue
        stamp_path.write_text(stamp + "\n")
        print(f"export_zoo: {name:20s} exported in {time.perf_counter() - start:5.1f} s ({summary})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
