"""The headline, the pre-registration check and the next-step commands, with values derived from the input.

The synthetic runs (test_reproduction_verdicts) have 5 seeds, 6 arms and wall_s = 10 s per run, so a
seed costs 60 s; their verdicts are derived there. Seeds needed are derived here with the same rule:
the smallest n whose one-sided interval, at the level the decision needs, clears the nearer boundary.
"""

from __future__ import annotations

import hashlib
import json
import math

import numpy as np
import pandas as pd
import pytest
import scipy.stats as sps

from reports.reproduction import BrokenPreregistration, write_verdicts_and_report
from reports.reproduction.headline import (
    headline,
    next_steps,
    registration,
    reproduce_command,
    seed_ranges,
)
from reports.reproduction.inputs import read_inputs
from reports.reproduction.verdicts import judge_claims
from tests.reports.repro_folder import claims_by_id, make_folder
from tests.reports.test_reproduction_verdicts import CLAIMS, DENSE, NOISY, SNIP90

BASE = "audit reproduce TEST --protocol paper --seeds {n} --runner local --device cpu"


def relation_seeds(family: int) -> int:
    """noisy − dense = −0.7 for "greater": deciding "not reproduced" survives Holm over ``family``."""
    d = np.array(NOISY) - np.array(DENSE)
    s, level = d.std(ddof=1), 0.05 / family
    return next(n for n in range(6, 10_000) if sps.t.ppf(1 - level, n - 1) * s / math.sqrt(n) < abs(d.mean()))


def single_seeds(reported: float) -> int:
    """SNIP 90% against one reported draw, leaning to "reproduced": level α, the paper's draw in se."""
    s, distance = np.std(SNIP90, ddof=1), 0.5 - abs(np.mean(SNIP90) - reported)
    return next(n for n in range(6, 10_000) if sps.t.ppf(0.95, n - 1) * s * math.sqrt(1 / n + 1) < distance)


#: every applicable claim of the full set (all but quick-only) is in Holm's family
ALL = relation_seeds(len(CLAIMS) - 1)
PAIR = relation_seeds(2)  # noisy-single and noisy-beats-dense alone


def judged(folder):
    inputs = read_inputs(folder)
    return inputs, judge_claims(inputs.claims, inputs.runs, inputs.protocol)


def test_seed_ranges():
    assert seed_ranges([0, 1, 2, 5, 7, 8]) == "0–2, 5, 7–8"
    assert seed_ranges([3]) == "3" and seed_ranges([]) == ""


def test_next_steps_give_the_exact_command_per_inconclusive_claim(tmp_path):
    inputs, verdicts = judged(make_folder(tmp_path / "f"))
    steps = next_steps(inputs, verdicts)
    by_claim = {s.claim_id: s for s in steps.steps}
    # the four inconclusive claims of the synthetic set
    assert sorted(by_claim) == [
        "noisy-beats-dense",
        "noisy-single",
        "snip90-single-close",
        "snip90-single-edge",
    ]
    relation, close = by_claim["noisy-beats-dense"], by_claim["snip90-single-close"]
    assert (ALL, single_seeds(98.4)) == (16, 8)
    assert (relation.n, relation.seeds_needed, relation.command) == (5, ALL, BASE.format(n=ALL))
    assert (close.n, close.seeds_needed, close.command) == (5, 8, BASE.format(n=8))
    # seeds 0–4 ran; --seeds 16 adds 5..15 (11 seeds × 60 s = 11 min), --seeds 8 adds 5..7 (3 min)
    assert (relation.new_seeds, relation.cost) == ("5–15", "≈ 11 min")
    assert (close.new_seeds, close.cost) == ("5–7", "≈ 3 min")
    assert steps.reused == "0–4" and steps.per_seed_s == 60.0
    # noisy − dense = −0.7 for "greater" leans against; SNIP 90% − 98.4 = −0.2 inside ±0.5 leans to it
    assert (relation.leaning, close.leaning) == ("not reproduced", "reproduced")
    # no number of seeds decides the other two, and each says why instead of giving a command
    single, edge = by_claim["noisy-single"], by_claim["snip90-single-edge"]
    assert single.command == "" and single.why_not.startswith("margin below the run-to-run spread")
    assert edge.command == "" and "too close to a boundary" in edge.why_not
    assert steps.decide_all == BASE.format(n=ALL) and steps.decide_all_n == ALL
    assert steps.min_seeds_command == ""  # 5 seeds already: the guidelines' minimum is met


def test_claims_for_other_protocols_get_their_command(tmp_path):
    inputs, verdicts = judged(make_folder(tmp_path / "f", protocol="quick"))
    steps = next_steps(inputs, verdicts)
    # every claim but quick-only is registered for "paper"; the device is left to that protocol
    assert list(steps.other_protocols) == [
        {
            "protocol": "paper",
            "claims": [c for c in verdicts["claim_id"] if c != "quick-only"],
            "command": "audit reproduce TEST --protocol paper --seeds 5 --runner local",
        }
    ]


