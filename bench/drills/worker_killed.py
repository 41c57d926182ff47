"""Drill: a clip job worker SIGKILLed while it renders; the sweep recovers its job, nothing is charged twice.

Run from the checkout: `.venv/bin/python bench/drills/worker_killed.py` (about a minute; bounded at 4).
On a cluster of its own (see common.py), with CLIP_JOB_MAX_ATTEMPTS=2 and a processing timeout of
TIMEOUT seconds, three jobs A, B, C are submitted (3 of 10 credits) and the local provider renders them:

1. worker 1 takes A: SIGKILL while A is processing; the sweep, run here, puts A back in the queue;
2. worker 2 takes B: SIGKILL while B is processing; the sweep puts B back in the queue;
3. worker 3 runs C and A (A's second start completes), then B's second start: SIGKILL;
4. worker 4 is started and the periodic sweep task deferred to it: B has had its two starts, so it is
   failed ("could not be generated in time") and refunded once.

Expected: nothing left processing; A and C completed, B failed; exactly one spend per job, one refund
for B only; `credits_reconcile` clean; balance 10 - 2. Prints a PASS/FAIL summary; exits 1 on FAIL.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

# Run as a script, so this folder is on sys.path.
from common import Checks, drill, log, movements_per_job, reconcile, user_with_credits

TIMEOUT = 3  # CLIP_JOB_PROCESSING_TIMEOUT_SECONDS: the sweep takes a job processing longer than this
WAIT = 120.0  # for a job to reach a state
PROMPTS = {
    "A": "A lighthouse at dusk, waves breaking on the rocks below, the lamp turning slowly",
    "B": "Two detectives argue in the rain under a flickering neon sign outside an all-night diner",
    "C": "A fox crossing a snowy field at first light, its breath steaming in the cold air",
}


def wait_for(job_id, statuses: set[str], *, worker: subprocess.Popen | None = None) -> str:
    """Poll the job every 20 ms until its status is one of `statuses`; that status."""
    from clips.models import ClipJob

    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        status = ClipJob.objects.filter(pk=job_id).values_list("status", flat=True).get()
        if status in statuses:
            return status
        if worker is not None and worker.poll() is not None:
            raise RuntimeError(f"the worker exited with {worker.returncode} before the job was {statuses}")
        time.sleep(0.02)
    raise TimeoutError(f"job {job_id} did not reach {statuses} in {WAIT:.0f} s")


def start_worker(run, name: str) -> subprocess.Popen:
    """A `manage.py procrastinate worker` whose temporary files go to the drill's worker-tmp folder."""
    return run.processes.worker(name, env={"TMPDIR": str(run.root / "worker-tmp")})


def kill_while_processing(run, worker: subprocess.Popen, name: str, job_id, checks: Checks) -> float:
    """SIGKILL the worker process (alone, as the kernel's OOM killer would) once `job_id` is processing;
    the seconds it had been rendering."""
    from django.utils import timezone

    from clips.models import ClipJob, ClipJobRun

    wait_for(job_id, {"processing"}, worker=worker)
    time.sleep(0.3)  # inside the render (1 to 5 s of Pillow and ffmpeg on 2 cores, as loaded)
    began = ClipJobRun.objects.get(clip_job_id=job_id).started_at
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(10)
    rendering = (timezone.now() - began).total_seconds()
    left = [path.name for path in (run.root / "worker-tmp").iterdir()]
    log(f"  {name} SIGKILLed {rendering:.1f} s into the render; work folders in its TMPDIR now: {left}")
    checks.check(worker.returncode == -signal.SIGKILL, f"{name} died of SIGKILL")
    status = ClipJob.objects.get(pk=job_id).status
    checks.check(status == "processing", f"{name} died mid-job: the job is left {status}")
    run.processes.stop(worker)  # its orphaned ffmpeg, if still running, goes with its group
    return rendering


def sweep_after_timeout(job_id) -> list:
    """Wait past the processing timeout, then run the sweep here; the jobs it changed."""
    from clips.models import ClipJob
    from clips.services import clip_jobs_sweep

    time.sleep(TIMEOUT + 0.5)
    stuck = ClipJob.objects.get(pk=job_id).status
    log(f"  before the sweep the job is {stuck}")
    return clip_jobs_sweep()


