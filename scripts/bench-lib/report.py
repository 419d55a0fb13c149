#!/usr/bin/env python3
"""Turns the raw figures of scripts/bench into Markdown tables and the targets' verdicts.

    report.py RESULTS_DIR   (reads wrk.tsv, burst.tsv, stream.tsv, rss.tsv, targets.tsv; prints Markdown)

wrk.tsv:    target conns rep requests req_per_s p50 p90 p99 status_errors socket_errors cpu_us other_pct
burst.tsv:  the same columns, one whole stream (the burst upstream's) per request
stream.tsv: target rep ttfb_us last_us          (one line per streamed request)
rss.tsv:    target kB                           (VmHWM of the proxy process)
targets.tsv: key label                          (in table order; key `direct` first, `nginx` second)
"""
import collections
import pathlib
import statistics
import sys

D = pathlib.Path(sys.argv[1])
targets = [line.split("\t", 1) for line in (D / "targets.tsv").read_text().splitlines() if line]
labels = dict(targets)
keys = [key for key, _ in targets]
proxies = [key for key in keys if key != "direct"]

def read_wrk(name):
    rows = collections.defaultdict(list)  # (target, conns) -> [row]
    path = D / name
    for line in (path.read_text().splitlines() if path.exists() else []):
        f = line.split()
        rows[(f[0], int(f[1]))].append(
            dict(requests=int(f[3]), rps=float(f[4]), p50=int(f[5]), p90=int(f[6]), p99=int(f[7]),
                 errors=int(f[8]) + int(f[9]), cpu=float(f[10]), other=float(f[11])))
    return rows


wrk = read_wrk("wrk.tsv")
burst = read_wrk("burst.tsv")
streams = collections.defaultdict(lambda: collections.defaultdict(list))  # target -> rep -> [(ttfb, last)]
stream_file = D / "stream.tsv"
if stream_file.exists():
    for line in stream_file.read_text().splitlines():
        f = line.split()
        streams[f[0]][int(f[1])].append((int(f[2]), int(f[3])))
rss = {}
for line in (D / "rss.tsv").read_text().splitlines():
    f = line.split()
    rss[f[0]] = int(f[1]) / 1024


