"""Population pages: who may see the case-finding list, the audit entries it writes, the CSV
export, the condition filter; registers, inequalities and the model card render their figures.

Scores are made directly in the app database (a RiskModel row and a few RiskScore rows), so
these tests do not train a model; `test_risk_demo.py` covers training and scoring.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from pbc.orgs.models import AuditEvent, Practice
from pbc.population.models import RiskModel, RiskScore
from pbc.synth import geography

DACORUM = geography.locality("dacorum")
PRACTICE_A = DACORUM.practices[0].code  # the "practice" demo user's practice
PRACTICE_B = DACORUM.practices[1].code  # "practice2"'s
PRACTICE_ENH = geography.locality("welwyn-hatfield").practices[0].code

CARD = {
    "chosen": "logistic_regression",
    "validation_auc": {"gradient_boosting": 0.65, "logistic_regression": 0.69},
    "evaluation": {
        key: {"label": key, "auc": auc, "top": [
            {"fraction": f, "people": 40, "ppv": ppv, "sensitivity": 0.05}
            for f in (0.005, 0.01, 0.05)]}
        for key, auc, ppv in (("gradient_boosting", 0.66, 0.3), ("logistic_regression", 0.68,
                              0.4), ("baseline", 0.54, 0.29))
    },
    "rule": {"people": 41, "share": 0.01, "ppv": 0.29, "sensitivity": 0.04},
    "calibration": [{"decile": i, "people": 400, "mean_predicted": i / 50, "observed": i / 48}
                    for i in range(1, 11)],
    "train_rows": 3988, "train_admitted": 307, "evaluation_rows": 3989, "evaluation_admitted": 283,
}  # fmt: skip


def _client(username: str) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


@pytest.fixture
def scores(db: None) -> RiskModel:
    model = RiskModel.objects.create(
        trained_at=timezone.now(),
        kind="logistic_regression",
        train_year="2006/07",
        evaluation_year="2007/08",
        path="/nowhere.joblib",
        features=["age"],
        card=CARD,
        scored_at=timezone.now(),
        score_date="2009-04-01",
    )
    rows = []
    for code in (PRACTICE_A, PRACTICE_B):
        for rank in range(1, 6):
            rows.append(
                RiskScore(
                    model=model, nhs_number=f"{code[-3:]}000000{rank}", gp_practice_code=code,
                    rank=rank, score=0.5 / rank, age=60 + rank, sex="F",
                    deprivation_quintile=rank, emergency_admissions=5 - rank,
                    copd=rank % 2 == 1, factors=[f"Age {60 + rank}"],
                )
            )  # fmt: skip
    RiskScore.objects.bulk_create(rows)
    return model


def _patient_row_events(username: str) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(username=username, action="view_patient_rows").order_by("pk")
    )


def test_practice_user_sees_own_list_and_is_audited(scores: RiskModel) -> None:
    client = _client("practice")
    url = f"/population/practices/{PRACTICE_A}/case-finding/"
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    shown = re.findall(r'data-nhs="(\d+)"', html)
    assert shown == [f"{PRACTICE_A[-3:]}000000{r}" for r in range(1, 6)]  # ranked, own only
    assert "Age 61" in html and "50.0%" in html
    events = _patient_row_events("practice")
    assert len(events) == 1
    practice = Practice.objects.get(code=PRACTICE_A)
    assert events[0].object_type == "Practice" and events[0].object_id == str(practice.pk)
    assert events[0].path == url and "5 of 5 patients" in events[0].detail


def test_condition_filter(scores: RiskModel) -> None:
    client = _client("practice")
    response = client.get(f"/population/practices/{PRACTICE_A}/case-finding/?condition=copd")
    shown = re.findall(r'data-nhs="(\d+)"', response.content.decode())
    assert shown == [f"{PRACTICE_A[-3:]}000000{r}" for r in (1, 3, 5)]
    assert "condition copd" in _patient_row_events("practice")[0].detail


def test_csv_export_is_the_practice_list_and_audited(scores: RiskModel) -> None:
    client = _client("analyst")  # a West Herts PCT analyst may export any of its practices
    response = client.get(f"/population/practices/{PRACTICE_B}/case-finding/?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f"case-finding-{PRACTICE_B}.csv" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["rank"] for r in rows] == ["1", "2", "3", "4", "5"]
    assert {r["nhs_number"][:3] for r in rows} == {PRACTICE_B[-3:]}
    assert rows[0]["risk_percent"] == "50.0" and rows[0]["conditions"] == "COPD"
    events = _patient_row_events("analyst")
    assert len(events) == 1 and "CSV export: 5 patients" in events[0].detail


@pytest.mark.parametrize(
    ("username", "practice"),
    [
        ("practice", PRACTICE_B),  # another practice in the same locality
        ("practice2", PRACTICE_A),
        ("locality", PRACTICE_A),  # locality managers see aggregates only
        ("board", PRACTICE_A),
        ("enh-analyst", PRACTICE_A),  # analyst of another PCT
        ("provider", PRACTICE_A),
    ],
)
def test_others_are_refused_and_the_refusal_audited(
    scores: RiskModel, username: str, practice: str
) -> None:
    client = _client(username)
    for suffix in ("", "?format=csv"):
        response = client.get(f"/population/practices/{practice}/case-finding/{suffix}")
        assert response.status_code == 403
        assert str(scores.scores.first().nhs_number) not in response.content.decode()
    assert _patient_row_events(username) == []
    denied = AuditEvent.objects.filter(username=username, action="denied")
    assert denied.count() == 2
    assert {e.detail for e in denied} == {"needs view_patient_rows"}


def test_anonymous_is_sent_to_sign_in(scores: RiskModel) -> None:
    response = Client().get(f"/population/practices/{PRACTICE_A}/case-finding/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert AuditEvent.objects.filter(action="view_patient_rows").count() == 0


def test_model_card_shows_both_models_and_the_baseline(scores: RiskModel) -> None:
    html = _client("board").get("/population/risk/model/").content.decode()
    for key in ("gradient_boosting", "logistic_regression", "baseline"):
        assert f'data-model="{key}"' in html
    assert "0.680" in html and "0.540" in html  # AUCs
    assert "40.0%" in html  # PPV top 1% of the chosen model
    assert "the numbers mean only that the pipeline works" in html
    assert "Limitations" in html and "Date trained" in html
    figure = json.loads(
        re.search(r'id="calibration-chart-data"[^>]*>(.*?)</script>', html, re.S)[1]
    )
    assert len(figure["data"][1]["x"]) == 10
    assert "/indicators/plotly.min.js" in html and "cdn" not in html.lower()


@pytest.mark.django_db
def test_registers_page_for_the_locality() -> None:
    response = _client("locality").get("/population/localities/dacorum/registers/")
    assert response.status_code == 200
    html = response.content.decode()
    for condition in ("diabetes", "copd", "heart_failure", "chd", "hypertension"):
        assert f'id="register-{condition}"' in html
        assert f'id="funnel-{condition}-data"' in html
    codes = set(re.findall(r'data-practice="(\w+)"', html))
    assert codes == {p.code for p in DACORUM.practices}
    assert (
        _client("wh-locality").get("/population/localities/dacorum/registers/").status_code == 403
    )


@pytest.mark.django_db
def test_inequalities_page_and_locality_link() -> None:
    client = _client("locality")
    assert (
        "/population/localities/dacorum/inequalities/"
        in client.get("/localities/dacorum/").content.decode()
    )
    html = client.get("/population/localities/dacorum/inequalities/").content.decode()
    years = re.findall(r'data-year="(\d{4}/\d\d)"', html)
    assert years[:4] == ["2005/06", "2006/07", "2007/08", "2008/09"]
    # The test-scale population is 4,000 people: the life tables are withheld, with the reason.
    assert "5,000 or less" in html
    # Deprivation is the IMD of each person's LSOA: the demo's synthetic IMD 2007 file.
    assert "English indices of deprivation 2007" in html
    shown = _mortality_people(html, "Dacorum locality", "2008/09")
    assert shown == _plain_quintile_population(
        [p.code for p in DACORUM.practices], dt.date(2008, 10, 1)
    )
    assert sum(shown.values()) > 0
    # The mortality chart draws the latest year's rates in the table, per area, by quintile.
    figure = json.loads(html.split('id="mortality-chart-data" type="application/json">', 1)[1]
                        .split("</script>", 1)[0])  # fmt: skip
    year = figure["layout"]["title"]["text"].split(", ")[1].split(" ")[0]
    assert year == years[-1] or year in years
    for trace in figure["data"]:
        table = html.split(f'data-area-mortality="{trace["name"]}"', 1)[1].split("</table>")[0]
        row = table.split(f'data-year="{year}"', 1)[1].split("</tr>", 1)[0]
        cells = re.findall(r'data-quintile="(\d)"[^>]*>([\d,]+)<br>', row)
        in_table = {int(q): int(v.replace(",", "")) for q, v in cells}
        drawn = dict(zip((1, 2, 3, 4, 5, 0), trace["y"], strict=True))
        assert {q: round(v) for q, v in drawn.items() if v is not None} == in_table
        assert in_table  # the test-scale demo has rates to draw
    # Test scale withholds the life tables, so no gap starts a halving trajectory: it says so.
    assert "no year has a gap to start the halving trajectory from" in html


def _mortality_people(html: str, area: str, year: str) -> dict[int, int]:
    table = html.split(f'data-area-mortality="{area}"', 1)[1].split("</table>", 1)[0]
    row = table.split(f'data-year="{year}"', 1)[1].split("</tr>", 1)[0]
    cells = re.findall(r'data-quintile="(\d)" data-deaths="\d+" data-population="(\d+)"', row)
    return {int(q): int(n) for q, n in cells if q != "0"}


def _plain_quintile_population(practices: list[str], on: dt.date) -> dict[int, int]:
    """People registered and alive on `on` at `practices`, by the national quintile of their
    LSOA's IMD 2007 rank (ceil(5 x rank / LSOAs)), read straight from the Parquet files."""
    import pandas as pd
    from django.conf import settings

    from pbc.warehouse.store import live_files

    def read(name: str) -> pd.DataFrame:
        return pd.concat(pd.read_parquet(f) for f in live_files(name, settings.DATA_DIR))

    p = read("patients")
    day = pd.Timestamp(on)
    for c in ("registration_start_date", "registration_end_date", "date_of_death"):
        p[c] = pd.to_datetime(p[c])
    p = p[(p.registration_start_date <= day)
          & (p.registration_end_date.isna() | (p.registration_end_date >= day))
          & (p.date_of_death.isna() | (p.date_of_death >= day))]  # fmt: skip
    p = p.sort_values(["registration_start_date", "gp_practice_code"]).groupby("nhs_number").tail(1)
    p = p[p.gp_practice_code.isin(practices)]
    imd = read("imd_lsoa")
    imd = imd[imd.imd_edition == "2007"]
    quintile = {r.lsoa_code: -(-5 * r.imd_rank // len(imd)) for r in imd.itertuples()}
    counts = p.lsoa_code.map(quintile).value_counts()
    return {q: int(counts.get(q, 0)) for q in range(1, 6)}
