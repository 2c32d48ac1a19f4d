"""Tests of briefing.data: each way a table can go wrong is reported at its file, line and column."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from briefing import data
from conftest import rows_of, write_rows

REAL = Path(__file__).resolve().parents[1] / "data"
OWN = {"models.csv", "gpus.csv", "gpu_links.csv", "training_runs.csv"}


@pytest.fixture
def pkg(tmp_path: Path) -> Path:
    """A copy of the real data package reduced to the architecture and compute tables and configs."""
    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copytree(REAL / "configs", folder / "configs")
    for name in OWN:
        shutil.copy(REAL / name, folder / name)
    descriptor = json.loads((REAL / data.DESCRIPTOR).read_text(encoding="utf-8"))
    descriptor["resources"] = [r for r in descriptor["resources"] if r["path"] in OWN or r["path"].startswith("configs/")]
    descriptor.pop(data.PENDING, None)
    (folder / data.DESCRIPTOR).write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    return folder


def edit(folder: Path, name: str, record: int, column: str, value: str, rehash: bool = True) -> None:
    """Set one cell (record 1 is the header, 2 the first data row), then record the new hash."""
    path = folder / name
    rows = rows_of(path)
    rows[record - 1][rows[0].index(column)] = value
    write_rows(path, rows)
    if rehash:
        data.rehash(folder)


def messages(folder: Path) -> list[str]:
    return [str(p) for p in data.validate(folder)]


def test_real_tables_are_clean(pkg: Path):
    assert messages(pkg) == []


def test_real_package_has_no_problem_in_these_tables():
    own = {f"data/{name}" for name in OWN} | {f"data/configs/{p.name}" for p in (REAL / "configs").glob("*.json")}
    problems = [str(p) for p in data.validate(REAL) if p.file in own or p.file == "data/datapackage.json"]
    assert problems == []


def test_wrong_type(pkg: Path):
    edit(pkg, "gpus.csv", 2, "memory_gb", "eighty")
    assert messages(pkg) == ['data/gpus.csv:2:memory_gb: "eighty" is not a valid number']


def test_wrong_date(pkg: Path):
    edit(pkg, "models.csv", 4, "accessed", "28/11/2026")
    assert messages(pkg) == ['data/models.csv:4:accessed: "28/11/2026" is not a valid date (expected YYYY-MM-DD)']


def test_missing_source(pkg: Path):
    edit(pkg, "models.csv", 3, "source_title", "")
    assert messages(pkg) == ["data/models.csv:3:source_title: value is required"]


def test_missing_publication_date_needs_an_estimate_or_nd(pkg: Path):
    edit(pkg, "training_runs.csv", 5, "published", "")
    assert messages(pkg) == [
        "data/training_runs.csv:5:published: value is required unless confidence is estimate; write n.d. for an undated source"
    ]
    edit(pkg, "training_runs.csv", 5, "confidence", "estimate")
    assert messages(pkg) == []


def test_duplicate_key(pkg: Path):
    edit(pkg, "training_runs.csv", 3, "run_id", "deepseek-v3-pre-training")
    assert messages(pkg) == ["data/training_runs.csv:3:run_id: duplicate key run_id=deepseek-v3-pre-training (first on line 2)"]


def test_unit_out_of_range(pkg: Path):
    edit(pkg, "gpus.csv", 2, "memory_bandwidth_tbps", "3350")
    assert messages(pkg) == ["data/gpus.csv:2:memory_bandwidth_tbps: 3350 is above the maximum 100 TB/s"]


def test_negative_gpu_hours(pkg: Path):
    edit(pkg, "training_runs.csv", 8, "gpu_hours", "-1")
    assert messages(pkg) == ["data/training_runs.csv:8:gpu_hours: -1 is below the minimum 0 GPU-hours"]


def test_foreign_key_to_missing_gpu(pkg: Path):
    edit(pkg, "training_runs.csv", 2, "gpu_id", "a100-sxm")
    assert messages(pkg) == ['data/training_runs.csv:2:gpu_id: "a100-sxm" is not a gpu_id in gpus']


def test_self_foreign_key(pkg: Path):
    edit(pkg, "gpus.csv", 3, "export_variant_of", "h200-sxm")
    assert messages(pkg) == ['data/gpus.csv:3:export_variant_of: "h200-sxm" is not a gpu_id in gpus']


def test_changed_file_without_new_hash(pkg: Path):
    edit(pkg, "models.csv", 2, "notes", "edited by hand", rehash=False)
    actual = data.sha256(pkg / "models.csv")
    assert messages(pkg) == [
        f"data/models.csv:-:-: file changed: its {actual} is not the hash in datapackage.json; "
        "if the edit was intended, run `briefing check --rehash`"
    ]
    assert data.rehash(pkg) == ["models.csv"]
    assert messages(pkg) == []


def test_bad_confidence(pkg: Path):
    edit(pkg, "gpu_links.csv", 2, "confidence", "certain")
    assert messages(pkg) == ['data/gpu_links.csv:2:confidence: "certain" is not one of: primary, secondary, estimate']


def test_bad_partial_date(pkg: Path):
    edit(pkg, "models.csv", 2, "published", "December 2024")
    assert messages(pkg) == [
        r'data/models.csv:2:published: "December 2024" does not match the pattern ^(\d{4}(-\d{2}(-\d{2})?)?|n\.d\.)$'
    ]


def test_line_numbers_count_physical_lines(pkg: Path):
    edit(pkg, "gpu_links.csv", 2, "notes", "first line\nsecond line")
    edit(pkg, "gpu_links.csv", 3, "bandwidth_gbps", "fast")
    assert messages(pkg) == ['data/gpu_links.csv:4:bandwidth_gbps: "fast" is not a valid number']


def test_stated_cost_must_match_hours_times_price(pkg: Path):
    edit(pkg, "training_runs.csv", 5, "cost_usd_stated", "6000000")
    assert messages(pkg) == ["data/training_runs.csv:5:cost_usd_stated: 6000000 != gpu_hours x rental_usd_per_gpu_hour = 5.576e+06"]


def test_config_must_be_declared(pkg: Path):
    edit(pkg, "models.csv", 2, "config_file", "configs/unknown.json")
    assert messages(pkg) == ['data/models.csv:2:config_file: "configs/unknown.json" is not a resource declared in datapackage.json']


def test_config_must_parse(pkg: Path):
    (pkg / "configs" / "dbrx.json").write_text('{"d_model": 6144,', encoding="utf-8")
    data.rehash(pkg)
    assert messages(pkg) == ["data/configs/dbrx.json:1:-: not valid JSON: Expecting property name enclosed in double quotes (column 18)"]


def test_missing_declared_file(pkg: Path):
    (pkg / "gpu_links.csv").unlink()
    assert messages(pkg) == ["data/gpu_links.csv:-:-: declared in datapackage.json but missing"]


def test_undeclared_file(pkg: Path):
    (pkg / "extra.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    assert messages(pkg) == ["data/extra.csv:-:-: not declared in datapackage.json"]


def test_pending_resource_is_declared_by_rehash(pkg: Path):
    descriptor = json.loads((pkg / data.DESCRIPTOR).read_text(encoding="utf-8"))
    gpus = next(r for r in descriptor["resources"] if r["name"] == "gpus")
    pending = {k: v for k, v in gpus.items() if k != "hash"} | {"name": "gpus2", "path": "gpus2.csv"}
    descriptor[data.PENDING] = [pending]
    (pkg / data.DESCRIPTOR).write_text(json.dumps(descriptor), encoding="utf-8")
    assert messages(pkg) == []
    shutil.copy(pkg / "gpus.csv", pkg / "gpus2.csv")
    assert messages(pkg) == [
        "data/gpus2.csv:-:-: present but only pending in datapackage.json; check it, then run `briefing check --rehash` to declare it"
    ]
    assert data.rehash(pkg) == ["gpus2.csv"]
    assert messages(pkg) == []
    assert data.PENDING not in json.loads((pkg / data.DESCRIPTOR).read_text(encoding="utf-8"))


def test_schema_without_provenance_is_refused(pkg: Path):
    descriptor = json.loads((pkg / data.DESCRIPTOR).read_text(encoding="utf-8"))
    models = next(r for r in descriptor["resources"] if r["name"] == "models")
    models["schema"]["fields"] = [f for f in models["schema"]["fields"] if f["name"] != "confidence"]
    (pkg / data.DESCRIPTOR).write_text(json.dumps(descriptor), encoding="utf-8")
    assert messages(pkg) == ["data/datapackage.json:-:models.confidence: provenance column missing from the schema"]


def test_config_needs_provenance(pkg: Path):
    descriptor = json.loads((pkg / data.DESCRIPTOR).read_text(encoding="utf-8"))
    config = next(r for r in descriptor["resources"] if r["name"] == "config-dbrx")
    config["confidence"] = "likely"
    (pkg / data.DESCRIPTOR).write_text(json.dumps(descriptor), encoding="utf-8")
    assert messages(pkg) == ['data/datapackage.json:-:config-dbrx.confidence: "likely" is not one of primary, secondary, estimate']


def test_load_types_columns(pkg: Path):
    """Values are typed as the schema says, in object columns that keep each value's row (briefing.lineage)."""
    from briefing.lineage import Ref

    runs = data.load("training_runs", pkg)
    assert all(runs[c].dtype == object for c in ("gpu_hours", "cluster_gpus", "accessed"))
    v3 = runs.set_index("run_id").loc["deepseek-v3-total"]
    assert isinstance(v3["gpu_hours"], float) and isinstance(v3["cluster_gpus"], int)
    assert isinstance(v3["accessed"], pd.Timestamp)
    assert v3["gpu_hours"] == 2_788_000 and v3["cost_usd_stated"] == 5_576_000 and v3["cluster_gpus"] == 2048
    assert pd.isna(runs.set_index("run_id").loc["llama-3-70b", "cost_usd_stated"])
    assert v3["gpu_hours"].refs == {Ref("training_runs.csv", ("deepseek-v3-total",), "gpu_hours")}
    cost = v3["gpu_hours"] * v3["rental_usd_per_gpu_hour"]
    assert cost == 5_576_000 and cost.refs == {Ref("training_runs.csv", ("deepseek-v3-total",), "gpu_hours"),
                                               Ref("training_runs.csv", ("deepseek-v3-total",), "rental_usd_per_gpu_hour")}
    assert runs.attrs["briefing_key"] == ["run_id"]


