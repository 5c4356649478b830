"""The flagship demo, run as the README says: headless, it saves its figures and says where,
and the numbers it prints are the ones its text describes."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "plot_soft_vs_argmax.py"


@pytest.fixture(scope="module")
def demo_output(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("demo")
    env = {**os.environ, "MPLBACKEND": "Agg"}
    env.pop("DISPLAY", None)
    proc = subprocess.run(
        [sys.executable, str(DEMO)], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return cwd, proc.stdout


def test_headless_run_saves_the_figures_and_prints_where(demo_output):
    cwd, out = demo_output
    saved = re.findall(r"^saved (.+\.png)$", out, flags=re.M)
    assert len(saved) == 3
    for path in saved:
        assert Path(path).is_file() and Path(path).stat().st_size > 10_000
        assert Path(path).parent == cwd / "soft_vs_argmax_figures"
    assert "open the PNG files" in out


def test_the_text_agrees_with_the_numbers(demo_output):
    _, out = demo_output
    text = DEMO.read_text()
    # Calibration: "about 0.99 where the observed frequency is about 0.74", "about 0.01 where
    # the truth is about 0.13", the middle bins "about 35 to 50%".
    bins = re.search(r"argmax model, predicted -> observed, per bin:\n(.+)", out)[1]
    pairs = [tuple(map(float, b.split(" -> "))) for b in bins.split(", ")]
    assert "about 0.99 where the observed frequency is about" in text
    assert pairs[-1][0] == pytest.approx(0.99, abs=0.01)
    assert pairs[-1][1] == pytest.approx(0.74, abs=0.03)
    assert pairs[0][0] == pytest.approx(0.01, abs=0.01)
    assert pairs[0][1] == pytest.approx(0.13, abs=0.03)
    middle = [f for p, f in pairs if 0.2 <= p <= 0.8]
    assert middle and all(0.33 <= f <= 0.52 for f in middle)
    # Learning curves: the argmax loss grows with n (about 0.83 to about 2.3), its
    # coefficients grow; the other two fall towards the truth.
    rows = re.findall(r"^\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)$", out, flags=re.M)
    table = {int(r[0]): tuple(map(float, r[1:])) for r in rows}
    sizes = sorted(table)
    argmax_loss = [table[n][1] for n in sizes]
    norms = [table[n][3] for n in sizes]
    assert argmax_loss == sorted(argmax_loss) and norms == sorted(norms)
    assert argmax_loss[0] == pytest.approx(0.83, abs=0.03)
    assert argmax_loss[-1] == pytest.approx(2.3, abs=0.1)
    assert table[sizes[-1]][0] < table[sizes[0]][0] and table[sizes[-1]][2] < table[sizes[0]][2]
    # Soft against drawn: 10x the drawn rows mostly not as close as the soft ones.
    excess = dict(
        (int(n), (float(a), float(b)))
        for n, a, b in re.findall(r"^\s+(\d+)\s+([\d.e+-]+)\s+([\d.e+-]+)$", out, flags=re.M)
    )
    for soft_n, drawn_n in [(100, 1000), (200, 2000), (500, 5000)]:
        assert excess[drawn_n][1] > excess[soft_n][0]
    assert all(excess[n][1] > excess[n][0] for n in excess)
