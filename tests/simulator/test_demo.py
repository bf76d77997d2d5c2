"""The scripts/develop demo: named miners on their pool, and pool workers that follow them.

scripts/develop hands Home Assistant what ``Demo.describe`` says; these tests check
that the served miners answer that way (over raw sockets, like the other simulator
tests) and that the WhitePool mock's workers track the miners.
"""

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from simulator.demo import WHITEPOOL_ACCOUNT, Demo

from .conftest import v2_call

pytestmark = pytest.mark.usefixtures("loopback_network")


@pytest.fixture
async def demo() -> AsyncIterator[Demo]:
    demo = Demo.build(
        miners=2,
        first_ip="127.0.78.1",
        whitepool_port=0,
        webminepool_port=0,
        mempool_port=0,
        push_port=0,
    )
    await demo.start()
    yield demo
    await demo.stop()


async def test_miners_answer_as_described(demo: Demo) -> None:
    miners = demo.describe()["miners"]
    assert [(miner["host"], miner["api"]) for miner in miners] == [
        ("127.0.78.1", "v2"),
        ("127.0.78.2", "v3"),
    ]
    for miner in miners:
        info = await v2_call(
            miner["v2_port"],
            {"cmd": "get_miner_info", "info": "hostname,mac"},
            host=miner["host"],
        )
        assert info["Msg"] == {"hostname": miner["name"], "mac": miner["mac"]}
        pools = await v2_call(miner["v2_port"], {"cmd": "pools"}, host=miner["host"])
        worker = f"{WHITEPOOL_ACCOUNT}.{miner['name'].replace('-', '_')}"
        assert [pool["User"] for pool in pools["POOLS"][:2]] == [worker, worker]
    v2_miner, v3_miner = demo.fleet.miners
    # The passwords Home Assistant is given are the ones the miners take.
    assert v2_miner.state.password == miners[0]["password"] == "admin"
    assert v3_miner.state.accounts["super"] == miners[1]["password"] == "super"


async def test_pool_workers_follow_their_miners(demo: Demo) -> None:
    account = demo.whitepool.accounts[WHITEPOOL_ACCOUNT]
    assert [worker.status for worker in account.workers] == ["online", "online"]

    stopped = demo.fleet.miners[0]
    stopped.set_mining(stopped.clock(), mining=False)
    demo.sync()

    assert [worker.status for worker in account.workers] == ["offline", "online"]
    running = demo.fleet.miners[1].reading()
    assert float(account.workers[1].hashrate) == pytest.approx(
        running.hashrate_avg * 10**12, rel=0.01
    )


async def test_sync_drops_the_request_logs(demo: Demo) -> None:
    miner = demo.describe()["miners"][0]
    await v2_call(miner["v2_port"], {"cmd": "summary"}, host=miner["host"])
    assert demo.fleet.miners[0].requests

    demo.sync()

    assert not demo.fleet.miners[0].requests
    assert not demo.whitepool.requests
    assert not demo.webminepool.calls


async def test_the_bitcoin_network_is_served(demo: Demo) -> None:
    """The mempool.space mock runs with the demo, for its Bitcoin-network entry."""
    assert demo.mempool is not None
    assert demo.describe()["mempool"]["url"].endswith("/api")
    url = f"{demo.mempool.url}/blocks/tip/height"
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert int(await response.text()) == demo.mempool.height


def test_the_pool_has_only_the_fleets_account() -> None:
    demo = Demo.build(miners=1, first_ip="127.0.78.1")
    assert list(demo.whitepool.accounts) == [WHITEPOOL_ACCOUNT]


def test_settings_and_paid_rewards_survive_a_restart(tmp_path: Path) -> None:
    """What Home Assistant changed is still so when the demo starts again."""
    state = tmp_path / "demo-state.json"
    demo = Demo.build(miners=2, first_ip="127.0.78.1")
    demo.restore(state)  # no file yet: nothing to restore
    first, second = demo.fleet
    first.state.power_limit = 2345
    first.state.power_mode = "Low"
    second.state.fast_boot = True
    second.set_mining(second.clock(), mining=False)
    account = demo.whitepool.accounts[WHITEPOOL_ACCOUNT]
    paid = demo.whitepool._reward_items(account)  # noqa: SLF001
    demo.save()

    again = Demo.build(miners=2, first_ip="127.0.78.1")
    again.restore(state)

    first, second = again.fleet
    assert first.state.power_limit == 2345
    assert first.state.power_mode == "Low"
    assert second.state.fast_boot is True
    assert second.state.mining is False
    assert again.fleet.miners[0].state.mining is True
    rewards = again.whitepool.accounts[WHITEPOOL_ACCOUNT].paid_rewards
    assert [
        rewards[reward["date"]] for reward in paid if reward["status"] == "successful"
    ] == [reward for reward in paid if reward["status"] == "successful"]


def test_an_unreadable_state_restores_nothing(tmp_path: Path) -> None:
    state = tmp_path / "demo-state.json"
    state.write_text("{not json", encoding="utf-8")
    demo = Demo.build(miners=1, first_ip="127.0.78.1")
    limit = demo.fleet.miners[0].state.power_limit

    demo.restore(state)

    assert demo.fleet.miners[0].state.power_limit == limit


async def test_the_demo_phone_takes_notifications(demo: Demo) -> None:
    """Home Assistant's mobile app posts a phone's notifications to its push URL."""
    url = demo.describe()["phone"]["push_url"]
    async with aiohttp.ClientSession() as session:
        async with session.post(
            url, json={"message": "Miner 1 reports error 2010.", "title": "Hashwatt"}
        ) as response:
            assert response.status == 201
        async with session.post(url, json={"title": "no message"}) as response:
            assert response.status == 400

    assert [push["message"] for push in demo.phone.received] == [
        "Miner 1 reports error 2010."
    ]
