"""The fixed world of a stand-in pooling region: providers, insured persons, catalogue, care recipes.

Part of `regions.py` (see its docstring). A Chinese-style pooling region: tertiary, secondary and
primary hospitals, community and private clinics and retail pharmacies in a few districts (one a
county with its own pooling area, so its residents' city care is out of area), insured persons
under the employee and resident schemes, and a reimbursement catalogue of drugs, services and
materials with A/B/C coverage classes. The care recipes say which items a visit, purchase or stay
for a diagnosis draws on. Written independently of fundguard's `synthetic/` package.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DISTRICTS = ["440103", "440104", "440105", "440106", "440111", "440183"]
COUNTY = "440183"  # a county with its own pooling area: care in the city is out of area
DISTRICT_WEIGHTS = np.array([0.22, 0.18, 0.20, 0.17, 0.13, 0.10])

# provider kinds: (kind, type, level, count, beds range, staff range, share public)
KINDS = [
    ("tertiary", "hospital", 3, 8, (900, 2600), (450, 1300), 1.0),
    ("secondary", "hospital", 2, 30, (180, 700), (80, 320), 0.8),
    ("primary", "hospital", 1, 52, (20, 120), (12, 50), 0.5),
    ("clinic", "clinic", 1, 120, (0, 8), (2, 14), 0.4),
    ("pharmacy", "pharmacy", None, 90, (0, 0), (1, 5), 0.05),
]
# services are priced by level on the local price list; drugs at zero mark-up in hospitals
SERVICE_PRICE_FACTOR = {"tertiary": 1.0, "secondary": 0.92, "primary": 0.85, "clinic": 0.8, "pharmacy": 1.0}

# catalogue: code, name, type, class, sex restriction, reference price, max daily quantity, bundle
CATALOG = [
    ("S001", "outpatient registration", "service", "A", None, 6, None, None),
    ("S002", "outpatient consultation", "service", "A", None, 20, None, None),
    ("S010", "general ward bed-day", "service", "A", None, 60, 1, None),
    ("S011", "level II nursing per day", "service", "A", None, 28, 1, None),
    ("S012", "level I nursing per day", "service", "A", None, 52, 1, None),
    ("S020", "intramuscular injection", "service", "A", None, 5, 6, None),
    ("S021", "intravenous infusion", "service", "A", None, 15, 4, None),
    ("S030", "complete blood count", "service", "A", None, 25, 2, None),
    ("S031", "urinalysis", "service", "A", None, 15, 2, None),
    ("S032", "liver function panel", "service", "A", None, 80, 1, None),
    ("S033", "renal function panel", "service", "A", None, 60, 1, None),
    ("S034", "blood glucose", "service", "A", None, 10, 6, None),
    ("S035", "lipid panel", "service", "B", None, 45, 1, None),
    ("S036", "C-reactive protein", "service", "B", None, 40, 2, None),
    ("S037", "HbA1c", "service", "B", None, 70, 1, None),
    ("S040", "electrocardiogram", "service", "A", None, 30, 3, None),
    ("S041", "chest X-ray", "service", "A", None, 80, 2, None),
    ("S042", "abdominal ultrasound", "service", "B", None, 120, 2, None),
    ("S043", "CT scan", "service", "B", None, 350, 2, None),
    ("S044", "MRI scan", "service", "B", None, 700, 1, None),
    ("S050", "physiotherapy session", "service", "B", None, 60, 3, None),
    ("S051", "acupuncture", "service", "B", None, 35, 2, None),
    ("S060", "gynaecological examination", "service", "A", "F", 40, 1, None),
    ("S061", "prostate-specific antigen", "service", "B", "M", 90, 1, None),
    ("P100", "appendectomy package", "service", "A", None, 2600, 1, None),
    ("P101", "appendectomy: anaesthesia", "service", "A", None, 900, 1, "P100"),
    ("P102", "appendectomy: operation", "service", "A", None, 1700, 1, "P100"),
    ("P110", "cholecystectomy package", "service", "A", None, 4200, 1, None),
    ("P111", "cholecystectomy: laparoscopy", "service", "A", None, 3000, 1, "P110"),
    ("P120", "hip replacement package", "service", "B", None, 9800, 1, None),
    ("P130", "cataract surgery package", "service", "A", None, 2900, 1, None),
    ("P140", "caesarean section package", "service", "A", "F", 3600, 1, None),
    ("M001", "syringe", "material", "A", None, 1.5, None, None),
    ("M002", "infusion set", "material", "A", None, 8, None, None),
    ("M003", "urinary catheter", "material", "B", None, 35, None, None),
    ("M010", "hip prosthesis", "material", "B", None, 16000, 1, None),
    ("M011", "intraocular lens", "material", "B", None, 2400, 1, None),
    ("D001", "amlodipine 5mg x28", "drug", "A", None, 24, None, None),
    ("D002", "nifedipine ER 30mg x7", "drug", "A", None, 31, None, None),
    ("D003", "losartan 50mg x14", "drug", "B", None, 38, None, None),
    ("D004", "atorvastatin 20mg x7", "drug", "B", None, 42, None, None),
    ("D005", "metformin 0.5g x48", "drug", "A", None, 15, None, None),
    ("D006", "insulin glargine pen", "drug", "B", None, 178, 2, None),
    ("D007", "aspirin 100mg x30", "drug", "A", None, 12, None, None),
    ("D010", "amoxicillin 0.25g x24", "drug", "A", None, 16, None, None),
    ("D011", "cefuroxime 0.25g x12", "drug", "B", None, 34, None, None),
    ("D012", "azithromycin 0.25g x6", "drug", "B", None, 27, None, None),
    ("D013", "levofloxacin injection", "drug", "B", None, 38, 2, None),
    ("D014", "ceftriaxone 1g injection", "drug", "B", None, 22, 4, None),
    ("D020", "ibuprofen SR x20", "drug", "A", None, 11, None, None),
    ("D021", "paracetamol x20", "drug", "A", None, 7, None, None),
    ("D022", "ambroxol syrup", "drug", "A", None, 16, None, None),
    ("D023", "compound licorice tablets", "drug", "A", None, 9, None, None),
    ("D024", "cold-relief granules (TCM)", "drug", "B", None, 29, None, None),
    ("D025", "omeprazole 20mg x14", "drug", "A", None, 19, None, None),
    ("D026", "montmorillonite powder", "drug", "A", None, 14, None, None),
    ("D027", "hydrocortisone cream", "drug", "A", None, 13, None, None),
    ("D028", "levofloxacin eye drops", "drug", "B", None, 21, None, None),
    ("D029", "salbutamol inhaler", "drug", "A", None, 26, None, None),
    ("D030", "metronidazole vaginal gel", "drug", "B", "F", 33, None, None),
    ("D031", "tamsulosin 0.2mg x10", "drug", "B", "M", 44, None, None),
    ("D040", "sodium chloride 0.9% 250ml", "drug", "A", None, 5, 6, None),
    ("D041", "glucose 5% 250ml", "drug", "A", None, 5, 6, None),
    ("D042", "human albumin 10g", "drug", "B", None, 420, 3, None),
    ("D043", "enoxaparin injection", "drug", "B", None, 54, 2, None),
    ("D044", "mannitol 250ml", "drug", "A", None, 12, 4, None),
    ("D045", "ginkgo leaf extract injection", "drug", "B", None, 66, 2, None),
    ("D046", "furosemide injection", "drug", "A", None, 4, 4, None),
    ("D047", "vitamin B complex tablets", "drug", "A", None, 6, None, None),
    ("D090", "ginseng slices 50g", "drug", "C", None, 268, None, None),
    ("D091", "multivitamin supplement", "drug", "C", None, 86, None, None),
    ("D092", "cosmetic skin cream", "drug", "C", None, 118, None, None),
]

# outpatient diagnoses: ICD-10, name, who gets it (resp/chronic/F/M/any), recipe (item, prob, qty min, qty max)
OUTPATIENT_DX = [
    (
        "J06.9",
        "upper respiratory infection",
        "resp",
        [("D021", 0.5, 1, 2), ("D022", 0.4, 1, 1), ("D024", 0.4, 1, 2), ("D010", 0.3, 1, 2), ("S030", 0.4, 1, 1)],
    ),
    (
        "J20.9",
        "acute bronchitis",
        "resp",
        [
            ("D011", 0.4, 1, 2),
            ("D012", 0.3, 1, 1),
            ("D022", 0.6, 1, 2),
            ("D023", 0.4, 1, 2),
            ("S030", 0.5, 1, 1),
            ("S041", 0.25, 1, 1),
            ("S036", 0.3, 1, 1),
        ],
    ),
    ("J45.9", "asthma", "asthma", [("D029", 0.8, 1, 2), ("D023", 0.3, 1, 1)]),
    (
        "I10",
        "essential hypertension",
        "htn",
        [
            ("D001", 0.6, 1, 3),
            ("D002", 0.3, 1, 3),
            ("D003", 0.3, 1, 2),
            ("D004", 0.25, 1, 2),
            ("S040", 0.15, 1, 1),
            ("S035", 0.1, 1, 1),
        ],
    ),
    (
        "E11.9",
        "type 2 diabetes",
        "dm",
        [("D005", 0.8, 1, 3), ("D006", 0.2, 1, 2), ("S034", 0.5, 1, 1), ("S037", 0.2, 1, 1), ("S033", 0.1, 1, 1)],
    ),
    ("K29.7", "gastritis", "any", [("D025", 0.8, 1, 2), ("S042", 0.15, 1, 1)]),
    ("A09", "gastroenteritis", "any", [("D026", 0.7, 1, 2), ("S030", 0.3, 1, 1), ("D010", 0.2, 1, 1)]),
    (
        "M54.5",
        "low back pain",
        "any",
        [("D020", 0.7, 1, 2), ("S050", 0.3, 1, 2), ("S051", 0.25, 1, 2), ("S041", 0.1, 1, 1)],
    ),
    ("N39.0", "urinary tract infection", "any", [("S031", 0.8, 1, 1), ("D012", 0.4, 1, 1), ("D011", 0.3, 1, 1)]),
    ("L30.9", "dermatitis", "any", [("D027", 0.8, 1, 2)]),
    ("H10.9", "conjunctivitis", "any", [("D028", 0.8, 1, 1)]),
    ("N76.0", "vaginitis", "F", [("S060", 0.7, 1, 1), ("D030", 0.8, 1, 1)]),
    ("N40", "benign prostatic hyperplasia", "M", [("D031", 0.8, 1, 2), ("S061", 0.3, 1, 1), ("S042", 0.2, 1, 1)]),
    (
        "Z00.0",
        "general check-up",
        "any",
        [
            ("S030", 0.8, 1, 1),
            ("S032", 0.5, 1, 1),
            ("S033", 0.5, 1, 1),
            ("S035", 0.5, 1, 1),
            ("S040", 0.5, 1, 1),
            ("S042", 0.3, 1, 1),
        ],
    ),
    ("R51", "headache", "any", [("D020", 0.5, 1, 1), ("D021", 0.4, 1, 1), ("S043", 0.05, 1, 1)]),
]
CHRONIC_DX = {"htn": "I10", "dm": "E11.9", "asthma": "J45.9"}
DRIP = [("S021", 1, 1, 1), ("D040", 1, 1, 2), ("M002", 1, 1, 1), ("D014", 0.5, 1, 2), ("D013", 0.3, 1, 1)]

# pharmacy baskets
PHARMACY_BASKETS = {
    "htn": [("D001", 0.6, 1, 3), ("D002", 0.3, 1, 3), ("D003", 0.3, 1, 2), ("D004", 0.3, 1, 2), ("D007", 0.3, 1, 2)],
    "dm": [("D005", 0.9, 1, 4), ("D006", 0.2, 1, 2), ("D007", 0.2, 1, 1)],
    "asthma": [("D029", 0.9, 1, 2)],
    "otc": [
        ("D021", 0.3, 1, 2),
        ("D022", 0.3, 1, 1),
        ("D024", 0.3, 1, 2),
        ("D020", 0.25, 1, 1),
        ("D025", 0.2, 1, 1),
        ("D026", 0.15, 1, 1),
        ("D027", 0.1, 1, 1),
        ("D047", 0.2, 1, 2),
    ],
    "tonic": [("D090", 0.4, 1, 1), ("D091", 0.5, 1, 2), ("D092", 0.3, 1, 1)],
}

# inpatient groups: DRG stem, ICD-10, name, mean LOS, lowest hospital level, sex, age tag,
# daily recipe (per day of stay), once recipe (anywhere in the stay)
INPATIENT = [
    (
        "ES1",
        "J18.9",
        "pneumonia",
        8,
        1,
        None,
        "old",
        [("D014", 0.9, 1, 2), ("D040", 0.9, 1, 2), ("S021", 0.8, 1, 1), ("M002", 0.6, 1, 1)],
        [("S030", 1, 1, 2), ("S036", 0.7, 1, 2), ("S041", 0.9, 1, 1), ("S043", 0.25, 1, 1), ("S032", 0.5, 1, 1)],
    ),
    (
        "FR2",
        "I50.9",
        "heart failure",
        9,
        1,
        None,
        "old",
        [("D046", 0.7, 1, 2), ("D040", 0.5, 1, 1), ("S040", 0.3, 1, 1)],
        [("S030", 1, 1, 2), ("S033", 0.8, 1, 1), ("S042", 0.4, 1, 1), ("S041", 0.6, 1, 1)],
    ),
    (
        "BR2",
        "I63.9",
        "cerebral infarction",
        12,
        2,
        None,
        "old",
        [("D045", 0.7, 1, 1), ("D044", 0.4, 1, 2), ("D040", 0.8, 1, 2), ("S050", 0.4, 1, 1), ("M002", 0.6, 1, 1)],
        [("S043", 0.9, 1, 1), ("S044", 0.5, 1, 1), ("S030", 1, 1, 2), ("S035", 0.7, 1, 1)],
    ),
    (
        "GC1",
        "K35.8",
        "acute appendicitis",
        5,
        2,
        None,
        "young",
        [("D014", 0.9, 1, 2), ("D040", 0.9, 1, 2), ("S021", 0.8, 1, 1)],
        [("P100", 1, 1, 1), ("S030", 1, 1, 2), ("S042", 0.8, 1, 1)],
    ),
    (
        "HC2",
        "K80.2",
        "gallstones",
        6,
        2,
        None,
        "mid",
        [("D014", 0.8, 1, 2), ("D040", 0.8, 1, 2), ("S021", 0.7, 1, 1)],
        [("P110", 1, 1, 1), ("S042", 1, 1, 1), ("S032", 1, 1, 1), ("S030", 1, 1, 1)],
    ),
    (
        "IC2",
        "M16.1",
        "hip osteoarthritis",
        13,
        2,
        None,
        "old",
        [("D043", 0.8, 1, 1), ("S050", 0.6, 1, 1), ("D040", 0.5, 1, 1)],
        [("P120", 1, 1, 1), ("M010", 1, 1, 1), ("S041", 1, 1, 2), ("S030", 1, 1, 2)],
    ),
    (
        "CB3",
        "H25.9",
        "senile cataract",
        2,
        2,
        None,
        "old",
        [("D028", 0.8, 1, 1)],
        [("P130", 1, 1, 1), ("M011", 1, 1, 1)],
    ),
    (
        "OB2",
        "O82.0",
        "caesarean delivery",
        5,
        2,
        "F",
        "birth",
        [("D014", 0.7, 1, 1), ("D040", 0.8, 1, 2)],
        [("P140", 1, 1, 1), ("S030", 1, 1, 2), ("S042", 0.9, 1, 1)],
    ),
    (
        "KD1",
        "E11.6",
        "diabetes with complications",
        9,
        1,
        None,
        "mid",
        [("S034", 0.9, 2, 4), ("D006", 0.6, 1, 1), ("D040", 0.4, 1, 1)],
        [("S037", 0.9, 1, 1), ("S033", 0.8, 1, 1), ("S032", 0.6, 1, 1)],
    ),
    (
        "EX2",
        "J44.1",
        "COPD exacerbation",
        9,
        1,
        None,
        "old",
        [("D013", 0.7, 1, 1), ("D040", 0.8, 1, 2), ("S021", 0.7, 1, 1)],
        [("S030", 1, 1, 2), ("S041", 0.9, 1, 1), ("S043", 0.3, 1, 1)],
    ),
    (
        "RE1",
        "Z50.1",
        "rehabilitation",
        24,
        1,
        None,
        "rehab",
        [("S050", 0.95, 1, 2), ("S051", 0.5, 1, 1)],
        [("S030", 0.8, 1, 1), ("S040", 0.5, 1, 1)],
    ),
]
# relative chance of each inpatient group by age band (child, young, middle, old)
AGE_TAG_WEIGHTS = {
    "old": (0.2, 0.3, 1.0, 3.0),
    "young": (1.0, 1.5, 0.8, 0.5),
    "mid": (0.1, 0.6, 1.2, 1.0),
    "birth": (0.0, 2.5, 0.05, 0.0),
    "rehab": (0.0, 0.0, 0.0, 0.0),
}


def build_catalog() -> pd.DataFrame:
    """The reimbursement catalogue as a contract table."""
    cols = [
        "item_code",
        "item_name",
        "item_type",
        "coverage_class",
        "sex_restriction",
        "reference_price",
        "max_daily_quantity",
        "bundle_code",
    ]
    cat = pd.DataFrame(CATALOG, columns=cols)
    cat["reference_price"] = cat["reference_price"].astype(float)
    cat["max_daily_quantity"] = pd.to_numeric(cat["max_daily_quantity"]).astype(float)
    return cat


def recipe_table() -> pd.DataFrame:
    """All recipes as one long table: recipe, item, prob, qmin, qmax, daily."""
    rows = [(f"OP:{icd}", *it, False) for icd, _, _, items in OUTPATIENT_DX for it in items]
    rows += [("DRIP", *it, False) for it in DRIP]
    rows += [(f"PH:{name}", *it, False) for name, items in PHARMACY_BASKETS.items() for it in items]
    for stem, *_, daily, once in INPATIENT:
        rows += [(f"IPD:{stem}", *it, True) for it in daily] + [(f"IPO:{stem}", *it, False) for it in once]
    return pd.DataFrame(rows, columns=["recipe", "item", "prob", "qmin", "qmax", "daily"])


def build_providers(rng) -> pd.DataFrame:
    """300 providers of the five kinds, with beds, staff, district, ownership and a popularity weight.

    Extra columns (kind, popularity, habit, doctors, lookalike) are internal and dropped before writing.
    """
    parts = []
    for kind, ptype, level, count, beds, staff, public in KINDS:
        city = DISTRICT_WEIGHTS[:-1] / DISTRICT_WEIGHTS[:-1].sum()
        region = (
            rng.choice(DISTRICTS[:-1], count, p=city)
            if kind == "tertiary"
            else rng.choice(DISTRICTS, count, p=DISTRICT_WEIGHTS)
        )
        n_staff = rng.integers(staff[0], staff[1] + 1, count)
        parts.append(
            pd.DataFrame(
                {
                    "provider_type": ptype,
                    "level": pd.array([level] * count, dtype="Int64"),
                    "ownership": np.where(rng.random(count) < public, "public", "private"),
                    "region": region,
                    "beds": rng.integers(beds[0], beds[1] + 1, count),
                    "staff": n_staff,
                    "contract_start": pd.Timestamp("2005-01-01")
                    + pd.to_timedelta(rng.integers(0, 6500, count), unit="D"),
                    "kind": kind,
                    "popularity": n_staff * rng.lognormal(0, 0.45, count),
                    "lookalike": "",
                    "habit": rng.lognormal(0, 0.3, count),
                }
            )
        )  # honest prescribing habit: more or fewer items
    prov = pd.concat(parts, ignore_index=True)
    prov.insert(0, "provider_id", [f"P{4401000 + i * 7}" for i in rng.permutation(len(prov))])
    prov["doctors"] = np.where(
        prov["provider_type"] == "hospital", np.minimum(prov["staff"] // 3, 250), prov["staff"]
    ).clip(1)
    return prov


def plant_lookalikes(rng, prov: pd.DataFrame) -> None:
    """Honest providers that look odd: busy clinics, rehabilitation hospitals, refill pharmacies."""
    clinics = rng.choice(prov.index[prov["kind"] == "clinic"], 6, replace=False)
    prov.loc[clinics, "popularity"] *= 3.5  # many patients per doctor
    prov.loc[clinics, "lookalike"] = "busy_clinic"
    rehab = rng.choice(prov.index[prov["kind"].isin(["primary", "secondary"])], 2, replace=False)
    prov.loc[rehab, "lookalike"] = "rehab_hospital"  # long stays, but with therapy every day
    pharmacies = rng.choice(prov.index[prov["kind"] == "pharmacy"], 4, replace=False)
    prov.loc[pharmacies, "popularity"] *= 2.5
    prov.loc[pharmacies, "lookalike"] = "refill_pharmacy"  # chronic patients back every month


def build_insured(rng, n: int) -> pd.DataFrame:
    """Insured persons with age, sex, scheme, district, chronic condition and how often they seek care."""
    band = rng.choice(4, n, p=[0.15, 0.40, 0.28, 0.17])
    low, high = np.array([0, 15, 45, 65])[band], np.array([15, 45, 65, 92])[band]
    age = rng.integers(low, high)
    birth = pd.Timestamp("2024-01-01") - pd.to_timedelta(age * 365 + rng.integers(0, 365, n), unit="D")
    sex = np.where(rng.random(n) < 0.5, "F", "M")
    chronic_p = np.clip((age - 30) / 90, 0, 0.5)
    chronic = np.where(rng.random(n) < chronic_p, rng.choice(["htn", "dm", "asthma"], n, p=[0.55, 0.35, 0.1]), "")
    working = (age >= 18) & (age < 62)
    return pd.DataFrame(
        {
            "person_id": [f"R{31000000 + i * 3}" for i in rng.permutation(n)],
            "sex": sex,
            "birth_date": birth,
            "scheme": np.where(
                working & (rng.random(n) < 0.7) | (age >= 62) & (rng.random(n) < 0.45), "employee", "resident"
            ),
            "region": rng.choice(DISTRICTS, n, p=DISTRICT_WEIGHTS),
            "age_band": band,
            "chronic": chronic,
            "activity": rng.lognormal(0, 0.6, n) * (1 + 0.8 * (chronic != "")),
        }
    )