def test_config_values_carry_their_file_and_key(pkg: Path):
    from briefing.lineage import Ref, refs_of

    config = data.load_config("deepseek-v3", pkg)
    assert config["kv_lora_rank"] == 512
    assert refs_of(config["kv_lora_rank"]) == {Ref("configs/deepseek-v3.json", (), "kv_lora_rank")}
    nested = config["rope_scaling"]["original_max_position_embeddings"]
    assert refs_of(nested) == {Ref("configs/deepseek-v3.json", (), "rope_scaling.original_max_position_embeddings")}
    assert json.loads(json.dumps(config)) == json.loads((pkg / "configs/deepseek-v3.json").read_text(encoding="utf-8"))


def test_load_raises_with_location(pkg: Path):
    edit(pkg, "gpus.csv", 3, "fp8_dense_tflops", "n/a")
    with pytest.raises(data.DataError) as caught:
        data.load("gpus", pkg)
    assert str(caught.value) == 'data/gpus.csv:3:fp8_dense_tflops: "n/a" is not a valid number'


def test_load_refuses_a_changed_file(pkg: Path):
    edit(pkg, "gpus.csv", 2, "notes", "changed", rehash=False)
    with pytest.raises(data.DataError, match=r"^data/gpus.csv:-:-: file changed"):
        data.load("gpus", pkg)


