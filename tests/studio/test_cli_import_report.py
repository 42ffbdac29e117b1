"""`shotcraft import`: the report of what was read (text and --json), --dry-run saving nothing,
files that are not scripts refused in one sentence, and a fixed script re-imported keeping takes."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from shotcraft.projects import Project
from shotcraft.projects.draw import Draw
from tests.studio.conftest import invoke

DATA = Path(__file__).resolve().parents[1] / "data" / "scripts"

# a scene whose heading writer forgot its number, a speaker with a manner seen once, and a cast
# line missing its first character: everything the report should point at
FLAWED = """《雨夜》
第1集
1-1 日 内 客栈
人物：阿山、小梅
阿山：店家！
小梅：来了。
阿山：两间房。
2 日 内 客栈后院
物：阿山、小梅、老周
阿山着急回头：快！
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "proj"
    assert invoke("new", folder).exit_code == 0
    return folder


def saved(folder: Path) -> tuple[list[str], list[str]]:
    """What the project holds: its shot ids and the files in script/."""
    project = Project.open(folder)
    try:
        shots = [shot.id for shot in project.shots()]
    finally:
        project.close()
    return shots, sorted(p.name for p in (folder / "script").iterdir()) if (folder / "script").exists() else []


def test_dry_run_lists_scenes_characters_and_speakers_and_saves_nothing(folder: Path) -> None:
    result = invoke("import", folder, DATA / "moyin-gege.md", "--dry-run")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "would import" in out and "1 episodes, 4 scenes" in out
    for heading in ("1-1 日 内 新沪市", "1-2 日 内 新沪市", "1-3 夜 外 新沪市", "1-4 夜 内 高速列车车厢"):
        assert heading in out
    assert "林星野 (line 7)" in out  # introduced by the 人物小传 block
    assert "speakers not in any cast list: 堂弟 (line 150, 1 line), 广播 (line 178, 1 line, a voice)" in out
    assert "nothing was saved (--dry-run)" in out
    assert saved(folder) == ([], [])


def test_dry_run_json_has_the_documented_shape(folder: Path) -> None:
    result = invoke("import", folder, DATA / "qcut-basketball-girls-en.txt", "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {"script", "format", "episodes", "scenes", "shots", "characters",
                         "dialogue_lines", "action_lines", "kept", "added", "archived", "dry_run",
                         "read", "assist", "fitted"}
    assert (data["dry_run"], data["episodes"], data["scenes"], data["assist"], data["fitted"]) == (
        True, 1, 5, None, None)
    read = data["read"]
    assert set(read) == {"script", "format", "language", "encoding", "hygiene", "title", "episodes",
                         "scenes", "shots", "characters", "dialogue_lines", "action_lines", "notes",
                         "episode_list", "character_list", "speakers_not_in_cast", "warnings"}
    scene = read["episode_list"][0]["scenes"][0]
    assert scene == {"id": "1-1", "number": "1-1", "heading": "Scene 1-1: EXT. RURAL ROAD / BUS - DAY",
                     "line": 15, "shots": scene["shots"]}
    assert set(read["character_list"][0]) == {"name", "aliases", "line", "first_scene", "lines",
                                              "described"}
    # VILLAGER is on a Characters: line, XINGQING is Shen Xingqing's given name; BOY is nowhere
    assert [s["name"] for s in read["speakers_not_in_cast"]] == ["BOY"]
    assert read["notes"] == {"subtitle": 2}
    assert saved(folder) == ([], [])


