"""`import fantasy` stays light: the approval machinery loads with an agent's first run."""

from __future__ import annotations

import subprocess
import sys


def test_import_fantasy_does_not_load_the_approval_module() -> None:
    code = (
        "import sys, fantasy\n"
        "assert fantasy.Denied and fantasy.PendingCall and fantasy.ToolApprovalError\n"
        "print('fantasy.agent.approval' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "False"