def test_load_checks_foreign_keys(pkg: Path):
    edit(pkg, "training_runs.csv", 9, "model_id", "llama-2-70b")
    with pytest.raises(data.DataError) as caught:
        data.load("training_runs", pkg)
    assert str(caught.value) == 'data/training_runs.csv:9:model_id: "llama-2-70b" is not a model_id in models'


def test_load_config(pkg: Path):
    config = data.load_config("deepseek-v3", pkg)
    assert config["hidden_size"] == 7168 and config["n_routed_experts"] == 256
    inference = json.loads((pkg / "configs" / "deepseek-v3-inference.json").read_text())
    assert (inference["dim"], inference["n_layers"], inference["n_routed_experts"]) == (7168, 61, 256)
    with pytest.raises(KeyError):
        data.load_config("gpt-4", pkg)


def test_resource_hashes(pkg: Path):
    hashes = data.resource_hashes(pkg)
    assert hashes["models.csv"] == data.sha256(pkg / "models.csv")
    assert set(hashes) >= OWN | {"configs/deepseek-v3.json"}


def test_check_main(pkg: Path, capsys: pytest.CaptureFixture[str]):
    assert data.check_main(argparse.Namespace(data=str(pkg), rehash=False)) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].startswith("data/: 14 resources (4 tables")
    edit(pkg, "gpu_links.csv", 2, "link", "ethernet", rehash=False)
    assert data.check_main(argparse.Namespace(data=str(pkg), rehash=False)) == 1
    assert len(capsys.readouterr().out.strip().splitlines()) == 2
    assert data.check_main(argparse.Namespace(data=str(pkg), rehash=True)) == 1
    assert capsys.readouterr().out.strip() == 'data/gpu_links.csv:2:link: "ethernet" is not one of: nvlink, infiniband, pcie'


