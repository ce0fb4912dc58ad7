"""The scorer: gold against itself is perfect, and each kind of error moves only its fields."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from summarize.evaluation.scoring import (
    AliasTable,
    aggregate,
    match_threats,
    score_article,
    token_f1,
)

ARTICLE = (
    "President Donald Trump threatened on Thursday to impose a 200% tariff on wines and "
    "champagnes from the European Union if the EU does not immediately remove its 50% tariff "
    'on whisky. "This will be great for the Wine and Champagne businesses in the U.S.," he wrote.'
    " Canada said it would retaliate against US steel tariffs on March 12."
)

GOLD: dict[str, Any] = {
    "article": {"id": "tariffs", "published": "2025-03-13"},
    "threats": [
        {
            "issuer": "United States",
            "speaker": "President Donald Trump",
            "targets": ["European Union"],
            "action": "impose a 200% tariff on wines and champagnes from EU countries",
            "category": "tariffs",
            "conditions": ["if the EU does not immediately remove its 50% tariff on whisky"],
            "deadline": None,
            "evidence": ["threatened on Thursday to impose a 200% tariff on wines and champagnes"],
        },
        {
            "issuer": "Canada",
            "speaker": None,
            "targets": ["United States"],
            "action": "retaliate against US steel tariffs",
            "category": "tariffs",
            "conditions": [],
            "deadline": {"text": "March 12", "date": "2025-03-12", "event": "deadline"},
            "evidence": ["Canada said it would retaliate against US steel tariffs"],
        },
    ],
    "actors": [
        {"name": "United States", "kind": "state", "role": "issuer"},
        {"name": "Canada", "kind": "state", "role": "issuer"},
        {"name": "Donald Trump", "kind": "person", "role": "speaker"},
        {"name": "European Union", "kind": "organization", "role": "target"},
    ],
    "dates": [
        {"text": "Thursday", "date": "2025-03-13", "event": "Trump threatened tariffs"},
        {"text": "March 12", "date": "2025-03-12", "event": "steel tariffs"},
    ],
    "aliases": {"Donald Trump": ["Trump", "President Trump"]},
}


def fields(predicted: dict[str, Any] | None, gold: dict[str, Any] = GOLD) -> dict[str, Any]:
    return aggregate([score_article(predicted, gold, article_text=ARTICLE)]).fields()


def headline(table: dict[str, Any]) -> dict[str, float]:
    """The one number per field that a reader looks at first."""
    return {name: row.get("f1", row.get("accuracy")) for name, row in table.items()}


PERFECT = headline(fields(GOLD))


def moved(predicted: dict[str, Any]) -> dict[str, tuple[float, float]]:
    """Fields whose headline number differs from a perfect score: {field: (before, after)}."""
    after = headline(fields(predicted))
    return {k: (PERFECT[k], after[k]) for k in PERFECT if after[k] != PERFECT[k]}


def mutated() -> dict[str, Any]:
    return copy.deepcopy(GOLD)


def test_gold_against_itself_scores_one_on_every_field() -> None:
    """A perfect prediction scores 1.0 on every field with something to judge; this gold
    brief has no actor in the role "other", so that row has no score at all."""
    assert {name for name, value in PERFECT.items() if value is None} == {"actors.other"}
    assert all(value == 1.0 for value in PERFECT.values() if value is not None), PERFECT


def test_an_extra_target_lowers_only_target_precision() -> None:
    """An extra target moves target precision and nothing else."""
    predicted = mutated()
    predicted["threats"][1]["targets"] = ["United States", "Mexico"]
    table = fields(predicted)
    assert table["targets"]["precision"] < 1.0
    assert table["targets"]["recall"] == 1.0
    assert set(moved(predicted)) == {"targets"}


def test_a_dropped_target_lowers_only_target_recall() -> None:
    """A threat predicted without its target loses target recall but keeps its match."""
    predicted = mutated()
    predicted["threats"][1]["targets"] = []
    table = fields(predicted)
    assert table["targets"]["recall"] == 0.5
    assert table["targets"]["precision"] == 1.0
    assert set(moved(predicted)) == {"targets"}


def test_issuer_and_target_swapped_is_a_different_threat() -> None:
    """Swapping issuer and target breaks the match: one threat missed and one extra."""
    predicted = mutated()
    threat = predicted["threats"][0]
    threat["issuer"], threat["targets"] = "European Union", ["United States"]
    table = fields(predicted)
    assert table["threats"]["tp"] == 1
    assert table["threats"]["fp"] == 1
    assert table["threats"]["fn"] == 1
    assert set(moved(predicted)) == {"threats"}


def test_a_wrong_date_lowers_dates_precision_and_recall() -> None:
    """A date resolved to the wrong day is both an extra and a missed date."""
    predicted = mutated()
    predicted["dates"][0]["date"] = "2025-03-06"
    table = fields(predicted)
    assert table["dates"]["precision"] == 0.5
    assert table["dates"]["recall"] == 0.5
    assert set(moved(predicted)) == {"dates"}


def test_a_wrong_deadline_lowers_only_deadline_accuracy() -> None:
    """A deadline on the wrong day counts against deadline accuracy alone."""
    predicted = mutated()
    predicted["threats"][1]["deadline"] = {"text": "March 13", "date": "2025-03-13", "event": "x"}
    assert moved(predicted) == {"deadline": (1.0, 0.5)}


def test_an_extra_threat_lowers_threat_precision_only() -> None:
    """An invented threat is a false positive: precision falls, recall stays."""
    predicted = mutated()
    predicted["threats"].append(
        {
            "issuer": "China",
            "targets": ["Japan"],
            "action": "ban seafood",
            "category": "other",
            "conditions": [],
            "evidence": ["invented"],
        }
    )
    table = fields(predicted)
    assert table["threats"]["precision"] == pytest.approx(2 / 3, abs=1e-3)
    assert table["threats"]["recall"] == 1.0
    assert set(moved(predicted)) == {"threats", "grounding"}  # its quote is not in the article


def test_a_threat_in_a_no_threat_article_is_a_false_positive() -> None:
    """Predicting any threat where gold has none costs precision."""
    gold = mutated()
    gold["threats"] = []
    predicted = mutated()
    table = fields(predicted, gold)
    assert table["threats"]["fp"] == 2
    assert table["threats"]["precision"] == 0.0


def test_a_missing_condition_lowers_conditions_only() -> None:
    """Dropping a stated condition moves the conditions score and nothing else."""
    predicted = mutated()
    predicted["threats"][0]["conditions"] = []
    assert set(moved(predicted)) == {"conditions"}
    assert fields(predicted)["conditions"]["accuracy"] == 0.5


def test_a_reworded_but_equivalent_action_still_counts_as_correct() -> None:
    """Paraphrase above the token-F1 threshold keeps action accuracy at 1.0."""
    predicted = mutated()
    predicted["threats"][0]["action"] = "slap 200% tariffs on wines and champagnes from the EU"
    table = fields(predicted)
    assert table["action"]["accuracy"] == 1.0
    assert table["action"]["mean_similarity"] < 1.0


def test_a_speaker_given_as_issuer_moves_issuer_accuracy() -> None:
    """Naming the person as issuer is wrong on issuer, though the threat still matches."""
    predicted = mutated()
    predicted["threats"][0]["issuer"] = "Donald Trump"
    table = fields(predicted)
    assert table["threats"]["f1"] == 1.0
    assert table["issuer"]["accuracy"] == 0.5


def test_names_match_through_aliases() -> None:
    """'U.S.' and 'Washington' are the United States; gold aliases extend the table."""
    names = AliasTable({"Donald Trump": ["President Trump"]})
    assert names.same("U.S.", "United States")
    assert names.same("Washington", "the United States")
    assert names.same("President Trump", "Donald Trump")
    assert not names.same("Canada", "United States")


def test_a_failed_article_scores_as_all_missed() -> None:
    """An article without a brief misses every gold item and invents none."""
    score = score_article(None, GOLD, error="provider failed")
    assert score.threats.fn == 2
    assert score.threats.fp == 0
    assert aggregate([score]).failed == 1


def test_token_f1_ignores_case_punctuation_and_inflection() -> None:
    """'Imposes tariffs.' and 'impose tariff' are the same tokens."""
    assert token_f1("Imposes tariffs.", "impose tariff") == 1.0
    assert token_f1("ban exports", "impose tariffs") == 0.0


def test_matching_is_one_to_one_and_optimal() -> None:
    """Two similar predictions cannot both claim the same gold threat."""
    names = AliasTable()
    gold = GOLD["threats"]
    predicted = [gold[1], gold[0], gold[0]]
    assert match_threats(predicted, gold, names) == [(0, 1), (1, 0)]


def test_a_model_that_predicts_nothing_has_no_precision_to_show() -> None:
    """No predicted threats against two gold ones: precision undefined, not a free 1.0."""
    predicted = mutated()
    predicted["threats"] = []
    table = fields(predicted)
    assert table["threats"]["precision"] is None
    assert table["threats"]["recall"] == 0.0
    assert table["threats"]["f1"] == 0.0
    assert table["issuer"]["accuracy"] is None  # no matched threat, nothing to judge
    assert table["targets"]["f1"] is None


def test_no_threat_predicted_where_gold_has_none_has_nothing_to_score() -> None:
    """Nothing to find and nothing found: no miss, no false alarm, and no rate either."""
    gold, predicted = mutated(), mutated()
    gold["threats"] = predicted["threats"] = []
    table = fields(predicted, gold)
    row = table["threats"]
    assert (row["tp"], row["fp"], row["fn"]) == (0, 0, 0)
    assert (row["precision"], row["recall"], row["f1"]) == (None, None, None)
    assert table["targets"]["f1"] is None  # no matched threat: no targets to judge