def test_command_omits_runner_and_device_when_unknown(tmp_path):
    folder = make_folder(tmp_path / "f")
    (folder / "environment.json").write_text("{}")
    inputs = read_inputs(folder)
    assert reproduce_command(inputs, 7) == "audit reproduce TEST --protocol paper --seeds 7"
    # the authors' own code runs in the Docker sandbox; a GPU run keeps its device
    (folder / "environment.json").write_text(
        json.dumps({"runner": "docker-upstream", "device": {"resolved": "cuda"}})
    )
    inputs = read_inputs(folder)
    assert (
        reproduce_command(inputs, 7)
        == "audit reproduce TEST --protocol paper --seeds 7 --runner docker --device cuda"
    )


def test_a_claim_more_seeds_cannot_decide_says_why(tmp_path):
    folder = make_folder(tmp_path / "f", claims_by_id("noisy-single"))
    inputs, verdicts = judged(folder)
    verdicts.loc[:, "seeds_needed"] = pd.array([None], dtype="Int64")
    verdicts["reason"] = ["margin below the run-to-run spread"]  # the registry rework's reason column
    steps = next_steps(inputs, verdicts)
    assert steps.steps[0].command == "" and steps.steps[0].why_not == "margin below the run-to-run spread"
    assert steps.decide_all == ""
    verdicts = verdicts.drop(columns="reason")
    assert "more seeds alone" in next_steps(inputs, verdicts).steps[0].why_not


@pytest.mark.parametrize(
    ("ids", "status", "start"),
    [
        (("noisy-single", "noisy-beats-dense"), "undecided", "Undecided: none of the 2 claims"),
        (("dense-ref", "noisy-single"), "partly", "Partly decided: 1 of 2 claims reproduced"),
        (("dense-ref", "snip90-equiv-dense"), "reproduced", "Reproduced: all 2 claims"),
        (("dense-ref", "snip98-single", "noisy-single"), "not_reproduced", "Not reproduced: 1 of 3 claims"),
        (("quick-only",), "nothing_judged", "Nothing judged: no claim"),
    ],
)
def test_headline_states_what_was_decided(tmp_path, ids, status, start):
    folder = make_folder(tmp_path / "f", claims_by_id(*ids))
    inputs, verdicts = judged(folder)
    steps = next_steps(inputs, verdicts)
    top = headline(inputs, verdicts, registration(inputs), steps)
    assert top.status == status and top.text.startswith(start)
    if status == "undecided":
        # all-inconclusive is not a negative finding, and says what would decide it
        assert "not evidence against the paper" in top.text and "contradicted" in top.text
        assert f"Next step: `{BASE.format(n=PAIR)}`" in top.text and PAIR == 8
        assert top.summary == (
            "TEST paper, 5 seeds: undecided (0 reproduced, 0 not reproduced, 2 inconclusive, "
            f"0 not applicable); next: {BASE.format(n=PAIR)}"
        )


def test_undecided_report_reads_as_undecided(tmp_path):
    folder = make_folder(tmp_path / "f", claims_by_id("noisy-single", "noisy-beats-dense"))
    html = write_verdicts_and_report(folder).read_text()
    md = (folder / "report.md").read_text()
    assert 'class="headline s-undecided"' in html
    assert "Not all claims reproduced" not in md and "Not reproduced:" not in md
    assert f"<code>{BASE.format(n=PAIR)}</code>" in html  # the command, as code, in the headline
    report = json.loads((folder / "report.json").read_text())
    assert report["status"] == "undecided" and report["next_steps"]["decide_all"] == BASE.format(n=PAIR)


def test_registry_controls_are_counted_apart(tmp_path):
    folder = make_folder(tmp_path / "f", claims_by_id("dense-ref", "imp-beats-reinit", "noisy-single"))
    inputs, verdicts = judged(folder)
    verdicts["role"] = ["claim", "control", "claim"]  # read defensively: the column may come later
    top = headline(inputs, verdicts, registration(inputs), next_steps(inputs, verdicts))
    assert top.controls == {"reproduced": 1, "not_reproduced": 0, "inconclusive": 0}
    assert top.status == "partly" and top.text.startswith("Partly decided: 1 of 2 claims reproduced")
    assert "sanity controls (not claims of the paper, not counted above): 1 reproduced" in top.text


def test_registration_intact_unrecorded_and_edited(tmp_path):
    folder = make_folder(tmp_path / "f")
    assert registration(read_inputs(folder)).status == "intact"

    unrecorded = make_folder(tmp_path / "u", registered=False)
    body = json.loads((unrecorded / "claims.json").read_text())
    del body["content_hash"]
    (unrecorded / "claims.json").write_text(json.dumps(body))
    assert registration(read_inputs(unrecorded)).status == "unrecorded"

    body = json.loads((folder / "claims.json").read_text())
    body["claims"][0]["delta"] = 5.0  # widened after seeing the results
    (folder / "claims.json").write_text(json.dumps(body))
    reg = registration(read_inputs(folder))
    assert reg.status == "changed" and reg.broken
    assert "claims.json's own hash" in reg.text and "environment.json" in reg.text
    assert registration(read_inputs(folder), rejudge=True).status == "rejudged"


