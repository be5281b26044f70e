import numpy as np
import pytest

from priorkit.data.stories import clean_text, similar_pairs, story_groups, tfidf_vectors
from priorkit.errors import ConfigError


def test_clean_text_drops_links_mentions_and_punctuation() -> None:
    assert clean_text("RT @bbc: Breaking!! plane down URL http://t.co/x #news") == "breaking plane down news"


def test_near_duplicates_join_one_story_through_chains() -> None:
    texts = [
        "plane crash in the alps all passengers feared dead",
        "rt @x: plane crash in the alps all passengers feared dead URL",  # a retweet of 0
        "the cat sat on the mat",
        "a cat sat on the mat today",  # close to 2
        "stock markets rally after the election",
    ]
    stories = story_groups(texts, tfidf=0.5)
    assert stories[0] == stories[1] != stories[2] == stories[3]
    assert len(set(stories.tolist())) == 3 and stories.tolist()[0] == 0  # numbered by first appearance


def test_threshold_one_links_only_identical_texts() -> None:
    texts = ["a b c", "a b c", "a b d"]
    assert story_groups(texts, tfidf=1.0 - 1e-9).tolist() == [0, 0, 1]


def test_identical_texts_that_clean_to_nothing_are_one_story_and_empty_texts_are_not() -> None:
    texts = ["😂😂", "plane down", "😂😂 ", "http://t.co/a", "", "HTTP://t.co/a", "", "😂😂"]
    assert story_groups(texts, tfidf=0.5).tolist() == [0, 1, 0, 2, 3, 2, 4, 0]
    assert story_groups(texts, tfidf=None, embeddings=np.eye(8), embedding=0.9).tolist() == [
        0,
        1,
        0,
        2,
        3,
        2,
        4,
        0,
    ]


def test_embedding_links_join_paraphrases() -> None:
    texts = ["alpha beta", "gamma delta", "epsilon zeta"]
    embeddings = np.asarray([[1.0, 0.0], [0.99, 0.1], [0.0, 1.0]])
    assert len(set(story_groups(texts, tfidf=0.5).tolist())) == 3
    stories = story_groups(texts, tfidf=None, embeddings=embeddings, embedding=0.9)
    assert stories.tolist() == [0, 0, 1]
    with pytest.raises(ConfigError, match="one text embedding per sample"):
        story_groups(texts, tfidf=None, embedding=0.9)


def test_similar_pairs_are_blockwise_and_upper() -> None:
    vectors = tfidf_vectors(["x y", "x y", "z"] * 1000)  # more rows than one block
    rows, cols = similar_pairs(vectors, 0.99)
    assert (rows < cols).all()
    assert len(rows) == 2 * 1000 * 1999 // 2 + 1000 * 999 // 2  # pairs among the 2000 "x y", and among "z"


def test_texts_that_are_not_texts_are_named() -> None:
    with pytest.raises(ConfigError, match=r"texts\[1\]: expected a text \(got int\)"):
        story_groups(["a story", 3])  # type: ignore[list-item]
    with pytest.raises(ConfigError, match=r"texts: expected a list of texts, one per sample \(got str\)"):
        story_groups("one text")