def test_cli_has_rehash_flag(pkg: Path):
    from briefing.cli import make_parser

    args = make_parser().parse_args(["check", "--data", str(pkg), "--rehash"])
    assert args.rehash and args.func(args) == 0


def test_loading_a_pending_table_says_how_to_declare_it(pkg: Path):
    descriptor = json.loads((pkg / data.DESCRIPTOR).read_text(encoding="utf-8"))
    descriptor[data.PENDING] = [{"name": "claims", "path": "claims.csv", "schema": {"fields": []}}]
    (pkg / data.DESCRIPTOR).write_text(json.dumps(descriptor), encoding="utf-8")
    with pytest.raises(KeyError, match=r"'claims' is pending in data/datapackage.json"):
        data.load("claims", pkg)


# -- issue 9 (items 9 and 10): what a new user's editor can do to a file -----------------------


def run_check(folder: Path, *args: str):
    """``briefing check`` in a subprocess, as a user runs it: (exit code, stdout, stderr)."""
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "briefing.cli", "check", "--data", str(folder), *args],
                            capture_output=True, text=True, check=False)
    return result.returncode, result.stdout, result.stderr


def test_a_non_utf8_csv_names_the_line_and_byte(pkg: Path):
    path = pkg / "gpus.csv"
    path.write_bytes(path.read_bytes().replace(b"NVIDIA H800 SXM5", b"NVIDIA H800 \xe9dition", 1))
    data.rehash(pkg)
    code, out, err = run_check(pkg)
    assert code == 1 and "Traceback" not in err, err
    assert out.splitlines() == ["data/gpus.csv:3:-: not valid UTF-8: byte 0xe9 at column 22; save the file as UTF-8"]


def test_a_descriptor_that_is_a_json_list_is_one_line(pkg: Path):
    (pkg / data.DESCRIPTOR).write_text('[{"name": "gpus"}]\n', encoding="utf-8")
    code, out, err = run_check(pkg)
    assert code == 1 and "Traceback" not in err, err
    assert out.splitlines() == [
        "data/datapackage.json:-:-: must hold a JSON object (a Data Package descriptor), not a JSON list"]
    code, out, err = run_check(pkg, "--rehash")
    assert code == 1 and "Traceback" not in err, err


def test_a_descriptor_with_resources_not_a_list_is_one_line(pkg: Path):
    (pkg / data.DESCRIPTOR).write_text('{"resources": {"gpus": 1}}\n', encoding="utf-8")
    assert messages(pkg) == ['data/datapackage.json:-:-: "resources" must be a list of resource objects']


