"""Requests made again and again (a search per keystroke): only the latest answer
is delivered, whatever order the answers arrive in."""

from __future__ import annotations

import threading

from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from needlelog.ui import background
from needlelog.ui.background import LatestOnly


def test_only_the_latest_answer_arrives_even_when_an_older_one_comes_later(
    qtbot: QtBot,
) -> None:
    runner = LatestOnly()
    answers: list[object] = []
    runner.answered.connect(answers.append)
    slow = threading.Event()

    def first() -> str:
        slow.wait(5)  # answers after the second request has been answered
        return "s"

    runner.request(first)
    runner.request(lambda: "smi")
    qtbot.waitUntil(lambda: answers == ["smi"])
    assert runner.pending  # the first one is still running
    slow.set()
    qtbot.waitUntil(lambda: not runner.pending)
    assert answers == ["smi"]


def test_a_failure_is_delivered_only_for_the_latest_request(qtbot: QtBot) -> None:
    runner = LatestOnly()
    failures: list[str] = []
    runner.failed.connect(lambda exc, _trace: failures.append(str(exc)))

    def broken(text: str) -> object:
        raise RuntimeError(text)

    runner.request(lambda: broken("older"))
    background.wait_for_all()
    qtbot.waitUntil(lambda: not runner.pending)
    assert failures == ["older"]
    runner.request(lambda: broken("old"))
    runner.request(lambda: "fine")
    background.wait_for_all()
    qtbot.waitUntil(lambda: not runner.pending)
    assert failures == ["older"]


def test_supersede_drops_answers_already_on_their_way(qtbot: QtBot) -> None:
    runner = LatestOnly()
    answers: list[object] = []
    runner.answered.connect(answers.append)
    runner.request(lambda: "typed")
    runner.supersede()  # e.g. Enter answered at once on the GUI thread
    background.wait_for_all()
    qtbot.waitUntil(lambda: not runner.pending)
    assert answers == []


def test_an_answer_after_its_owner_is_gone_is_dropped_quietly(qtbot: QtBot) -> None:
    owner = QWidget()
    runner = LatestOnly(owner)
    answers: list[object] = []
    runner.answered.connect(answers.append)
    release = threading.Event()
    runner.request(lambda: release.wait(5) and "late")
    owner.deleteLater()
    qtbot.waitUntil(lambda: not _alive(owner))
    release.set()
    background.wait_for_all()
    qtbot.wait(50)
    assert answers == []


def _alive(obj: QWidget) -> bool:
    import shiboken6

    return shiboken6.isValid(obj)


def test_a_task_delivers_its_result_on_the_gui_thread(qtbot: QtBot) -> None:
    threads: list[object] = []

    def work(_control: background.TaskControl) -> str:
        threads.append(threading.current_thread())
        return "done"

    results: list[object] = []
    task = background.run_task(work, lambda r: results.append((r, threading.current_thread())))
    qtbot.waitUntil(lambda: task.done)
    assert threads != [threading.main_thread()]
    assert results == [("done", threading.main_thread())]


def test_a_task_that_outlasts_the_waiting_time_says_it_is_waiting(qtbot: QtBot) -> None:
    release = threading.Event()
    said: list[str] = []
    task = background.run_task(
        lambda _c: release.wait(5), on_waiting=lambda: said.append("waiting")
    )
    qtbot.waitUntil(lambda: said == ["waiting"], timeout=3000)
    assert not task.done
    release.set()
    qtbot.waitUntil(lambda: task.done)
    assert said == ["waiting"]


def test_a_quick_task_never_says_it_is_waiting(qtbot: QtBot) -> None:
    said: list[str] = []
    task = background.run_task(lambda _c: 1, on_waiting=lambda: said.append("waiting"))
    qtbot.waitUntil(lambda: task.done)
    qtbot.wait(background.WAITING_MS + 50)
    assert said == []


def test_a_task_whose_owner_is_gone_delivers_nothing(qtbot: QtBot) -> None:
    owner = QWidget()
    release = threading.Event()
    results: list[object] = []
    background.run_task(lambda _c: release.wait(5) and "late", results.append, parent=owner)
    owner.deleteLater()
    qtbot.waitUntil(lambda: not _alive(owner))
    release.set()
    background.wait_for_all()
    qtbot.wait(50)
    assert results == []


def test_a_failure_nobody_handles_is_raised_on_the_gui_thread(qtbot: QtBot) -> None:
    def broken(_control: object = None) -> object:
        raise ZeroDivisionError("bug")

    runner = LatestOnly()
    with qtbot.captureExceptions() as caught:
        runner.request(broken)
        task = background.run_task(broken)
        qtbot.waitUntil(lambda: not runner.pending and task.done)
    assert [type(exc) for _type, exc, _tb in caught] == [ZeroDivisionError] * 2


def test_a_search_is_answered_while_other_work_waits(qtbot: QtBot) -> None:
    # Saves waiting on another PC's lock hold their threads; a search still runs.
    release = threading.Event()
    waiting = [
        background.run_task(lambda _c: release.wait(10)) for _ in range(background.MIN_THREADS - 1)
    ]
    runner = LatestOnly()
    answers: list[object] = []
    runner.answered.connect(answers.append)
    runner.request(lambda: "found")
    qtbot.waitUntil(lambda: answers == ["found"], timeout=3000)
    release.set()
    qtbot.waitUntil(lambda: all(task.done for task in waiting))
