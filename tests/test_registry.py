import pytest

from priorkit.errors import RegistryError
from priorkit.registry import Registry


def test_lookup_ignores_case_dashes_and_underscores() -> None:
    registry: Registry[int] = Registry("thing")
    registry.register("depth_decay")(1)
    assert registry.get("Depth-Decay") == 1
    assert "DEPTH_DECAY" in registry


def test_unknown_name_lists_the_valid_ones() -> None:
    registry: Registry[int] = Registry("thing")
    registry.register("alpha")(1)
    registry.register("beta")(2)
    with pytest.raises(RegistryError, match=r"expected one of alpha, beta \(got 'gamma'"):
        registry.get("gamma")


def test_double_registration_is_refused() -> None:
    registry: Registry[int] = Registry("thing")
    registry.register("a")(1)
    with pytest.raises(RegistryError, match="registered twice"):
        registry.register("A")(2)


def test_builtin_entries_load_on_first_use_and_cannot_be_replaced() -> None:
    registry: Registry[object] = Registry("format", builtin={"jsonl": "priorkit.data.jsonl:read_jsonl"})
    assert registry.names() == ["jsonl"]
    from priorkit.data.jsonl import read_jsonl

    assert registry.get("JSONL") is read_jsonl
    with pytest.raises(RegistryError, match="registered twice"):
        registry.register("jsonl")(object())


def test_installed_packages_add_entries_through_entry_points(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    package = tmp_path / "extra_priors.py"
    package.write_text("class Floor:\n    name = 'floor'\n")
    info = tmp_path / "extra_priors-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: extra-priors\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[priorkit.test_things]\nroot-floor = extra_priors:Floor\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    registry: Registry[object] = Registry("thing", group="priorkit.test_things")
    assert "root_floor" in registry.names()
    assert registry.get("root_floor").name == "floor"  # type: ignore[attr-defined]
    with pytest.raises(RegistryError, match=r"expected one of root_floor \(got 'nope'\)"):
        registry.get("nope")
