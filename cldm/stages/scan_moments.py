"""Stage scan_moments: the moments table of a scan (exact, CL, cDM and the per-point comparison at
every value) and the cDM's error budget."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cldm.analysis.moments import NMAX, member_estimates
from cldm.analysis.scan import carried_data, data_weights, frame, shared_tau2, training_summary, value_rows
from cldm.analysis.split import member_chains
from cldm.analysis.stats import moments
from cldm.io import load_chains, load_samples, read_csv, write_csv
from cldm.provenance import provenance
from cldm.settings.scan import ConditionedTraining


def scan_moments(scan: str, values: list[dict], params: list[str], training: ConditionedTraining,
                 cl_paths: dict[str, str], cdm_paths: dict[str, str], nearest_paths: dict[str, str],
                 moments_path: str, errors_path: str, code: str | None = None) -> None:
    """`values`: the scan's values as plain data (cldm.scans.ScanValue), CL values first; `params`:
    the model's parameters (the table's columns); cl_paths: CL archive of each value with a CL run,
    by label; cdm_paths: the cDM samples of every value, by role/label; nearest_paths: for each test
    value (by label) with a per-point comparison, the moments table of its nearest training value's
    per-point model. Each CL archive is read once. The cDM's between-member spread at the values
    inside the training range is estimated from all of them at once (`shared_tau2`); beyond the
    range, where the members' spread grows with the distance, from each value's members alone."""
    train = [v for v in values if v["role"] == "train"]
    summaries = []
    for v in train:
        z, _ = load_chains(cl_paths[v["label"]])
        shares = [member_chains(len(z), training.ensemble, k, training.val_fraction)[0] for k in range(training.ensemble)]
        summaries.append(training_summary(z, shares))
    cl = {v["label"]: s[0] for v, s in zip(train, summaries)}
    members, data, data_err, counts = [], [], [], []  # of each value
    for v in values:
        dm = load_samples(cdm_paths[f"{v['role']}/{v['label']}"])
        members.append(member_estimates(dm["z"], dm["member"], dm.get("z_ref"), dm.get("ref_mean"), dm.get("ref_cov")))
        d, e = carried_data(data_weights([t["values"] for t in train], v["values"]), summaries)
        data.append(d)
        data_err.append(e)
        counts.append(np.unique(dm["member"], return_counts=True)[1])  # in member_estimates' order
    inside = [i for i, v in enumerate(values) if v["in_range"]]
    tau2 = dict(zip(inside, shared_tau2([members[i] for i in inside], [data[i] for i in inside],
                                        [counts[i] for i in inside])))
    rows, budget = [], []
    for i, v in enumerate(values):
        has_cl = v["role"] != "grid"  # a grid value may share its label with a CL value
        if has_cl and v["label"] not in cl:
            cl[v["label"]] = moments(load_chains(cl_paths[v["label"]])[0], NMAX)
        nearest = read_csv(nearest_paths[v["label"]]) if has_cl and v["label"] in nearest_paths else None
        r, b = value_rows(v, params, cl[v["label"]] if has_cl else None, members[i], data[i], data_err[i], nearest,
                          tau2.get(i))
        rows += r
        budget += b
    meta = provenance(dict(scan=scan, values=values, nearest=nearest_paths), code=code)
    write_csv(moments_path, frame(rows, params), meta)
    write_csv(errors_path, pd.DataFrame(budget), meta)
