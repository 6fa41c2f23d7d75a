"""The standalone-build recipe: icons rendered from resources/ (PyInstaller wants .ico/.icns,
not SVG) and plugins found through the entry-point group rather than listed by hand.
Building the app itself is not part of the tests (packaging/README.md)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"


def _make_icons():
    spec = importlib.util.spec_from_file_location("make_icons", PACKAGING / "make_icons.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_icons_rendered_from_the_svg(tmp_path):
    pytest.importorskip("PySide6.QtSvg")
    from PIL import Image

    mk = _make_icons()
    files = mk.make_icons(tmp_path)
    with Image.open(files["ico"]) as ico:
        assert sorted(ico.info["sizes"]) == [(s, s) for s in mk.ICO_SIZES]
    with Image.open(files["icns"]) as icns:
        assert icns.size == (1024, 1024)
    for size in (16, 64, 256):
        with Image.open(files[f"png{size}"]) as png:
            rgba = png.convert("RGBA")
            assert rgba.size == (size, size)
            assert rgba.getpixel((0, 0))[3] == 0  # outside the rounded square: transparent
            # inside the left pane, away from its curve (SVG units (12..13, 16..17) of 64): #2d5a88
            assert rgba.getpixel((size * 12 // 64, size * 16 // 64)) == (0x2D, 0x5A, 0x88, 255)


def test_bad_icon_source_is_refused(tmp_path):
    pytest.importorskip("PySide6.QtSvg")
    mk = _make_icons()
    with pytest.raises(ValueError, match="does not exist"):
        mk.render_pngs(tmp_path / "missing.svg", tmp_path)
    bad = tmp_path / "bad.svg"
    bad.write_text("not an svg")
    with pytest.raises(ValueError, match="not a valid SVG"):
        mk.render_pngs(bad, tmp_path)


def test_spec_lists_no_plugin_by_hand():
    """Plugins come from the workbench.plugins entry points, so the spec names none of them,
    and every path in it is built from SPECPATH."""
    text = (PACKAGING / "workbench.spec").read_text()
    code = "\n".join(line.split("#")[0] for line in text.splitlines())
    for plugin in sorted(p.name for p in (ROOT / "plugins").glob("workbench_*")):
        assert plugin not in code, plugin
    assert "ENTRY_POINT_GROUP" in code and "entry_points(group=" in code
    assert ".svg" not in code.replace("workbench.svg", "")  # only ever the icon source, never the icon
    assert "Path(SPECPATH)" in code
