"""Loading a model or run folder from elsewhere runs no code unless trusted, reads no file outside
the folder, and names a damaged file instead of ending in a traceback."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
import torch
import yaml

import priorkit as pk
from priorkit.cli import main
from priorkit.errors import PriorkitError

PLUGIN = "from pathlib import Path\nPath({marker!r}).write_text('imported')\n"


@pytest.fixture
def plugin(legacy: Path, request: pytest.FixtureRequest) -> tuple[str, Path]:
    """A module beside the folder that leaves a marker file when imported; forgotten afterwards."""
    name = f"side_effect_{request.node.name.split('[')[0][-12:]}_{abs(hash(request.node.nodeid)) % 10**6}"
    marker = legacy.parent / f"{name}.imported"
    (legacy / f"{name}.py").write_text(PLUGIN.format(marker=str(marker)))
    yield name, marker
    sys.modules.pop(name, None)


def _name_imports(legacy: Path, module: str) -> None:
    config_file = legacy / "export" / "config.json"
    saved = json.loads(config_file.read_text())
    saved["run"]["imports"] = [module]
    config_file.write_text(json.dumps(saved))
    run_config = legacy / "run" / "config.yaml"
    config = yaml.safe_load(run_config.read_text())
    run_config.write_text(yaml.safe_dump({**config, "imports": [module]}))


@pytest.mark.parametrize("kind", ["export", "run"])
def test_a_folder_whose_config_imports_a_module_runs_it_only_when_trusted(
    legacy: Path, plugin: tuple[str, Path], kind: str
) -> None:
    module, marker = plugin
    _name_imports(legacy, module)
    with pytest.raises(
        PriorkitError, match=rf"imports: the config asks to import '{module}', which runs code"
    ) as raised:
        pk.load(legacy / kind)
    assert "trust_code=True" in str(raised.value) and not marker.exists()
    model = pk.load(legacy / kind, trust_code=True)
    assert marker.read_text() == "imported" and model.config.imports == [module]
    marker.unlink()
    pk.load(legacy / kind)  # imported now: loading again runs nothing and needs no trust
    assert not marker.exists()


@pytest.mark.parametrize("flag", ["no", "false", 1, None])
def test_trust_is_given_only_by_true_not_by_a_truthy_value(
    legacy: Path, plugin: tuple[str, Path], flag: object
) -> None:
    module, marker = plugin
    _name_imports(legacy, module)
    with pytest.raises(PriorkitError, match=rf"trust_code: expected True or False \(got {flag!r}\)"):
        pk.load(legacy / "export", trust_code=flag)  # type: ignore[arg-type]
    assert not marker.exists()


def test_the_cli_needs_trust_code_for_a_folder_that_imports(
    legacy: Path, plugin: tuple[str, Path], capsys
) -> None:  # type: ignore[no-untyped-def]
    module, marker = plugin
    _name_imports(legacy, module)
    out = legacy.parent / "predictions.jsonl"
    args = [
        "predict",
        str(legacy / "export"),
        "--data",
        str(legacy / "samples.jsonl"),
        "--out",
        str(out),
        "--quiet",
    ]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "--trust-code" in err and "Traceback" not in err
    assert not marker.exists() and not out.exists()
    assert main([*args, "--trust-code"]) == 0
    assert marker.exists() and len(out.read_text().splitlines()) == 6


@pytest.mark.parametrize("name", ["model.safetensors", "config.json"])
def test_a_link_out_of_a_model_folder_is_refused(legacy: Path, name: str) -> None:
    outside = legacy.parent / f"elsewhere-{name}"
    shutil.move(legacy / "export" / name, outside)
    (legacy / "export" / name).symlink_to(outside)
    with pytest.raises(
        PriorkitError,
        match=rf"export/{name}: expected a file inside .*export \(got a link to .*elsewhere-{name}\)",
    ):
        pk.load(legacy / "export")


def test_a_link_inside_the_folder_is_followed(legacy: Path) -> None:
    export = legacy / "export"
    shutil.move(export / "model.safetensors", export / "weights-v1.safetensors")
    (export / "model.safetensors").symlink_to("weights-v1.safetensors")
    assert pk.load(export).labels


def test_a_run_checkpoint_linked_out_of_the_folder_is_refused(legacy: Path) -> None:
    best = legacy / "run" / "checkpoints" / "best.ckpt"
    shutil.move(best, legacy.parent / "best.ckpt")
    best.symlink_to(legacy.parent / "best.ckpt")
    with pytest.raises(PriorkitError, match=r"best.ckpt: expected a file inside"):
        pk.load(legacy / "run")


class _Payload:
    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (print, ("PWNED",))


def _pickle(path: Path) -> None:
    torch.save({"state_dict": _Payload()}, path)


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _wrong_shape(path: Path) -> None:
    from safetensors.torch import load_file, save_file

    tensors = load_file(path)
    first = sorted(tensors)[0]
    tensors[first] = torch.zeros(3, 1)
    save_file(tensors, path)


def _nan(path: Path) -> None:
    from safetensors.torch import load_file, save_file

    tensors = load_file(path)
    name = sorted(n for n, t in tensors.items() if t.is_floating_point())[-1]
    tensors[name] = torch.full_like(tensors[name], float("nan"))
    save_file(tensors, path)


def _not_json(path: Path) -> None:
    path.write_text("{not json")


def _deep_json(path: Path) -> None:
    path.write_text("[" * 100_000 + "]" * 100_000)


def _a_list(path: Path) -> None:
    path.write_text("[1, 2]")


def _no_schema(path: Path) -> None:
    saved = json.loads(path.read_text())
    del saved["schema"]["labels"]
    path.write_text(json.dumps(saved))


def _edited_schema(**values: object):  # type: ignore[no-untyped-def]
    """A hand edit of the exported schema: each value replaced as given."""

    def edit(path: Path) -> None:
        saved = json.loads(path.read_text())
        saved["schema"] = {**saved["schema"], **values} if values else ["a", "list"]
        path.write_text(json.dumps(saved))

    edit.__name__ = "schema_" + ("_".join(values) or "list")
    return edit


def _negative_width(path: Path) -> None:
    path.write_text(json.dumps({**json.loads(path.read_text()), "num_features": -3}))


def _short_mix(path: Path) -> None:
    path.write_text(json.dumps({**json.loads(path.read_text()), "class_mix": [1.0]}))


@pytest.mark.parametrize(
    ("file", "damage", "message"),
    [
        ("export/model.safetensors", _pickle, r"model.safetensors: expected the weights of this model"),
        ("export/model.safetensors", _truncate, r"model.safetensors: expected the weights of this model"),
        (
            "export/model.safetensors",
            _wrong_shape,
            r"model.safetensors: expected the weights of this model \(got Error\(s\) in loading state_dict for PriorModel: size mismatch for ",
        ),
        (
            "export/model.safetensors",
            _nan,
            r"model.safetensors: expected finite weights \(got NaN or infinity in 1 tensor",
        ),
        ("export/config.json", _not_json, r"config.json: expected a readable JSON file"),
        (
            "export/config.json",
            _deep_json,
            r"config.json: expected a readable JSON file \(got maximum recursion depth",
        ),
        ("export/config.json", _a_list, r"config.json: expected the mapping save_pretrained writes"),
        (
            "export/config.json",
            _no_schema,
            r"config.json: expected the data schema .* \(got KeyError: 'labels'",
        ),
        (
            "export/config.json",
            _edited_schema(),
            r"config.json: expected the data schema .* \(got TypeError: expected a mapping \(got list\)",
        ),
        (
            "export/config.json",
            _edited_schema(labels="np"),
            r"config.json: expected the data schema .* \(got ValueError: labels: expected a list of distinct label names \(got 'np'\)",
        ),
        (
            "export/config.json",
            _edited_schema(labels=[1, "1"]),
            r"labels: expected a list of distinct label names \(got \[1, '1'\]\)",
        ),
        (
            "export/config.json",
            _edited_schema(sparse="false"),
            r"sparse: expected true or false \(got 'false'\)",
        ),
        (
            "export/config.json",
            _edited_schema(num_features=4.7),
            r"num_features: expected a whole number \(got 4.7\)",
        ),
        ("run/checkpoints/best.ckpt", _pickle, r"best.ckpt: expected a priorkit checkpoint of tensors"),
        ("run/checkpoints/best.ckpt", _truncate, r"best.ckpt: expected a priorkit checkpoint of tensors"),
        ("run/schema.json", _deep_json, r"schema.json: expected a readable JSON file"),
        ("run/schema.json", _a_list, r"schema.json: expected the data schema"),
        (
            "run/schema.json",
            _negative_width,
            r"schema.json: expected the data schema .* \(got ValueError: num_features: expected 0 to 16,777,216 \(got -3\)\)",
        ),
        (
            "run/schema.json",
            _short_mix,
            r"schema.json: expected the data schema .* \(got ValueError: class_mix: expected one share per label, 2 \(got 1\)\)",
        ),
    ],
    ids=lambda value: getattr(value, "__name__", value)[:40],
)
def test_a_damaged_or_foreign_file_is_named_by_the_cli_without_a_traceback(
    legacy: Path,
    file: str,
    damage,
    message: str,
    capsys,  # type: ignore[no-untyped-def]
) -> None:
    damage(legacy / file)
    folder = legacy / file.split("/")[0]
    with pytest.raises(PriorkitError, match=message):
        pk.load(folder)
    out = legacy.parent / "predictions.jsonl"
    assert main(["predict", str(folder), "--data", str(legacy / "samples.jsonl"), "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and "PWNED" not in captured.out + captured.err
    assert not out.exists()


@pytest.mark.parametrize("kind", ["export", "run"])
def test_an_output_over_a_file_of_the_model_in_use_is_refused(legacy: Path, kind: str, capsys) -> None:  # type: ignore[no-untyped-def]
    folder = legacy / kind
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    files = [p.relative_to(folder) for p in before]
    assert sorted(map(str, files)) == (
        ["config.json", "model.safetensors"]
        if kind == "export"
        else ["checkpoints/best.ckpt", "config.yaml", "metrics.json", "schema.json"]
    )
    for name in files:
        args = ["predict", str(folder), "--data", str(legacy / "samples.jsonl"), "--quiet", "--out"]
        assert main([*args, str(folder / name)]) == 2
        assert (
            f"expected an output other than the input {name} of the model (got the same file)"
            in capsys.readouterr().err
        )
    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before
    assert main([*args, str(folder / "predictions.jsonl")]) == 0  # a new file beside them is fine


def test_an_output_that_is_a_folder_or_under_a_file_is_named(legacy: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    args = ["predict", str(legacy / "export"), "--data", str(legacy / "samples.jsonl"), "--quiet", "--out"]
    assert main([*args, str(legacy.parent)]) == 2
    assert (
        f"{legacy.parent}: expected a file to write (got a folder). Give a file name."
        in capsys.readouterr().err
    )
    assert main([*args, str(legacy / "samples.jsonl" / "preds.jsonl")]) == 2
    err = capsys.readouterr().err
    assert "preds.jsonl: expected a folder that exists or can be made for it" in err and ".partial" not in err


@pytest.mark.parametrize("inside", [".", "checkpoints"])
def test_an_export_into_its_own_run_is_refused(legacy: Path, inside: str, capsys) -> None:  # type: ignore[no-untyped-def]
    run = legacy / "run"
    before = sorted(p.name for p in run.rglob("*"))
    assert main(["export", str(run), str(run / inside)]) == 2
    assert "expected a folder outside the run" in capsys.readouterr().err
    assert sorted(p.name for p in run.rglob("*")) == before


def test_an_export_over_files_that_are_not_a_saved_model_is_refused_and_over_one_replaces_it(
    legacy: Path, tiny_model_dir: Path, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    encoder = tmp_path / "encoder"  # e.g. the run's own text encoder
    shutil.copytree(tiny_model_dir, encoder)
    project = tmp_path / "project"
    project.mkdir()
    (project / "config.json").write_text('{"mine": 1}')
    for folder in (encoder, project):
        before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
        assert main(["export", str(legacy / "run"), str(folder)]) == 2
        assert (
            "expected a new folder, or one holding a priorkit saved model (got config.json"
            in capsys.readouterr().err
        )
        assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before
    assert main(["export", str(legacy / "run"), ""]) == 2
    assert "expected a folder to save the model into (got an empty path)" in capsys.readouterr().err
    assert main(["export", str(legacy / "run"), str(legacy / "export")]) == 0  # an earlier saved model
    assert pk.load(legacy / "export").labels


def test_an_export_stopped_before_its_config_can_be_run_again(legacy: Path, tmp_path: Path) -> None:
    out = tmp_path / "export"
    pk.load(legacy / "run").save_pretrained(out)
    (out / "config.json").unlink()  # killed between the weights and the config
    pk.load(legacy / "run").save_pretrained(out)
    assert pk.load(out).labels
