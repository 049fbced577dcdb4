"""The monthly supervisor report (稽核科月报): one self-contained HTML page, optionally a PDF.

No network and no files besides the template: charts are PNGs drawn with matplotlib's Agg
canvas and embedded as base64, the CSS is inline. Identical inputs give byte-identical HTML (the
only time on the page is `generated_at`, passed in; PNGs carry no software or time metadata).
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

TEMPLATE_DIR = Path(__file__).parent / "templates"
TEMPLATE = "report.html.j2"
TOP_N = 20  # rows of each list on the page
TOP_FEATURES = 15  # bars in the SHAP chart
DRIFT_ROWS = 25  # rows of each drift table (the rest are counted)
LIST_COLUMNS = [
    ("rank", "int"),
    ("entity_id", "text"),
    ("provider_type", "text"),
    ("level", "text"),
    ("region", "text"),
    ("credit_grade", "text"),
    ("risk_score", "score"),
    ("model_score", "score"),
    ("anomaly_score", "score"),
    ("outlier_score", "score"),
    ("rule_hits", "int"),
    ("amount_at_risk", "money"),
    ("reasons", "text"),
]
LANGS = ("en", "zh")  # every other word on the page lives in the template
CHART_TEXT = {
    "en": {
        "risk": "risk score (higher = riskier)",
        "count": "entities",
        "cutoff": "top {top} cut-off ({cut:.3f})",
        "shap": "mean |SHAP value|",
    },
    "zh": {
        "risk": "风险分（越高越可疑）",
        "count": "对象数",
        "cutoff": "前 {top} 名分界（{cut:.3f}）",
        "shap": "平均 |SHAP 值|",
    },
}
Decision = tuple[bool, str]


@dataclass(frozen=True, eq=False)
class ReportContext:
    """Everything the page shows; built by the scoring job, rendered by `render_report`.

    lists: entity -> ranked list (rank, entity_id, the score columns, rule_hits, amount_at_risk,
    reasons; providers also provider_type, region, credit_grade). shap: entity -> entity x feature
    SHAP values (may be empty). feature_names: feature -> plain name, or entity -> that mapping.
    rule_hits: rule_id, name_en, name_zh (or name), claims, entities. drift: entity -> `psi()`
    table. retrain: one `retrain_due()` decision, or entity -> decision. score_distribution:
    entity -> every risk score of the period, if the lists were cut to capacity (optional).
    """

    period: str
    generated_at: str
    model_versions: Mapping[str, str]
    data_fingerprint: str
    code_version: str
    lists: Mapping[str, pd.DataFrame]
    shap: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    feature_names: Mapping[str, str] | Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    rule_hits: pd.DataFrame | None = None
    drift: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    retrain: Decision | Mapping[str, Decision] | None = None
    lang: str = "en"
    score_distribution: Mapping[str, pd.Series] = field(default_factory=dict)

    def names_for(self, entity: str) -> Mapping[str, str]:
        """The feature -> plain name mapping for one entity type."""
        nested = any(isinstance(v, Mapping) for v in self.feature_names.values())
        return self.feature_names.get(entity, {}) if nested else self.feature_names

    def decisions(self) -> dict[str, Decision]:
        """The retraining decision per entity type ('all' when one decision covers every type)."""
        if self.retrain is None:
            return {}
        if isinstance(self.retrain, Mapping):
            return {str(k): (bool(v[0]), str(v[1])) for k, v in self.retrain.items()}
        return {"all": (bool(self.retrain[0]), str(self.retrain[1]))}


# ---------------------------------------------------------------- formatting


def fmt(value, kind: str = "text") -> str:
    """One table cell as text: scores to 3 decimals, counts with separators, money to 2 decimals."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return "; ".join(fmt(v) for v in value)
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):  # None, NaN, pd.NA, NaT
        return "—"
    if kind == "score":
        return f"{float(value):.3f}"
    if kind == "int":
        return f"{int(value):,}"
    if kind == "money":
        return f"{float(value):,.2f}"
    return str(value)


