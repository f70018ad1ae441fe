"""``speedhints serve``: uvicorn in front of the webhook app, worker threads behind the SQLite queue."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from speedhints.bot import annotate
from speedhints.bot.config import BotConfig
from speedhints.bot.jobqueue import JobQueue
from speedhints.bot.logs import get_logger, setup_json_logging
from speedhints.bot.webhook import create_app
from speedhints.bot.worker import Worker, WorkerOptions
from speedhints.model_export.bundle import BundleError

DELIVERY_MEMORY_S = 30 * 24 * 3600  # GitHub redelivers on request for a few days; keep a month of ids


@dataclass(frozen=True)
class ServeOptions:
    host: str
    port: int
    db_path: str
    workers: int = 1
    max_payload: int = 5 * 1024 * 1024
    lease_s: float = 120.0  # a job whose worker stops renewing for this long is taken over

    poll_s: float = 0.2


def run_server(config: BotConfig, options: ServeOptions) -> int:
    from speedhints.bot.suggester import SuggesterError, load_suggester

    setup_json_logging(config.secrets())
    log = get_logger()
    try:
        queue = JobQueue(options.db_path, lease_s=options.lease_s)
    except Exception as exc:  # sqlite3.Error, OSError: an unusable queue path
        annotate.error(f"cannot open the queue {options.db_path}: {exc}")
        return 1
    queue.prune_deliveries(DELIVERY_MEMORY_S)
    stop = threading.Event()
    threads = []
    if options.workers:
        try:
            suggester = load_suggester()  # fail at start, not on the first delivery
        except (BundleError, SuggesterError) as exc:
            annotate.error(str(exc))
            return 1
        for _ in range(options.workers):
            worker = Worker(queue, config, suggester, WorkerOptions(poll_s=options.poll_s))
            thread = threading.Thread(target=worker.run, args=(stop,), daemon=True, name=f"worker-{worker.name}")
            thread.start()
            threads.append(thread)
    assert config.webhook_secret is not None
    import uvicorn

    app = create_app(config.webhook_secret, queue, options.max_payload)
    log.info(
        "serving",
        extra={
            "host": options.host,
            "port": options.port,
            "workers": options.workers,
            "queue": options.db_path,
            "counts": queue.counts(),
        },
    )
    server = uvicorn.Server(
        uvicorn.Config(app, host=options.host, port=options.port, log_config=None, access_log=False)
    )
    try:
        server.run()
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    return 0
