"""Peak memory of a process tree from /proc texts: VmHWM, parents, descendants."""

from __future__ import annotations

import os

from streams.benchmarks.process_peak import (
    descendants,
    parent_of,
    status_mib,
    tree_peak,
    vm_hwm_mib,
)

STATUS = "Name:\tpython\nVmPeak:\t 2000000 kB\nVmHWM:\t 1433600 kB\nVmRSS:\t 1200000 kB\n"


def test_vm_hwm_is_read_in_mib() -> None:
    assert vm_hwm_mib(STATUS) == 1400.0


def test_the_current_rss_is_read_from_its_own_field() -> None:
    assert status_mib(STATUS, "VmRSS") == 1200000 / 1024


def test_a_process_without_vm_hwm_has_no_peak() -> None:
    assert vm_hwm_mib("Name:\tkthreadd\nState:\tS (sleeping)\n") is None


def test_parent_is_read_after_the_command_name_even_with_parentheses_in_it() -> None:
    assert parent_of("4242 (python (worker) x) S 17 4242 4242 0 -1") == 17


def test_descendants_come_parents_first_and_leave_other_trees_out() -> None:
    parents = {10: 1, 11: 10, 12: 10, 13: 11, 20: 1, 21: 20}
    assert descendants(10, parents) == [11, 12, 13]
    assert descendants(13, parents) == []


def test_tree_peak_of_this_process_names_it_and_sums_its_tree() -> None:
    peak = tree_peak(os.getpid(), "pytest")
    assert peak["process"] == "pytest"
    assert peak["processes"][0] == {
        "pid": os.getpid(),
        "process": "pytest",
        "peak_rss_mb": peak["processes"][0]["peak_rss_mb"],
    }
    assert peak["peak_rss_mb"] == sum(p["peak_rss_mb"] for p in peak["processes"]) > 0
