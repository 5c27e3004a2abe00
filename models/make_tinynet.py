#!/usr/bin/env python3
"""Generate dnncc's small default model, models/tinynet (committed to the repository).

tinynet is a little ResNet-like CNN for 32x32 RGB images, small enough (~45 KB) to commit and to
compile in the unit tests and the example application:

    image [1,3,32,32]
      -> Conv3x3(16) + BatchNorm + ReLU -> MaxPool 2x2              [1,16,16,16]
      -> residual block: Conv3x3-BN-ReLU-Conv3x3-BN, + skip, ReLU   [1,16,16,16]
      -> Conv3x3(32, stride 2) + ReLU                               [1,32,8,8]
      -> GlobalAveragePool -> Flatten -> Linear(10) -> Softmax      probabilities [1,10]

The BatchNorm layers are exported as BatchNormalization nodes (TrainingMode.PRESERVE on an eval
model stops the exporter from folding them into the convolutions), so the default model also
covers that op; the zoo models (models/export_zoo.py) have their BatchNorms folded.

Outputs, all deterministic (seeded weights and input, opset 17, TorchScript exporter):
    models/tinynet/model.onnx
    models/tinynet/test_data_set_0/input_0.pb, output_0.pb   (onnxruntime reference output)
    models/tinynet/input.npy                                 (the same input, for examples/)

Run from the repository root inside the venv made by scripts/setup.sh:

    .venv/bin/python models/make_tinynet.py [--out models/tinynet]
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np
import onnx
import onnx.numpy_helper
import onnxruntime as ort
import torch
from torch import nn

SEED = 20240601
OPSET = 17


def conv_bn(in_channels: int, out_channels: int) -> list[nn.Module]:
    return [nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False), nn.BatchNorm2d(out_channels)]


class ResidualBlock(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(*conv_bn(channels, channels), nn.ReLU(), *conv_bn(channels, channels))
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.body(x) + x)


class TinyNet(nn.Module):
    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(
            *conv_bn(3, 16), nn.ReLU(), nn.MaxPool2d(2),
            ResidualBlock(16),
            nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )
        self.classifier = nn.Linear(32, num_classes)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.classifier(self.features(image)), dim=1)


def build_model() -> TinyNet:
    """TinyNet with seeded weights and non-trivial BatchNorm statistics, in eval mode."""
    torch.manual_seed(SEED)
    model = TinyNet()
    gen = torch.Generator().manual_seed(SEED + 1)
    with torch.no_grad():
        for bn in (m for m in model.modules() if isinstance(m, nn.BatchNorm2d)):
            bn.running_mean.copy_(0.1 * torch.randn(bn.num_features, generator=gen))
            bn.running_var.copy_(0.5 + torch.rand(bn.num_features, generator=gen))
            bn.weight.copy_(0.5 + torch.rand(bn.num_features, generator=gen))
            bn.bias.copy_(0.1 * torch.randn(bn.num_features, generator=gen))
    return model.eval()


def save_tensor(path: Path, array: np.ndarray, name: str) -> None:
    path.write_bytes(onnx.numpy_helper.from_array(array, name).SerializeToString())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "tinynet")
    args = parser.parse_args()
    data_dir = args.out / "test_data_set_0"
    data_dir.mkdir(parents=True, exist_ok=True)
    model_path = args.out / "model.onnx"

    model = build_model()
    image = np.random.default_rng(SEED).standard_normal((1, 3, 32, 32)).astype(np.float32)
    with torch.no_grad(), warnings.catch_warnings():
        # The exporter warns that constant folding may alter parameters in PRESERVE mode; that
        # applies to models in training mode only, and the onnxruntime check below proves it.
        warnings.filterwarnings("ignore", message="It is recommended that constant folding be turned off")
        torch.onnx.export(model, (torch.from_numpy(image),), str(model_path), opset_version=OPSET,
                          dynamo=False, do_constant_folding=True,
                          training=torch.onnx.TrainingMode.PRESERVE,
                          input_names=["image"], output_names=["probabilities"])
        expected = model(torch.from_numpy(image)).numpy()
    onnx.checker.check_model(str(model_path), full_check=True)

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
    (probabilities,) = session.run(None, {"image": image})
    np.testing.assert_allclose(probabilities, expected, rtol=1e-4, atol=1e-6)

    save_tensor(data_dir / "input_0.pb", image, "image")
    save_tensor(data_dir / "output_0.pb", probabilities, "probabilities")
    np.save(args.out / "input.npy", image)

    ops = sorted({node.op_type for node in onnx.load(str(model_path)).graph.node})
    print(f"make_tinynet: wrote {model_path} ({model_path.stat().st_size / 1024:.1f} KiB; ops: "
          f"{', '.join(ops)}); top class {int(probabilities.argmax())} p={probabilities.max():.3f}")


if __name__ == "__main__":
    main()
