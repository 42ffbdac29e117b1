"""Small real clips for the ranking tests, built once per session with ffmpeg.

A clean take is a pan across a generated texture with a little temporal grain (real takes are
never bit-identical frame to frame); the defective takes are that clean take pushed through
one ffmpeg filter each, so every defect differs from the clean take in exactly one way.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from shotcraft.shots.media import ffmpeg_binary
from tests.ranking import facetakes

SIZE = "144:256"  # 9:16, the analysis size itself
FPS = 30
SECONDS = "1.5"
GRAIN = "noise=alls=5:allf=t"
ENCODE = ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "16", "-pix_fmt", "yuv420p"]


def run_ffmpeg(*args: str) -> None:
    result = subprocess.run(
        [ffmpeg_binary(), "-v", "error", "-y", *args], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def make_texture(path: Path, seed: int, size: tuple[int, int] = (720, 560)) -> Path:
    """Detail at several scales, in colour, so motion and sharpness have something to bite on;
    mid-grey on average with headroom: the clean take must be well exposed."""
    return facetakes.make_texture(path, seed, size, scales=((3, 0.35), (12, 0.35), (48, 0.3)),
                                  levels=(40, 175))


def from_texture(texture: Path, out: Path, vf: str) -> Path:
    run_ffmpeg("-loop", "1", "-framerate", str(FPS), "-i", str(texture), "-vf", vf,
               "-t", SECONDS, *ENCODE, str(out))
    return out


def refilter(source: Path, out: Path, vf: str) -> Path:
    run_ffmpeg("-i", str(source), "-vf", vf, *ENCODE, str(out))
    return out


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("ranking")
    texture = make_texture(root / "texture.png", seed=7)
    other = make_texture(root / "other.png", seed=99, size=(144, 256))
    made: dict[str, Path] = {}
    # camera moves: content slides left when the camera pans right (crop window moves right)
    made["pan_right"] = from_texture(texture, root / "pan_right.mp4",
                                     f"crop={SIZE}:x='40+t*30':y=100,{GRAIN}")
    made["pan_left"] = from_texture(texture, root / "pan_left.mp4",
                                    f"crop={SIZE}:x='300-t*30':y=100,{GRAIN}")
    made["static"] = from_texture(texture, root / "static.mp4", f"crop={SIZE}:200:100,{GRAIN}")
    made["tilt_up"] = from_texture(texture, root / "tilt_up.mp4",
                                   f"crop={SIZE}:x=200:y='200-t*40',{GRAIN}")
    shake = "x='200+4*sin(t*11)+2*sin(t*23)':y='150+3*sin(t*13)'"
    made["handheld"] = from_texture(texture, root / "handheld.mp4", f"crop={SIZE}:{shake},{GRAIN}")
    zoom = "x='iw/2-iw/zoom/2':y='ih/2-ih/zoom/2':d=1:s=144x256:fps=30"
    made["zoom_in"] = from_texture(texture, root / "zoom_in.mp4",
                                   f"crop=288:512,zoompan=z='1+0.008*on':{zoom},{GRAIN}")
    made["zoom_out"] = from_texture(texture, root / "zoom_out.mp4",
                                    f"crop=288:512,zoompan=z='1.4-0.008*on':{zoom},{GRAIN}")
    # short defects in the same pan (1 px a frame): frame 20 repeats 19, skips a step, or flashes
    made["stutter"] = from_texture(texture, root / "stutter.mp4",
                                   f"crop={SIZE}:x='40+n-eq(n,20)':y=100,{GRAIN}")
    made["dropped"] = from_texture(texture, root / "dropped.mp4",
                                   f"crop={SIZE}:x='40+n+gte(n,20)':y=100,{GRAIN}")
    made["flash"] = from_texture(texture, root / "flash.mp4",
                                 f"crop={SIZE}:x='40+n':y=100,{GRAIN},"
                                 "eq=brightness=0.35:enable='eq(n,20)'")
    made["even"] = from_texture(texture, root / "even.mp4", f"crop={SIZE}:x='40+n':y=100,{GRAIN}")
    clean = made["clean"] = made["pan_right"]
    # defects: one filter each over the clean take
    made["blurred"] = refilter(clean, root / "blurred.mp4", "gblur=sigma=2.5")
    made["dark"] = refilter(clean, root / "dark.mp4", "eq=brightness=-0.3")
    made["overexposed"] = refilter(clean, root / "overexposed.mp4", "eq=brightness=0.45")
    made["flicker"] = refilter(clean, root / "flicker.mp4",
                               "eq=brightness='0.12*mod(n,2)':eval=frame")
    made["frozen"] = refilter(clean, root / "frozen.mp4",
                              "trim=end_frame=10,tpad=stop_mode=clone:stop=35")
    made["black"] = refilter(clean, root / "black.mp4",
                             "drawbox=c=black:t=fill:enable='gte(n,25)'")
    # stills and frames for continuity
    made["still"] = root / "still.png"
    run_ffmpeg("-i", str(clean), "-frames:v", "1", str(made["still"]))
    made["still_blurred"] = root / "still_blurred.png"
    run_ffmpeg("-i", str(made["blurred"]), "-frames:v", "1", str(made["still_blurred"]))
    made["unrelated"] = other
    return made


@pytest.fixture(scope="session")
def face_takes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Path]]:
    """Takes with faces (tests/ranking/facetakes.py): "single" is 林晚 alone with its swap,
    collapse and duplicate; "two" is 林晚 + 顾言 with its missing and wrong character; "ws" is
    a wide shot whose one face is too small to find."""
    from tests.ranking import facetakes

    root = tmp_path_factory.mktemp("faces")
    return {
        "single": facetakes.build_set(root, facetakes.single(), stem="single",
                                      defects=["swap", "collapse", "duplicate"]),
        "two": facetakes.build_set(root, facetakes.two_shot(), stem="two",
                                   defects=["missing", "wrong"]),
        "ws": {"clean": facetakes.render(facetakes.single(face=22, x=0.5), root / "ws.mp4",
                                         background=facetakes.background_for(root, facetakes.single()))},
    }
