from priorkit.data.records import sample_from_dict
from priorkit.data.users import UserVocabulary
from tests.conftest import record


def sample(sample_id: str, users: list[str | None]):  # type: ignore[no-untyped-def]
    line = record(sample_id)
    for node, user in zip(line["nodes"], users, strict=True):
        node["user"] = user
    return sample_from_dict(line)


def test_users_count_once_per_tree_and_rare_ones_share_index_zero() -> None:
    # "bob" appears twice but in one tree only: one tree is not enough to learn from
    trees = [sample("a", ["alice", "bob", "bob"]), sample("b", ["carol", "alice", None])]
    vocab = UserVocabulary.build(trees, min_count=2)
    assert vocab.ids == ("alice",) and len(vocab) == 1
    assert vocab.codes(trees[0]).tolist() == [1, 0, 0]
    assert vocab.codes(trees[1]).tolist() == [0, 1, 0]
    assert UserVocabulary.build(trees, min_count=1).ids == ("alice", "bob", "carol")


def test_samples_without_users_get_zeros() -> None:
    plain = sample_from_dict(record())
    assert UserVocabulary(("alice",)).codes(plain).tolist() == [0, 0, 0]


def test_round_trip_keeps_the_numbering() -> None:
    vocab = UserVocabulary(("zed", "amy"), min_count=3)
    again = UserVocabulary.from_dict(vocab.to_dict())
    assert again == vocab and again.codes(sample("c", ["amy", "zed", "x"])).tolist() == [2, 1, 0]
