"""--screenshot with --theme and --docks: the window in the chosen theme with the Jobs dock."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage


def _mean_lightness(path) -> float:
    img = QImage(str(path)).convertToFormat(QImage.Format.Format_Grayscale8)
    pixels = np.frombuffer(img.constBits(), np.uint8, count=img.sizeInBytes())
    return float(pixels.mean()) / 255.0


def test_light_and_dark_screenshots_with_the_jobs_dock(tmp_path, qtbot, sample_plugins):
    from workbench.cli import main

    light, dark = tmp_path / "light.png", tmp_path / "dark.png"
    assert (
        main(
            [
                "--screenshot",
                str(light),
                "--panels",
                "sample",
                "--size",
                "900x600",
                "--theme",
                "light",
                "--docks",
                "jobs",
            ]
        )
        == 0
    )
    assert (
        main(
            ["--screenshot", str(dark), "--panels", "sample", "--size", "900x600", "--theme", "dark", "--docks", "jobs"]
        )
        == 0
    )
    assert _mean_lightness(light) > 0.6 > 0.4 > _mean_lightness(dark)


def test_an_unknown_dock_is_refused(tmp_path, qtbot, sample_plugins, capsys):
    from workbench.gui.app import take_screenshot

    assert take_screenshot(tmp_path / "x.png", "sample", size=(600, 400), docks=("nope",)) == 2
    assert "unknown dock 'nope'" in capsys.readouterr().err
