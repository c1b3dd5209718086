"""Planning: background solver runs, plan review, publishing, and the resulting tasking.

How a solve runs (never in the web process):

* `service.start_run` snapshots the board as a jointops-scenario/1 document (approved
  and scheduled operations, built on the transfer export) into a `solver_runs` row with
  status `queued`; operations of the published plan that are still valid are pinned
  (`params.fixed`) unless the planner released them (`params.released`).
* `jointops worker` (app/cli_worker.py -> `worker.serve`) polls the table, claims a run
  with `UPDATE … WHERE status='queued'`, solves it in a thread of its own process, and
  from its main thread writes progress and a heartbeat about once a second and reads
  the status: `cancelling` (Stop pressed, DELETE in the API) makes `should_stop` true
  and the best plan found is kept. The plan is validated and stored as a `plans` row.
* A run whose heartbeat is older than JOINTOPS_WORKER_STALE_SECONDS (30) or whose
  worker pid is gone on this host is marked failed (by the worker loop and by the run
  pages); the published plan is never touched by a solve.
* For `make run`, the planning router's lifespan starts `python -m app.cli worker` as
  a child of the web server and stops it on shutdown (spawn.py); set
  JOINTOPS_SPAWN_WORKER=false where a worker runs separately (docker-compose's
  `worker` service). Several workers may run: the claim is atomic.
* `publish.publish_plan` turns a plan into tasking orders in one transaction.
"""
