"""The worker's heartbeat, which the compose healthcheck reads: a beat per poll that reached the database."""
from __future__ import annotations

import threading

from sqlalchemy.exc import OperationalError


def test_each_poll_that_reached_the_database_beats(make_worker):
    beats = []
    make_worker().run(stop=threading.Event(), poll_interval=0.01, once=True, heartbeat=lambda: beats.append(1))
    assert beats == [1]  # nothing due: one poll, one beat


def test_no_beat_while_the_database_is_away(make_worker):
    worker = make_worker()
    stop = threading.Event()
    beats = []

    def database_away() -> int:
        stop.set()  # one failed poll, then the loop ends
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("database away"))

    worker.run_batch = database_away
    worker.run(stop=stop, poll_interval=0.01, heartbeat=lambda: beats.append(1))
    assert beats == []


def test_the_run_command_touches_its_heartbeat_file(app, tmp_path):
    heartbeat = tmp_path / "webhooks-heartbeat"
    result = app.test_cli_runner().invoke(args=["webhooks", "run", "--once", "--heartbeat-file", str(heartbeat)])
    assert result.exit_code == 0, result.output
    assert heartbeat.is_file()
