"""The story file loader: round trips, and refuses malformed or hostile files with a clear
message, without evaluating anything."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs
from web_support import player_of

from gradviz.core import story_json
from gradviz.core.story_json import StoryFileError

SCRIPT = """import torch
x = torch.tensor([1.0, 2.0], requires_grad=True)
y = (x * x).sum()
y.backward()
"""


@pytest.fixture(scope="module")
def original():
    return player_of(SCRIPT)


@pytest.fixture(scope="module")
def document(original) -> dict:
    return json.loads(story_json.dumps(original))


def _load(doc) -> None:
    story_json.loads(json.dumps(doc))


def test_round_trip(original, document) -> None:
    player = story_json.loads(json.dumps(document))
    assert json.dumps(player.story.to_dict()) == json.dumps(original.story.to_dict())
    assert player.scene(player.step_count - 1) == original.scene(original.step_count - 1)


def _edit(document, change):
    doc = copy.deepcopy(document)
    change(doc)
    return doc


def _first_node(doc):
    return doc["story"]["episodes"][0]["nodes"][0]


def _full_update(doc):
    for step in doc["story"]["steps"]:
        for u in step["updates"]:
            if u[1].endswith("_full") and isinstance(u[2], dict):
                return u
    raise AssertionError("no tensor data in the story")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(format="pickle"), "not a gradviz story file"),
        (lambda d: d.update(version=2), "unsupported story version"),
        (lambda d: d.update(direction="RL"), "direction"),
        (lambda d: d.update(extra=1), "unknown field 'extra'"),
        (lambda d: d["story"].pop("steps"), "story: missing steps"),
        (lambda d: _first_node(d).update(title=7), "nodes[0].title: expected a string"),
        (lambda d: _first_node(d).update(__class__="x"), "unknown field '__class__'"),
        (lambda d: d["story"]["episodes"][0]["edges"][0].update(target="ghost"), "no node 'ghost'"),
        (lambda d: d["story"]["steps"][0].update(focus=["ghost"]), "focus[0]: no node 'ghost'"),
        (lambda d: d["story"]["steps"][0].update(index=5), "steps[0].index: expected 0"),
        (lambda d: d["story"]["steps"][0].update(episode=9), "steps[0].episode: 9 is out of range"),
        (lambda d: d["story"].update(default_step=10_000), "default_step: 10000 is out of range"),
        (lambda d: d["story"]["episodes"][0].update(last_step=10_000), "out of range"),
        (lambda d: _first_node(d).update(line=True), "line: expected an integer"),
        (lambda d: _full_update(d)[2].update(b64="!!!"), "not base64"),
        (lambda d: _full_update(d)[2].update(shape=[1000]), "does not match the shape"),
        (lambda d: _full_update(d)[2].update(dtype="object"), "unknown dtype"),
        (lambda d: d["layouts"].pop(), "layouts for"),
        (lambda d: d["layouts"][0]["positions"].popitem(), "exactly the episode's nodes"),
        (lambda d: d["layouts"][0].update(width="wide"), "expected a number"),
    ],
)
def test_malformed_documents_fail_with_where_and_what(document, change, message) -> None:
    with pytest.raises(StoryFileError, match=message.replace("[", r"\[").replace("]", r"\]")):
        _load(_edit(document, change))


def test_hostile_json_is_refused(document) -> None:
    text = json.dumps(document)
    with pytest.raises(StoryFileError, match="NaN"):
        story_json.loads(text.replace('"width": ', '"width": NaN, "w": ', 1))
    with pytest.raises(StoryFileError, match="appears twice"):
        story_json.loads(text.replace('"version": 1', '"version": 1, "version": 1', 1))
    with pytest.raises(StoryFileError, match="not a gradviz story file"):
        story_json.loads("[" * 100_000 + "]" * 100_000)
    with pytest.raises(StoryFileError, match="not UTF-8"):
        story_json.loads(b"\xff\xfe{}")
    with pytest.raises(StoryFileError):
        story_json.loads("{broken")
    # Code-looking text is just text: it loads as a title, nothing runs.
    doc = _edit(document, lambda d: _first_node(d).update(title="__import__('os').system('x')"))
    player = story_json.loads(json.dumps(doc))
    assert player.story.episodes[0].nodes[0].title == "__import__('os').system('x')"


@settings(max_examples=40, deadline=None)
@given(hs.data())
def test_random_damage_never_escapes_as_another_error(document, data) -> None:
    """Any value replaced by any JSON value either loads or fails as a StoryFileError."""
    doc = copy.deepcopy(document)
    path, node = [], doc
    while isinstance(node, (dict, list)) and node and data.draw(hs.booleans(), "deeper"):
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        key = data.draw(hs.sampled_from(keys), "key")
        path.append((node, key))
        node = node[key]
    if not path:
        return
    parent, key = path[-1]
    json_values = hs.recursive(
        hs.none()
        | hs.booleans()
        | hs.integers(-5, 10**6)
        | hs.floats(allow_nan=False)
        | hs.text(max_size=5),
        lambda inner: (
            hs.lists(inner, max_size=3) | hs.dictionaries(hs.text(max_size=4), inner, max_size=3)
        ),
        max_leaves=6,
    )
    parent[key] = data.draw(json_values, "value")
    try:
        player = story_json.loads(json.dumps(doc))
    except StoryFileError:
        return
    for k in range(player.step_count):  # what loads also plays
        player.scene(k)
