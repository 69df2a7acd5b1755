"""The glue every rule script shares: log file, thread count, and clear failure messages."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from typing import Any

from cldm import CldmError


def run(snakemake: Any, stage: str, main: Callable[[Any], None]) -> None:
    """Run main(snakemake) with stderr (tqdm bars, warnings) in the rule's log and torch limited
    to the rule's threads. A failure is logged and repeated on the console as
    '[stage] point: message', and the script exits non-zero so Snakemake discards the outputs.
    """
    wildcards = dict(snakemake.wildcards.items())
    point = wildcards.get("point") or wildcards.get("scan", "all points")
    with open(snakemake.log[0], "w") as log:
        sys.stderr = log
        if "torch" in sys.modules:
            sys.modules["torch"].set_num_threads(snakemake.threads)
        try:
            main(snakemake)
        except Exception as err:  # noqa: BLE001 - every failure must reach the user
            message = f"[{stage}] {point}: {err}"
            if not isinstance(err, CldmError):
                traceback.print_exc(file=log)
            print(message, file=log)
            print(message, file=sys.__stderr__)
            sys.exit(1)
        finally:
            sys.stderr = sys.__stderr__
