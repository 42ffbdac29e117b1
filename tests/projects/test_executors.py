"""The executor contract: a batch is self-contained, so it draws the same takes in another process."""

from __future__ import annotations

import multiprocessing
import pickle
import shutil
import threading
from pathlib import Path
from typing import Any, ClassVar

import pytest

from shotcraft.engine.executors import Batch, BatchEvent, BatchResult, BatchSource, Executor
from shotcraft.engine.executors.local import run_batch
from shotcraft.projects import Project
from shotcraft.projects.draw import Draw
from shotcraft.shots.media import sha256_file

pytestmark = pytest.mark.usefixtures("small_previz")


def _draw_elsewhere(batch_json: str) -> tuple[str, list[str]]:
    """In a fresh interpreter: nothing of the project, only the batch."""
    from shotcraft.engine.registry import get_engine

    batch = Batch.model_validate_json(batch_json)
    events: list[str] = []
    result = run_batch(get_engine(batch.engine, **batch.engine_settings), batch,
                       emit=lambda e: events.append(e.model_dump_json()), cancel=threading.Event(),
                       worker="spawned")
    return result.model_dump_json(), events


class SpawnExecutor(Executor):
    """One batch at a time in a spawned process: the batch crosses as JSON, files by path."""

    name: ClassVar[str] = "spawn"

    def __init__(self) -> None:
        self.batches: list[Batch] = []

    def run(self, source: BatchSource, *, cancel: threading.Event) -> None:
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            while (batch := source.next_batch()) is not None:
                self.batches.append(batch)
                result_json, events = pool.apply(_draw_elsewhere, (batch.model_dump_json(),))
                for event in events:
                    source.event(BatchEvent.model_validate_json(event))
                source.deliver(batch, BatchResult.model_validate_json(result_json))


def _hashes(project: Project) -> dict[tuple[str, int], tuple[int | None, str]]:
    found = {}
    for shot in project.shots(episode=1):
        for view in project.takes(shot.id):
            path = project.take_path(view.take)
            assert path is not None
            found[(shot.id, view.take.number)] = (view.take.seed, sha256_file(path))
    return found


def test_batches_drawn_in_another_process_are_the_takes_drawn_here(project: Project, tmp_path: Path) -> None:
    copy = Project.open(shutil.copytree(project.root, tmp_path / "copy"))
    project.draw(Draw(episode=1, takes=2))  # local threads
    executor = SpawnExecutor()
    summary = copy.draw(Draw(episode=1, takes=2), executor=executor)
    assert summary.executor == "spawn" and summary.failed == 0
    assert _hashes(copy) == _hashes(project)
    for batch in executor.batches:
        pickle.loads(pickle.dumps(batch))  # plain data, nothing of the project or its database
        assert not any(isinstance(v, Project) for v in vars(batch).values())
        assert batch.request.shot_id and batch.out_dir.is_relative_to(copy.root / "work")


class RefusingExecutor(Executor):
    """Draws nothing: every batch comes back as an engine refusal."""

    name: ClassVar[str] = "refusing"

    def run(self, source: BatchSource, *, cancel: threading.Event) -> None:
        while (batch := source.next_batch()) is not None:
            source.deliver(batch, BatchResult(batch_id=batch.id, error="the service said no."))


def test_a_batch_refused_at_draw_time_fails_its_takes_with_the_sentence(project: Project) -> None:
    shot = project.shots(episode=1)[0]
    summary = project.draw(Draw(shots=[shot.id], takes=2), executor=RefusingExecutor())
    assert (summary.done, summary.failed) == (0, 2)
    assert {r.reason for r in summary.results} == {"the service said no."}
    assert not [j for j in project.jobs() if j["state"] in ("queued", "running")]


def test_a_retried_batch_resumes_saved_provider_state_and_ends_once_delivered(project: Project) -> None:
    shot = project.shots(episode=1)[0]
    seen: list[Any] = []

    class DyingOnce(Executor):
        name: ClassVar[str] = "dying"

        def run(self, source: BatchSource, *, cancel: threading.Event) -> None:
            from shotcraft.engine.registry import get_engine

            batch = source.next_batch()
            assert batch is not None and batch.request.take_numbers == [1, 2]
            source.event(BatchEvent(batch_id=batch.id, kind="checkpoint", take_number=1,
                                    state={"task_id": "T-1"}))
            again = source.retry(batch)  # the worker died before delivering
            assert again is not None and again.attempt == 2
            assert again.request.take_numbers == [1, 2]
            assert again.request.resume == {1: {"task_id": "T-1"}}, "a cloud task resumes"
            result = run_batch(get_engine(again.engine), again, emit=source.event,
                               cancel=cancel)
            source.deliver(again, result)
            seen.append(source.retry(again))  # delivered: nothing is owed any more
            while (more := source.next_batch()) is not None:
                source.deliver(more, run_batch(get_engine(more.engine), more,
                                               emit=source.event, cancel=cancel))

    summary = project.draw(Draw(shots=[shot.id], takes=2), executor=DyingOnce())
    assert (summary.done, summary.failed) == (2, 0) and seen == [None]
    assert [v.take.number for v in project.takes(shot.id)] == [1, 2]
