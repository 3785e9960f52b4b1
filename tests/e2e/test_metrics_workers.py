"""/metrics under gunicorn with several workers sums every worker's counts (Prometheus multiprocess mode)."""
from __future__ import annotations

import json
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.gunicorn import serving

pytestmark = pytest.mark.e2e

BATCH = 30
ACCEPT_SECONDS = 0.5
ROUTE = "/.well-known/gpc.json"  # hit by nothing else, so its count is exactly ours


def stalled_request(url: str) -> socket.socket:
    """A connection whose request has begun but not ended: the worker that accepted it waits on it."""
    connection = socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])), timeout=10)
    connection.sendall(f"GET {ROUTE} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode())
    time.sleep(ACCEPT_SECONDS)  # until a worker has accepted it
    return connection


def finish(connection: socket.socket) -> int:
    with connection:
        connection.sendall(b"Connection: close\r\n\r\n")
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return int(answer.split(b" ", 2)[1])


def send_batch(url: str) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = set(pool.map(lambda _: requests.get(f"{url}{ROUTE}", headers={"Connection": "close"},
                                                       timeout=10).status_code, range(BATCH)))
    assert statuses == {200}


def served_per_worker(folder) -> dict[str, float]:
    """The route's request count in each worker's own file."""
    counts = {}
    for path in folder.glob("counter_*.db"):
        for key, value, _timestamp, _position in MmapedDict.read_all_values_from_file(str(path)):
            _metric, name, labels, _help = json.loads(key)
            if name == "http_requests_total" and labels.get("route") == ROUTE:
                counts[path.name] = counts.get(path.name, 0) + value
    return counts


def worker_metrics_folder(server) -> Path:
    """The folder of the sample files the workers have mapped into memory (/proc/<pid>/maps)."""
    for pid in server.workers():
        for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
            if line.rstrip().endswith(".db") and "/counter_" in line:
                return Path(line.split(None, 5)[5].strip()).parent
    raise AssertionError("no worker writes its metrics to files")


@pytest.mark.parametrize("configured", [True, False], ids=["folder-given", "folder-made-by-gunicorn-conf"])
def test_metrics_are_summed_over_every_worker(tmp_path, monkeypatch, configured):
    settings = {}
    if configured:
        folder = tmp_path / "metrics"
        folder.mkdir()
        (folder / "counter_999999.db").write_bytes(b"stale samples of an earlier run")
        settings["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    else:
        monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    with serving(f"sqlite:///{tmp_path / 'consent.db'}", name="gunicorn-metrics", workers=2, **settings) as server:
        # A sync worker reading a request that has not ended serves nobody else: stalling one worker at a time
        # sends each batch to the other, so both count some for certain, whatever the scheduler does.
        first = stalled_request(server.url)
        send_batch(server.url)
        second = stalled_request(server.url)  # the only worker free to accept it is the one that served the batch
        assert finish(first) == 200
        send_batch(server.url)
        assert finish(second) == 200
        exposition = requests.get(f"{server.url}/metrics", timeout=10).text
        folder = worker_metrics_folder(server)
        assert not (folder / "counter_999999.db").exists()  # emptied at start
        per_worker = served_per_worker(folder)

    assert configured or not folder.exists()  # a folder gunicorn made is removed when it exits
    total = sum(sample.value for family in text_string_to_metric_families(exposition) for sample in family.samples
                if sample.name == "http_requests_total" and sample.labels.get("route") == ROUTE)
    assert sorted(per_worker.values()) == [BATCH + 1, BATCH + 1], per_worker  # a batch and a stalled request each
    assert sum(per_worker.values()) == total == 2 * BATCH + 2