def list_table(frame: pd.DataFrame, top: int = TOP_N) -> dict:
    """The first `top` rows by rank, with the known columns that are present, formatted."""
    cols = [(c, kind) for c, kind in LIST_COLUMNS if c in frame.columns]
    rows = frame.sort_values("rank", kind="mergesort") if "rank" in frame.columns else frame
    body = [[fmt(row[c], kind) for c, kind in cols] for _, row in rows.head(top).iterrows()]
    return {
        "columns": [c for c, _ in cols],
        "rows": body,
        "numeric": [kind != "text" for _, kind in cols],
        "total": len(frame),
    }


def rule_table(hits: pd.DataFrame | None, lang: str) -> list[list[str]]:
    """Rule id, name in `lang`, claims, entities; most claims first."""
    if hits is None or hits.empty:
        return []
    name = next((c for c in (f"name_{lang}", "name", "name_en", "name_zh") if c in hits.columns), None)
    ordered = hits.sort_values(["claims", "rule_id"], ascending=[False, True], kind="mergesort")
    return [
        [fmt(r["rule_id"]), fmt(r[name]) if name else "—", fmt(r.get("claims"), "int"), fmt(r.get("entities"), "int")]
        for _, r in ordered.iterrows()
    ]


def drift_table(table: pd.DataFrame | None, names: Mapping[str, str]) -> dict:
    """The first DRIFT_ROWS rows of a `psi()` table with band classes, and the band counts."""
    if table is None or table.empty:
        return {"rows": [], "counts": {}, "hidden": 0}
    counts = table["band"].value_counts()
    rows = [
        {
            "feature": fmt(r["feature"]),
            "name": fmt(names.get(r["feature"], "")),
            "psi": fmt(r["psi"], "score"),
            "band": str(r["band"]),
            "missing": f"{fmt(r.get('missing_ref'), 'score')} → {fmt(r.get('missing_now'), 'score')}",
            "note": "" if fmt(r.get("note")) == "—" else fmt(r.get("note")),
        }
        for _, r in table.head(DRIFT_ROWS).iterrows()
    ]
    return {
        "rows": rows,
        "counts": {b: int(counts.get(b, 0)) for b in ("act", "watch", "stable")},
        "hidden": max(len(table) - DRIFT_ROWS, 0),
    }


def mean_abs_shap(values: pd.DataFrame | None, top: int = TOP_FEATURES) -> pd.Series:
    """Mean |SHAP| per feature, the `top` largest (ties by name), largest first."""
    if values is None or values.empty:
        return pd.Series(dtype=float)
    means = values.apply(pd.to_numeric, errors="coerce").abs().mean().dropna()
    frame = pd.DataFrame({"feature": means.index.astype(str), "value": means.to_numpy()})
    frame = frame.sort_values(["value", "feature"], ascending=[False, True], kind="mergesort").head(top)
    return pd.Series(frame["value"].to_numpy(), index=frame["feature"].to_numpy(), name="mean_abs_shap")


# ---------------------------------------------------------------- charts


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """An installed font that can draw Chinese, if any (charts fall back to ASCII text without)."""
    from matplotlib import font_manager

    known = (
        "Noto Sans CJK",
        "Noto Sans SC",
        "Source Han Sans",
        "WenQuanYi",
        "SimHei",
        "Microsoft YaHei",
        "PingFang",
        "Heiti",
        "AR PL",
        "Droid Sans Fallback",
    )
    names = sorted({f.name for f in font_manager.fontManager.ttflist})
    return next((n for n in names if any(n.startswith(k) for k in known)), None)


