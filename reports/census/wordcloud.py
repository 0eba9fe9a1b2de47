"""The word cloud of the most used packages, reproducible across machines.

Reproducible means: a fixed ``random_state`` for the layout and the font that ships inside the
wordcloud package (DroidSansMono) instead of whatever system font a machine happens to have, so the
same CSVs give the same picture everywhere.
"""

from __future__ import annotations

from pathlib import Path

import wordcloud as _wordcloud
from PIL import Image, ImageDraw

from core import atomic

#: Layout seed; changing it reshuffles the picture, not the numbers.
RANDOM_STATE = 2020
WIDTH, HEIGHT = 1000, 500


def bundled_font() -> Path:
    """The TrueType font distributed with the wordcloud package."""
    return Path(_wordcloud.__file__).resolve().parent / "DroidSansMono.ttf"


def wordcloud_image(frequencies: dict[str, int], path: Path, *, max_words: int = 100) -> Path:
    """Draw the ``max_words`` most frequent packages, sized by repository count, to ``path``.

    An empty census gets a blank canvas with a note, so the report's image link always resolves.
    """
    words = {name: count for name, count in frequencies.items() if count > 0}
    if not words:
        image = Image.new("RGB", (WIDTH, HEIGHT), "white")
        ImageDraw.Draw(image).text((20, HEIGHT // 2), "no dependencies found", fill="black")
        return _save(image, path)
    cloud = _wordcloud.WordCloud(
        font_path=str(bundled_font()),
        width=WIDTH,
        height=HEIGHT,
        background_color="white",
        max_words=max_words,
        random_state=RANDOM_STATE,
        prefer_horizontal=0.9,
        collocations=False,
        normalize_plurals=False,
        colormap="viridis",
    )
    cloud.generate_from_frequencies(words)
    return _save(cloud.to_image(), path)


def _save(image: Image.Image, path: Path) -> Path:
    with atomic.replacing(path) as tmp:
        image.save(tmp, format="PNG")
    return path
