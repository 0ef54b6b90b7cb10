"""Store the notebooks' figures small: each PNG output as a palette image, so that the book stays within its size.

    python tools/figures.py [NOTEBOOK ...]   # default: every notebook in nbs/; prints each figure it shrank

A figure drawn only in greys becomes an 8-bit grey PNG of 32 levels, any other a PNG of 128 colours (no
dithering); one still over 50 kB takes half as many (16 greys, 64 colours). At screen size neither differs
visibly from the original; a mosaic of 80 digits goes from 300 kB to 70 kB. A figure already stored as grey or
palette is left as it is, so running this twice changes nothing. Run it after executing a chapter, before
`nbdev_clean`; `tests/test_repo.py` checks the notebooks' sizes.
"""
import base64, io, json, sys
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
LEVELS, BIG = {"grey": (32, 16), "colour": (128, 64)}, 50_000


def _encoded(image: Image.Image, kind: str, levels: int) -> bytes:
    if kind == "grey":
        step = 255 / (levels - 1)
        image = image.convert("L").point(lambda v: round(round(v / step) * step))
    else: image = image.quantize(levels, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def shrunk(png: bytes) -> bytes:
    "`png` as a grey or palette PNG (see the module's docstring), or as it is if that is no smaller."
    image = Image.open(io.BytesIO(png))
    if image.mode in ("L", "P"): return png
    pixels = np.asarray(image.convert("RGB")).astype(int)
    kind = "grey" if np.abs(np.diff(pixels, axis=2)).max() < 3 else "colour"
    levels, fewer = LEVELS[kind]
    small = _encoded(image.convert("RGB"), kind, levels)
    if len(small) > BIG: small = _encoded(image.convert("RGB"), kind, fewer)
    return small if len(small) < len(png) else png


def shrink_notebook(path: Path) -> list:
    "Shrink every PNG output of the notebook at `path`, in place; the (cell id, kB before, kB after) of each."
    notebook, changed = json.loads(path.read_text()), []
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "image/png" not in data: continue
            png = base64.b64decode("".join(data["image/png"]))
            small = shrunk(png)
            if small != png:
                data["image/png"] = base64.b64encode(small).decode() + "\n"
                changed.append((cell.get("id"), len(png) // 1000, len(small) // 1000))
    if changed: path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")
    return changed


def main():
    paths = [Path(p) for p in sys.argv[1:]] or sorted((ROOT / "nbs").glob("*.ipynb"))
    for path in paths:
        for cell, before, after in shrink_notebook(path):
            print(f"{path.name} {cell}: {before} kB -> {after} kB")


if __name__ == "__main__":
    main()
