"""Photos of MNIST digits for the tests and the chapters' examples: dark ink on light paper, any size, anywhere."""
import numpy as np
from PIL import Image


def render_on_canvas(digit: np.ndarray, size: tuple = (300, 400), scale: float = 6.0, offset: tuple = (0.3, 0.6),
                     mode: str = "L", paper: int = 235) -> Image.Image:
    "MNIST `digit` as dark ink on a light canvas of `size` (h, w), scaled, placed at `offset` (fractions), in `mode`."
    h, w = size
    ink = Image.fromarray(digit).resize((round(28 * scale), round(28 * scale)), Image.BILINEAR)
    top, left = round(offset[0] * (h - ink.height)), round(offset[1] * (w - ink.width))
    alpha = Image.new("L", (w, h), 0)
    alpha.paste(ink, (left, top))
    if mode == "RGBA":  # a transparent sheet with opaque dark ink
        return Image.merge("RGBA", [Image.new("L", (w, h), 20)] * 3 + [alpha])
    canvas = Image.composite(Image.new("L", (w, h), 20), Image.new("L", (w, h), paper), alpha)
    return canvas.convert(mode)
