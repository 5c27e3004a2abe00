"""Broken NNEF models for the error tests (tests/errors/CMakeLists.cmake, errors.dnncc.nnef_*),
written by make_bad_models.py into OUT_DIR/nnef. Each case is a model directory (or archive)
with one defect: syntax, an operation the importer lacks, a tensor file that disagrees with its
declaration, a variable label or archive member that points outside the model, a truncated
archive, an archive larger than the limit the test gives."""
import io
import os
import struct
import tarfile

import numpy as np

GOOD_GRAPH = """version 1.0;

graph g( x ) -> ( y )
{
    x = external<scalar>(shape = [1, 4]);
    w = variable<scalar>(shape = [1, 4], label = '%s');
    y = add(x, w);
}
"""


def tensor_file(values, dtype_code=0, bits=32, version=(1, 0), shape=None, data_length=None,
                truncate=0):
    """The bytes of an NNEF tensor file (NNEF 1.0.5 section 5.2) holding `values`, with fields
    that can be overridden to make it inconsistent."""
    values = np.asarray(values)
    shape = list(values.shape) if shape is None else shape
    data = values.astype({32: np.float32, 64: np.float64}.get(bits, np.float32)).tobytes() \
        if dtype_code == 0 else values.astype(np.int32).tobytes()
    length = len(data) if data_length is None else data_length
    header = bytes([0x4E, 0xEF, version[0], version[1]])
    header += struct.pack("<II", length, len(shape))
    header += struct.pack("<8I", *(shape + [0] * (8 - len(shape))))
    header += struct.pack("<II", bits, dtype_code) + bytes(76)
    blob = header + data
    return blob[:len(blob) - truncate] if truncate else blob


def model_dir(out, name, graph, tensors=None):
    d = os.path.join(out, name)
    os.makedirs(d)
    with open(os.path.join(d, "graph.nnef"), "w") as f:
        f.write(graph)
    for file, blob in (tensors or {}).items():
        with open(os.path.join(d, file), "wb") as f:
            f.write(blob)
    return d


def archive(out, name, members, truncate=0):
    """A .tgz of `members`: (name, bytes) for files, (name, None, target) for symlinks."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for member in members:
            info = tarfile.TarInfo(member[0])
            if member[1] is None:
                info.type = tarfile.SYMTYPE
                info.linkname = member[2]
                tar.addfile(info)
            else:
                info.size = len(member[1])
                tar.addfile(info, io.BytesIO(member[1]))
    blob = buffer.getvalue()
    with open(os.path.join(out, name), "wb") as f:
        f.write(blob[:len(blob) - truncate] if truncate else blob)


def write_bad_nnef(out):
    out = os.path.join(out, "nnef")
    os.makedirs(out)
    good_w = tensor_file(np.ones((1, 4)))
    # Syntax: a missing ';' at the end of line 5 is reported at the start of line 6.
    model_dir(out, "syntax", GOOD_GRAPH.replace("[1, 4]);\n    w", "[1, 4])\n    w", 1) % "w",
              {"w.dat": good_w})
    model_dir(out, "unknown_op", GOOD_GRAPH.replace("add(x, w)", "frobnicate(x, w)") % "w",
              {"w.dat": good_w})
    # An invocation on the left of '=' (line 7): crashed the Khronos parser until dnncc's fix.
    model_dir(out, "invocation_lhs", GOOD_GRAPH.replace("    y = add(x, w);",
                                                        "    y = add(x, w);\n    a(b) = relu(x);")
              % "w", {"w.dat": good_w})
    # A binary operator on the left of '=' (line 8, inside a unary one): crashed the Khronos
    # parser (found by fuzzing) until dnncc's fix.
    model_dir(out, "binary_lhs", GOOD_GRAPH.replace("    y = add(x, w);",
                                                    "    y = add(x, w);\n    -a - b = relu(x);")
              % "w", {"w.dat": good_w})
    # A standard operation the importer has no row for and the parser cannot lower.
    model_dir(out, "unsupported_op",
              GOOD_GRAPH.replace("y = add(x, w);",
                                 "y = argmax_pool(add(x, w), size = [1, 1]);") % "w",
              {"w.dat": good_w})
    model_dir(out, "tensor_shape", GOOD_GRAPH % "w", {"w.dat": tensor_file(np.ones((1, 5)))})
    model_dir(out, "tensor_type", GOOD_GRAPH % "w",
              {"w.dat": tensor_file(np.ones((1, 4)), dtype_code=4)})
    model_dir(out, "tensor_version", GOOD_GRAPH % "w",
              {"w.dat": tensor_file(np.ones((1, 4)), version=(2, 0))})
    model_dir(out, "tensor_truncated", GOOD_GRAPH % "w",
              {"w.dat": tensor_file(np.ones((1, 4)), truncate=4)})
    model_dir(out, "tensor_length", GOOD_GRAPH % "w",
              {"w.dat": tensor_file(np.ones((1, 4)), data_length=12)})
    model_dir(out, "label_dotdot", GOOD_GRAPH % "../w")
    with open(os.path.join(out, "w.dat"), "wb") as f:
        f.write(good_w)
    model_dir(out, "label_absolute", GOOD_GRAPH % os.path.join(os.path.abspath(out), "w"))
    d = model_dir(out, "label_link", GOOD_GRAPH % "w")
    os.symlink(os.path.join(os.path.abspath(out), "w.dat"), os.path.join(d, "w.dat"))
    graph = (GOOD_GRAPH % "w").encode()
    archive(out, "archive_dotdot.tgz", [("../graph.nnef", graph), ("w.dat", good_w)])
    archive(out, "archive_absolute.tgz", [("/tmp/dnncc-bad/graph.nnef", graph)])
    archive(out, "archive_link.tgz", [("graph.nnef", graph), ("w.dat", None, "/etc/passwd")])
    archive(out, "archive_truncated.tgz", [("graph.nnef", graph), ("w.dat", good_w)],
            truncate=30)
    # 2 MB of zeros (a few kB compressed): past the 1 MB --max-archive-bytes the test gives.
    archive(out, "archive_too_large.tgz", [("graph.nnef", graph), ("w.dat", good_w),
                                           ("padding.bin", bytes(2 << 20))])
    archive(out, "archive_no_graph.tgz", [("w.dat", good_w)])
    # An external whose element count overflows 64 bits, and an ONNX input likewise.
    model_dir(out, "huge_external",
              GOOD_GRAPH.replace("x = external<scalar>(shape = [1, 4]);",
                                 "x = external<scalar>(shape = [2000000000, 2000000000, "
                                 "2000000000]);") % "w",
              {"w.dat": good_w})
    # Inside an archive, errors name the archive's members, not the temporary directory.
    archive(out, "archive_bad_tensor.tgz",
            [("m.nnef/graph.nnef", graph), ("m.nnef/w.dat", tensor_file(np.ones((1, 5))))])
