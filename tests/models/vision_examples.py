#!/usr/bin/env python3
"""Builds the vision example apps (examples/CMakeLists.txt) as a user would, natively or with a
cross toolchain, runs each on fixed images (under qemu-user for ARM) and checks its output against
the same pipeline in numpy with onnxruntime running the model (examples/reference.py):

  classify_image   examples/data/page.png, the page turned by 90 degrees and rocket.jpg: the
                   same top classes in the same order, probabilities within 1e-3
  detect_layout    the page: the same regions (label, order), scores within 1e-3, box corners
                   within 0.5 pixel; the boxes drawn into the output PNG
  detect_faces     astronaut.png and .jpg (one face) and rocket.jpg (no face): likewise, six landmarks

The tolerances cover float rounding between two implementations of one computation (the apps print
4 decimals of a probability, 1 of a pixel; the model's output differs from onnxruntime's by about
1e-5); labels, counts and order must be equal. Also: bad usage exits 2, and a missing or
undecodable image exits 1 with one "error: PATH: ..." line.

  vision_examples.py --cmake C --ninja N --dnncc D --repo R --models DIR --work DIR --target T
                     [--toolchain FILE --run "qemu-aarch64 -L /usr/aarch64-linux-gnu"] [--cc CC]
                     [--python P]
"""
import argparse
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from PIL import Image

SCORE_TOL = 1e-3
PIXEL_TOL = 0.5


def fail(message: str) -> None:
    sys.exit(f"FAIL: {message}")


def run(cmd: list, **kwargs) -> subprocess.CompletedProcess:
    print("+", " ".join(shlex.quote(str(c)) for c in cmd), flush=True)
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kwargs)


def compare(case: str, got: str, want: str) -> None:
    """Same lines, same words; numbers within the tolerances (the first number of a line is the
    score or probability, the others pixels; classify's rank and index must be equal)."""
    got_lines, want_lines = got.strip().splitlines(), want.strip().splitlines()
    if len(got_lines) != len(want_lines):
        fail(f"{case}: {len(got_lines)} lines, the reference has {len(want_lines)}:\n"
             f"app:\n{got}\nreference:\n{want}")
    for g, w in zip(got_lines, want_lines):
        gw, ww = g.split(), w.split()
        words = [x for x in gw if not is_float(x)], [x for x in ww if not is_float(x)]
        exact = 3 if gw[0] == "class" else 1  # "class RANK INDEX LABEL P"
        if len(gw) != len(ww) or words[0] != words[1] or gw[:exact] != ww[:exact]:
            fail(f"{case}: app line '{g}' differs from the reference '{w}'")
        numbers = [(float(a), float(b)) for a, b in zip(gw, ww) if is_float(a)][exact - 1:]
        for k, (a, b) in enumerate(numbers):
            tol = SCORE_TOL if k == 0 else PIXEL_TOL
            if abs(a - b) > tol:
                fail(f"{case}: app line '{g}' differs from the reference '{w}' (beyond {tol})")