def drawable(text: str) -> bool:
    """Whether the chart fonts can draw `text` (Chinese needs a CJK font; DejaVu covers the rest)."""
    has_cjk = any("\u2e80" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or "\uff00" <= ch <= "\uffef" for ch in text)
    return not has_cjk or cjk_font() is not None


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def png_base64(draw, width: float, height: float) -> str:
    """Draw with `draw(fig)` under matplotlib's default style; the PNG as base64, no metadata."""
    import matplotlib
    import matplotlib.style

    font = ["DejaVu Sans"] + ([cjk_font()] if cjk_font() else [])
    with matplotlib.style.context("default"), matplotlib.rc_context({"font.family": font, "font.size": 9}):
        fig = _figure(width, height)
        draw(fig)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def score_histogram(scores: pd.Series, top: int, lang: str) -> str:
    """Histogram of risk scores (0..1) with the inspection cut-off of the top `top` marked."""
    text = CHART_TEXT["zh" if lang == "zh" and cjk_font() else "en"]
    from matplotlib.ticker import MaxNLocator

    values = pd.to_numeric(scores, errors="coerce").dropna().to_numpy(dtype=float)

    def draw(fig):
        ax = fig.add_subplot()
        ax.hist(values, bins=np.linspace(0, 1, 41), color="#4c72b0", edgecolor="white")
        if len(values):
            cut = np.sort(values)[::-1][min(top, len(values)) - 1]
            ax.axvline(cut, color="#c0392b", linestyle="--", label=text["cutoff"].format(top=top, cut=cut))
            ax.legend(loc="upper center", frameon=False)
        ax.set(xlim=(0, 1), xlabel=text["risk"], ylabel=text["count"])
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.spines[["top", "right"]].set_visible(False)

    return png_base64(draw, 6.4, 2.8)


def shap_chart(means: pd.Series, names: Mapping[str, str], lang: str) -> str:
    """Horizontal bars of mean |SHAP|, largest at the top, labelled with plain names where drawable."""
    text = CHART_TEXT["zh" if lang == "zh" and cjk_font() else "en"]
    labels = [_short(names.get(f, f)) if drawable(str(names.get(f, f))) else f for f in means.index]

    def draw(fig):
        ax = fig.add_subplot()
        ax.barh(np.arange(len(means))[::-1], means.to_numpy(), color="#dd8452")
        ax.set_yticks(np.arange(len(means))[::-1], labels)
        ax.set(xlabel=text["shap"])
        ax.spines[["top", "right"]].set_visible(False)

    return png_base64(draw, 7.6, 0.9 + 0.28 * max(len(means), 1))


def _short(text: str, width: int = 48) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# ---------------------------------------------------------------- page


def _entities(context: ReportContext) -> list[str]:
    order = list(context.lists) + [e for e in list(context.shap) + list(context.drift) if e not in context.lists]
    return list(dict.fromkeys(order))


def _entity_section(context: ReportContext, entity: str) -> dict:
    lang = context.lang
    frame = context.lists.get(entity, pd.DataFrame(columns=["rank", "entity_id", "risk_score"]))
    scores = context.score_distribution.get(entity, frame.get("risk_score", pd.Series(dtype=float)))
    means, names = mean_abs_shap(context.shap.get(entity)), context.names_for(entity)
    return {
        "key": entity,
        "version": context.model_versions.get(entity, "—"),
        "table": list_table(frame),
        "histogram": score_histogram(scores, TOP_N, lang) if len(scores) else None,
        "shap_png": shap_chart(means, names, lang) if len(means) else None,
        "shap_rows": [[f, fmt(names.get(f, "")), f"{v:.4f}"] for f, v in means.items()],
        "drift": drift_table(context.drift.get(entity), names),
        "decision": context.decisions().get(entity),
    }


def _banner(context: ReportContext) -> dict:
    decisions = context.decisions()
    if not decisions:
        return {"state": "unknown", "reasons": []}
    due = any(d for d, _ in decisions.values())
    return {"state": "due" if due else "ok", "reasons": [(k, r) for k, (_, r) in decisions.items()]}


def render_report(context: ReportContext) -> str:
    """The report as one self-contained HTML page in `context.lang` ('en' or 'zh')."""
    if context.lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, not {context.lang!r}")
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR), autoescape=True, undefined=StrictUndefined, keep_trailing_newline=True
    )
    return env.get_template(TEMPLATE).render(
        lang=context.lang,
        period=context.period,
        generated_at=context.generated_at,
        versions=list(context.model_versions.items()),
        fingerprint=context.data_fingerprint,
        code_version=context.code_version,
        banner=_banner(context),
        sections=[_entity_section(context, e) for e in _entities(context)],
        rules=rule_table(context.rule_hits, context.lang),
        top=TOP_N,
    )
