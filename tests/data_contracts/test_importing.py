"""Importing an agency export: a small export in the national platform's format, read with nhsa.yaml.

The export is written here by hand the way an agency extract looks: Chinese headers, GB18030
text, settlements split over two files, the catalogue as an .xlsx workbook, ids with leading
zeros, and codes as the platform writes them (med_type 11/21/41, gend 1/2, insutype 310/390,
list_type 101/201/301, chrgitm_lv 01/02/03). It holds the same region as the contract tests'
sample dataset (conftest.py), so the imported dataset must pass the whole contract check.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pandas as pd
import pytest

from data_contracts import ContractViolation, load_dataset, validate_dataset
from data_contracts.importing import NHSA_MAPPING, ImportResult, import_export, load_mapping

TODAY = datetime.date(2024, 6, 30)

SETTLEMENT_HEADER = (
    "结算ID,就诊ID,人员编号,定点医药机构编号,主治医生编码,医疗类别,开始时间,结束时间,结算时间,"
    "住院主诊断代码,医疗费总额,基金支付总额,个人账户支出,个人现金支出,参保地医保区划,就医地医保区划,有效标志"
)
SETTLEMENTS_MARCH_1 = [  # the second row was cancelled at the counter and is marked invalid (有效标志 0)
    "000000000101,MD0101,0001001,H00001,D0001,11,2024-03-01 09:40:00,,2024-03-01 10:15:00,J06.9,55.00,30.00,15.00,10.00,320100,320100,1",
    "000000000100,MD0100,0001001,H00001,D0001,11,2024-03-01 09:00:00,,2024-03-01 09:05:00,J06.9,30.00,0.00,0.00,30.00,320100,320100,0",
    "000000000102,MD0102,0001002,H00001,D0002,21,2024-03-02 08:00:00,2024-03-06 10:00:00,2024-03-06 16:00:00,I21.9,260.50,180.00,0.00,80.50,320500,320100,1",
]
SETTLEMENTS_MARCH_2 = [  # a pharmacy purchase has no visit times, doctor or diagnosis
    "000000000103,MD0103,0001003,P00003,,41,,,2024-03-10 09:30:00,,12.50,0.00,12.50,0.00,320100,320100,1",
    "000000000104,MD0104,0001001,C00002,D0003,11,2024-03-15 10:30:00,,2024-03-15 11:00:00,N76.0,40.00,20.00,10.00,10.00,320100,320100,1",
]
FEE_DETAIL = "\n".join(
    [
        "结算ID,就诊ID,费用明细流水号,医疗目录编码,医药机构目录编码,数量,单价,明细项目费用总额,费用发生时间",
        "000000000101,MD0101,F1,001102000010000,H-GH01,1,30.00,30.00,2024-03-01 09:45:00",
        "000000000101,MD0101,F2,XJ01CAA040A001,H-YP07,2,12.50,25.00,2024-03-01 09:50:00",
        "000000000102,MD0102,F1,001103000020000,H-CW01,1,200.00,200.00,2024-03-02 12:00:00",
        "000000000102,MD0102,F2,XJ01CAA040A001,H-YP07,4,12.50,50.00,2024-03-05 08:00:00",
        "000000000102,MD0102,F3,C0000000012345,H-HC11,2,5.25,10.50,2024-03-06 09:00:00",
        "000000000103,MD0103,F1,XJ01CAA040A001,YD-0001,1,12.50,12.50,2024-03-10 09:29:00",
        "000000000104,MD0104,F1,001204000050000,C-JC03,1,40.00,40.00,2024-03-15 10:40:00",
    ]
)
PERSONS = "\n".join(
    [  # 1101 returns one row per 险种: person 0001001 also has a 330 大额 row
        "人员编号,姓名,性别,出生日期,险种类型,参保地医保区划",
        "0001001,张一,2,19800501,310,320100",
        "0001001,张一,2,19800501,330,320100",
        "0001002,李二,1,1950-02-03,390,320500",
        "0001003,王三,2,20100707,390,320100",
    ]
)
PROVIDERS = "\n".join(
    [  # the agency's own sheet: the national records carry none of this
        "定点医药机构编号,机构名称,机构类型,医院等级,所有制,定点归属医保区划,核定床位数,执业医师数,定点开始日期",
        "H00001,市第一医院,医院,三级甲等,公立,320100,500,210,2015-01-01",
        "C00002,仁和诊所,诊所,一级,民营,320100,0,3,20190701",
        "P00003,康民大药房,药店,无等级,民营,320100,0,2,2021-03-15",
    ]
)
CATALOG_COLUMNS = [
    "医保目录编码",
    "医保目录名称",
    "目录类别",
    "收费项目等级",
    "参考价",
    "限定性别",
    "日最大用量",
    "打包项目编码",
]
CATALOG_ROWS = [
    ["XJ01CAA040A001", "阿莫西林胶囊 0.25g", "101", "01", "12.5", "", "4", ""],
    ["001102000010000", "门诊诊查费", "201", "01", "30", "", "", ""],
    ["001103000020000", "病房床位包干", "201", "02", "200", "", "1", ""],
    ["001103000030000", "护理费", "201", "02", "20", "", "", "001103000020000"],
    ["C0000000012345", "医用纱布", "301", "03", "5.25", "", "", ""],
    ["001204000050000", "妇科检查", "201", "01", "40", "2", "", ""],
]


def _write_export(folder: Path, encoding: str = "gb18030", med_type_of_second_claim: str = "21") -> Path:
    """The export folder: two settlement files, fee details, persons, providers, catalogue (.xlsx)."""
    folder.mkdir(parents=True)
    march_1 = [row.replace(",21,", f",{med_type_of_second_claim},") for row in SETTLEMENTS_MARCH_1]
    texts = {
        "结算_202403_1.csv": [SETTLEMENT_HEADER, *march_1],
        "结算_202403_2.csv": [SETTLEMENT_HEADER, *SETTLEMENTS_MARCH_2],
        "费用明细_202403.csv": [FEE_DETAIL],
        "人员信息.csv": [PERSONS],
        "定点医药机构.csv": [PROVIDERS],
    }
    for name, lines in texts.items():
        text = "\n".join(lines) + "\n"
        (folder / name).write_bytes(text.replace("\n", "\r\n").encode(encoding))  # Windows line ends
    catalog = pd.DataFrame(CATALOG_ROWS, columns=CATALOG_COLUMNS).replace("", None)
    catalog.to_excel(folder / "医保目录.xlsx", index=False, sheet_name="目录")
    return folder


@pytest.fixture
def export(tmp_path: Path) -> Path:
    return _write_export(tmp_path / "export")


@pytest.fixture
def imported(export: Path, tmp_path: Path) -> ImportResult:
    return import_export(export, NHSA_MAPPING, tmp_path / "dataset")


def test_gb18030_export_is_really_not_utf8(export):
    with pytest.raises(UnicodeDecodeError):
        (export / "结算_202403_1.csv").read_bytes().decode("utf-8")


def test_national_export_imports_and_passes_the_contract(imported, tmp_path):
    assert imported.rows == {"providers": 3, "insured": 3, "catalog": 6, "claims": 4, "claim_items": 7}
    assert imported.sources["claims"] == ["结算_202403_1.csv", "结算_202403_2.csv"]
    assert imported.dropped["claims"] == 1 and imported.dropped["insured"] == 1  # 有效标志 0; the 330 row
    assert sorted(p.name for p in imported.out.iterdir()) == [
        f"{t}.parquet" for t in ("catalog", "claim_items", "claims", "insured", "providers")
    ]
    report = validate_dataset(imported.out, today=TODAY)
    assert report.ok, report.to_text()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp folder left


def test_codes_dates_and_derived_columns(imported):
    tables = load_dataset(imported.out)
    claims = tables["claims"].set_index("claim_id")
    assert claims["setting"].tolist() == ["outpatient", "inpatient", "pharmacy", "outpatient"]
    assert claims["out_of_area"].tolist() == [False, True, False, False]  # 320500 insured, treated in 320100
    assert claims.loc["000000000103", "admit_date"] == pd.Timestamp("2024-03-10")  # pharmacy: the settlement day
    assert claims.loc["000000000101", "discharge_date"] == pd.Timestamp("2024-03-01")  # outpatient: same day
    assert claims.loc["000000000102", "settle_time"] == pd.Timestamp("2024-03-06 16:00:00")
    assert pd.isna(claims.loc["000000000103", "doctor_id"]) and claims["drg"].isna().all()
    items = tables["claim_items"]
    assert items.groupby("claim_id")["line_no"].apply(list).to_dict()["000000000102"] == [1, 2, 3]
    insured = tables["insured"].set_index("person_id")
    assert insured["sex"].tolist() == ["F", "M", "F"] and insured["scheme"].tolist() == [
        "employee",
        "resident",
        "resident",
    ]
    assert insured.loc["0001001", "birth_date"] == pd.Timestamp("1980-05-01")
    catalog = tables["catalog"].set_index("item_code")
    assert catalog["item_type"].tolist() == ["drug", "service", "service", "service", "material", "service"]
    assert catalog["coverage_class"].tolist() == ["A", "A", "B", "B", "C", "A"]
    assert catalog.loc["001204000050000", "sex_restriction"] == "F"
    providers = tables["providers"].set_index("provider_id")
    assert providers["level"].tolist()[:2] == [3, 1] and pd.isna(providers.loc["P00003", "level"])


def test_ids_with_leading_zeros_survive(imported):
    tables = load_dataset(imported.out)
    assert tables["insured"]["person_id"].tolist() == ["0001001", "0001002", "0001003"]
    assert tables["claims"]["claim_id"].iloc[0] == "000000000101"
    assert set(tables["claims"]["person_id"]) == {"0001001", "0001002", "0001003"}
    assert "001102000010000" in set(tables["catalog"]["item_code"])  # from the .xlsx workbook
    assert "001102000010000" in set(tables["claim_items"]["item_code"])
    assert set(tables["insured"]["region"]) == {"320100", "320500"}


def test_unmapped_code_is_reported_and_nothing_is_written(tmp_path):
    export = _write_export(tmp_path / "export", med_type_of_second_claim="99")
    before = sorted(p.name for p in export.iterdir())
    with pytest.raises(ContractViolation) as caught:
        import_export(export, NHSA_MAPPING, tmp_path / "dataset")
    [finding] = caught.value.findings
    assert (finding.table, finding.column, finding.failed_rows, finding.total_rows) == ("claims", "setting", 1, 4)
    assert "values.setting" in finding.rule and "医疗类别" in finding.rule
    assert finding.examples == [{"file": "结算_202403_1.csv", "row": 3, "claim_id": "000000000102", "setting": "99"}]
    assert not (tmp_path / "dataset").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export"]
    assert sorted(p.name for p in export.iterdir()) == before


@pytest.mark.parametrize("encoding", ["auto", "utf-8-sig"])
def test_utf8_with_bom(tmp_path, encoding):
    export = _write_export(tmp_path / "export", encoding="utf-8-sig")
    assert (export / "人员信息.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    mapping = load_mapping(NHSA_MAPPING) | {"encoding": encoding}
    result = import_export(export, mapping, tmp_path / "dataset")
    assert result.rows["claims"] == 4
    assert load_dataset(result.out)["insured"]["person_id"].iloc[0] == "0001001"  # the BOM is not in the header


def test_wrong_encoding_is_reported(export, tmp_path):
    mapping = load_mapping(NHSA_MAPPING) | {"encoding": "utf-8"}
    with pytest.raises(ContractViolation) as caught:
        import_export(export, mapping, tmp_path / "dataset")
    rules = {(f.table, f.rule) for f in caught.value.findings}
    assert ("insured", "file 人员信息.csv is text in utf-8 (set `encoding` in the mapping)") in rules
    assert not (tmp_path / "dataset").exists()


def test_out_inside_the_export_is_refused(export):
    before = sorted(p.name for p in export.iterdir())
    for out in (export / "dataset", export):
        with pytest.raises(ValueError, match="inside the export folder"):
            import_export(export, NHSA_MAPPING, out)
    assert sorted(p.name for p in export.iterdir()) == before


def test_existing_out_needs_overwrite(export, tmp_path):
    out = tmp_path / "dataset"
    out.mkdir()
    (out / "old.txt").write_text("x")
    with pytest.raises(FileExistsError):
        import_export(export, NHSA_MAPPING, out)
    import_export(export, NHSA_MAPPING, out, overwrite=True)
    assert not (out / "old.txt").exists() and (out / "claims.parquet").exists()


def test_unreadable_date_and_missing_column(export, tmp_path):
    persons = (export / "人员信息.csv").read_bytes().decode("gb18030").replace("20100707", "2010-13-45")
    (export / "人员信息.csv").write_bytes(persons.replace("参保地医保区划", "备注").encode("gb18030"))
    with pytest.raises(ContractViolation) as caught:
        import_export(export, NHSA_MAPPING, tmp_path / "dataset")
    found = {f.column: f for f in caught.value.findings}
    assert set(found) == {"birth_date", "region"} and found["birth_date"].failed_rows == 1
    assert found["birth_date"].examples[0]["birth_date"] == "2010-13-45"
    assert "%Y%m%d" in found["birth_date"].rule
    assert "insuplc_admdvs" in found["region"].rule


def test_malformed_mapping_is_refused(export, tmp_path):
    mapping = load_mapping(NHSA_MAPPING)
    del mapping["tables"]["catalog"]
    with pytest.raises(ValueError, match=r"tables \['catalog'\] are not mapped"):
        import_export(export, mapping, tmp_path / "dataset")
    mapping = load_mapping(NHSA_MAPPING)
    mapping["tables"]["claims"]["default"] = {"out_of_area": "false"}
    with pytest.raises(ValueError, match="unknown key"):
        import_export(export, mapping, tmp_path / "dataset")


def test_mapping_codes_are_read_as_text():
    values = load_mapping(NHSA_MAPPING)["tables"]["catalog"]["values"]
    assert values["coverage_class"]["01"] == "A" and values["item_type"]["08"] == "material"
