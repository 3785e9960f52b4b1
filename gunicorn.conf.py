"""gunicorn's settings, read from the working directory: timeouts, request limits, private logs, and
Prometheus metrics summed over every worker.

gunicorn is not the edge: its workers read a request's headers one connection at a time, so a few clients
that send them slowly hold every worker. Production puts a buffering proxy in front (deploy/nginx.conf,
docker-compose.yml), which reads whole requests before passing them on; the limits here bound what reaches
gunicorn anyway.

gunicorn's own log lines (its error log, and its access log when one is asked for) go through
consent_service/gunicorn_logging.py: a client's network instead of its address, no path, query or value.

Each worker counts in its own process, so /metrics would show one worker's share. In Prometheus' multiprocess
mode every worker writes its samples to files in PROMETHEUS_MULTIPROC_DIR and /metrics sums them. The folder is
set here, before any worker starts (prometheus_client picks its mode when first imported): the one given in the
environment, else a private temporary folder removed when gunicorn exits. It is emptied at start, so counts begin
at zero; give each gunicorn its own folder.
"""

import os
import shutil
import tempfile
from pathlib import Path

METRICS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
_created_folder = None

# Threads per worker (gunicorn's gthread worker when above 1). A request spends much of its time waiting on
# PostgreSQL, above all for the durable commit's WAL flush; with threads a worker serves other requests
# meanwhile, and concurrent commits share one flush. Each worker's connection pool (DB_POOL_SIZE, default 5)
# must hold at least this many connections. GUNICORN_THREADS=1 gives the plain sync worker.
threads = int(os.environ.get("GUNICORN_THREADS", "4"))

# A worker silent for this long is killed and replaced; a stopping worker gets graceful_timeout to finish its
# requests. keepalive outlives the proxy's idle upstream connections (deploy/nginx.conf: 4 s), so the proxy
# never reuses a connection gunicorn has just closed.
timeout = 30
graceful_timeout = 20
keepalive = 5
# A request line (method, path, query) and headers: the service's longest URL is a signed link of a few
# hundred characters; a request with more or longer headers is refused with 400 before the app sees it.
limit_request_line = 4094
limit_request_fields = 64
limit_request_field_size = 8190

# gunicorn's own lines hold a client's /24 or /48 network, never its address, path, query or parameter values
# (consent_service/gunicorn_logging.py). No access log by default: the app writes one redacted JSON line per
# request; with --access-logfile, this format is what gunicorn writes.
logger_class = "consent_service.gunicorn_logging.PrivateLogger"
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(B)s %(M)sms %({x-request-id}o)s'


def on_starting(server):
    global _created_folder
    folder = os.environ.get(METRICS_DIR_VARIABLE)
    if not folder:
        folder = _created_folder = tempfile.mkdtemp(prefix="consent-metrics-")
        os.environ[METRICS_DIR_VARIABLE] = folder
    Path(folder).mkdir(parents=True, exist_ok=True)
    for stale in Path(folder).glob("*.db"):
        stale.unlink()


def child_exit(server, worker):
    # Imported here, after on_starting set the folder: the mode is fixed at prometheus_client's first import.
    from prometheus_client import multiprocess

    # A dead worker's counters stay (totals never go back); only live gauges of its pid are dropped.
    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _created_folder:
        shutil.rmtree(_created_folder, ignore_errors=True)


def when_ready(server):
    # Said here, once per server, rather than by each worker as it builds the app (consent_service/startup_notices.py).
    from consent_service import load_settings
    from consent_service.config import ConfigError
    from consent_service.startup_notices import startup_notices

    try:
        settings = load_settings()
    except ConfigError:  # each worker refuses to start and says why
        return
    for notice in startup_notices(settings, workers=server.cfg.workers):
        server.log.warning(notice)