def pct(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def stat(target, conns, field, rows=wrk):
    """Median over repetitions, and the spread (min, max)."""
    values = [row[field] for row in rows[(target, conns)] if row[field] is not None]
    if not values:
        return None, None, None
    return statistics.median(values), min(values), max(values)


def us(value, low=None, high=None):
    if value is None:
        return "–"
    text = f"{value:,.0f}"
    if low is not None and high is not None and len({low, high}) > 1:
        text += f" ({low:,.0f}–{high:,.0f})"
    return text


def ratio(value, reference):
    if value is None or reference is None or reference <= 0:
        return "–"
    return f"{value / reference:.2f}×"


out = []
verdicts = []

for conns in (1, 8):
    out.append(f"### Latency, {conns} connection{'s' if conns > 1 else ''} (µs; median of the repetitions, min–max in brackets)\n")
    out.append("| target | p50 | p90 | p99 | overhead p50 | overhead p99 | overhead p50 ÷ nginx's | overhead p99 ÷ nginx's |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    d50, d99 = stat("direct", conns, "p50")[0], stat("direct", conns, "p99")[0]
    n50 = stat("nginx", conns, "p50")[0] - d50
    n99 = stat("nginx", conns, "p99")[0] - d99
    for key in keys:
        p50, p90, p99 = stat(key, conns, "p50"), stat(key, conns, "p90"), stat(key, conns, "p99")
        if key == "direct":
            o50 = o99 = r50 = r99 = "–"
        else:
            o50, o99 = us(p50[0] - d50), us(p99[0] - d99)
            r50, r99 = ratio(p50[0] - d50, n50), ratio(p99[0] - d99, n99)
        out.append(f"| {labels[key]} | {us(*p50)} | {us(*p90)} | {us(*p99)} | {o50} | {o99} | {r50} | {r99} |")
    out.append("")

out.append("### Throughput at 64 connections, CPU and memory\n")
out.append("| target | requests/s | ÷ nginx's | proxy CPU µs per request | peak RSS (MB) | ÷ nginx's | errors | others on CPU 1 |")
out.append("|---|---:|---:|---:|---:|---:|---:|---:|")
nginx_rps = stat("nginx", 64, "rps")[0]
for key in keys:
    rps = stat(key, 64, "rps")
    cpu = stat(key, 64, "cpu")
    errors = sum(row["errors"] for conns in (1, 8, 64) for row in wrk[(key, conns)])
    others = [row["other"] for conns in (1, 8, 64) for row in wrk[(key, conns)]]
    memory = rss.get(key)
    out.append(
        f"| {labels[key]} | {us(*rps)} | {ratio(rps[0], nginx_rps) if key != 'direct' else '–'} | "
        f"{us(*cpu)} | {f'{memory:.1f}' if memory else '–'} | "
        f"{ratio(memory, rss.get('nginx')) if key not in ('direct', 'nginx') and memory else '–'} | {errors} | "
        f"{'–' if key == 'direct' else f'{statistics.median(others):.0f} % (max {max(others):.0f} %)'} |")
out.append("")

if burst:
    out.append("### Streams at 64 connections (about 20 chunks each, sent at once upstream; median of the repetitions, min–max in brackets)\n")
    out.append("| target | streams/s | ÷ nginx's | proxy CPU µs per stream | ÷ nginx's | errors |")
    out.append("|---|---:|---:|---:|---:|---:|")
    nginx_sps, nginx_spc = stat("nginx", 64, "rps", burst)[0], stat("nginx", 64, "cpu", burst)[0]
    for key in keys:
        sps, spc = stat(key, 64, "rps", burst), stat(key, 64, "cpu", burst)
        errors = sum(row["errors"] for row in burst[(key, 64)])
        proxy = key != "direct"
        out.append(
            f"| {labels[key]} | {us(*sps)} | {ratio(sps[0], nginx_sps) if proxy else '–'} | {us(*spc)} | "
            f"{ratio(spc[0], nginx_spc) if proxy else '–'} | {errors} |")
    out.append("")

if streams:
    out.append("### Streaming (about 20 chunks, ~1 ms apart upstream; µs; median of the repetitions, min–max in brackets)\n")
    out.append("| target | first byte p50 | first byte p99 | last byte p50 | last byte p99 | first byte p50 − nginx's | last byte p50 − nginx's |")
    out.append("|---|---:|---:|---:|---:|---:|---:|")
    summary = {}
    for key in keys:
        if key not in streams:
            continue
        reps = streams[key].values()
        rows = {
            "f50": [pct([t for t, _ in r], 50) for r in reps], "f99": [pct([t for t, _ in r], 99) for r in reps],
            "l50": [pct([l for _, l in r], 50) for r in reps], "l99": [pct([l for _, l in r], 99) for r in reps],
        }
        summary[key] = {k: (statistics.median(v), min(v), max(v)) for k, v in rows.items()}
    for key, s in summary.items():
        if key in ("direct", "nginx") or "nginx" not in summary:
            df = dl = "–"
        else:
            df = f"{s['f50'][0] - summary['nginx']['f50'][0]:+,.0f}"
            dl = f"{s['l50'][0] - summary['nginx']['l50'][0]:+,.0f}"
        out.append(f"| {labels[key]} | {us(*s['f50'])} | {us(*s['f99'])} | {us(*s['l50'])} | {us(*s['l99'])} | {df} | {dl} |")
    out.append("")
else:
    summary = {}

console_file = D / "console.tsv"
if console_file.exists() and console_file.read_text().strip():
    console = collections.defaultdict(list)  # closed|open -> [row]
    for line in console_file.read_text().splitlines():
        f = line.split()
        console[f[0]].append(dict(rps=float(f[3]), p50=int(f[4]), cpu=float(f[9]), errors=int(f[7]) + int(f[8])))
    out.append("### With the console open (the plugins' gateway, 8 connections; median of the repetitions, min–max in brackets)\n")
    out.append("The console's page reads `/api/plugins`, `/api/stats` and `/api/requests` once a second; the live tail")
    out.append("and the metrics samples are recorded either way.\n")
    out.append("| console | CPU per request (µs) | requests/s | p50 (µs) | errors |")
    out.append("|---|---:|---:|---:|---:|")
    medians = {}
    for state in ("closed", "open"):
        rows = console.get(state, [])
        if not rows:
            continue
        values = {k: [row[k] for row in rows] for k in ("cpu", "rps", "p50")}
        medians[state] = statistics.median(values["cpu"])
        cells = [us(statistics.median(v), min(v), max(v)) if k != "cpu" else
                 f"{statistics.median(v):,.1f} ({min(v):,.1f}–{max(v):,.1f})" for k, v in values.items()]
        out.append(f"| {state} | {' | '.join(cells)} | {sum(row['errors'] for row in rows)} |")
    if len(medians) == 2:
        out.append(f"\nAn open console adds {medians['open'] - medians['closed']:+,.1f} µs of CPU per request.")
    out.append("")

# Targets of issues 5 and 19, checked on this run.
out.append("### Targets (this run)\n")
out.append("| target | figure | met |")
out.append("|---|---|---|")


def verdict(name, figure, ok):
    out.append(f"| {name} | {figure} | {'yes' if ok else '**no**'} |")


plain = "bifrost"
with_plugins = [key for key in keys if key.startswith("bifrost-plugins")]
d50, d99 = stat("direct", 8, "p50")[0], stat("direct", 8, "p99")[0]
n50, n99 = stat("nginx", 8, "p50")[0] - d50, stat("nginx", 8, "p99")[0] - d99
b50, b99 = stat(plain, 8, "p50")[0] - d50, stat(plain, 8, "p99")[0] - d99
verdict("p50 overhead at 8 connections ≤ 1.5 × nginx's", f"{b50:,.0f} µs vs {n50:,.0f} µs = {b50 / n50:.2f}×", b50 <= 1.5 * n50)
verdict("p99 overhead at 8 connections ≤ 2 × nginx's", f"{b99:,.0f} µs vs {n99:,.0f} µs = {b99 / n99:.2f}×", b99 <= 2 * n99)
brps = stat(plain, 64, "rps")[0]
verdict("throughput at 64 connections ≥ 70 % of nginx's", f"{brps:,.0f} vs {nginx_rps:,.0f} req/s = {100 * brps / nginx_rps:.0f} %",
        brps >= 0.7 * nginx_rps)
# Issue 19's targets, as ratios to nginx on the same run.
ncpu, bcpu = stat("nginx", 64, "cpu")[0], stat(plain, 64, "cpu")[0]
verdict("CPU per request ≤ 3.2 × nginx's (no plugins, 64 connections)", f"{bcpu:,.0f} µs vs {ncpu:,.0f} µs = {bcpu / ncpu:.2f}×",
        bcpu <= 3.2 * ncpu)
for key in with_plugins:
    pcpu = stat(key, 64, "cpu")[0]
    verdict(f"CPU per request ≤ 4.6 × nginx's ({labels[key]}; 65 µs against 14)", f"{pcpu:,.0f} µs = {pcpu / ncpu:.2f}×",
            pcpu <= 4.6 * ncpu)
if burst:
    nstream, bstream = stat("nginx", 64, "cpu", burst)[0], stat(plain, 64, "cpu", burst)[0]
    verdict("CPU per stream ≤ 3 × nginx's (no plugins, 64 connections)",
            f"{bstream:,.0f} µs vs {nstream:,.0f} µs = {bstream / nstream:.2f}×", bstream <= 3 * nstream)
for key in with_plugins:
    added = stat(key, 1, "p50")[0] - stat(plain, 1, "p50")[0]
    verdict("plugins add ≤ 20 µs at p50 (1 connection)", f"{added:+,.0f} µs ({labels[key]})", added <= 20)
    # CPU per request is the steadier figure: latency at 1 connection moves by tens of µs
    # between runs on a shared machine.
    cpu = stat(key, 64, "cpu")[0] - stat(plain, 64, "cpu")[0]
    verdict("plugins add ≤ 20 µs of CPU per request (64 connections)", f"{cpu:+,.0f} µs ({labels[key]})", cpu <= 20)
if "nginx" in summary and plain in summary:
    gap = summary[plain]["f50"][0] - summary["nginx"]["f50"][0]
    verdict("streaming first byte within 1 ms of nginx's (p50)", f"{gap:+,.0f} µs", gap <= 1000)
for key in [plain] + with_plugins:
    if key in rss:
        verdict(f"peak RSS ≤ 80 MB ({labels[key]})", f"{rss[key]:.1f} MB", rss[key] <= 80)
out.append("")
print("\n".join(out))