def test_import_prints_the_summary_and_warnings_for_what_looks_wrong(folder: Path, tmp_path: Path) -> None:
    script = tmp_path / "flawed.txt"
    script.write_text(FLAWED, encoding="utf-8")
    result = invoke("import", folder, script)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(f"imported {script} (juben, UTF-8): 1 episodes, 1 scenes")
    warnings = [line for line in lines if line.startswith("warning:")]
    assert warnings == [
        "warning: line 8: '2 日 内 客栈后院' looks like a scene heading but was not read as one; "
        "write it like 1-1 日 内 地点",
        "warning: line 9: the line of '物' is a list of characters: is it a cast list (人物：…) "
        "with a typo?",
    ]
    # 阿山着急回头：… is 阿山 in a hurry, not a new character with a face of its own
    names = [c["name"] for c in json.loads(invoke("characters", folder, "--json").output)]
    assert "阿山着急回头" not in names and "阿山" in names


def test_a_fixed_script_reimported_keeps_every_take_of_every_unchanged_shot(
        folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOTCRAFT_PREVIZ_SCALE", "0.1")  # tiny previz takes: fast
    script = tmp_path / "flawed.txt"
    script.write_text(FLAWED, encoding="utf-8")
    assert invoke("import", folder, script).exit_code == 0
    project = Project.open(folder)
    try:
        # the shots of what really is scene 1-1 (the broken heading is line 8)
        first_scene = [shot.id for shot in project.shots() if shot.scene_id == "1-1"
                       and all(line < 8 for line in shot.source_lines)]
        assert len(first_scene) == 4  # the establishing shot and three lines
        project.draw(Draw(shots=first_scene, takes=1))
        taken = {shot_id: [v.take.number for v in project.takes(shot_id)] for shot_id in first_scene}
    finally:
        project.close()
    assert all(taken.values())
    script.write_text(FLAWED.replace("2 日 内 客栈后院", "1-2 日 内 客栈后院").replace("物：", "人物："),
                      encoding="utf-8")
    plan = json.loads(invoke("import", folder, script, "--dry-run", "--json").output)
    assert (plan["scenes"], plan["kept"]) == (2, len(first_scene))
    result = invoke("import", folder, script)
    assert result.exit_code == 0 and "warning" not in result.output
    project = Project.open(folder)
    try:
        assert {shot_id: [v.take.number for v in project.takes(shot_id)] for shot_id in first_scene} == taken
    finally:
        project.close()


def _pdf(path: Path) -> None:
    path.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n")


def _png(path: Path) -> None:
    from PIL import Image

    Image.new("RGB", (4, 4), (200, 30, 30)).save(path)


def _docx(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _novel(path: Path) -> None:
    paragraph = ("深夜，旧城区的火车站下着大雨，他撑着伞走上空旷的月台，远处的灯一盏一盏熄灭。"
                 "他在生锈的长椅前停下，想起很多年前的那个夏天，想起她站在站台尽头挥手的样子。\n\n")
    with path.open("w", encoding="utf-8") as handle:
        for _ in range(20_000_000 // len(paragraph.encode("utf-8")) + 1):
            handle.write(paragraph)


@pytest.mark.parametrize(("name", "make", "looks"), [
    ("script.pdf", _pdf, "looks like a PDF document, not a script"),
    ("scan.png", _png, "looks like a PNG image, not a script"),
    ("draft.docx", _docx, "looks like a ZIP archive (a .docx, .xlsx or .pages file is one), not a script"),
    ("empty.txt", _empty, "looks like an empty file, not a script"),
    ("novel.txt", _novel, "MB and looks like prose (a novel or a book), not a script"),
])
def test_a_file_that_is_not_a_script_gets_one_sentence_and_changes_nothing(
        tmp_path: Path, name: str, make, looks: str) -> None:
    folder = tmp_path / "proj"
    assert invoke("new", folder).exit_code == 0
    assert invoke("import", folder, DATA / "rufo-rain-rehearsal.txt").exit_code == 0
    before = saved(folder)
    bad = tmp_path / name
    make(bad)
    result = invoke("import", folder, bad)
    assert result.exit_code == 1
    message = result.stderr.strip()
    assert message.count("\n") == 0 and str(bad) in message and looks in message
    assert saved(folder) == before
