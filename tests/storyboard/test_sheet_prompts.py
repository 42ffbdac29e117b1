"""Character-sheet prompts: one character alone, front and three-quarter views in turn."""

from shotcraft.storyboard.models import Character
from shotcraft.storyboard.prompts import compose_sheet_prompt, sheet_view


def test_sheet_views_alternate_by_take_number() -> None:
    assert [sheet_view(n).split(",")[0] for n in (1, 2, 3, 4)] == [
        "front view", "three-quarter view", "front view", "three-quarter view"]


def test_a_sheet_prompt_describes_the_character_alone_from_the_bible() -> None:
    prompt = compose_sheet_prompt(Character(name="林晚", description="25岁，白裙"), 2)
    assert "林晚 (25岁，白裙), alone in frame" in prompt
    assert "three-quarter view" in prompt
    assert "林晚, alone in frame" in compose_sheet_prompt(Character(name="林晚"), 1)
