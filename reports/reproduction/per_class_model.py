"""Which classes pruning hurts, as "Prune Responsibly" (Paganini, 2020) tests it: a linear model.

Ordinary least squares (statsmodels) of the change in a class's test accuracy after pruning
(pruned − dense, same seed and model, percentage points) on

* the unpruned (dense) network's accuracy on the class, in percent;
* the class's share of the seed's training split, in percent;
* the class's difficulty: the dense network's mean predictive entropy on the class's test examples
  (nats; Paganini's "class entropy");
* the measured sparsity, in percent;
* the pruning method and the weight treatment (categorical; see :func:`arm_factors`; measured
  against random pruning and rewinding when a run has them), and the model when a run has several.

Rows are (seed, model, pruned arm, class); the seeds are the clusters of the standard errors
(cluster-robust sandwich with the small-sample correction G/(G−1)·(N−1)/(N−K), and t tests with G − 1
degrees of freedom, so few seeds give honestly wide intervals). Each coefficient is reported with its
95% interval and the t test that it is zero. A regressor that does not vary in a run (one method,
one sparsity, a balanced subset's class shares) is left out and the report says so.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core import atomic

#: per_class_model.csv columns, one row per term of the fitted model.
COLUMNS = (
    "term",
    "coef",
    "std_err",
    "t",
    "df",
    "p_value",
    "ci_low",
    "ci_high",
    "n_obs",
    "n_clusters",
    "r_squared",
    "formula",
)
#: continuous regressors: column → (label in the report, what it is)
CONTINUOUS = {
    "dense_accuracy": "unpruned class accuracy (%)",
    "train_share": "class share of training data (%)",
    "difficulty": "class difficulty (entropy, nats)",
    "sparsity": "sparsity (%)",
}
SANITY_SUFFIXES = {"shuffled": "shuffled", "inverted": "inverted"}
#: the level each categorical coefficient is measured against (the first present; else the
#: alphabetically first level): rewinding, and the random mask, are the natural references
REFERENCES = {"treatment": ("rewind",), "method": ("random",)}
TERM = re.compile(r"C\((\w+)(?:, Treatment\(reference='([^']*)'\))?\)\[T\.(.+)\]")


def arm_factors(arm: str) -> tuple[str, str]:
    """(method, weight treatment) of an arm name of runs.csv.

    Treatments: ``rewind`` (the surviving weights train from their initial values: IMP's rewinding,
    and every pruning-at-initialisation arm), ``reinit`` (new random initial values: LTH's
    random_reinit, the ``*_reinit`` sanity check), ``finetune`` (training continues from trained
    weights: arms named ``*_finetuned``). Methods: ``imp`` (LTH's iterative magnitude pruning), a
    pruning-at-initialisation method, ``random``; a shuffled or inverted mask is its own method.
    """
    if arm == "imp":
        return "imp", "rewind"
    if arm == "random_reinit":
        return "imp", "reinit"
    base, _, suffix = arm.rpartition("_")
    if base and suffix == "reinit":
        return base, "reinit"
    if base and suffix == "finetuned":
        return base, "finetune"
    if base and suffix in SANITY_SUFFIXES:
        return f"{base} ({SANITY_SUFFIXES[suffix]})", "rewind"
    return arm, "rewind"


def design(per_class: pd.DataFrame, facts: pd.DataFrame | None) -> pd.DataFrame:
    """One row per (seed, model, pruned condition, class) with the change and the regressors."""
    needed = {"seed", "arm", "class", "accuracy"}
    if per_class.empty or not needed <= set(per_class.columns):
        return pd.DataFrame()
    frame = per_class.copy()
    if "model" not in frame:
        frame["model"] = ""
    for column in ("target_sparsity", "sparsity", "round"):
        if column not in frame:
            frame[column] = 0.0
    dense = frame[frame["arm"].astype(str) == "dense"]
    dense = dense.groupby(["seed", "model", "class"], as_index=False)["accuracy"].mean()
    dense = dense.rename(columns={"accuracy": "dense_accuracy"})
    pruned = frame[frame["arm"].astype(str) != "dense"].merge(dense, on=["seed", "model", "class"])
    if pruned.empty:
        return pd.DataFrame()
    pruned["change"] = pruned["accuracy"] - pruned["dense_accuracy"]
    pruned["sparsity"] = 100.0 * pd.to_numeric(pruned["sparsity"], errors="coerce")
    factors = pruned["arm"].astype(str).map(arm_factors)
    pruned["method"] = [f[0] for f in factors]
    pruned["treatment"] = [f[1] for f in factors]
    pruned["train_share"] = np.nan
    pruned["difficulty"] = np.nan
    if facts is not None and not facts.empty:
        keep = facts[["seed", "model", "class", "train_share", "difficulty_entropy"]].copy()
        keep["train_share"] = 100.0 * pd.to_numeric(keep["train_share"], errors="coerce")
        keep = keep.rename(columns={"difficulty_entropy": "difficulty"})
        pruned = pruned.drop(columns=["train_share", "difficulty"]).merge(
            keep, on=["seed", "model", "class"], how="left"
        )
    return pruned.reset_index(drop=True)


def fit(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Fit the model; (coefficient table with :data:`COLUMNS`, notes). Empty table when it cannot."""
    import statsmodels.formula.api as smf

    notes: list[str] = []
    if frame.empty:
        return pd.DataFrame(columns=COLUMNS), ["no pruned runs with a dense reference of the same seed"]
    terms = []
    for column, label in CONTINUOUS.items():
        values = pd.to_numeric(frame[column], errors="coerce")
        if values.isna().all():
            notes.append(f"{label}: not recorded, left out")
        elif values.nunique(dropna=True) < 2:
            notes.append(f"{label}: the same for every row, left out")
        else:
            terms.append(column)
    # rows missing a regressor (a diverged dense network has no finite difficulty) are dropped
    # before the categorical levels are counted: a level with no row left has no coefficient
    data = frame.replace([np.inf, -np.inf], np.nan).dropna(subset=[*terms, "change"])
    if len(data) < len(frame):
        notes.append(f"{len(frame) - len(data)} rows without a finite change or regressor dropped")
    if data.empty:
        return pd.DataFrame(columns=COLUMNS), [*notes, "no row has every regressor"]
    for column in ("method", "treatment", "model"):
        levels = sorted(data[column].astype(str).unique())
        if len(levels) > 1:
            reference = next((r for r in REFERENCES.get(column, ()) if r in levels), levels[0])
            terms.append(f"C({column}, Treatment(reference={reference!r}))")
        elif column != "model":
            notes.append(f"{column}: only {levels[0]!r}, left out")
    clusters = data["seed"].nunique()
    if clusters < 2:
        return pd.DataFrame(columns=COLUMNS), [*notes, "fewer than two seeds: no cluster-robust errors"]
    formula = "change ~ " + (" + ".join(terms) if terms else "1")
    model = smf.ols(formula, data=data)
    if model.exog.shape[1] >= len(data):
        return pd.DataFrame(columns=COLUMNS), [*notes, "more coefficients than rows"]
    groups = pd.factorize(data["seed"])[0]
    result = model.fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    if np.linalg.matrix_rank(model.exog) < model.exog.shape[1]:
        notes.append("regressors are collinear: some coefficients are not identified")
    if clusters < 10:
        notes.append(f"{clusters} seeds (clusters): cluster-robust errors are rough with few clusters")
    interval = result.conf_int(alpha=0.05)
    df = getattr(result, "df_resid_inference", None) or result.df_resid
    rows = [
        {
            "term": term,
            "coef": float(result.params[term]),
            "std_err": float(result.bse[term]),
            "t": float(result.tvalues[term]),
            "df": float(df),
            "p_value": float(result.pvalues[term]),
            "ci_low": float(interval.loc[term, 0]),
            "ci_high": float(interval.loc[term, 1]),
            "n_obs": int(result.nobs),
            "n_clusters": int(clusters),
            "r_squared": float(result.rsquared),
            "formula": formula,
        }
        for term in result.params.index
    ]
    return pd.DataFrame(rows, columns=COLUMNS), notes


def read_facts(out_dir: Path) -> tuple[pd.DataFrame | None, str | None]:
    """class_facts.csv if present and well-formed; else (None, why)."""
    path = Path(out_dir) / "class_facts.csv"
    if not path.is_file():
        return None, "class_facts.csv is missing: class shares and difficulty are not in the model"
    try:
        facts = pd.read_csv(path)
    except (pd.errors.EmptyDataError, pd.errors.ParserError) as exc:
        return None, f"class_facts.csv is unreadable ({exc}); left out"
    missing = {"seed", "model", "class", "train_share", "difficulty_entropy"} - set(facts.columns)
    if missing:
        return None, f"class_facts.csv lacks {', '.join(sorted(missing))}; left out"
    return facts, None


def analyse(per_class: pd.DataFrame, out_dir: Path) -> dict[str, Any]:
    """Fit, write per_class_model.csv (removed when no model can be fitted), return the report's view."""
    facts, why = read_facts(out_dir)
    frame = design(per_class, facts)
    table, notes = fit(frame)
    if why:
        notes.insert(0, why)
    path = Path(out_dir) / "per_class_model.csv"
    if table.empty:
        path.unlink(missing_ok=True)
    else:
        atomic.write_csv(path, COLUMNS, table.to_dict("records"))
    return {
        "terms": [_view(r) for r in table.to_dict("records")],
        "notes": notes,
        "n_obs": int(table["n_obs"].iloc[0]) if not table.empty else 0,
        "n_clusters": int(table["n_clusters"].iloc[0]) if not table.empty else 0,
        "r_squared": float(table["r_squared"].iloc[0]) if not table.empty else math.nan,
        "formula": str(table["formula"].iloc[0]) if not table.empty else "",
    }


def _view(row: dict[str, Any]) -> dict[str, Any]:
    """A term with a readable label (``C(method)[T.grasp]`` → ``method = grasp``)."""
    term = str(row["term"])
    label = CONTINUOUS.get(term, term)
    found = TERM.fullmatch(term)
    if found:
        column, reference, level = found.groups()
        label = f"{column} = {level}" + (f" (vs {reference})" if reference else "")
    elif term == "Intercept":
        label = "intercept"
    return {**row, "label": label}
