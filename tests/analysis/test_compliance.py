from priorkit.analysis.compliance import compliance
from priorkit.priors import Check, Prior, PriorStack


class Stated(Prior):
    name = "stated"

    def checks(self) -> list[Check]:
        return [
            Check("own", 0.5, "at_least"),
            Check("reliance.text", 0.8, "near", 0.1),
            Check("missing", 1.0),
        ]


def test_rules_read_the_prior_measures_first_then_the_report() -> None:
    stack = PriorStack([Stated(), Stated()])
    measured = {"stated_1/own": 0.7, "stated_2/own": 0.2, "stated_1/missing": float("nan")}
    report = {"reliance": {"text": 0.75, "graph": 0.25}, "accuracy": 0.9}
    entries = [e.to_dict() for e in compliance(stack, measured, report)]
    assert entries[:3] == [
        {
            "prior": "stated_1",
            "metric": "own",
            "target": 0.5,
            "rule": ">= 0.50",
            "achieved": 0.7,
            "pass": True,
            "multiplier": None,
        },
        {
            "prior": "stated_1",
            "metric": "reliance.text",
            "target": 0.8,
            "rule": "0.80 +- 0.10",
            "achieved": 0.75,
            "pass": True,
            "multiplier": None,
        },
        {
            "prior": "stated_1",
            "metric": "missing",
            "target": 1.0,
            "rule": "1.00 +- 0.10",
            "achieved": None,
            "pass": None,
            "multiplier": None,
        },
    ]
    assert entries[3]["achieved"] == 0.2 and entries[3]["pass"] is False
    assert len(entries) == 6
