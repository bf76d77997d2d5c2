"""Turn benchmark results into the tables of docs/benchmarks.md.

Only the part between the ``bench:results`` markers is rewritten on a rerun, so
the prose around it (method, analysis) stays as written.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

BEGIN = "<!-- bench:results:begin (written by scripts/bench; edit outside) -->"
END = "<!-- bench:results:end -->"

# Issue 7's targets for the largest fleet.
TARGET_SWEEP_S = 3.0
TARGET_CPU_MS = 1.0
TARGET_CPU_RATIO = 5.0
TARGET_CONNECTIONS = 2.0


def _median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def figures(
    measured: dict[str, Any], count: int, key: str = "sweeps"
) -> dict[str, float]:
    """Medians over the timed sweeps, per miner-poll where that is the unit."""
    sweeps = measured[key] if key == "sweeps" else [measured[key]]
    return {
        "wall_s": _median([sweep["wall_s"] for sweep in sweeps]),
        "cpu_ms_per_poll": _median([sweep["cpu_s"] for sweep in sweeps]) / count * 1000,
        "connections_per_poll": _median([sweep["connections"] for sweep in sweeps])
        / count,
        "attempts_per_poll": _median([sweep["connect_attempts"] for sweep in sweeps])
        / count,
        "bytes_per_poll": _median(
            [sweep["bytes_sent"] + sweep["bytes_received"] for sweep in sweeps]
        )
        / count,
        "failed": sum(sweep["failed"] for sweep in sweeps),
        "polls": len(sweeps) * count,
        "peak_rss_mib": measured["rss_peak_kib"] / 1024,
        "rss_after_import_mib": measured["rss_after_import_kib"] / 1024,
    }


def _rows(results: dict[str, Any]) -> list[tuple[int, str, dict[str, float]]]:
    rows = []
    for fleet in results["fleets"]:
        count = fleet["miners"]
        rows.append((count, "Hashwatt `fetch_fast`", figures(fleet["hashwatt"], count)))
        if "pyasic" in fleet:
            rows.append(
                (
                    count,
                    "pyasic `get_miner`+`get_data` (hass-miner)",
                    figures(fleet["pyasic"], count),
                )
            )
            rows.append(
                (
                    count,
                    "pyasic `get_data`, miner kept",
                    figures(fleet["pyasic"], count, "reused_miner_object"),
                )
            )
    return rows


def summary_table(results: dict[str, Any]) -> str:
    """The fast-poll sweep table, one row per fleet size and client."""
    lines = [
        "| Miners | Client | Sweep wall (median) | CPU per miner-poll | TCP connections per poll | Bytes per poll | Peak RSS | Failed polls |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for count, client, row in _rows(results):
        attempts = (
            f" ({row['attempts_per_poll']:.1f} attempted)"
            if row["attempts_per_poll"] > row["connections_per_poll"] + 0.05
            else ""
        )
        lines.append(
            f"| {count} | {client} | {row['wall_s']:.3f} s | {row['cpu_ms_per_poll']:.3f} ms "
            f"| {row['connections_per_poll']:.2f}{attempts} | {row['bytes_per_poll']:,.0f} B "
            f"| {row['peak_rss_mib']:.0f} MiB | {row['failed']}/{row['polls']} |"
        )
    return "\n".join(lines)


def _ratio_table(results: dict[str, Any]) -> str:
    lines = [
        "| Miners | pyasic (hass-miner) ÷ Hashwatt, CPU per poll | pyasic (miner kept) ÷ Hashwatt, CPU per poll | Sweep wall, pyasic (hass-miner) ÷ Hashwatt |",
        "|---:|---:|---:|---:|",
    ]
    for fleet in results["fleets"]:
        if "pyasic" not in fleet:
            continue
        count = fleet["miners"]
        ours = figures(fleet["hashwatt"], count)
        theirs = figures(fleet["pyasic"], count)
        kept = figures(fleet["pyasic"], count, "reused_miner_object")
        lines.append(
            f"| {count} | {theirs['cpu_ms_per_poll'] / ours['cpu_ms_per_poll']:.1f}× "
            f"| {kept['cpu_ms_per_poll'] / ours['cpu_ms_per_poll']:.1f}× "
            f"| {theirs['wall_s'] / ours['wall_s']:.1f}× |"
        )
    return "\n".join(lines)


def _targets(results: dict[str, Any]) -> str:
    fleet = max(results["fleets"], key=lambda fleet: fleet["miners"])
    count = fleet["miners"]
    ours = figures(fleet["hashwatt"], count)
    rows = [
        (
            "One fast-poll sweep",
            f"≤ {TARGET_SWEEP_S:g} s",
            f"{ours['wall_s']:.2f} s",
            ours["wall_s"] <= TARGET_SWEEP_S,
        ),
        (
            "Client CPU per miner-poll",
            f"≤ {TARGET_CPU_MS:g} ms",
            f"{ours['cpu_ms_per_poll']:.3f} ms",
            ours["cpu_ms_per_poll"] <= TARGET_CPU_MS,
        ),
        (
            "TCP connections per fast poll",
            f"≤ {TARGET_CONNECTIONS:g}",
            f"{ours['connections_per_poll']:.2f}",
            ours["connections_per_poll"] <= TARGET_CONNECTIONS,
        ),
    ]
    if "pyasic" in fleet:
        ratio = (
            figures(fleet["pyasic"], count)["cpu_ms_per_poll"] / ours["cpu_ms_per_poll"]
        )
        rows.append(
            (
                "CPU per miner-poll vs pyasic",
                f"≥ {TARGET_CPU_RATIO:g}× less",
                f"{ratio:.1f}× less",
                ratio >= TARGET_CPU_RATIO,
            )
        )
    lines = [
        f"| Target at {count} miners | Goal | Measured | |",
        "|---|---:|---:|---|",
    ]
    lines += [
        f"| {name} | {goal} | {value} | {'met' if met else '**missed**'} |"
        for name, goal, value, met in rows
    ]
    return "\n".join(lines)


def _detail_table(results: dict[str, Any]) -> str:
    lines = [
        "| Miners | Fast poll, v2 miners only (connections / CPU per poll) | Fast poll, v3 miners only (connections / CPU per poll) | API detection, once (wall / CPU per miner) | Slow poll sweep (wall / CPU per miner / connections per miner) |",
        "|---:|---:|---:|---:|---:|",
    ]
    for fleet in results["fleets"]:
        count = fleet["miners"]
        ours = fleet["hashwatt"]
        by_api = []
        for api in ("v2", "v3"):
            key = f"only_{api}"
            if key not in ours:
                by_api.append("–")
                continue
            row = figures(ours, ours[key]["miners"], key)
            by_api.append(
                f"{row['connections_per_poll']:.2f} / {row['cpu_ms_per_poll']:.3f} ms"
            )
        detect = figures(ours, count, "prepare")
        slow = figures(ours, count, "slow_poll")
        lines.append(
            f"| {count} | {by_api[0]} | {by_api[1]} "
            f"| {detect['wall_s']:.3f} s / {detect['cpu_ms_per_poll']:.3f} ms "
            f"| {slow['wall_s']:.3f} s / {slow['cpu_ms_per_poll']:.3f} ms / {slow['connections_per_poll']:.2f} |"
        )
    return "\n".join(lines)


def _bursts(results: dict[str, Any]) -> str:
    lines = [
        "| Miner | 50 writes | Time per write | Token requests (v2 `get_token`, v3 salt reads) | Writes the miner received |",
        "|---|---|---:|---:|---:|",
    ]
    for burst in results["write_bursts"]:
        v2 = burst["api"] == "v2"
        token_key = "v2:get_token" if v2 else "v3:get.device.info(salt)"
        write_key = "v2:adjust_power_limit" if v2 else "v3:set.miner.power_limit"
        requests = burst["requests"]
        lines.append(
            f"| {burst['api']} | {'one after another' if burst['mode'] == 'sequential' else 'all at once'} "
            f"| {burst['seconds'] / burst['writes'] * 1000:.2f} ms "
            f"| {requests.get(token_key, 0)} | {requests.get(write_key, 0)} |"
        )
    return "\n".join(lines)


def _home_assistant(results: dict[str, Any]) -> str:
    ha = results.get("home_assistant")
    if ha is None:
        return "_Not measured in this run (`--skip-ha`)._"
    lines = [
        "| Miner entries | Entities | Event-loop CPU per refresh cycle | per miner | Longest loop step | Longest GC pause | Memory per miner (tracemalloc) | RSS per miner | Simultaneous setup (wall / first attempts failed) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    errors = []
    for size in ha["sizes"]:
        count = size["miners"]
        if "error" in size:
            errors.append(
                f"{count} entries: failed\n\n```\n{size['error'][-1500:]}\n```"
            )
            continue
        lines.append(
            f"| {count} | {size['entities']:,} | {size['refresh_cpu_s'] * 1000:.0f} ms "
            f"| {size['refresh_cpu_s'] / count * 1000:.2f} ms | {size['longest_step_ms']:.0f} ms "
            f"| {size['gc_longest_ms']:.0f} ms "
            f"| {size['traced_bytes_per_miner'] / 1024:.0f} KiB | {size['rss_bytes_per_miner'] / 1024:.0f} KiB "
            f"| {size['setup_entries']} in {size['setup_s']:.1f} s / {size['setup_failed']} |"
        )
    return "\n".join(lines + (["", *errors] if errors else []))


def _loads(results: dict[str, Any]) -> str:
    loads = [
        fleet[client]["load_average_before"]
        for fleet in results["fleets"]
        for client in ("hashwatt", "pyasic")
        if client in fleet and "load_average_before" in fleet[client]
    ]
    return f"{min(loads):.1f}–{max(loads):.1f}" if loads else "not recorded"


def markdown_results(results: dict[str, Any]) -> str:
    """The generated part of docs/benchmarks.md."""
    machine = results["machine"]
    settings = results["settings"]
    fleet_apis = results["fleets"][0]["fleet_apis"] if results["fleets"] else {}
    parts = [
        BEGIN,
        "",
        f"Run of {results['date']} on {machine['cpu']}, {machine['cores']} cores, "
        f"{machine['memory_gib']} GiB RAM, {machine['os']}, Linux {machine['kernel']}; "
        f"Python {machine['python']} for both clients"
        + (
            f", pyasic {results['pyasic_version']}"
            if "pyasic_version" in results
            else ""
        )
        + f". Fleets mixed v2/v3 ({', '.join(f'{n} {api}' for api, n in fleet_apis.items())} of "
        f"the first); {settings['runs']} timed sweeps per fleet and client after one warm-up; "
        f"medians. The whole run took {results['duration_s'] / 60:.1f} min; the 1-minute "
        f"load average before the client runs was {_loads(results)} (other work on the "
        "machine stretches wall times, not CPU times).",
        "",
        "### Fast-poll sweep",
        "",
        summary_table(results),
        "",
        _targets(results),
        "",
    ]
    if any("pyasic" in fleet for fleet in results["fleets"]):
        parts += ["### Ratios", "", _ratio_table(results), ""]
    parts += [
        "### Hashwatt: detection and the slow poll",
        "",
        _detail_table(results),
        "",
        "### Write burst (one miner, 50 power-limit writes, one client)",
        "",
        _bursts(results),
        "",
        "### Home Assistant: N miner entries in the test harness",
        "",
        _home_assistant(results),
        "",
        END,
    ]
    return "\n".join(parts)


TEMPLATE = f"""# Benchmarks

