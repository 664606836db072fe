"""Text drawn with Pillow's default font: strips (titles of grids, labels of GIF frames) and
lone words (:func:`text_image`: the class names beside a conditional grid's rows)."""

from __future__ import annotations

from PIL import Image, ImageDraw, ImageFont

_MARGIN = 3


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    # Pillow >= 10.1 ships a scalable default font when FreeType is available; without it,
    # load_default falls back to a fixed bitmap font, which is still legible.
    return ImageFont.load_default(size=size)


def add_text_strip(
    image: Image.Image, text: str, *, size: int, where: str, fill: int = 255
) -> Image.Image:
    """Return ``image`` with a black strip holding ``text`` above or below it.

    ``where`` is ``"top"`` (text centred, for titles) or ``"bottom"`` (text at the left, for
    frame labels). The canvas widens if the text is wider than the image, so nothing is
    clipped; the image stays horizontally centred.
    """
    if where not in ("top", "bottom"):
        raise ValueError(f"where must be 'top' or 'bottom', got {where!r}")
    font = _font(size)
    probe = ImageDraw.Draw(Image.new("L", (1, 1)))
    left, top, right, bottom = probe.textbbox((0, 0), text, font=font)
    text_w, text_h = right - left, bottom - top
    strip_h = text_h + 2 * _MARGIN
    width = max(image.width, text_w + 2 * _MARGIN)

    canvas = Image.new(image.mode, (width, image.height + strip_h), 0)
    image_y = strip_h if where == "top" else 0
    canvas.paste(image, ((width - image.width) // 2, image_y))
    strip_y = 0 if where == "top" else image.height
    text_x = (width - text_w) // 2 if where == "top" else _MARGIN
    # Subtract the bbox offset so the glyphs, not the font's ascent box, sit at the margin.
    xy = (text_x - left, strip_y + _MARGIN - top)
    colour = fill if image.mode == "L" else (fill,) * len(image.getbands())
    ImageDraw.Draw(canvas).text(xy, text, font=font, fill=colour)
    return canvas


def text_image(text: str, *, size: int, fill: int = 255) -> Image.Image:
    """``text`` alone in grey (mode ``L``, white on black), cropped to its glyphs: a word to
    paste beside a grid (see :mod:`ganforge.figures.labels`), or to rotate first."""
    font = _font(size)
    probe = ImageDraw.Draw(Image.new("L", (1, 1)))
    left, top, right, bottom = probe.textbbox((0, 0), text, font=font)
    image = Image.new("L", (max(1, right - left), max(1, bottom - top)), 0)
    ImageDraw.Draw(image).text((-left, -top), text, font=font, fill=fill)
    return image