def test_a_descriptor_nested_too_deeply_is_one_line(pkg: Path):
    (pkg / data.DESCRIPTOR).write_text('{"resources": ' + "[" * 200_000 + "]" * 200_000 + "}", encoding="utf-8")
    code, out, err = run_check(pkg)
    assert code == 1 and "Traceback" not in err, err
    assert out.splitlines() == ["data/datapackage.json:-:-: not usable JSON: nested too deeply"]


def test_a_byte_order_mark_is_named_once(pkg: Path):
    """Spreadsheet programs save "CSV UTF-8" with a BOM; it used to give 18 misleading errors."""
    path = pkg / "gpus.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    data.rehash(pkg)
    assert messages(pkg) == [
        "data/gpus.csv:1:-: starts with a UTF-8 byte-order mark (BOM): save it as UTF-8 without a BOM"]


def test_a_removed_column_is_named_first_and_alone(pkg: Path):
    path = pkg / "gpus.csv"
    rows = rows_of(path)
    index = rows[0].index("memory_gb")
    write_rows(path, [row[:index] + row[index + 1:] for row in rows])
    data.rehash(pkg)
    assert messages(pkg) == [
        'data/gpus.csv:1:memory_gb: header: column "memory_gb" is missing (the schema puts it after "fp64_tflops")']


def test_swapped_columns_are_named(pkg: Path):
    path = pkg / "gpus.csv"
    rows = rows_of(path)
    a, b = rows[0].index("memory_gb"), rows[0].index("fp64_tflops")
    for row in rows:
        row[a], row[b] = row[b], row[a]
    write_rows(path, rows)
    data.rehash(pkg)
    assert messages(pkg) == ['data/gpus.csv:1:memory_gb: header: columns out of order: column 8 is "memory_gb", '
                             'the schema expects "fp64_tflops"']


def test_an_unwritable_descriptor_on_rehash_is_one_line(pkg: Path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(pkg / data.DESCRIPTOR))

    monkeypatch.setattr(data, "write_atomic", refuse)
    edit(pkg, "gpus.csv", 2, "memory_gb", "81", rehash=False)
    assert data.check_main(argparse.Namespace(data=str(pkg), rehash=True)) == 1


def test_a_malformed_source_url_is_named(pkg: Path):
    """Found by the fact-check of issue 10: a market row cited https://kathmandupost.com./..."""
    edit(pkg, "gpus.csv", 2, "source_url", "https://www.clawkipedia.org./wiki/nvidia-h100")
    assert messages(pkg) == ['data/gpus.csv:2:source_url: "https://www.clawkipedia.org./wiki/nvidia-h100" is not a '
                             'well-formed URL: its host "www.clawkipedia.org." must be names separated by single dots']


def test_every_source_url_of_the_package_is_well_formed():
    assert [str(p) for p in data.validate(REAL) if p.column == "source_url"] == []


# Issue 19, class 3: numbers are finite, checked before any chapter runs (several members of the class).
@pytest.mark.parametrize("name, record, column, value", [
    ("gpus.csv", 2, "memory_gb", "1e999"),
    ("gpus.csv", 3, "fp64_tflops", "inf"),
    ("gpus.csv", 2, "bf16_dense_tflops", "-inf"),
    ("gpus.csv", 3, "memory_bandwidth_tbps", "NaN"),
    ("training_runs.csv", 2, "tokens_t", "nan"),
    ("training_runs.csv", 3, "rental_usd_per_gpu_hour", "Infinity"),
    ("training_runs.csv", 4, "tokens_t", "-Infinity"),
])
def test_a_number_that_is_not_finite_is_refused_at_its_cell(pkg: Path, name, record, column, value):
    edit(pkg, name, record, column, value)
    assert f'data/{name}:{record}:{column}: "{value}" is not a finite number' in messages(pkg)


@pytest.mark.parametrize("text", ['{"d_model": NaN}', '{"d_model": Infinity}', '{"ffn": {"hidden": -Infinity}}',
                                  '{"d_model": 1e999}'])
