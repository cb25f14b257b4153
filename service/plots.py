"""Matplotlib set-up shared by the figures (evaluation plot, job histogram): labels in Chinese.

Matplotlib ships no font that draws Chinese, so it looks for one among the system's fonts (Debian's
``fonts-wqy-microhei``, which ``make test`` installs as root, or any Noto/Source Han CJK font). On a
machine without one, the figures keep ASCII labels: Chinese drawn in a Latin font comes out as empty
boxes, which says less than English.
"""

from __future__ import annotations

import functools
from pathlib import Path

__all__ = ["CJK_FONT_FILES", "cjk_font", "label"]

# Font files that draw Simplified Chinese, in order of preference (Debian's package names in brackets).
CJK_FONT_FILES = (
    "wqy-microhei.ttc",  # fonts-wqy-microhei
    "wqy-zenhei.ttc",  # fonts-wqy-zenhei
    "NotoSansCJK-Regular.ttc",  # fonts-noto-cjk
    "NotoSansCJKsc-Regular.otf",
    "SourceHanSansSC-Regular.otf",
    "SourceHanSans-Regular.ttc",
    "DroidSansFallbackFull.ttf",  # fonts-droid-fallback
)


@functools.cache
def cjk_font() -> str | None:
    """The family name of a font that draws Chinese, registered with matplotlib and put first in its
    sans-serif list (DejaVu Sans after it for any glyph it lacks); None when the system has none."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager, rcParams

    found = {Path(path).name: path for path in font_manager.findSystemFonts()}
    path = next((found[name] for name in CJK_FONT_FILES if name in found), None)
    if path is None:
        return None
    font_manager.fontManager.addfont(path)
    family = font_manager.FontProperties(fname=path).get_name()
    rcParams["font.family"] = "sans-serif"
    rcParams["font.sans-serif"] = [family, *[f for f in rcParams["font.sans-serif"] if f != family]]
    rcParams["axes.unicode_minus"] = False  # CJK fonts often lack U+2212, matplotlib's minus sign
    return family


def label(chinese: str, ascii: str) -> str:
    """``chinese`` when a font can draw it, else ``ascii``."""
    return chinese if cjk_font() is not None else ascii
