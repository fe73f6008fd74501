"""Which committed partitions an import replaces (`store.replaced_partitions`)."""

from __future__ import annotations

from pbc.warehouse.store import replaced_partitions


def test_a_year_replaces_its_own_partition_only() -> None:
    committed = ["financial_year=2008-09", "financial_year=2009-10"]
    assert replaced_partitions(committed, ["financial_year=2008-09"], None) == [
        "financial_year=2008-09"
    ]


def test_a_partition_of_an_older_partitioning_is_replaced() -> None:
    """Market forces factors stored whole (one partition, "") before they were partitioned by
    year may hold any year: the first import by year replaces them, and nothing else."""
    assert replaced_partitions([""], ["financial_year=2008-09"], None) == [""]
    assert replaced_partitions([""], [], None) == []


def test_a_commissioners_import_keeps_other_commissioners_partitions() -> None:
    committed = [
        "period=2009-01/provider_code=RWG/commissioner_code=5P2",
        "period=2009-01/provider_code=RWG/commissioner_code=5P3",
        "period=2009-02/provider_code=RWG/commissioner_code=5P2",
    ]
    staged = ["period=2009-01/provider_code=RWG/commissioner_code=5P2"]
    assert replaced_partitions(committed, staged, frozenset({"5P2"})) == [staged[0]]
