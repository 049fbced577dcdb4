"""The supervisor report: one self-contained, reproducible HTML page in English or Chinese."""

from __future__ import annotations

import base64
import io
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from models.drift import profile, psi, retrain_due
from serving.report import render as report
from serving.report.render import ReportContext, drawable, fmt, mean_abs_shap, render_report

FEATURES = [f"feat_{i:02d}" for i in range(18)]


def ranked(prefix: str, n: int, seed: int, provider: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    risk = np.sort(rng.random(n))[::-1]
    frame = pd.DataFrame(
        {
            "rank": np.arange(1, n + 1),
            "entity_id": [f"{prefix}{i:04d}" for i in range(n)],
            "risk_score": risk,
            "model_score": rng.random(n),
            "anomaly_score": rng.random(n),
            "outlier_score": rng.random(n),
            "rule_hits": rng.integers(0, 9, n),
            "amount_at_risk": rng.random(n) * 1e5,
            "reasons": ["fund paid 3.1x the peer median <script>"] * n,
        }
    )
    if provider:
        frame = frame.assign(provider_type="hospital", region="330102", credit_grade="B")
    return frame.sample(frac=1.0, random_state=seed)  # the page sorts by rank itself


def context(lang: str = "en") -> ReportContext:
    rng = np.random.default_rng(0)
    train = pd.DataFrame(rng.normal(size=(400, 6)), columns=FEATURES[:6])
    drifted = train.assign(feat_00=train["feat_00"] + 3, feat_01=train["feat_01"] * 1.5)
    drift = {"provider": psi(profile(train), drifted), "person": psi(profile(train), train)}
    return ReportContext(
        period="2024-06",
        generated_at="2024-07-02 06:00 UTC",
        model_versions={"provider": "fundguard-provider v7", "person": "fundguard-person v4"},
        data_fingerprint="sha256:0f1e2d",
        code_version="git:abc1234",
        lists={"provider": ranked("H", 60, 1, True), "person": ranked("R", 45, 2, False)},
        shap={
            "provider": pd.DataFrame(rng.normal(size=(60, 18)) * 0.7 ** np.arange(18), columns=FEATURES),
            "person": pd.DataFrame(columns=FEATURES, dtype=float),
        },
        feature_names={f: f"plain meaning of {f}" for f in FEATURES},
        rule_hits=pd.DataFrame(
            {
                "rule_id": ["R01_SEX", "R05_DUP"],
                "name_en": ["Sex-restricted item", "Duplicate line"],
                "name_zh": ["性别限定项目", "重复收费"],
                "claims": [4, 120],
                "entities": [2, 30],
            }
        ),
        drift=drift,
        retrain={e: retrain_due(t) for e, t in drift.items()},
        lang=lang,
    )


@pytest.fixture(scope="module")
def html() -> str:
    return render_report(context())


@pytest.fixture(scope="module")
def html_zh() -> str:
    """Chinese headings and Chinese plain names; charts must not try to draw glyphs they lack."""
    ctx = context("zh")
    names = {f: f"特征{f[-2:]}的含义" for f in FEATURES}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        page = render_report(ReportContext(**{**ctx.__dict__, "feature_names": names}))
    assert not [w for w in caught if "Glyph" in str(w.message)]
    return page


def images(page: str) -> list[bytes]:
    return [base64.b64decode(b, validate=True) for b in re.findall(r'src="data:image/png;base64,([^"]+)"', page)]


def test_page_shows_period_versions_and_the_top_of_each_list(html):
    assert "2024-06" in html and "2024-07-02 06:00 UTC" in html
    assert "fundguard-provider v7" in html and "sha256:0f1e2d" in html and "git:abc1234" in html
    for entity_id in ("H0000", "H0019", "R0000", "R0019"):
        assert f"<td>{entity_id}</td>" in html
    assert "H0020" not in html and "R0020" not in html  # top 20 only
    assert html.index("<td>H0000</td>") < html.index("<td>H0001</td>") < html.index("<td>H0019</td>")
    assert "Top 20 of 60" in html and "330102" in html


def test_banner_and_drift_bands(html):
    assert 'class="banner due"' in html and "Retraining due" in html
    assert "retraining due: 2 of 6 features" in html
    assert 'class="band band-act">act<' in html and 'class="band band-stable">stable<' in html
    assert html.index("<code>feat_00</code>") < html.index("<code>feat_05</code>", html.index('id="drift"'))


def test_banner_when_not_due_or_not_checked():
    bare = {**context().__dict__, "lists": {}, "shap": {}}  # no charts: only the banner matters
    calm = render_report(ReportContext(**{**bare, "retrain": (False, "retraining not due: 0 of 6")}))
    assert 'class="banner ok"' in calm and "Retraining not due" in calm and "all: retraining not due" in calm
    unknown = render_report(ReportContext(**{**bare, "retrain": None, "drift": {}}))
    assert 'class="banner unknown"' in unknown and "Drift not checked" in unknown


def test_images_are_valid_base64_pngs_without_metadata(html):
    pngs = images(html)
    assert len(pngs) == 3  # two histograms, one SHAP chart (the person SHAP table is empty)
    for png in pngs:
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and b"Software" not in png
        with Image.open(io.BytesIO(png)) as image:
            image.verify()


def test_shap_summary_uses_plain_names_and_top_15(html):
    assert "plain meaning of feat_00" in html and "plain meaning of feat_14" in html
    assert "<code>feat_15</code>" not in html.split('id="rules"')[0]
    assert "No SHAP values for this period." in html
    means = mean_abs_shap(context().shap["provider"])
    assert list(means.index[:3]) == ["feat_00", "feat_01", "feat_02"] and len(means) == 15


def test_rule_hits_table_is_sorted_by_claims(html):
    assert html.index("R05_DUP") < html.index("R01_SEX") and "Duplicate line" in html and ">120<" in html


def test_self_contained_and_escaped(html):
    assert not re.search(r'(src|href)="(https?:)?//', html) and "<link" not in html and "<script" not in html
    assert "&lt;script&gt;" in html
    assert "higher" in html.split("<footer>")[1]


def test_identical_inputs_give_identical_html_and_are_not_mutated(html):
    ctx, before = context(), context()
    assert render_report(ctx) == html
    for entity in ctx.lists:
        pd.testing.assert_frame_equal(ctx.lists[entity], before.lists[entity])
        pd.testing.assert_frame_equal(ctx.drift[entity], before.drift[entity])
        pd.testing.assert_frame_equal(ctx.shap[entity], before.shap[entity])
    pd.testing.assert_frame_equal(ctx.rule_hits, before.rule_hits)


def test_chinese_headings(html_zh):
    assert '<html lang="zh-CN">' in html_zh
    for heading in (
        "医保基金监管：月度稽核名单",
        "定点医药机构",
        "参保人",
        "风险分分布",
        "审核规则命中",
        "数据漂移",
        "评分说明",
        "需要重新训练模型",
        "前 20 名（共 60）",
    ):
        assert heading in html_zh
    assert "性别限定项目" in html_zh and "act 需处理" in html_zh and "特征00的含义" in html_zh
    assert len(images(html_zh)) == 3


def test_feature_names_per_entity_and_unknown_language():
    ctx = context()
    nested = ReportContext(**{**ctx.__dict__, "feature_names": {"provider": {"feat_00": "per-entity name"}}})
    assert "per-entity name" in render_report(nested)
    with pytest.raises(ValueError):
        render_report(ReportContext(**{**ctx.__dict__, "lang": "fr"}))


def test_cells_are_formatted():
    assert fmt(0.12345, "score") == "0.123" and fmt(1234567.891, "money") == "1,234,567.89"
    assert fmt(12000, "int") == "12,000" and fmt(np.nan, "score") == "—" and fmt(["a", "b"]) == "a; b"


def test_chart_labels_fall_back_to_column_names_without_a_chinese_font(monkeypatch):
    monkeypatch.setattr(report, "cjk_font", lambda: None)
    assert drawable("fund paid ≥ 3× the peer median…") and not drawable("违反规则的结算笔数")
    monkeypatch.setattr(report, "cjk_font", lambda: "Noto Sans CJK SC")
    assert drawable("违反规则的结算笔数")


def test_a_missing_value_never_reads_as_na():
    assert fmt(pd.NA) == fmt(None) == fmt(float("nan")) == "—"  # a pharmacy's level is empty, not <NA>