def main() -> int:
    checks = Checks("worker killed mid-job")
    settings = {"CLIP_JOB_MAX_ATTEMPTS": "2", "CLIP_JOB_PROCESSING_TIMEOUT_SECONDS": str(TIMEOUT)}
    try:
        with drill("worker-killed", seconds=240, **settings) as run:
            (run.root / "worker-tmp").mkdir()
            from procrastinate.contrib.django import app as procrastinate_app
            from procrastinate.contrib.django.models import ProcrastinateJob

            from clips.models import ClipJob, ClipJobRun
            from clips.services import CLIP_JOBS_SWEEP_TASK, CLIP_QUEUE, clip_job_submit
            from credits.models import CreditsLedger

            user, ledger, _ = user_with_credits("worker", 10)
            jobs = {}
            for name, prompt in PROMPTS.items():
                jobs[name], _ = clip_job_submit(user_id=user.pk, prompt=prompt)
                time.sleep(0.01)  # distinct submission times: the queue runs them in this order
            a, b, c = (jobs[name].pk for name in "ABC")

            log("1. worker 1 is killed while it renders A")
            killed = [kill_while_processing(run, start_worker(run, "worker-1"), "worker-1", a, checks)]
            swept = sweep_after_timeout(a)
            checks.check([job.pk for job in swept] == [a], f"the sweep takes A (changed {len(swept)} job)")
            checks.check(ClipJob.objects.get(pk=a).status == "queued", "A is queued again")

            log("2. worker 2 is killed while it renders B")
            killed.append(kill_while_processing(run, start_worker(run, "worker-2"), "worker-2", b, checks))
            swept = sweep_after_timeout(b)
            checks.check([job.pk for job in swept] == [b], "the sweep takes B")

            log("3. worker 3 runs C and A, and is killed during B's second start")
            worker = start_worker(run, "worker-3")
            wait_for(c, {"completed", "failed"}, worker=worker)
            wait_for(a, {"completed", "failed"}, worker=worker)
            killed.append(kill_while_processing(run, worker, "worker-3", b, checks))
            checks.check(ClipJobRun.objects.get(clip_job_id=b).attempts == 2, "B has had its two starts")

            log("4. worker 4 runs the periodic sweep task, deferred to it")
            time.sleep(TIMEOUT + 0.5)
            worker = start_worker(run, "worker-4")
            began = time.monotonic()
            sweep = procrastinate_app.configure_task(name=CLIP_JOBS_SWEEP_TASK, queue=CLIP_QUEUE)
            before = ClipJob.objects.get(pk=b).status
            sweep.defer(timestamp=int(time.time()))
            wait_for(b, {"failed"}, worker=worker)
            deadline = time.monotonic() + 30
            while not ProcrastinateJob.objects.filter(task_name=CLIP_JOBS_SWEEP_TASK, status="succeeded").count() >= 1:
                if time.monotonic() > deadline:
                    raise TimeoutError("the sweep task did not run")
                time.sleep(0.1)
            by = "the worker's own periodic sweep at its start" if before == "failed" else "the deferred sweep"
            log(f"  B failed {time.monotonic() - began:.1f} s after the deferral, by {by}")

            rows = {name: ClipJob.objects.get(pk=job.pk) for name, job in jobs.items()}
            runs = dict(ClipJobRun.objects.filter(clip_job_id__in=[a, b, c]).values_list("clip_job_id", "attempts"))
            for name, row in rows.items():
                log(f"  {name}: {row.status}, {runs[row.pk]} start(s) {row.error_message or ''}")
            checks.check(not ClipJob.objects.filter(status="processing").exists(), "no job is left processing")
            checks.check(
                [rows[n].status for n in "ABC"] == ["completed", "failed", "completed"],
                "A and C completed (A on its second start), B failed after its last start",
            )
            checks.check(rows["B"].error_message == "The video could not be generated in time.", "B says why it failed")
            media = Path(run.env["MEDIA_ROOT"]) / "clips"
            checks.check(
                all((media / f"{rows[n].pk}.mp4").exists() for n in "AC") and not (media / f"{b}.mp4").exists(),
                "the completed jobs' MP4s are stored, the failed job has none",
            )
            moved = movements_per_job([a, b, c])
            log(f"  (spends, refunds) per job: { {n: moved[str(job.pk)] for n, job in jobs.items()} }")
            checks.check(
                [moved[str(x)] for x in (a, b, c)] == [(1, 0), (1, 1), (1, 0)],
                "exactly one spend per job, one refund for B alone",
            )
            balance = CreditsLedger.objects.get(pk=ledger.pk).credits
            checks.check(balance == 8, f"the balance is 10 - 2 = 8 (got {balance})")
            clean, words = reconcile()
            checks.check(clean, f"credits_reconcile is clean ({words})")
            started = dict(ClipJobRun.objects.filter(clip_job_id__in=[a, c]).values_list("clip_job_id", "started_at"))
            took = [(rows[n].completed_at - started[rows[n].pk]).total_seconds() for n in "AC"]
            log(
                f"  renders killed {', '.join(f'{seconds:.1f}' for seconds in killed)} s in; "
                f"the completed renders took {', '.join(f'{seconds:.1f}' for seconds in took)} s"
            )
            leftovers = [path.name for path in (run.root / "worker-tmp").iterdir()]
            checks.check(not leftovers, f"the sweep task deleted the killed runs' work folders (left: {leftovers})")
    except Exception as error:  # the summary says what broke; the clean-up has run
        checks.check(False, f"the drill ran to its end ({error!r})")
    return checks.summary()


if __name__ == "__main__":
    sys.exit(main())
