"""Firmware families the simulator can play, each following replies captured from real miners.

A persona fixes what a miner's firmware sends: which ports answer, the envelope and
keys of every reply, the types of the values (``"3600"`` or ``3600``), the units
(MH/s or TH/s), the commands it refuses and how. The handlers build every field any
firmware sends; the persona then brings each reply into the shape of the capture it
follows (see ``conform``), so a reply can never carry a key, a type or an envelope
that the real firmware does not.

The captures are the project's corpus, ``tests/fixtures/whatsminer/`` (raw reply text
as published, with ``index.json`` saying where each one comes from); the client's
tests read the same files. A reply with no capture behind it keeps the shape of the
vendor document.

=========  ==========================================  ===========================================
persona    firmware                                    follows (tests/fixtures/whatsminer/…)
=========  ==========================================  ===========================================
v1         2020-2021, API "whatsminer v1.4.0",         v1x/asic-rs__M20S-class__{summary,devs,
           20210322.22.REL (M20S-class), 4028 only.    pools,status,get_version,get_psu}.raw
           cgminer reads asked as {"cmd"} get code     (devs also for edevs); code 24:
           24; get_miner_info, get_error_code, stats   v1x/foreman__M30S__pools+summary+edevs.raw;
           refused (14 "invalid cmd"); btmineroff      stats: v1x/libbtctools__unknown__stats.raw;
           "true" while hashing; MAC, Power Fanspeed,  the others: the reference's "Old firmware"
           Error Code N in summary                     paragraph
v2         2022-2024, API 2.0.x, 20230911.12.Rel,      v2/pyasic__M30S-class__summary.raw,
           4028 only; status with power_mode and       v2/pyasic__unknown__status.raw (this
           hash_percent empty; cgminer status          firmware); devs/edevs, get_error_code,
           entries with STATUS and Msg only            get_psu(__2): v2/mining-stack__M30S++-class
                                                       (2022); pools, get_miner_info:
                                                       v2/mining-stack__M30S++_VH95 (late 2024,
                                                       classic shape); the rest (get_version,
                                                       devdetails, writes): the vendor document
v2-2024    20241108.22.Rel (M30S++ VH95): the classic  4028: v2/mining-stack__M30S++_VH95__{summary,
           v2 shape on 4028 (SUMMARY list, MH/s per    devs,pools,status,get_psu,get_miner_info,
           board, devs without ASC) and API v3 on      get_error_code}.raw; 4433: as compat. The
           4433: the firmware date does not tell the   shape is per reply, not per firmware date
           shape                                       (corpus FINDINGS item 40)
compat     2024-11 onward (API 3.0.1 on 4433), the     4028: compat/pulse__M60S__{summary,edevs,
           compatibility layer on 4028: summary in     get_miner_info}.raw; compat/mining-stack__
           Msg in MH/s, edevs TH/s, devdetails 132,    M30S++-class__{devs,pools,get_psu,
           stats 14, get_version with miner_type;      get_error_code,status}.raw; refusals
           status with the settings empty              compat/pulse__M60S__devdetails.raw,
                                                       compat/pulse__M60S-class__stats.raw;
                                                       4433: v3/asic-rs__M60S_VK40__{get.device.
                                                       info,get.miner.status.{summary,pools,
                                                       edevs}}.raw, PSU inputs in power: v3/
                                                       mining-stack__M30S++_VH95__get.device.
                                                       info.power.raw
v3         2025, native API v3 3.0.2 (M60S_VK40),      as compat (the v3 captures are of
           20250214.16.Rel2, compatibility layer on    20251209.16.Rel2); status:
           4028 as compat, but its status leaves       compat/asic-rs-pr187__unknown__status.raw
           power_mode / hash_percent empty and says    (20250214.16.1)
           power_limit_set "2147483647"
v3-2026    2026, API v3 3.0.5, 20260312.16.REL3,       4028: compat/tether__M7BS_VM30__{summary,
           hydro M7BS_VM30: edevs without              edevs,pools,status,get_version,
           hash-realtime/status, pools without         get_miner_info,get_error_code}.raw;
           counters, device info without board-num/    4433: v3/tether__M7BS_VM30__get.miner.
           fast-boot/pcbsn*, ledstatus a blink         status.edevs.raw (a fragment); the rest of
           pattern, coolant temperature, PSU iin/vin/  4433: the reference's "2026 firmware"
           pin, fans 0 rpm; 4028 status with           paragraph
           liquid_temp and power_pct
=========  ==========================================  ===========================================
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

# The project's corpus of replies captured from real miners (the client's tests read the
# same files): one truth for both.
CAPTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "whatsminer"


# Fields a reply may carry at the captured value: counters and labels the simulator
# does not model. A live figure (hashrate, power, temperature, fan, time) never is one.
STATIC_FIELDS = frozenset(
    {
        "Best Share",
        "CB Platform",
        "CB Version",
        "Debug",
        "Device Hardware%",
        "Device Rejected%",
        "Difficulty Rejected",
        "Difficulty Stale",
        "Discarded",
        "Factory Error Code Count",
        "Found Blocks",
        "Get Failures",
        "Has GBT",
        "Last Share Difficulty",
        "Last Share Pool",
        "Local Work",
        "Network Blocks",
        "Remote Failures",
        "Stale",
        "Work Utility",
    }
)
# PSU input figures in get.device.info's power section vary by unit: a 20241108.22.Rel
# unit sends them on 4433 (v3/mining-stack__M30S++_VH95__get.device.info.power.raw), so
# does a hydro M64 (v3/controller__M64_VL40__get.device.info.raw), the M60S the v3
# personas follow does not. The simulator sends them.
_PSU_INPUT = ("iin", "vin", "vout", "pin", "temp0")


@dataclass(frozen=True, slots=True)
class Refusal:
    """How a firmware turns a command down on 4028 (a btminer-native envelope)."""

    code: int
    message: str
    status: str = "E"


@dataclass(frozen=True, slots=True)
class Persona:
    """One firmware family: its ports, versions and the captured replies it follows."""

    name: str
    title: str
    api: str  # "v2": 4028 only; "v3": API v3 on 4433 too
    v2_dialect: (
        str  # "v1", "v2" or "compat" (the compatibility layer): how 4028 answers
    )
    v3_dialect: str | None  # "2025" or "2026": how 4433 answers
    firmware_version: str
    api_version: str  # get_version's api_ver on 4028
    v3_api_version: str | None
    model: str  # the hardware the captures come from (any model can be played)
    native_description: str = ""  # "Description" of btminer-native replies
    # request ("summary", "get.miner.status summary") -> capture file in CAPTURES
    follows: Mapping[str, str] = field(default_factory=dict)
    refusals: Mapping[str, Refusal] = field(default_factory=dict)
    # keys the firmware sends only sometimes, kept when the simulator builds them
    passthrough: tuple[str, ...] = ()
    # 2020 firmware answers cgminer reads asked as {"cmd": ...} with code 24
    cgminer_reads_need_command: bool = False
    # status values the firmware was captured sending whatever the settings ("" for
    # power_mode, 2147483647 for power_limit_set)
    status_values: Mapping[str, str] = field(default_factory=dict)

    def template(self, request: str) -> Any | None:  # noqa: ANN401
        """Return the captured reply this persona follows for a request, or None."""
        file = self.follows.get(request)
        return None if file is None else load_capture(file)


@cache
def capture_index() -> Mapping[str, Mapping[str, Any]]:
    """Return the provenance of every stored capture, by file."""
    entries = json.loads((CAPTURES / "index.json").read_text(encoding="utf-8"))
    return MappingProxyType({entry["file"]: entry for entry in entries})


@cache
def load_capture(file: str) -> Any:  # noqa: ANN401
    """Parse a stored capture (text as published: NUL bytes and spaces stripped)."""
    text = (CAPTURES / file).read_bytes().decode("utf-8", errors="replace")
    return json.loads(text.strip().rstrip("\x00"))


_V1 = "v1x/asic-rs__M20S-class__"
_V3 = "v3/asic-rs__M60S_VK40__"
_PULSE = "compat/pulse__M60S__"
_TETHER = "compat/tether__M7BS_VM30__"
_V3_FOLLOWS = {
    "get.device.info": f"{_V3}get.device.info.raw",
    "get.miner.status summary": f"{_V3}get.miner.status.summary.raw",
    "get.miner.status pools": f"{_V3}get.miner.status.pools.raw",
    "get.miner.status edevs": f"{_V3}get.miner.status.edevs.raw",
}
_FLEET_V2 = "v2/mining-stack__M30S++-class__"  # 20221009.17.Rel
_FLEET_V2_2024 = "v2/mining-stack__M30S++_VH95__"  # 20241108.22.Rel, classic shape
_FLEET_COMPAT = "compat/mining-stack__M30S++-class__"  # 20250321.14.Rel
_COMPAT_FOLLOWS = {
    "summary": f"{_PULSE}summary.raw",
    "edevs": f"{_PULSE}edevs.raw",
    "devs": f"{_FLEET_COMPAT}devs.raw",
    "pools": f"{_FLEET_COMPAT}pools.raw",
    "get_miner_info": f"{_PULSE}get_miner_info.raw",
    "get_psu": f"{_FLEET_COMPAT}get_psu.raw",
    "get_error_code": f"{_FLEET_COMPAT}get_error_code.raw",
}
# Captured on 4028 of new firmware: compat/pulse__M60S__devdetails.raw and
# compat/pulse__M60S-class__stats.raw.
_COMPAT_REFUSALS = {
    "devdetails": Refusal(132, "This command is deprecated."),
    "stats": Refusal(14, "invalid cmd"),
}

PERSONAS: Mapping[str, Persona] = MappingProxyType(
    {
        persona.name: persona
        for persona in (
            Persona(
                name="v1",
                title="2020-2021 firmware, API whatsminer v1.4.0 (4028 only)",
                api="v2",
                v2_dialect="v1",
                v3_dialect=None,
                firmware_version="20210322.22.REL",
                api_version="whatsminer v1.4.0",
                v3_api_version=None,
                model="M20S",
                native_description="whatsminer v1.4.0",
                follows={
                    "summary": f"{_V1}summary.raw",
                    "devs": f"{_V1}devs.raw",
                    "edevs": f"{_V1}devs.raw",
                    "pools": f"{_V1}pools.raw",
                    "status": f"{_V1}status.raw",
                    "get_version": f"{_V1}get_version.raw",
                    "get_psu": f"{_V1}get_psu.raw",
                    "get_token": "v1x/foreman__unknown__get_token.raw",
                },
                # The reference's "Old firmware" paragraph; stats as captured on API
                # whatsminer v1.3 (v1x/libbtctools__unknown__stats.raw).
                refusals={
                    "get_miner_info": Refusal(14, "invalid cmd"),
                    "get_error_code": Refusal(14, "invalid cmd"),
                    "stats": Refusal(14, "invalid cmd"),
                },
                passthrough=(r"Error Code \d+",),
                # v1x/foreman__M30S__pools+summary+edevs.raw (20200512.13.REL).
                cgminer_reads_need_command=True,
            ),
            Persona(
                name="v2",
                title="2022-2024 firmware, API 2.0.x (4028 only)",
                api="v2",
                v2_dialect="v2",
                v3_dialect=None,
                firmware_version="20230911.12.Rel",
                api_version="2.0.5",
                v3_api_version=None,
                model="M50",
                follows={
                    "summary": "v2/pyasic__M30S-class__summary.raw",
                    # Captured from this very firmware (20230911.12.Rel).
                    "status": "v2/pyasic__unknown__status.raw",
                    "devs": f"{_FLEET_V2}devs.raw",
                    "edevs": f"{_FLEET_V2}devs.raw",
                    "get_error_code": f"{_FLEET_V2}get_error_code.raw",
                    # Late-2024 firmware of the same family (still the classic shape).
                    "pools": f"{_FLEET_V2_2024}pools.raw",
                    # In the miner's own key order (the others were re-dumped sorted).
                    "get_psu": f"{_FLEET_V2}get_psu__2.raw",
                    "get_miner_info": f"{_FLEET_V2_2024}get_miner_info.raw",
                },
                status_values={"power_mode": "", "hash_percent": ""},
            ),
            Persona(
                name="v2-2024",
                title="late-2024 firmware: classic API v2 on 4028 and API v3 on 4433",
                api="v3",
                v2_dialect="v2",
                v3_dialect="2025",
                firmware_version="20241108.22.Rel",
                api_version="2.0.5",
                v3_api_version="3.0.1",
                model="M30S++",
                follows={
                    "summary": f"{_FLEET_V2_2024}summary.raw",
                    "devs": f"{_FLEET_V2_2024}devs.raw",
                    "edevs": f"{_FLEET_V2_2024}devs.raw",
                    "pools": f"{_FLEET_V2_2024}pools.raw",
                    "status": f"{_FLEET_V2_2024}status.raw",
                    "get_psu": f"{_FLEET_V2_2024}get_psu.raw",
                    "get_miner_info": f"{_FLEET_V2_2024}get_miner_info.raw",
                    "get_error_code": f"{_FLEET_V2_2024}get_error_code.raw",
                    **_V3_FOLLOWS,
                },
                passthrough=("error-code", *_PSU_INPUT),
                status_values={
                    "power_mode": "",
                    "power_limit_set": "",
                    "hash_percent": "",
                },
            ),
            Persona(
                name="compat",
                title="2024-11+ firmware: API v3 on 4433, compatibility layer on 4028",
                api="v3",
                v2_dialect="compat",
                v3_dialect="2025",
                firmware_version="20241128.16.Rel1",
                api_version="2.0.5",
                v3_api_version="3.0.1",
                model="M60S",
                follows={
                    **_COMPAT_FOLLOWS,
                    **_V3_FOLLOWS,
                    "status": f"{_FLEET_COMPAT}status.raw",
                },
                refusals=_COMPAT_REFUSALS,
                passthrough=("error-code", *_PSU_INPUT),
                # As captured from a 20250321.14.Rel unit: settings empty in status.
                status_values={
                    "power_mode": "",
                    "power_limit_set": "",
                    "hash_percent": "",
                },
            ),
            Persona(
                name="v3",
                title="2025 firmware, native API v3 3.0.2 (compatibility layer on 4028)",
                api="v3",
                v2_dialect="compat",
                v3_dialect="2025",
                # The capture's is 20251209.16.Rel2; this one, of the same API, is what
                # the project's snapshots were taken with.
                firmware_version="20250214.16.Rel2",
                api_version="2.0.5",
                v3_api_version="3.0.2",
                model="M60S",
                follows={
                    **_COMPAT_FOLLOWS,
                    **_V3_FOLLOWS,
                    # 4028 status of 20250214.16.1 (a v3 miner), values as captured.
                    "status": "compat/asic-rs-pr187__unknown__status.raw",
                },
                refusals=_COMPAT_REFUSALS,
                passthrough=("error-code", *_PSU_INPUT),
                status_values={
                    "power_mode": "",
                    "power_limit_set": "2147483647",
                    "hash_percent": "",
                },
            ),
            Persona(
                name="v3-2026",
                title="2026 firmware, API v3 3.0.5, hydro (compatibility layer on 4028)",
                api="v3",
                v2_dialect="compat",
                v3_dialect="2026",
                firmware_version="20260312.16.REL3",
                api_version="2.2.2",
                v3_api_version="3.0.5",
                model="M7BS",
                follows={
                    "summary": f"{_TETHER}summary.raw",
                    "edevs": f"{_TETHER}edevs.raw",
                    "pools": f"{_TETHER}pools.raw",
                    "status": f"{_TETHER}status.raw",
                    "get_version": f"{_TETHER}get_version.raw",
                    "get_miner_info": f"{_TETHER}get_miner_info.raw",
                    "get_error_code": f"{_TETHER}get_error_code.raw",
                    "get.miner.status edevs": (
                        "v3/tether__M7BS_VM30__get.miner.status.edevs.raw"
                    ),
                },
                refusals=_COMPAT_REFUSALS,
                passthrough=("error-code", *_PSU_INPUT),
            ),
        )
    }
)

# What SimulatedMiner(api=...) plays when no persona is named.
DEFAULT_PERSONAS: Mapping[str, str] = MappingProxyType({"v2": "v2", "v3": "v3"})
