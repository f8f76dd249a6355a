"""``groundstation check`` on a SatNOGS observation (a folder from ``satnogs fetch`` or an ``.h5`` artefact)."""

from __future__ import annotations

import argparse
import json
import sys

from groundstation.commands.common import targets_from
from groundstation.errors import UserError
from groundstation.outputs.tables import json_safe


def run_satnogs_check(args: argparse.Namespace) -> int:
    from groundstation.satnogs.checking import check_observation
    from groundstation.satnogs.observation import load_observation

    if args.report:
        raise UserError(f"{args.recording}: --report is for IQ recordings (a SatNOGS observation has its own "
                        "waterfall picture)")
    observation = load_observation(args.recording)
    if args.station or args.station_file:
        from groundstation.commands.common import station_from

        observation.station = station_from(args)
    (target,), store = targets_from(args)
    result = check_observation(observation, target, store, args.min_elevation, args.force, args.freq, args.search_bw)
    if "element_set" in result:
        print(f"groundstation: {result['element_set']}", file=sys.stderr)
    if args.format == "json":
        json.dump(json_safe(result), sys.stdout, indent=2, allow_nan=False, default=str)
        print()
    else:
        if observation.simulated:
            print(f"observation {observation.id}: SIMULATED")
        print(result["line"])
    return int(result["exit_code"])
