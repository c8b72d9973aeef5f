"""The sweep's turn: one process per interval sweeps, among all that share the cache."""

from agents import tasks


def test_only_the_first_process_to_ask_sweeps_in_an_interval():
    assert tasks._my_turn_to_sweep(60) is True
    assert tasks._my_turn_to_sweep(60) is False
