"""A slow result is built once for readers who ask together, kept a while, then built again."""

import asyncio

import pytest

from core.kept_results import KeptResults


class Builder:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.builds = 0

    async def __call__(self) -> int:
        self.builds += 1
        await asyncio.sleep(self.seconds)
        return self.builds


async def test_readers_asking_together_wait_for_one_build():
    kept: KeptResults[int] = KeptResults(slow=10.0, keep=60.0)
    build = Builder(0.05)
    results = await asyncio.gather(*(kept.get("country", build) for _ in range(3)))
    assert results == [1, 1, 1]
    assert build.builds == 1


async def test_a_slow_result_is_kept_and_a_quick_one_is_not():
    slow_build, quick_build = Builder(0.05), Builder(0.0)
    kept: KeptResults[int] = KeptResults(slow=0.04, keep=60.0)
    assert [await kept.get("country", slow_build) for _ in range(2)] == [1, 1]
    assert [await kept.get("school-1", quick_build) for _ in range(2)] == [1, 2]


async def test_a_kept_result_is_built_again_when_it_is_old():
    kept: KeptResults[int] = KeptResults(slow=0.0, keep=0.05)
    build = Builder(0.0)
    assert await kept.get("country", build) == 1
    assert await kept.get("country", build) == 1
    await asyncio.sleep(0.06)
    assert await kept.get("country", build) == 2


async def test_a_failed_build_is_not_kept():
    kept: KeptResults[int] = KeptResults(slow=0.0, keep=60.0)
    calls = 0

    async def failing() -> int:
        nonlocal calls
        calls += 1
        raise RuntimeError("the database went away")

    for _ in range(2):
        with pytest.raises(RuntimeError):
            await kept.get("country", failing)
    assert calls == 2
