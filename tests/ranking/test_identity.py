"""Identity on real takes: the clean take of a character against the same shot with one defect
each (somebody else, a collapsed face, a missing or duplicated character, the wrong one), with
the real face model and the test portraits (tests/ranking/facetakes.py)."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from shotcraft.ranking import identity
from shotcraft.ranking.faces import INSTALL_HINT, missing_reason
from shotcraft.ranking.identity import (
    Bible,
    IdentityResult,
    build_bible,
    check_reference,
    cut_faces,
    sample_frames,
    score_take_identity,
)
from shotcraft.ranking.metrics import score_frames
from shotcraft.shots.media import read_frames
from shotcraft.shots.models import CameraMove, Move, ShotSize, TakeKind
from tests.ranking import facetakes


def test_the_face_model_is_installed_for_the_tests() -> None:
    """`make test` installs the identity extra: a missing model fails here, never skips."""
    assert missing_reason() is None

GROUPS = {"single": ["林晚"], "two": ["林晚", "顾言"]}
DEFECT_GROUP = {"swap": "single", "collapse": "single", "duplicate": "single",
                "missing": "two", "wrong": "two"}
MISSING_MODEL = f"the face model is not installed (dlib); install it with `{INSTALL_HINT}`."


@pytest.fixture(scope="session")
def bible(tmp_path_factory: pytest.TempPathFactory) -> Bible:
    return build_bible(facetakes.references(), cache_dir=tmp_path_factory.mktemp("faces-cache"))


@pytest.fixture(scope="session")
def judged(face_takes: dict[str, dict[str, Path]], bible: Bible) -> dict[str, IdentityResult]:
    """Every take of the single and the two-shot, scored as the MS it was asked to be."""
    results = {}
    for group, in_frame in GROUPS.items():
        for name, path in face_takes[group].items():
            results[f"{group}-{name}"] = score_take_identity(
                path, kind=TakeKind.VIDEO, size=ShotSize.MS, in_frame=in_frame, bible=bible)
    return results


def value(result: IdentityResult) -> float:
    assert result.metric is not None, result.note
    return result.metric.value


def one_sentence(text: str | None) -> bool:
    return text is not None and len(re.findall(r"[.!?](\s|$)", text)) == 1


# --- takes ------------------------------------------------------------------------------------


def test_the_bible_knows_every_character(bible: Bible) -> None:
    assert sorted(bible.embeddings) == ["林晚", "苏曼", "顾言"]
    assert bible.embeddings["林晚"].shape == (2, 128)
    assert not bible.left_out


@pytest.mark.parametrize("group", GROUPS)
def test_clean_take_ranks_first_by_identity_and_by_total(
    face_takes: dict[str, dict[str, Path]], judged: dict[str, IdentityResult], group: str
) -> None:
    names = list(face_takes[group])
    by_identity = {name: value(judged[f"{group}-{name}"]) for name in names}
    assert max(by_identity, key=by_identity.__getitem__) == "clean", by_identity
    assert by_identity["clean"] >= 0.8, judged[f"{group}-clean"].explanation
    totals = {}
    for name in names:
        frames = read_frames(face_takes[group][name], width=144, height=256, every=3)
        totals[name] = score_frames(frames, fps=10, camera=CameraMove(move=Move.PAN_RIGHT),
                                    identity=judged[f"{group}-{name}"].metric).total
    assert max(totals, key=totals.__getitem__) == "clean", totals


@pytest.mark.parametrize("defect", DEFECT_GROUP)
def test_each_defect_lowers_identity_by_a_clear_margin(
    judged: dict[str, IdentityResult], defect: str
) -> None:
    group = DEFECT_GROUP[defect]
    clean, bad = judged[f"{group}-clean"], judged[f"{group}-{defect}"]
    assert value(bad) <= value(clean) - 0.4, bad.explanation


@pytest.mark.parametrize(
    ("defect", "words"),
    [
        ("swap", "林晚 not found in 5 of 5 frames (best match looks like 顾言)"),
        ("collapse", "林晚 not found in 5 of 5 frames (no face found where the shot size says "
                     "one should be)"),
        ("duplicate", "林晚 appears twice in 5 of 5 frames"),
        ("missing", "顾言 not found in 5 of 5 frames (no face found where the shot size says "
                    "one should be)"),
        ("wrong", "顾言 not found in 5 of 5 frames (best match looks like 苏曼)"),
    ],
)
def test_the_explanation_names_the_characters(
    judged: dict[str, IdentityResult], defect: str, words: str
) -> None:
    explanation = judged[f"{DEFECT_GROUP[defect]}-{defect}"].explanation
    assert words in explanation, explanation


def test_the_clean_two_shot_names_both_characters(judged: dict[str, IdentityResult]) -> None:
    explanation = judged["two-clean"].explanation
    assert re.search(r"林晚 [01]\.\d\d in 5/5 frames; 顾言 [01]\.\d\d in 5/5 frames", explanation)


def test_a_wide_shot_without_a_findable_face_leaves_identity_out(
    face_takes: dict[str, dict[str, Path]], bible: Bible
) -> None:
    result = score_take_identity(face_takes["ws"]["clean"], kind=TakeKind.VIDEO,
                                 size=ShotSize.WS, in_frame=["林晚"], bible=bible)
    assert result.metric is None
    assert one_sentence(result.note), result.note
    assert "WS" in result.note and "no face" in result.note


def test_the_same_take_as_a_close_shot_scores_zero_not_left_out(
    face_takes: dict[str, dict[str, Path]], bible: Bible
) -> None:
    # an MS promises a face: finding none is a collapse, not a reason to leave identity out
    result = score_take_identity(face_takes["ws"]["clean"], kind=TakeKind.VIDEO,
                                 size=ShotSize.MS, in_frame=["林晚"], bible=bible)
    assert value(result) == 0.0


def test_characters_without_a_usable_reference_are_left_out_and_said_so(
    face_takes: dict[str, dict[str, Path]], tmp_path: Path
) -> None:
    texture = facetakes.make_texture(tmp_path / "wall.png", seed=5, size=(320, 400))
    refs = {**facetakes.references(), "陈默": [texture], "周宁": []}
    bible = build_bible(refs, cache_dir=tmp_path / "cache")
    assert "陈默" in bible.left_out and "周宁" in bible.left_out
    assert bible.left_out["周宁"] == "no reference image"

    take = face_takes["single"]["clean"]
    result = score_take_identity(take, kind=TakeKind.VIDEO, size=ShotSize.MS,
                                 in_frame=["林晚", "陈默"], bible=bible)
    assert value(result) >= 0.8  # only 林晚 is judged
    assert "陈默 left out (no usable reference" in result.explanation

    alone = score_take_identity(take, kind=TakeKind.VIDEO, size=ShotSize.MS,
                                in_frame=["陈默", "周宁"], bible=bible)
    assert alone.metric is None
    assert "陈默" in alone.note and "周宁 (no reference image)" in alone.note


def test_sample_frames_takes_the_first_the_last_and_every_half_second(
    face_takes: dict[str, dict[str, Path]]
) -> None:
    frames = sample_frames(face_takes["single"]["clean"], kind=TakeKind.VIDEO, size=ShotSize.CU)
    assert frames.shape == (5, 640, 360, 3)  # 2 s at 30 fps: frames 0, 15, 30, 45 and 59


# --- the cut ----------------------------------------------------------------------------------


def test_cut_faces_tells_the_same_people_from_different_people(
    face_takes: dict[str, dict[str, Path]]
) -> None:
    single = face_takes["single"]
    last = read_frames(single["clean"])[-1]
    again = read_frames(single["duplicate"], max_frames=1)[0]  # 林晚 (twice) after the cut
    other = read_frames(single["swap"], max_frames=1)[0]  # 顾言 after the cut
    same = cut_faces(again, last, ["林晚"])
    different = cut_faces(other, last, ["林晚"])
    assert same is not None and different is not None
    assert same[0] >= 0.8 and same[1].startswith("林晚 looks the same across the cut (face distance 0.")
    assert different[0] <= 0.2 and "林晚 does not look the same across the cut" in different[1]
    blank = np.full_like(last, 128)
    assert cut_faces(blank, last, ["林晚"]) is None
    # a cut from one character to another is not a continuity error: nothing to compare
    assert cut_faces(other, last, []) is None


# --- references -------------------------------------------------------------------------------


def test_a_clear_portrait_is_a_usable_reference(tmp_path: Path) -> None:
    check = check_reference(facetakes.portrait("obama2.jpg"), cache_dir=tmp_path)
    assert check.usable and check.faces == 1 and check.reason is None
    assert check.face_size is not None and check.face_size >= 80
    assert check.embedding is not None and len(check.embedding) == 128


def two_portraits(path: Path) -> Path:
    left, right = (Image.open(facetakes.portrait(name)).convert("RGB").resize((360, 720))
                   for name in ("obama.jpg", "biden.jpg"))
    both = Image.new("RGB", (720, 720))
    both.paste(left, (0, 0))
    both.paste(right, (360, 0))
    both.save(path)
    return path


def small_portrait(path: Path) -> Path:
    image = Image.open(facetakes.portrait("obama2.jpg")).convert("RGB")
    image.resize((image.width * 35 // 100, image.height * 35 // 100)).save(path)  # face ≈ 63 px
    return path


@pytest.mark.parametrize(
    ("make", "name", "words"),
    [
        (lambda p: facetakes.make_texture(p, seed=11, size=(480, 600)), "wall.png",
         "shows no face"),
        (two_portraits, "couple.png", "shows 2 faces"),
        (small_portrait, "far.png", "under 80 px"),
    ],
)
def test_check_reference_refuses_with_one_sentence_naming_the_file(
    tmp_path: Path, make, name: str, words: str
) -> None:
    check = check_reference(make(tmp_path / name), cache_dir=tmp_path / "cache")
    assert not check.usable and check.embedding is None
    assert check.reason is not None and words in check.reason and name in check.reason
    assert one_sentence(check.reason), check.reason


def test_reference_embeddings_are_cached_by_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(identity, "_memory", {})
    calls = []
    real = identity.face_model

    def counted():  # type: ignore[no-untyped-def]
        calls.append(1)
        return real()

    monkeypatch.setattr(identity, "face_model", counted)
    first, second = tmp_path / "a.jpg", tmp_path / "renamed.jpg"
    shutil.copyfile(facetakes.portrait("biden.jpg"), first)
    shutil.copyfile(first, second)
    cache = tmp_path / "cache"

    one = check_reference(first, cache_dir=cache)
    two = check_reference(second, cache_dir=cache)
    assert len(calls) == 1
    assert one.embedding == two.embedding and two.path == str(second)

    digest = hashlib.sha256(first.read_bytes()).hexdigest()
    stored = json.loads((cache / f"{digest}.json").read_text())
    assert stored["faces"] == 1 and len(stored["embedding"]) == 128

    monkeypatch.setattr(identity, "_memory", {})  # a new process: only the files remain
    three = check_reference(second, cache_dir=cache)
    assert len(calls) == 1 and three.embedding == one.embedding


# --- without the face model -------------------------------------------------------------------


def test_without_the_model_identity_is_left_out_with_the_install_hint(
    face_takes: dict[str, dict[str, Path]], bible: Bible, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(identity, "missing_reason", lambda: MISSING_MODEL)
    result = score_take_identity(face_takes["single"]["clean"], kind=TakeKind.VIDEO,
                                 size=ShotSize.MS, in_frame=["林晚"], bible=bible)
    assert result.metric is None and INSTALL_HINT in result.note

    check = check_reference(facetakes.portrait("obama.jpg"))
    assert check.faces is None and not check.usable
    assert check.reason is not None and INSTALL_HINT in check.reason

    frame = read_frames(face_takes["single"]["clean"], max_frames=1)[0]
    assert cut_faces(frame, frame, ["林晚"]) is None
