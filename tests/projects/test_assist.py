"""`import --assist llm` against a stand-in OpenAI-compatible server (tests/providers): the text
rewritten part by part, answers cached, the provider's refusals each ending in one sentence, and
the key nowhere in the project, the logs or an export."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from shotcraft.projects import Project
from tests.providers.openai_chat_server import FakeChatServer
from tests.studio.conftest import invoke

DATA = Path(__file__).resolve().parents[1] / "data" / "scripts"
KEY = "sk-shotcraft-test-4f1e9c0b7d2a"
PROSE = DATA / "tzjz-rainy-night.txt"  # prose and one 旁白 line: the rules read no scene in it


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeChatServer]:
    fake = FakeChatServer(key=KEY).start()
    monkeypatch.setenv("SHOTCRAFT_LLM_BASE_URL", fake.base_url)
    monkeypatch.setenv("SHOTCRAFT_LLM_MODEL", "deepseek-chat")
    monkeypatch.setenv("SHOTCRAFT_LLM_API_KEY", KEY)
    monkeypatch.setenv("SHOTCRAFT_LLM_RETRIES", "2")
    yield fake
    fake.stop()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "proj"
    assert invoke("new", folder).exit_code == 0
    return folder


def shots_of(folder: Path) -> list:
    project = Project.open(folder)
    try:
        return project.shots()
    finally:
        project.close()


def long_prose(tmp_path: Path, copies: int = 6) -> Path:
    paragraphs = [p for p in PROSE.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    text = "\n\n".join(paragraphs[1:3] * copies)
    path = tmp_path / "long.txt"
    path.write_text(text + "\n", encoding="utf-8")
    return path


def test_prose_is_rewritten_into_scenes_saved_beside_the_original(folder: Path, server: FakeChatServer) -> None:
    rules = json.loads(invoke("import", folder, PROSE, "--dry-run", "--json").output)
    assert rules["read"]["episode_list"][0]["scenes"][0]["heading"] == ""  # the rules find no scene
    result = invoke("import", folder, PROSE, "--assist", "llm")
    assert result.exit_code == 0, result.output
    assert "rewritten by deepseek-chat" in result.output and "1 parts, 1 asked" in result.output
    rewritten = folder / "script" / "tzjz-rainy-night.assist.txt"
    assert (folder / "script" / PROSE.name).read_bytes() == PROSE.read_bytes()  # kept verbatim
    lines = rewritten.read_text(encoding="utf-8").split("\n")
    assert lines[:5] == ["《雨夜归来》", "1-1 夜 外 车站",
                         "△深夜，旧城区火车站下着大雨。林舟撑着透明雨伞，独自走上空旷的月台。",
                         "1-2 夜 外 车站",
                         "△他经过一张生锈的长椅时停下，发现椅子上放着一个边角卷曲的米白色旧信封。林舟收起雨伞，"
                         "犹豫片刻后用右手拿起信封。"]
    shots = shots_of(folder)
    assert [s.scene_id for s in shots if s.action] == ["1-1", "1-2"]
    # every shot traces to a line of the rewritten script
    for shot in shots:
        if shot.action:
            assert lines[shot.source_lines[0] - 1] == "△" + shot.action
    assert [d.speaker for s in shots for d in s.dialogue] == ["旁白"]


def test_dry_run_shows_the_diff_and_the_import_after_it_asks_nothing(folder: Path, server: FakeChatServer) -> None:
    result = invoke("import", folder, PROSE, "--assist", "llm", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "--- tzjz-rainy-night.txt" in result.output
    assert "+++ script/tzjz-rainy-night.assist.txt" in result.output
    assert "+1-1 夜 外 车站" in result.output and "-深夜，旧城区火车站下着大雨。" in result.output[:4000]
    assert shots_of(folder) == []
    assert not (folder / "script").exists() or not any((folder / "script").iterdir())
    assert list((folder / "cache" / "llm").iterdir())  # only the answer, cached
    asked = len(server.requests)
    assert asked == 1
    result = invoke("import", folder, PROSE, "--assist", "llm", "--json")
    assert json.loads(result.output)["assist"]["asked"] == 0  # from the cache
    assert invoke("import", folder, PROSE, "--assist", "llm").exit_code == 0  # a re-import too
    assert len(server.requests) == asked


def test_a_long_text_goes_in_parts_that_fit_the_window(folder: Path, server: FakeChatServer, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOTCRAFT_LLM_CHUNK_CHARS", "400")
    source = long_prose(tmp_path, copies=12)
    report = json.loads(invoke("import", folder, source, "--assist", "llm", "--json").output)
    parts = report["assist"]["parts"]
    assert parts >= 3 and len(server.requests) == parts
    sent = [json.loads(r["body"])["messages"][1]["content"] for r in server.requests]
    assert all(len(content.partition("\n\n")[2]) <= 400 for content in sent)
    # parts written apart never repeat a scene number
    scenes = [s.scene_id for s in shots_of(folder)]
    assert len(set(scenes)) == report["scenes"] == 24


def test_a_rate_limit_is_waited_out_as_retry_after_says(folder: Path, server: FakeChatServer) -> None:
    server.script = [{"status": 429, "retry_after": "1"}]
    result = invoke("import", folder, PROSE, "--assist", "llm")
    assert result.exit_code == 0, result.output
    first, second = server.requests
    assert second["time"] - first["time"] >= 0.9


@pytest.mark.parametrize(("faults", "words"), [
    ([{"status": 429}] * 3, "is rate-limited or out of quota (HTTP 429, after 2 retries): Rate limit "
                            "reached for requests."),
    ([{"status": 503}] * 3, "failed on its side (HTTP 503, after 2 retries); try again later"),
    ([{"status": 500}, {"status": 503}, {"status": 500}], "failed on its side (HTTP 500, after 2 retries)"),
])
def test_a_server_that_keeps_refusing_ends_in_one_sentence_and_saves_nothing(
        folder: Path, server: FakeChatServer, faults: list, words: str) -> None:
    server.script = [dict(f, retry_after="0.05") if f.get("status") == 429 else f for f in faults]
    result = invoke("import", folder, PROSE, "--assist", "llm")
    assert result.exit_code == 1
    message = result.stderr.strip()
    assert message.count("\n") == 0 and words in message and "127.0.0.1" in message
    assert len(server.requests) == 3  # the first try and two retries
    assert shots_of(folder) == []


def test_failures_and_then_an_answer_import(folder: Path, server: FakeChatServer) -> None:
    server.script = [{"status": 500}, {"status": 503}]
    assert invoke("import", folder, PROSE, "--assist", "llm").exit_code == 0
    assert len(server.requests) == 3 and shots_of(folder)


def test_a_wrong_key_is_one_sentence_without_the_key(folder: Path, server: FakeChatServer,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOTCRAFT_LLM_API_KEY", "sk-wrong-key-123456")
    result = invoke("import", folder, PROSE, "--assist", "llm")
    assert result.exit_code == 1
    assert "refused the key (HTTP 401): check SHOTCRAFT_LLM_API_KEY" in result.stderr
    assert "sk-wrong" not in result.output
    assert len(server.requests) == 1  # a 401 is not retried


def test_an_unknown_model_names_the_setting(folder: Path, server: FakeChatServer,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOTCRAFT_LLM_MODEL", "gpt-none")
    result = invoke("import", folder, PROSE, "--assist", "llm")
    assert result.exit_code == 1
    assert "does not know the model 'gpt-none' (HTTP 404): check SHOTCRAFT_LLM_MODEL" in result.stderr


def test_an_answer_cut_off_at_the_length_limit_is_asked_again_in_halves(
        folder: Path, server: FakeChatServer, tmp_path: Path) -> None:
    source = long_prose(tmp_path, copies=3)  # about 600 characters: one part of two halves
    server.script = [{"content": "1-1 夜 外 车站\n△深夜，旧城区", "finish_reason": "length"}]
    result = invoke("import", folder, source, "--assist", "llm", "--json")
    assert result.exit_code == 0, result.output
    sent = [json.loads(r["body"])["messages"][1]["content"].partition("\n\n")[2] for r in server.requests]
    assert len(sent) == 3 and len(sent[1]) < len(sent[0]) and len(sent[2]) < len(sent[0])
    assert sent[1] + "\n\n" + sent[2] == sent[0]
    assert json.loads(result.output)["scenes"] == 6


def test_an_answer_cut_off_even_for_a_small_part_is_one_sentence(folder: Path, server: FakeChatServer) -> None:
    server.script = [{"content": "1-1 夜 外", "finish_reason": "length"}]
    result = invoke("import", folder, PROSE, "--assist", "llm")
    assert result.exit_code == 1
    assert "cut its answer off at its length limit for part 1 of 1 of tzjz-rainy-night.txt" in result.stderr


def test_a_non_conforming_answer_is_asked_again_then_given_up_in_one_sentence(
        folder: Path, server: FakeChatServer) -> None:
    server.script = [{"content": "好的！下面是改写后的故事梗概：林舟在雨夜捡到一封信。"}]
    assert invoke("import", folder, PROSE, "--assist", "llm").exit_code == 0
    assert len(server.requests) == 2
    server.script = [{"content": "```\n抱歉，我无法完成这个请求。\n```"}] * 3
    other = folder.parent / "other"
    assert invoke("new", other).exit_code == 0
    result = invoke("import", other, PROSE, "--assist", "llm")
    assert result.exit_code == 1
    assert ("did not rewrite part 1 of 1 of tzjz-rainy-night.txt (from line 1) as a script after 3 "
            "tries: the answer is a refusal or an apology, not a script") in result.stderr


def test_a_server_too_slow_for_the_timeout_is_one_sentence(folder: Path, server: FakeChatServer,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOTCRAFT_LLM_TIMEOUT", "0.3")
    monkeypatch.setenv("SHOTCRAFT_LLM_RETRIES", "0")
    server.script = [{"delay": 1.0}]
    result = invoke("import", folder, PROSE, "--assist", "llm")
    assert result.exit_code == 1
    assert "did not answer within 0.3 s" in result.stderr


def test_without_settings_the_assist_says_what_to_set_and_the_rules_need_no_network(
        folder: Path, server: FakeChatServer, monkeypatch: pytest.MonkeyPatch) -> None:
    assert invoke("import", folder, DATA / "moyin-gege.md").exit_code == 0
    assert server.requests == []  # the rules are the default; the LLM is never required
    monkeypatch.delenv("SHOTCRAFT_LLM_BASE_URL")
    result = invoke("import", folder, PROSE, "--assist", "llm")
    assert result.exit_code == 1 and "set SHOTCRAFT_LLM_BASE_URL" in result.stderr


def test_the_key_never_reaches_the_project_the_logs_or_an_export(
        folder: Path, server: FakeChatServer, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("SHOTCRAFT_PREVIZ_SCALE", "0.1")
    caplog.set_level(logging.DEBUG)
    outputs = [invoke("import", folder, PROSE, "--assist", "llm", "--dry-run"),
               invoke("import", folder, PROSE, "--assist", "llm"),
               invoke("render", folder, "--episode", "1", "--takes", "1"),
               invoke("pick", folder, "--auto", "--episode", "1"),
               invoke("export", folder, "--episode", "1", "--sheet")]
    assert [o.exit_code for o in outputs] == [0] * 5, [o.output for o in outputs]
    assert server.requests[0]["headers"]["authorization"] == f"Bearer {KEY}"  # it was sent...
    assert list((folder / "exports").iterdir())
    for path in folder.rglob("*"):  # ...and is nowhere else: database, cache, scripts, exports
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path
    assert all(KEY not in o.output for o in outputs)
    assert all(KEY not in record.getMessage() and KEY not in str(record.args) for record in caplog.records)
