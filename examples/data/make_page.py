#!/usr/bin/env python3
"""Draws examples/data/page.png, the document page that the layout and orientation examples are
tested on: a running header, a title, paragraphs, a figure (scikit-image's camera.png, fetched by
examples/fetch_models.py) with its caption, a table with its caption, and a footer.

  make_page.py CAMERA_PNG OUT_PNG

Uses Pillow's built-in font (Aileron, by load_default(size)), so the page depends only on the
pinned Pillow; the committed page.png is what the tests use.
"""
import sys

from PIL import Image, ImageDraw, ImageFont

WORDS = ("the compiler lowers each operator of the graph into a kernel whose schedule tiles the "
         "loops for the cache and vectorizes the innermost axis so that the model runs close to "
         "the peak of the machine while the memory plan reuses one arena for every tensor").split()


def paragraph(draw, x, y, width, lines, font, seed):
    """Justified-looking lines of WORDS from offset seed; returns the y below the paragraph."""
    k = seed
    for _ in range(lines):
        line = ""
        while draw.textlength(line + " " + WORDS[k % len(WORDS)], font=font) < width:
            line = (line + " " + WORDS[k % len(WORDS)]).strip()
            k += 1
        draw.text((x, y), line, fill=0, font=font)
        y += 19
    return y + 12


def main() -> int:
    if len(sys.argv) != 3:
        sys.exit("usage: make_page.py CAMERA_PNG OUT_PNG")
    page = Image.new("RGB", (850, 1100), "white")
    draw = ImageDraw.Draw(page)
    small, body = ImageFont.load_default(size=12), ImageFont.load_default(size=15)
    title = ImageFont.load_default(size=30)
    left, width = 70, 710
    draw.text((left, 30), "dnncc technical report 7 - December 2026", fill=90, font=small)
    draw.text((left, 80), "Compiling Neural Networks for Small Boards", fill=0, font=title)
    y = paragraph(draw, left, 140, width, 6, body, 0)
    figure = Image.open(sys.argv[1]).convert("RGB").resize((300, 300), Image.Resampling.BILINEAR)
    page.paste(figure, (275, y))
    y += 310
    draw.text((250, y), "Figure 1: a test image used by the benchmarks", fill=0, font=small)
    y = paragraph(draw, left, y + 40, width, 4, body, 17)
    draw.text((260, y), "Table 1: latency of the zoo models in milliseconds", fill=0, font=small)
    y += 24
    rows = [("model", "dnncc", "onnxruntime", "ratio"), ("resnet18", "17.3", "16.8", "1.03"),
            ("mobilenet_v2", "3.50", "3.82", "0.91"), ("efficientnet_b0", "9.18", "10.6", "0.87"),
            ("bert_tiny", "5.05", "5.55", "0.91")]
    cols = (left + 60, left + 260, left + 400, left + 580, left + 650)
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            draw.text((cols[c] + 8, y + r * 28 + 6), cell, fill=0, font=body)
    for r in range(len(rows) + 1):
        draw.line((cols[0], y + r * 28, cols[-1], y + r * 28), fill=0, width=1)
    for c in cols:
        draw.line((c, y, c, y + len(rows) * 28), fill=0, width=1)
    y = paragraph(draw, left, y + len(rows) * 28 + 30, width, 3, body, 41)
    draw.text((400, 1060), "7", fill=90, font=small)
    page.save(sys.argv[2], optimize=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
