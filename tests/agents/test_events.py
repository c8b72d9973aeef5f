"""Seq numbering: strictly increasing, and never reused after the counter is lost."""

import pytest
from django.core.cache import cache, caches

from agents.events import SEQ_RESTART_MARGIN, _seq_key, emit
from agents.models import Event
from tests.support.services import SERVICE_URLS

pytestmark = pytest.mark.django_db(transaction=True)


def _emit_some(agent, n):
    return [emit(agent.pk, "file_chunk_generated", filePath="a.js", chunk="x")["seq"] for _ in range(n)] + [
        emit(agent.pk, "phase_generating", message="m")["seq"]
    ]


def _check(agent):
    seqs = _emit_some(agent, 5)
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    cache.delete(_seq_key(agent.pk))  # evicted, or Redis restarted
    after = _emit_some(agent, 2)
    assert after[0] > seqs[-1]
    assert after[0] - seqs[-1] <= SEQ_RESTART_MARGIN + 1
    assert list(Event.objects.filter(agent=agent).values_list("seq", flat=True)) == [seqs[-1], after[-1]]


def test_seqs_increase_and_survive_a_lost_counter_on_local_memory(create_agent):
    _check(create_agent(blueprint=False))


@pytest.mark.redis
def test_seqs_increase_and_survive_a_lost_counter_on_redis(create_agent, settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": SERVICE_URLS["redis"]}
    }
    caches["default"].clear()
    _check(create_agent(blueprint=False))
    caches["default"].clear()
