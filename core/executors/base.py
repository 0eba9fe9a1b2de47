"""The contract between pipelines and executors: tasks in, outcomes out."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn, Protocol, TypeVar

from core.errors import AuditError, is_expected

ProgressCallback = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Task:
    """One unit of work: ``fn(*args, **kwargs)``, importable on every worker (a module-level function).

    ``key`` names the unit stably (``clone github.com/o/r@v2``, ``seed 3``); it appears in progress
    lines and in the cluster's dashboard. ``resources`` are Dask worker resources the task needs
    (``{"GPU": 1}``: only workers started with ``--resources GPU=1`` take it); the local executor
    ignores them.
    """

    key: str
    fn: Callable[..., Any]
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    resources: Mapping[str, float] | None = None


@dataclass(frozen=True)
class Outcome:
    """A finished task: its result, or the exception it raised, and where it ran."""

    task: Task
    result: Any = None
    where: str = "local"
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def failure(self) -> str:
        """The task's error on one line, ``Type: message`` (for a failed row or a message)."""
        error = self.error
        return f"{type(error).__name__}: {' '.join(str(error).split())[:300]}"

    def reraise(self, what: str) -> NoReturn:
        """Raise the task's error for the command: an expected one (a download or store error, already
        one line with its exit code) as it is, any other as one line naming ``what`` and the worker."""
        if is_expected(self.error):  # type: ignore[arg-type]
            raise self.error  # type: ignore[misc]
        raise AuditError(f"{what} failed on the cluster ({self.where}): {self.failure()}") from self.error


class Executor(Protocol):
    """Runs tasks and yields their outcomes as they finish.

    Leaving the iteration early (an exception such as KeyboardInterrupt in the consumer, or closing the
    generator) cancels every task not yet finished. A task's exception is returned in its outcome, not
    raised, so that one bad repository or seed never loses the others' results.
    """

    name: str

    def run(self, tasks: Sequence[Task], progress: ProgressCallback | None = None) -> Iterator[Outcome]: ...

    def describe(self) -> dict[str, Any]:
        """What environment.json / progress lines say about the executor (kind, workers, scheduler)."""
        ...

    def close(self) -> None: ...


Item = TypeVar("Item")
Result = TypeVar("Result")


def map_ordered(
    executor: Executor,
    fn: Callable[[Item], Result],
    items: Sequence[Item],
    *,
    key: Callable[[Item], str],
    failed: Callable[[Item, BaseException], Result],
    progress: ProgressCallback | None = None,
) -> list[Result]:
    """``[fn(item) for item in items]`` as one task per item on ``executor``, in the order of ``items``
    whatever order the tasks finish in; an item whose task raised (or whose workers died) gets
    ``failed(item, error)``, so one bad unit never loses the others. Progress says where each ran."""
    tasks = [Task(key=key(item), fn=fn, args=(item,)) for item in items]
    position = {id(task): i for i, task in enumerate(tasks)}
    results: dict[int, Result] = {}
    for done, outcome in enumerate(executor.run(tasks), start=1):
        i = position[id(outcome.task)]
        results[i] = outcome.result if outcome.ok else failed(items[i], outcome.error)  # type: ignore[arg-type]
        if progress is not None:
            progress(done, len(items), f"{key(items[i])} ({outcome.where})")
    return [results[i] for i in range(len(items))]
