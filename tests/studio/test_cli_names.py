"""A character is one person however the script spells them: zero-width characters and
full-width letters never make a second, invisible twin."""

from __future__ import annotations

import json
from pathlib import Path

from tests.projects.conftest import write_script
from tests.studio.conftest import invoke

TWINS = """《测试》

第1集 初见

1-1 日 内 咖啡馆
人物：林晚\u200b、顾言
△林晚推门走进咖啡馆。
顾言\u200d：你迟到了。
林晚：是你来早了。
顾言：坐吧。
ＬＩＮ：（英文名）嗯。
"""


def test_zero_width_characters_never_make_a_second_character(tmp_path: Path) -> None:
    folder = tmp_path / "proj"
    assert invoke("new", folder).exit_code == 0
    result = invoke("import", folder, write_script(tmp_path, TWINS))
    assert result.exit_code == 0, result.stderr
    people = json.loads(invoke("characters", folder, "--json").stdout)
    names = [person["name"] for person in people]
    assert sorted(names) == sorted(["林晚", "顾言", "LIN"])  # ＬＩＮ is LIN (NFKC)
    shots = json.loads(invoke("shots", folder, "--json").stdout)
    speakers = {line["speaker"] for ep in shots["episodes"] for scene in ep["scenes"]
                for shot in scene["shots"] for line in shot["dialogue"]}
    assert speakers == {"林晚", "顾言", "LIN"}
    who = {name for ep in shots["episodes"] for scene in ep["scenes"] for shot in scene["shots"]
           for name in shot["characters"]}
    assert who <= {"林晚", "顾言", "LIN"}
    # a name typed with an invisible character finds the one character, and an alias typed
    # that way is stored in its one form
    shown = invoke("character", folder, "顾言\u200b", "--description", "黑西装")
    assert shown.exit_code == 0, shown.stderr
    assert shown.stdout.startswith("顾言: 黑西装")
