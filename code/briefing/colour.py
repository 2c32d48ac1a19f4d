"""Colour arithmetic for checking a palette: contrast, lightness, colour-blind simulation.

All colours are sRGB hex strings (``"#1b4b8a"``).

* Relative luminance and contrast ratio as WCAG 2.2 defines them
  (https://www.w3.org/TR/WCAG22/#dfn-relative-luminance, #dfn-contrast-ratio):
  L = 0.2126 R + 0.7152 G + 0.0722 B on linearised channels, ratio (L1 + 0.05) / (L2 + 0.05).
  (WCAG prints the linearisation threshold as 0.03928; sRGB's is 0.04045; no 8-bit value lies between.)
* CIE L*a*b* (D65 white) from linear sRGB through CIE XYZ (IEC 61966-2-1 matrix); L* is the
  lightness a greyscale print keeps, and the Euclidean distance ΔE*ab (CIE76) tells colours apart.
* Dichromacy: Machado, Oliveira and Fernandes, "A Physiologically-based Model for Simulation
  of Color Vision Deficiency", IEEE TVCG 15(6), 2009, Table 1 matrices at severity 1.0,
  applied to linear RGB.
"""

from __future__ import annotations

import math

SRGB_TO_XYZ = ((0.4124564, 0.3575761, 0.1804375), (0.2126729, 0.7151522, 0.0721750), (0.0193339, 0.1191920, 0.9503041))
WHITE_D65 = (0.95047, 1.0, 1.08883)
DICHROMACY = {
    "protanopia": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216), (-0.003882, -0.048116, 1.051998)),
    "deuteranopia": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413), (-0.011820, 0.042940, 0.968881)),
    "tritanopia": ((1.255528, -0.076749, -0.178779), (-0.078411, 0.930809, 0.147602), (0.004733, 0.691367, 0.303900)),
}


def channels(colour: str) -> tuple[float, float, float]:
    """``"#1b4b8a" -> (27, 75, 138) / 255``."""
    text = colour.lstrip("#")
    if len(text) != 6:
        raise ValueError(f"not a #rrggbb colour: {colour!r}")
    return tuple(int(text[i:i + 2], 16) / 255 for i in (0, 2, 4))


def linear(value: float) -> float:
    """sRGB channel (0-1) to linear light: v/12.92 up to 0.04045, else ((v + 0.055)/1.055)^2.4."""
    return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    """WCAG relative luminance, 0 (black) to 1 (white)."""
    r, g, b = (linear(c) for c in channels(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: str, b: str) -> float:
    """WCAG contrast ratio, 1 to 21; text needs 4.5 (AA) at normal size."""
    high, low = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _lab_of_linear(rgb: tuple[float, float, float]) -> tuple[float, float, float]:
    x, y, z = (sum(m * c for m, c in zip(row, rgb)) / w for row, w in zip(SRGB_TO_XYZ, WHITE_D65))

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 216 / 24389 else (24389 / 27 * t + 16) / 116

    fx, fy, fz = f(x), f(y), f(z)
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def lab(colour: str, vision: str | None = None) -> tuple[float, float, float]:
    """CIE L*a*b* of ``colour``, as seen with normal vision or with ``vision`` (a key of DICHROMACY)."""
    rgb = tuple(linear(c) for c in channels(colour))
    if vision is not None:
        matrix = DICHROMACY[vision]
        rgb = tuple(min(max(sum(m * c for m, c in zip(row, rgb)), 0.0), 1.0) for row in matrix)
    return _lab_of_linear(rgb)


def lightness(colour: str) -> float:
    """CIE L*, 0 (black) to 100 (white): the grey a colour prints as."""
    return lab(colour)[0]


def difference(a: str, b: str, vision: str | None = None) -> float:
    """ΔE*ab (CIE76) between two colours; about 2.3 is just noticeable, above 20 clearly distinct."""
    return math.dist(lab(a, vision), lab(b, vision))