Rerun with `scripts/bench` (5 to 10 minutes; `scripts/bench --quick` for 10 and 100
miners). Raw figures: [benchmarks.json](benchmarks.json).

{BEGIN}
{END}
"""


def write_markdown(path: Path, results: dict[str, Any]) -> None:
    """Replace the generated part of ``path`` (or write the file from a template)."""
    text = path.read_text() if path.exists() else TEMPLATE
    if BEGIN not in text or END not in text:
        text = TEMPLATE
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    path.write_text(head + markdown_results(results) + tail)


def home_assistant_comparison(results: dict[str, Any]) -> str:
    """Each Home Assistant run of an --ha-only run, baseline runs first, one row each."""
    ha = results.get("home_assistant") or {}
    lines = [
        "| Checkout | Entries | Entities | CPU per cycle per miner (median; all cycles) | of which entity updates (median) | GC in one cycle (runs / ms) | State writes per cycle (changed / unchanged) | Memory per miner (tracemalloc) | RSS per miner | Setup (wall / first attempts failed) | Load |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size in [*ha.get("baseline_sizes", []), *ha.get("sizes", [])]:
        count = size["miners"]
        if "error" in size:
            lines.append(f"| ? | {count} | failed: {size['error'][-300:]!r} |")
            continue
        runs = ", ".join(
            f"{cpu / count * 1000:.2f}" for cpu in size["refresh_cpu_runs_s"]
        )
        writes = size.get("state_writes_per_cycle") or [{}]
        listeners = size.get("refresh_listeners_cpu_s")
        lines.append(
            f"| {size.get('commit', '?')} | {count} | {size['entities']:,} "
            f"| {size['refresh_cpu_s'] / count * 1000:.2f} ms ({runs}) "
            f"| {'—' if listeners is None else f'{listeners / count * 1000:.2f} ms'} "
            f"| {size.get('gc_runs', '—')} / {size.get('gc_total_ms', 0):.0f} "
            f"| {writes[-1].get('changed', 0):,} / {writes[-1].get('reported', 0):,} "
            f"| {size['traced_bytes_per_miner'] / 1024:.0f} KiB "
            f"| {size['rss_bytes_per_miner'] / 1024:.0f} KiB "
            f"| {size['setup_s']:.1f} s / {size['setup_failed']} "
            f"| {size.get('load_average_before', 0):.1f} |"
        )
    return "\n".join(lines)