def test_a_rehashed_claims_json_still_differs_from_the_registration(tmp_path):
    """Editing a claim and recomputing claims.json's own hash does not hide it: environment.json
    recorded the registration hash when the runs finished."""
    folder = make_folder(tmp_path / "f")
    body = json.loads((folder / "claims.json").read_text())
    body["claims"][0]["reported"] = 98.2
    canonical = json.dumps({"paper_id": body["paper_id"], "claims": body["claims"]}, sort_keys=True, indent=2)
    body["content_hash"] = hashlib.sha256(canonical.encode()).hexdigest()
    (folder / "claims.json").write_text(json.dumps(body))
    inputs = read_inputs(folder)
    assert inputs.content_hash == body["content_hash"]  # claims.json agrees with itself...
    reg = registration(inputs)
    assert reg.status == "changed"  # ...but not with the registration
    assert "claims.json's own hash" not in reg.text and "recorded in environment.json" in reg.text


def test_the_hash_is_of_claims_json_as_stored(tmp_path):
    """A folder written when Claim had fewer fields stays intact: the hash is recomputed from the JSON
    as stored, not from Claim objects rebuilt with today's defaults."""
    folder = make_folder(tmp_path / "f")
    body = json.loads((folder / "claims.json").read_text())
    for claim in body["claims"]:
        del claim["notes"]  # as an older Claim without that field wrote it
    canonical = json.dumps({"paper_id": body["paper_id"], "claims": body["claims"]}, sort_keys=True, indent=2)
    body["content_hash"] = hashlib.sha256(canonical.encode()).hexdigest()
    (folder / "claims.json").write_text(json.dumps(body))
    env = json.loads((folder / "environment.json").read_text())
    env["claims_hash"] = body["content_hash"]
    (folder / "environment.json").write_text(json.dumps(env))
    assert registration(read_inputs(folder)).status == "intact"


def test_broken_preregistration_is_rendered_then_raised(tmp_path):
    folder = make_folder(tmp_path / "f")
    write_verdicts_and_report(folder)
    body = json.loads((folder / "claims.json").read_text())
    body["claims"][1]["reported"] = 96.1  # moved onto the reproduced mean
    (folder / "claims.json").write_text(json.dumps(body))
    with pytest.raises(BrokenPreregistration, match="pass --rejudge") as info:
        write_verdicts_and_report(folder)
    assert info.value.exit_code == 1
    md, html = (folder / "report.md").read_text(), (folder / "report.html").read_text()
    assert "> **Broken pre-registration.** The file claims.json was changed after the runs: its claims" in md
    assert 'class="banner r-changed"' in html
    assert json.loads((folder / "report.json").read_text())["registration"]["status"] == "changed"

    write_verdicts_and_report(folder, rejudge=True)
    md = (folder / "report.md").read_text()
    assert "Broken pre-registration" not in md
    assert "re-judged on purpose (audit report --rejudge)" in md
    assert json.loads((folder / "report.json").read_text())["summary"].startswith(
        "re-judged changed claims: "
    )


@pytest.mark.parametrize(
    ("relation", "close", "first", "decides"), [(1171, 8, 8, 1), (1171, 400, 400, 1), (90, 8, 90, 2)]
)
def test_the_headline_names_a_practical_next_step(tmp_path, relation, close, first, decides):
    """More than PRACTICAL_SEEDS seeds is no next step: the headline then names the largest run within
    it (or, when every claim needs more, the smallest that decides one) and says what it decides."""
    inputs, verdicts = judged(make_folder(tmp_path / "f"))
    needed = verdicts.set_index("claim_id")["seeds_needed"].astype("Int64")
    needed["noisy-beats-dense"], needed["snip90-single-close"] = relation, close
    verdicts["seeds_needed"] = verdicts["claim_id"].map(needed).astype("Int64")
    steps = next_steps(inputs, verdicts)
    top = headline(inputs, verdicts, registration(inputs), steps)
    most = max(relation, close)
    assert (steps.decide_all_n, steps.first_n, steps.first_decides, steps.decidable) == (
        most,
        first,
        decides,
        2,
    )
    if most <= 100:
        assert (
            steps.first == steps.decide_all
            and f"Next step: `{BASE.format(n=most)}` (see Next steps)." in top.text
        )
    else:
        assert (
            f"Next step: `{BASE.format(n=first)}` decides {decides} of the 2 claims more seeds can decide; "
            in top.text
        )
        assert f"all of them need {most} seeds" in top.text
    assert top.summary.endswith(f"; next: {BASE.format(n=first)}")
