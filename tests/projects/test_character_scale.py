"""The character bible's engine settings: a per-character IP-Adapter scale, kept on re-import."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from shotcraft.engine.registry import get_engine
from shotcraft.projects import Project
from shotcraft.projects.draw.batch import request_for
from shotcraft.shots.errors import SpecError
from shotcraft.shots.models import TakeKind


def scales_in_request(project: Project, shot_id: str) -> dict[str, float | None]:
    request, _ = request_for(project.store, project.shot(shot_id), engine=get_engine("previz"),
                             kind=TakeKind.KEYFRAME, seeds=[1], take_numbers=[1], options={})
    return {c.name: c.ip_adapter_scale for c in request.characters}


def test_a_characters_scale_survives_reimport_and_rides_on_the_request(
    project: Project, script_file: Path, tmp_path: Path,
) -> None:
    Image.fromarray(np.full((32, 32, 3), 200, np.uint8)).save(tmp_path / "lin.png")
    project.add_reference("林晚", tmp_path / "lin.png", force=True)  # a flat picture: no face
    assert project.character("林晚").ip_adapter_scale is None  # the engine's default
    edited = project.update_character("林晚", ip_adapter_scale=0.35)
    assert edited.ip_adapter_scale == 0.35
    project.import_script(script_file)
    assert project.character("林晚").ip_adapter_scale == 0.35
    assert scales_in_request(project, "E01-S01-001") == {"林晚": 0.35, "顾言": None}
    project.update_character("林晚", ip_adapter_scale=None)
    assert project.character("林晚").ip_adapter_scale is None


@pytest.mark.parametrize("value", [1.5, -0.1, "lots", float("nan"), True])
def test_a_scale_outside_0_to_1_is_refused_in_one_sentence_naming_the_field(
    project: Project, value: object,
) -> None:
    with pytest.raises(SpecError) as caught:
        project.update_character("林晚", ip_adapter_scale=value)
    message = str(caught.value)
    assert message.startswith("ip_adapter_scale: ") and message.count(". ") == 0
    assert "from 0 to 1" in message
    assert project.character("林晚").ip_adapter_scale is None