def is_float(word: str) -> bool:
    try:
        float(word)
        return True
    except ValueError:
        return False


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for name in ("--cmake", "--dnncc", "--repo", "--models", "--work", "--target"):
        ap.add_argument(name, required=True)
    ap.add_argument("--ninja")
    ap.add_argument("--toolchain")
    ap.add_argument("--run", default="", help="emulator command line for the apps")
    ap.add_argument("--cc")
    ap.add_argument("--python", default=sys.executable)
    args = ap.parse_args()
    repo, models, work = Path(args.repo), Path(args.models), Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    (work / "images").mkdir(parents=True)

    configure = [args.cmake, "-G", "Ninja", "-S", repo / "examples", "-B", work / "build",
                 f"-DDNNCC_EXECUTABLE={args.dnncc}", f"-DDNNCC_TARGET={args.target}",
                 f"-DDNNCC_EXAMPLE_MODELS={models}"]
    configure += [f"-DCMAKE_MAKE_PROGRAM={args.ninja}"] if args.ninja else []
    configure += [f"-DCMAKE_TOOLCHAIN_FILE={args.toolchain}"] if args.toolchain else []
    configure += [f"-DCMAKE_C_COMPILER={args.cc}"] if args.cc else []
    for step in (configure, [args.cmake, "--build", work / "build"]):
        result = run(step)
        if result.returncode != 0:
            fail(f"{step[1]} failed:\n{result.stdout}\n{result.stderr}")

    images = work / "images"
    shutil.copy(repo / "examples" / "data" / "page.png", images / "page.png")
    Image.open(images / "page.png").transpose(Image.Transpose.ROTATE_90).save(images / "page90.png")
    for name in ("astronaut.png", "rocket.jpg"):
        shutil.copy(models / name, images / name)
    # A JPEG with a face; stb_image's JPEG decoder and libjpeg-turbo's (Pillow) differ by a level
    # here and there, which moves the results by less than the tolerances.
    Image.open(images / "astronaut.png").save(images / "astronaut.jpg", quality=90)

    emulator = shlex.split(args.run)
    reference = [args.python, repo / "examples" / "reference.py"]
    labels = {"orientation": models / "orientation.labels.txt",
              "layout_cdla": models / "layout_cdla.labels.txt"}
    cases = [  # (app, image, writes a picture, reference command)
        ("classify_image", "page.png", False,
         ["classify", models / "orientation.onnx", labels["orientation"]]),
        ("classify_image", "page90.png", False,
         ["classify", models / "orientation.onnx", labels["orientation"]]),
        ("detect_layout", "page.png", True,
         ["layout", models / "layout_cdla.onnx", labels["layout_cdla"]]),
        ("detect_faces", "astronaut.png", True, ["faces", models / "blazeface.onnx"]),
        ("classify_image", "rocket.jpg", False,
         ["classify", models / "orientation.onnx", labels["orientation"]]),
        ("detect_faces", "astronaut.jpg", False, ["faces", models / "blazeface.onnx"]),
        ("detect_faces", "rocket.jpg", False, ["faces", models / "blazeface.onnx"]),
    ]
    for app, image, draws, ref in cases:
        case = f"{app} {image}"
        picture = work / f"{Path(image).stem}.{app}.png"
        # From another directory: the app finds its model library through RUNPATH $ORIGIN.
        got = run(emulator + [work / "build" / app, images / image] + ([picture] if draws else []),
                  cwd="/")
        if got.returncode != 0:
            fail(f"{case}: exit {got.returncode}: {got.stderr}")
        want = run(reference + ref + [images / image])
        if want.returncode != 0:
            fail(f"{case}: reference.py failed: {want.stderr}")
        print(got.stdout, end="")
        if not got.stdout.strip() and image != "rocket.jpg":
            fail(f"{case}: no result")
        compare(case, got.stdout, want.stdout)
        if draws:
            drawn, original = Image.open(picture), Image.open(images / image).convert("RGB")
            if drawn.size != original.size or drawn.convert("RGB").tobytes() == original.tobytes():
                fail(f"{case}: {picture} is not the image with the results drawn in")
        print(f"ok: {case}")

    # Errors: usage, a missing file, a file that is not an image.
    (images / "notes.txt").write_text("not an image\n")
    for argv, code, text in (([], 2, "usage:"),
                             ([images / "missing.png"], 1, f"error: {images / 'missing.png'}:"),
                             ([images / "notes.txt"], 1, f"error: {images / 'notes.txt'}:")):
        for app in ("classify_image", "detect_layout", "detect_faces"):
            result = run(emulator + [work / "build" / app] + argv)
            lines = result.stderr.strip().splitlines()
            if result.returncode != code or len(lines) != 1 or text not in lines[0]:
                fail(f"{app} {argv}: exit {result.returncode}, stderr {result.stderr!r}; expected "
                     f"exit {code} and one line with '{text}'")
    print("ok: usage and image errors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
