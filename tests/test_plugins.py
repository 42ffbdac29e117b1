"""A plugin distribution installed beside shotcraft works without editing shotcraft.

`tests/data/plugin_dist` is a distribution of its own (`shotcraft-tiny-plugins`) with one
plugin of every kind — an engine, an executor, an export format, a speech engine, a script
format and a ranking metric — each one module plus its entry point. It is pip-installed into a
folder of its own and put on the path of a `shotcraft` run as a separate process, as a user's
`pip install` would put it beside shotcraft.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import wave
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "tests" / "data" / "plugin_dist"
STORY = """@ KITCHEN, NIGHT
Mara lights the stove.
MARA: The kettle is cold.
TOM: Then boil it again.

@ STREET
Tom walks out into the rain.
"""


@pytest.fixture(scope="module")
def plugins(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The plugin distribution, installed into a folder of its own (built from a copy, so the
    source tree is left as it was)."""
    work = tmp_path_factory.mktemp("plugin")
    shutil.copytree(DIST, work / "src")
    target = work / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                    "--no-build-isolation", "--target", str(target), str(work / "src")],
                   check=True, capture_output=True, text=True)
    return target


def shotcraft(*args: object, plugins: Path | None = None,
              cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`shotcraft ARGS` in a process of its own; with `plugins` on its path."""
    env = {**os.environ, "SHOTCRAFT_PREVIZ_SCALE": "0.1"}
    if plugins is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(plugins), env.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, "-m", "shotcraft.studio.cli", *map(str, args)],
                          capture_output=True, text=True, env=env, cwd=cwd or ROOT)


def test_the_help_lists_each_installed_plugin_where_its_kind_is_chosen(plugins: Path) -> None:
    render = shotcraft("render", "--help", plugins=plugins).stdout
    assert "solid" in render.split("--engine", 1)[1].split("--seed", 1)[0]
    assert "inline" in render.split("--executor", 1)[1].split("--ray-address", 1)[0]
    assert "shotlist" in shotcraft("export", "--help", plugins=plugins).stdout
    assert "plain" in shotcraft("import", "--help", plugins=plugins).stdout
    assert "tone" in shotcraft("voice", "--help", plugins=plugins).stdout
    assert "solid" not in shotcraft("render", "--help").stdout  # not installed, not offered


def test_an_unknown_name_lists_what_is_installed_the_plugin_too(
    plugins: Path, tmp_path: Path,
) -> None:
    assert shotcraft("new", tmp_path / "proj").returncode == 0
    refused = shotcraft("render", tmp_path / "proj", "--engine", "sora", plugins=plugins)
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        "error: unknown engine 'sora'; installed: previz, kling, diffusers, seedance, "
        "comfyui, solid.")
    without = shotcraft("render", tmp_path / "proj", "--engine", "solid")
    assert without.returncode == 1 and "unknown engine 'solid'" in without.stderr


def test_a_plugin_of_every_kind_reads_draws_scores_speaks_and_exports(
    plugins: Path, tmp_path: Path,
) -> None:
    """The plain script format reads the story, solid draws it on the inline executor, warmth
    scores each take, tone speaks Mara's line and shotlist writes the cut — through the CLI,
    with shotcraft untouched."""
    (tmp_path / "story.plain").write_text(STORY, encoding="utf-8")
    project = tmp_path / "proj"
    assert shotcraft("new", project, "--fps", "24").returncode == 0

    imported = shotcraft("import", project, tmp_path / "story.plain", plugins=plugins)
    assert imported.returncode == 0, imported.stderr
    assert "(plain, ASCII): 1 episodes, 2 scenes" in imported.stdout
    assert "2 characters, 2 dialogue lines" in imported.stdout
    voiced = shotcraft("voice", project, "Mara", "--engine", "tone", "--voice", "hum",
                       plugins=plugins)
    assert voiced.returncode == 0 and "Mara: tone hum" in voiced.stdout

    drawn = shotcraft("render", project, "--engine", "solid", "--executor", "inline",
                      "--takes", "1", plugins=plugins)
    assert drawn.returncode == 0, drawn.stderr
    board = json.loads(shotcraft("shots", project, "--json", plugins=plugins).stdout)
    shots = [s["id"] for ep in board["episodes"] for sc in ep["scenes"] for s in sc["shots"]]
    assert f"drew {len(shots)} takes, 0 failed" in drawn.stdout and "on inline" in drawn.stdout

    for shot_id in shots:
        [take] = json.loads(shotcraft("takes", project, shot_id, "--json",
                                      plugins=plugins).stdout)
        assert take["engine"] == "solid" and take["status"] == "done"
        colour = (take["seed"] * 2654435761) % 0xFFFFFF  # the solid engine's colour rule
        red, blue = colour >> 16, colour & 0xFF
        assert take["scores"]["warmth"] == pytest.approx(0.5 + (red - blue) / 255, abs=0.03)
        assert "red over blue by" in take["explanations"]["warmth"]

    assert shotcraft("pick", project, "--auto", plugins=plugins).returncode == 0
    exported = shotcraft("export", project, "--episode", 1, "--preset", "test-small",
                         "--format", "shotlist", "--voice", "bible", "--subtitles", "none",
                         plugins=plugins)
    assert exported.returncode == 0, exported.stderr
    with open(project / "exports" / "episode-01-shotlist.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["shot"] for row in rows] == shots and {row["take"] for row in rows} == {"1"}
    starts = [int(row["start_frame"]) for row in rows]
    assert starts[0] == 0 and starts == sorted(starts)
    # tone says a line in a tenth of a second per character, and the export measures it so
    # (the breakdown gave the shot the short-drama pace plus its air: 1.8 s)
    assert ("Mara's line runs 1.9 s, the shot is 1.8 s: 0.1 s of it is cut"
            in " ".join(exported.stderr.split()))
    [mara] = sorted((project / "exports" / "episode-01-dialogue").glob("*E01-S01-003.wav"))
    with wave.open(str(mara)) as line:
        hum = line.readframes(line.getnframes())
    assert any(hum)  # a tone, not silence
    assert (project / "exports" / "episode-01.mp4").stat().st_size > 0
