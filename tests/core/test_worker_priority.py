"""Workers give way to the window, and a background run (the what-if plot's samples)
gives way to the learner's run as well."""

from __future__ import annotations

import os

from gradviz.core import sandbox
from gradviz.core.sandbox import run_sandboxed, start_run

SCRIPT = "import os\nprint(os.nice(0))\n"


def test_a_worker_runs_at_a_lower_priority_than_the_app() -> None:
    result = run_sandboxed(SCRIPT)
    assert result.error is None
    assert int(result.stdout) > os.nice(0)


def test_a_background_run_gives_way_to_a_learners_run() -> None:
    learner = start_run(SCRIPT).wait()
    background = start_run(SCRIPT, background=True).wait()
    assert learner.error is None and background.error is None
    assert int(background.stdout) > int(learner.stdout)


def test_background_and_cold_runs_leave_the_spare_for_the_learners_run() -> None:
    sandbox.prewarm()
    try:
        spare = sandbox._spare[0]
        background = start_run(SCRIPT, background=True)
        assert background._worker is not spare and sandbox._spare[0] is spare
        assert background.wait().error is None
        cold = start_run(SCRIPT, spare=False)  # a benchmark's cold reference
        assert cold._worker is not spare and sandbox._spare[0] is spare
        assert cold.wait().error is None
        learner = start_run(SCRIPT)
        assert learner._worker is spare  # the warm worker, not a cold start
        assert learner.wait().error is None
    finally:
        sandbox.shutdown_prewarmed()