def test_a_config_with_a_number_that_is_not_finite_is_refused(pkg: Path, text):
    (pkg / "configs" / "dbrx.json").write_text(text, encoding="utf-8")
    data.rehash(pkg)
    assert [m for m in messages(pkg) if m.startswith("data/configs/dbrx.json")] == [
        "data/configs/dbrx.json:1:-: not valid JSON: " + text.split(": ")[-1].rstrip("}") + " is not a finite number"]


def test_the_build_refuses_a_number_that_is_not_finite_before_any_chapter_runs(tmp_path):
    from conftest import copy_project, run_build

    project = copy_project(tmp_path / "project")
    edit(project / "data", "fx_rates.csv", 2, "rate", "1e999")
    code, out, err = run_build(project, "--to", "html")
    assert code != 0 and "executing" not in out
    assert 'data/fx_rates.csv:2:rate: "1e999" is not a finite number' in err
    assert "Traceback" not in err and not (project / "_book").exists()


# Issue 19, class 2: a cell a spreadsheet would run as a formula is warned about by `briefing check`.
@pytest.mark.parametrize("value", ['=HYPERLINK("http://x","y")', "=cmd|' /C calc'!A0", "+SUM(A1:A2)", "@SUM(A1)",
                                   "-2+3+cmd|' /C calc'!A0", "\t=1+1"])
def test_a_formula_cell_is_warned_about_by_check(pkg: Path, capsys, value):
    edit(pkg, "gpus.csv", 2, "name", value)
    assert data.check_main(argparse.Namespace(data=str(pkg), rehash=False)) == 0
    err = capsys.readouterr().err
    assert f"warning: data/gpus.csv:2:name: starts with {value[0]!r}" in err


def test_negative_numbers_are_not_formulas(pkg: Path, capsys):
    assert data.formula_cells(pkg) == []


# -- issue 19, class 4: `briefing check` streams its tables ------------------------------------


def peak_memory_of_check(folder: Path) -> tuple[int, str]:
    """``briefing check`` run in a fresh interpreter: (its peak resident set in bytes, its stdout)."""
    import subprocess
    import sys

    script = ("import resource, sys\nfrom briefing import cli\ncode = cli.main(['check', '--data', sys.argv[1]])\n"
              "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)\nsys.exit(code)")
    result = subprocess.run([sys.executable, "-c", script, str(folder)], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    *out, peak = result.stdout.splitlines()
    return int(peak), "\n".join(out)


def test_check_holds_a_row_in_memory_not_the_table(pkg: Path):
    """A 24 MB table used to cost about 9 times its size (frictionless's rows, the decoded text and a
    dict per row held at once); now the growth stays well under the table's own size."""
    baseline, _ = peak_memory_of_check(pkg)
    rows = rows_of(pkg / "gpu_links.csv")
    header, first = rows[0], rows[1]
    big = [header] + [[f"l{i}" if c == "link_id" else "x" * 2000 if c == "notes" else v
                       for c, v in zip(header, first)] for i in range(12_000)]
    write_rows(pkg / "gpu_links.csv", big)
    data.rehash(pkg)
    size = (pkg / "gpu_links.csv").stat().st_size
    assert size > 20_000_000
    peak, out = peak_memory_of_check(pkg)
    assert out.endswith("valid, hashes match"), out
    assert peak - baseline < size // 2, f"check grew by {(peak - baseline) / 1e6:.0f} MB for a {size / 1e6:.0f} MB table"


def test_an_error_deep_in_a_long_table_names_its_physical_line(pkg: Path):
    rows = rows_of(pkg / "gpu_links.csv")
    header, first = rows[0], rows[1]
    notes = header.index("notes")
    body = [[f"l{i}" if c == "link_id" else v for c, v in zip(header, first)] for i in range(3_000)]
    for row in body[::7]:
        row[notes] = "two\nlines"
    body[2_500][header.index("bandwidth_gbps")] = "fast"
    write_rows(pkg / "gpu_links.csv", [header] + body)
    data.rehash(pkg)
    line = 2 + 2_500 + sum(1 for i in range(2_500) if i % 7 == 0)
    assert messages(pkg) == [f'data/gpu_links.csv:{line}:bandwidth_gbps: "fast" is not a valid number']
