"""The synthetic reimbursement catalogue, diagnoses and DRG groups (the knowledge tables).

Everything here is plain data: the generator samples from it and the audit rules of later stages
read the same knowledge from the catalogue table the generator writes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# (code, name, item_type, coverage_class, reference_price, sex, max_daily_qty, bundle_code, group)
# group tags say where the honest generator uses an item.
_ITEMS: list[tuple] = [
    # --- services
    ("S0001", "普通挂号费", "service", "A", 6.0, None, 1, None, "registration"),
    ("S0002", "门诊诊查费", "service", "A", 20.0, None, 2, None, "consult"),
    ("S0003", "急诊诊查费", "service", "A", 30.0, None, 2, None, "consult_er"),
    ("S0010", "床位费(普通病房)", "service", "A", 60.0, None, 1, None, "bed"),
    ("S0011", "二级护理", "service", "A", 30.0, None, 1, None, "nursing"),
    ("S0012", "心电监护", "service", "A", 120.0, None, 1, None, "monitor"),
    ("S0013", "氧气吸入(按小时)", "service", "A", 5.0, None, 24, None, "monitor"),
    ("S0020", "血常规", "service", "A", 25.0, None, 2, None, "lab"),
    ("S0021", "尿常规", "service", "A", 15.0, None, 2, None, "lab"),
    ("S0022", "肝功能", "service", "A", 80.0, None, 2, None, "lab"),
    ("S0023", "肾功能", "service", "A", 60.0, None, 2, None, "lab"),
    ("S0024", "血糖测定", "service", "A", 10.0, None, 4, None, "lab_diab"),
    ("S0025", "糖化血红蛋白", "service", "B", 70.0, None, 1, None, "lab_diab"),
    ("S0026", "C反应蛋白", "service", "A", 40.0, None, 1, None, "lab_resp"),
    ("S0027", "超敏C反应蛋白", "service", "B", 50.0, None, 1, None, "lab_resp"),
    ("S0030", "血脂四项(组套)", "service", "A", 60.0, None, 1, None, "lab_lipid"),
    ("S0031", "总胆固醇", "service", "A", 20.0, None, 1, "S0030", "component"),
    ("S0032", "甘油三酯", "service", "A", 20.0, None, 1, "S0030", "component"),
    ("S0033", "高密度脂蛋白胆固醇", "service", "A", 20.0, None, 1, "S0030", "component"),
    ("S0034", "低密度脂蛋白胆固醇", "service", "A", 20.0, None, 1, "S0030", "component"),
    ("S0040", "胸部X线摄影", "service", "A", 80.0, None, 2, None, "imaging"),
    ("S0041", "常规心电图", "service", "A", 30.0, None, 2, None, "imaging"),
    ("S0042", "腹部B超", "service", "A", 120.0, None, 1, None, "imaging"),
    ("S0043", "头颅CT平扫", "service", "B", 250.0, None, 1, None, "imaging_ct"),
    ("S0044", "胸部CT平扫", "service", "B", 300.0, None, 1, None, "imaging_ct"),
    ("S0045", "全腹部CT平扫(组套)", "service", "B", 600.0, None, 1, None, "imaging_ct"),
    ("S0046", "上腹部CT平扫", "service", "B", 300.0, None, 1, "S0045", "component"),
    ("S0047", "下腹部CT平扫", "service", "B", 280.0, None, 1, "S0045", "component"),
    ("S0048", "盆腔CT平扫", "service", "B", 280.0, None, 1, "S0045", "component"),
    ("S0050", "阑尾切除术(组套)", "service", "A", 2400.0, None, 1, None, "surgery"),
    ("S0051", "手术区消毒", "service", "A", 260.0, None, 1, "S0050", "component"),
    ("S0052", "阑尾切除", "service", "A", 1900.0, None, 1, "S0050", "component"),
    ("S0053", "腹壁切口缝合", "service", "A", 650.0, None, 1, "S0050", "component"),
    ("S0054", "股骨骨折内固定术", "service", "A", 4200.0, None, 1, None, "surgery"),
    ("S0055", "剖宫产术", "service", "A", 2600.0, None, 1, None, "surgery"),
    ("S0056", "腹腔镜胆囊切除术", "service", "A", 3600.0, None, 1, None, "surgery"),
    ("S0060", "针灸", "service", "B", 40.0, None, 1, None, "physio"),
    ("S0061", "推拿", "service", "B", 50.0, None, 1, None, "physio"),
    ("S0062", "中频脉冲电治疗", "service", "B", 30.0, None, 1, None, "physio"),
    ("S0070", "妇科检查", "service", "A", 30.0, "F", 1, None, "gyn"),
    ("S0071", "经阴道B超", "service", "A", 150.0, "F", 1, None, "gyn"),
    ("S0072", "宫颈细胞学检查", "service", "B", 100.0, "F", 1, None, "gyn"),
    ("S0073", "前列腺特异性抗原", "service", "B", 90.0, "M", 1, None, "andro"),
    ("S0074", "前列腺B超", "service", "A", 120.0, "M", 1, None, "andro"),
    ("S0080", "静脉输液", "service", "A", 12.0, None, 4, None, "infusion"),
    ("S0081", "血液透析", "service", "A", 420.0, None, 1, None, "dialysis"),
    # --- drugs: cheap common covered drugs (the usual swap targets at pharmacies)
    ("X0001", "阿莫西林胶囊", "drug", "A", 12.5, None, None, None, "cold"),
    ("X0002", "二甲双胍片", "drug", "A", 10.0, None, None, None, "chronic"),
    ("X0003", "布洛芬缓释胶囊", "drug", "A", 16.0, None, None, None, "cold"),
    ("X0004", "复方甘草片", "drug", "A", 8.0, None, None, None, "cold"),
    ("X0005", "板蓝根颗粒", "drug", "B", 12.0, None, None, None, "cold"),
    ("X0006", "维生素C片", "drug", "A", 5.0, None, None, None, "general"),
    ("X0007", "感冒灵颗粒", "drug", "B", 15.0, None, None, None, "cold"),
    ("X0008", "硝苯地平缓释片", "drug", "A", 20.0, None, None, None, "chronic"),
    ("X0009", "蒙脱石散", "drug", "A", 14.0, None, None, None, "gastro"),
    ("X0010", "奥美拉唑肠溶胶囊", "drug", "A", 22.0, None, None, None, "gastro"),
    # chronic-disease drugs
    ("X0020", "氨氯地平片", "drug", "A", 30.0, None, None, None, "chronic"),
    ("X0021", "缬沙坦胶囊", "drug", "B", 45.0, None, None, None, "chronic"),
    ("X0022", "阿托伐他汀钙片", "drug", "B", 42.0, None, None, None, "chronic"),
    ("X0023", "胰岛素注射液", "drug", "B", 118.0, None, None, None, "chronic"),
    ("X0024", "格列美脲片", "drug", "B", 35.0, None, None, None, "chronic"),
    ("X0025", "阿卡波糖片", "drug", "B", 58.0, None, None, None, "chronic"),
    ("X0026", "阿司匹林肠溶片", "drug", "A", 15.0, None, None, None, "chronic"),
    ("X0027", "氯吡格雷片", "drug", "B", 85.0, None, None, None, "chronic"),
    # inpatient injections (priced per ampoule/vial; daily limits apply)
    ("X0040", "注射用头孢曲松钠", "drug", "A", 24.0, None, 4, None, "injection"),
    ("X0041", "左氧氟沙星注射液", "drug", "B", 32.0, None, 2, None, "injection"),
    ("X0042", "奥美拉唑注射液", "drug", "B", 38.0, None, 2, None, "injection"),
    ("X0043", "氯化钠注射液", "drug", "A", 6.0, None, 6, None, "injection"),
    ("X0044", "人血白蛋白", "drug", "B", 380.0, None, 2, None, "injection_exp"),
    ("X0045", "注射用紫杉醇", "drug", "B", 960.0, None, 1, None, "injection_exp"),
    ("X0046", "依诺肝素钠注射液", "drug", "B", 68.0, None, 2, None, "injection"),
    ("X0047", "甘露醇注射液", "drug", "A", 9.0, None, 4, None, "injection"),
    ("X0048", "注射用美罗培南", "drug", "B", 160.0, None, 3, None, "injection"),
    ("X0049", "注射用泮托拉唑钠", "drug", "B", 46.0, None, 2, None, "injection"),
    ("X0050", "注射用还原型谷胱甘肽", "drug", "B", 58.0, None, 2, None, "injection"),
    ("X0051", "注射用头孢哌酮舒巴坦", "drug", "B", 92.0, None, 3, None, "injection"),
    ("X0052", "丹参多酚酸盐注射液", "drug", "B", 110.0, None, 2, None, "injection"),
    # sex-restricted drugs
    ("X0060", "黄体酮软胶囊", "drug", "B", 45.0, "F", None, None, "gyn"),
    ("X0061", "戊酸雌二醇片", "drug", "B", 35.0, "F", None, None, "gyn"),
    ("X0062", "非那雄胺片", "drug", "B", 62.0, "M", None, None, "andro"),
    ("X0063", "坦索罗辛缓释胶囊", "drug", "B", 55.0, "M", None, None, "andro"),
    # not covered (丙类): tonics and the like, self-paid
    ("X0080", "阿胶补血口服液", "drug", "C", 88.0, None, None, None, "selfpay"),
    ("X0081", "复合维生素营养片", "drug", "C", 66.0, None, None, None, "selfpay"),
    ("X0090", "中药饮片(按克)", "drug", "B", 0.1, None, None, None, "herbal"),
    # --- materials
    ("M0001", "一次性注射器", "material", "A", 2.0, None, None, None, "material"),
    ("M0002", "一次性输液器", "material", "A", 5.0, None, None, None, "material"),
    ("M0003", "医用棉签", "material", "A", 3.0, None, None, None, "material"),
    ("M0004", "无菌敷料", "material", "B", 10.0, None, None, None, "material"),
    ("M0005", "导尿包", "material", "B", 25.0, None, None, None, "material"),
    ("M0010", "骨科内固定钢板", "material", "B", 3200.0, None, None, None, "implant"),
]

FILLER_DRUGS = 420  # generic catalogue depth, so item mixes are not trivially small


@dataclass(frozen=True)
class Catalog:
    code: np.ndarray  # str
    name: np.ndarray  # str
    item_type: np.ndarray  # str
    coverage: np.ndarray  # str A/B/C
    ref_cents: np.ndarray  # int64, reference price in fen
    sex: np.ndarray  # object: "F", "M" or None
    max_daily: np.ndarray  # float, nan where unset
    bundle: np.ndarray  # object: package code or None
    group: np.ndarray  # str usage tag

    def idx(self, code: str) -> int:
        return int(np.flatnonzero(self.code == code)[0])

    def group_idx(self, group: str) -> np.ndarray:
        return np.flatnonzero(self.group == group)


def build_catalog(rng: np.random.Generator) -> Catalog:
    rows = list(_ITEMS)
    prices = np.round(np.exp(rng.normal(3.2, 0.9, FILLER_DRUGS)), 1).clip(1.5, 900)
    classes = rng.choice(["A", "B", "C"], FILLER_DRUGS, p=[0.45, 0.45, 0.10])
    for k in range(FILLER_DRUGS):
        rows.append(
            (
                f"X{1000 + k:04d}",
                f"通用药品{1000 + k:04d}",
                "drug",
                str(classes[k]),
                float(prices[k]),
                None,
                None,
                None,
                "filler",
            )
        )
    cols = list(zip(*rows))
    ref = np.round(np.asarray(cols[4], dtype=float) * 100).astype(np.int64)
    max_daily = np.array([np.nan if v is None else float(v) for v in cols[6]])
    return Catalog(
        code=np.array(cols[0]),
        name=np.array(cols[1]),
        item_type=np.array(cols[2]),
        coverage=np.array(cols[3]),
        ref_cents=ref,
        sex=np.array(cols[5], dtype=object),
        max_daily=max_daily,
        bundle=np.array(cols[7], dtype=object),
        group=np.array(cols[8]),
    )


# Diagnoses: (icd10, dx group, sex or None, minimum age, outpatient weight)
DIAGNOSES: list[tuple] = [
    ("J06.9", "resp", None, 0, 16.0),
    ("J20.9", "resp", None, 0, 6.0),
    ("J02.9", "resp", None, 0, 6.0),
    ("I10", "chronic", None, 35, 12.0),
    ("E11.9", "chronic", None, 30, 8.0),
    ("K29.7", "gastro", None, 10, 6.0),
    ("A09", "gastro", None, 0, 3.0),
    ("M54.5", "physio", None, 18, 6.0),
    ("M17.9", "physio", None, 45, 3.0),
    ("R51", "general", None, 5, 3.0),
    ("L30.9", "general", None, 0, 3.0),
    ("N39.0", "general", None, 10, 2.0),
    ("Z00.0", "general", None, 0, 3.0),
    ("S93.4", "general", None, 5, 1.5),
    ("N95.1", "gyn", "F", 45, 2.0),
    ("O26.9", "gyn", "F", 18, 1.5),
    ("N76.0", "gyn", "F", 16, 2.5),
    ("N40", "andro", "M", 50, 3.0),
]

# DRG groups: (drg, principal dx, kind, mean LOS, cost weight, surgery item or None, min age, sex)
DRGS: list[tuple] = [
    ("ES31", "J18.9", "medical", 8.0, 1.0, None, 0, None),
    ("BR23", "I63.9", "medical", 11.0, 1.4, None, 40, None),
    ("FR41", "I21.9", "medical", 9.0, 1.8, None, 40, None),
    ("FR31", "I50.9", "medical", 10.0, 1.3, None, 50, None),
    ("KS13", "E11.9", "medical", 9.0, 0.9, None, 30, None),
    ("GS13", "K80.2", "surgical", 6.0, 1.6, "S0056", 20, None),
    ("GC19", "K35.8", "surgical", 5.0, 1.3, "S0050", 5, None),
    ("IC29", "S72.0", "surgical", 14.0, 2.6, "S0054", 50, None),
    ("ER15", "C34.9", "medical", 12.0, 3.0, None, 45, None),
    ("LR11", "N18.9", "medical", 10.0, 1.5, None, 40, None),
    ("OB29", "O80", "surgical", 5.0, 1.1, "S0055", 20, "F"),
    ("GZ13", "A09", "medical", 3.0, 0.5, None, 0, None),
    ("IZ29", "M54.5", "medical", 8.0, 0.6, None, 30, None),
]
