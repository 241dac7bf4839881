#!/usr/bin/env python3
"""Runs Trainyard's bundled research recipes and writes their results page (docs/recipes.md).

    ./trainyard recipes [--full] NAME      launch NAME, wait, collect its claim's metrics
    ./trainyard recipes --render           regenerate docs/recipes.md and the plots from docs/recipes/*.json
    ./trainyard recipes --check            exit 1 when docs/recipes.md or a plot differs from what --render writes

What each recipe measures (its claim, table and plot) is one entry of
backend/src/main/resources/templates/recipes.json, next to its template; this script knows no recipe
by name. --full runs the template's default params (the numbers in docs/recipes.md) and writes
docs/recipes/NAME.json, NAME.svg and NAME's section of docs/recipes.md; without it the entry's
smaller `fast` params run and the results go to target/recipes/NAME.json only.

It talks to the Trainyard at --url (or $TRAINYARD_URL) with the local-mode token ($TRAINYARD_TOKEN,
else local-token in $TRAINYARD_HOME or ~/.trainyard). Without a URL it starts a private local-mode
Trainyard from the packaged app (backend/target/quarkus-app) on free ports, with a fresh home
under target/recipes-home (nothing cached, so every step runs), and stops it at the end. Python standard library only.
"""

import argparse
import glob
import hashlib
import html
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TEMPLATES = os.path.join(ROOT, "backend", "src", "main", "resources", "templates")
REGISTRY = os.path.join(TEMPLATES, "recipes.json")
DOCS = os.path.join(ROOT, "docs")
PAGE = os.path.join(DOCS, "recipes.md")
RESULTS = os.path.join(DOCS, "recipes")
TERMINAL = {"SUCCEEDED", "FAILED", "CANCELLED", "INTERRUPTED"}


def registry():
    with open(REGISTRY, encoding="utf-8") as f:
        return json.load(f)


def template_sha256(name):
    """The content hash the backend records for a template version (Sha256.of(spec text), UTF-8)."""
    with open(os.path.join(TEMPLATES, name + ".yaml"), "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


# ---- references to metrics: "STEP:METRIC" (its last value) or "STEP:METRIC@first|last|min|max|rise" ----

REF = re.compile(r"^(?P<step>[a-z][a-z0-9-]*):(?P<metric>[^@]+)(?:@(?P<reduce>first|last|min|max|rise))?$")


def parse_ref(ref):
    m = REF.match(ref)
    if not m:
        raise ValueError(f"not a metric reference (STEP:METRIC[@first|last|min|max|rise]): {ref!r}")
    return m.group("step"), m.group("metric"), m.group("reduce") or "last"


def entry_refs(entry):
    """Every metric reference an entry's claim, table and plot read, and the curves its plot draws."""
    refs, curves = set(), set()
    for check in entry["claim"]["checks"]:
        refs.add(check["value"])
        refs.update(check.get("lower_than", []) + check.get("higher_than", []) + check.get("at_least", []))
        refs.update([check["of"]] if "of" in check else [])
    for row in entry["table"]["rows"]:
        refs.update(c[1:] for c in row if c.startswith("="))
    plot = entry["plot"]
    for s in plot.get("series", []):
        if "curve" in s:
            curves.add(s["curve"])
        for _, ref in s.get("points", []):
            refs.add(ref)
    refs.update(b["value"] for b in plot.get("bars", []))
    for ref in refs | curves:
        parse_ref(ref)
    return sorted(refs), sorted(curves)


def reduce_curve(points, how):
    values = [v for _, v in points]
    if not values:
        raise KeyError("no points")
    return {"first": values[0], "last": values[-1], "min": min(values), "max": max(values),
            "rise": max(values) - values[0]}[how]


def value_of(results, ref):
    step, metric, how = parse_ref(ref)
    points = results["series"].get(f"{step}:{metric}")
    if points is None:
        raise KeyError(f"{ref}: the results file has no metric {metric} of step {step}; re-run the recipe")
    return reduce_curve(points, how)


# ---- the claim ----

def judge(entry, results):
    """(reproduced, sentences): every check of the claim, with its numbers."""
    ok, lines = True, []
    for check in entry["claim"]["checks"]:
        v = value_of(results, check["value"])
        for op, others in (("<", check.get("lower_than", [])), (">", check.get("higher_than", [])),
                           ("≥", check.get("at_least", []))):
            for other in others:
                o = value_of(results, other)
                held = v < o if op == "<" else v > o if op == ">" else v >= o
                ok = ok and held
                lines.append(f"`{check['value']}` = {fmt(v)} {op if held else 'not ' + op} "
                             f"`{other}` = {fmt(o)}")
        if "within" in check:  # "holds": no further than `within` from `of`, either way
            o = value_of(results, check["of"])
            held = abs(v - o) <= check["within"]
            ok = ok and held
            lines.append(f"`{check['value']}` = {fmt(v)} {'within' if held else 'not within'} {check['within']:g} "
                         f"of `{check['of']}` = {fmt(o)}")
    return ok, lines


def fmt(v):
    return f"{v:.4f}"


# ---- the page: one section per recipe, between markers; the rest of docs/recipes.md is kept ----

def section(name, entry, results):
    begin, end = f"<!-- recipe:{name} -->", f"<!-- /recipe:{name} -->"
    out = [begin, f"## `{name}`", "", f"**{entry['title']}.** {entry['source']}.", "",
           f"Claim: {entry['claim']['text']}.", ""]
    if results is None:
        out += [f"Not run yet: `./trainyard recipes --full {name}` writes this section.", "", end]
        return "\n".join(out)
    params = results["run"]["params"]
    t = results["template"]
    took = results["run"].get("seconds")
    out += [f"Run `{results['run']['id']}` of template `{name}` version {t['version']} "
            f"(sha256 `{t['sha256'][:12]}`), full variant"
            + (f", {took // 60} min {took % 60} s" if took is not None else "") + "; params "
            + ", ".join(f"`{k}={json.dumps(params[k])}`" for k in sorted(params)) + ".", "",
            f"![{name}](recipes/{name}.svg)", ""]
    if results.get("cache_hits"):
        out += ["Steps that reused a recorded result (same kind, config and inputs), read from the run that made it: "
                + ", ".join(f"`{k}` ← `{v}`" for k, v in sorted(results["cache_hits"].items())) + ".", ""]
    cols = entry["table"]["columns"]
    out += ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in entry["table"]["rows"]:
        cells = [fmt(value_of(results, c[1:])) if c.startswith("=") else c.format(**params) for c in row]
        out.append("| " + " | ".join(cells) + " |")
    ok, lines = judge(entry, results)
    out += ["", ("**The claim reproduced**: " if ok else "**The claim did not reproduce**: ") + "; ".join(lines) + ".", ""]
    out += [f"{note}\n" for note in entry.get("notes", [])]
    out += [end]
    return "\n".join(out)


def load_results(name):
    path = os.path.join(RESULTS, name + ".json")
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def render_page(text, reg):
    """docs/recipes.md with every recipe's section regenerated (missing ones appended, in registry order)."""
    for name, entry in reg.items():
        new = section(name, entry, load_results(name))
        pattern = re.compile(re.escape(f"<!-- recipe:{name} -->") + r".*?" + re.escape(f"<!-- /recipe:{name} -->"),
                             re.DOTALL)
        if pattern.search(text):
            text = pattern.sub(lambda _: new, text)
        else:
            text = text.rstrip("\n") + "\n\n" + new + "\n"
    return text


def rendered(reg):
    """{path: content} of everything --render writes."""
    with open(PAGE, encoding="utf-8") as f:
        files = {PAGE: render_page(f.read(), reg)}
    for name, entry in reg.items():
        results = load_results(name)
        if results is not None:
            files[os.path.join(RESULTS, name + ".svg")] = plot(entry, results)
    return files


# ---- plots: small hand-written SVG (no plotting library on this machine) ----

W, H, LEFT, RIGHT, TOP, BOTTOM = 640, 380, 70, 20, 60, 60
COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]


def ticks(lo, hi, n=5):
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(s * mag for s in (1, 2, 2.5, 5, 10) if s * mag >= raw)
    start = math.floor(lo / step) * step
    out, v = [], start
    while v <= hi + step * 1e-9:
        out.append(round(v, 10))
        v += step
    if out[-1] < hi:
        out.append(round(out[-1] + step, 10))
    return out


def num(v):
    return f"{v:.1f}".rstrip("0").rstrip(".")


def label(v):
    return f"{v:g}"


def title_lines(title, width=80, most=2):
    """The plot title in at most two lines; a longer one ends in an ellipsis, never cut silently."""
    lines = textwrap.wrap(title, width)
    if len(lines) > most:
        lines = lines[:most - 1] + [textwrap.shorten(" ".join(lines[most - 1:]), width, placeholder=" …")]
    return lines


def frame(title, xlabel, ylabel, yt):
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
             f'font-family="sans-serif" font-size="12">',
             f'<rect width="{W}" height="{H}" fill="white"/>',
             *(f'<text x="{W / 2}" y="{20 + 17 * i}" text-anchor="middle" font-size="14">{html.escape(line)}</text>'
               for i, line in enumerate(title_lines(title))),
             f'<text x="{LEFT + pw / 2}" y="{H - 15}" text-anchor="middle">{html.escape(xlabel)}</text>',
             f'<text x="15" y="{TOP + ph / 2}" text-anchor="middle" transform="rotate(-90 15 {TOP + ph / 2})">'
             f'{html.escape(ylabel)}</text>']
    ylo, yhi = yt[0], yt[-1]
    for t in yt:
        y = TOP + ph - (t - ylo) / (yhi - ylo) * ph
        parts.append(f'<line x1="{LEFT}" y1="{num(y)}" x2="{LEFT + pw}" y2="{num(y)}" stroke="#ddd"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{num(y + 4)}" text-anchor="end">{label(t)}</text>')
    parts.append(f'<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" stroke="#333"/>')
    return parts


def plot(entry, results):
    p = entry["plot"]
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM
    if p["kind"] == "bar":
        bars = [(b["label"], value_of(results, b["value"])) for b in p["bars"]]
        yt = ticks(min(0.0, *(v for _, v in bars)), max(v for _, v in bars) * 1.1 or 1.0)
        parts = frame(entry["claim"]["text"], "", p["y"], yt)
        ylo, yhi = yt[0], yt[-1]
        slot = pw / len(bars)
        for i, (name, v) in enumerate(bars):
            y0 = TOP + ph - (0 - ylo) / (yhi - ylo) * ph
            y1 = TOP + ph - (v - ylo) / (yhi - ylo) * ph
            x = LEFT + slot * i + slot * 0.2
            parts.append(f'<rect x="{num(x)}" y="{num(min(y0, y1))}" width="{num(slot * 0.6)}" '
                         f'height="{num(abs(y0 - y1))}" fill="{COLOURS[i % len(COLOURS)]}"/>')
            parts.append(f'<text x="{num(x + slot * 0.3)}" y="{num(min(y0, y1) - 5)}" text-anchor="middle">'
                         f'{fmt(v)}</text>')
            parts.append(f'<text x="{num(x + slot * 0.3)}" y="{TOP + ph + 18}" text-anchor="middle">'
                         f'{html.escape(name)}</text>')
    else:
        series = []
        for s in p["series"]:
            if "curve" in s:
                pts = [(float(x), float(v)) for x, v in results["series"][s["curve"]]]
            else:
                pts = [(float(x), value_of(results, ref)) for x, ref in s["points"]]
            series.append((s["label"], pts))
        xs = [x for _, pts in series for x, _ in pts]
        ys = [y for _, pts in series for _, y in pts]
        pad = (max(ys) - min(ys)) * 0.05 or 0.05
        yt = ticks(min(ys) - pad, max(ys) + pad)
        xt = ticks(min(xs), max(xs))
        parts = frame(entry["claim"]["text"], p["x"], p["y"], yt)
        ylo, yhi, xlo, xhi = yt[0], yt[-1], xt[0], xt[-1]

        def at(x, y):
            return f"{num(LEFT + (x - xlo) / (xhi - xlo) * pw)},{num(TOP + ph - (y - ylo) / (yhi - ylo) * ph)}"
        for t in xt:
            x = LEFT + (t - xlo) / (xhi - xlo) * pw
            parts.append(f'<text x="{num(x)}" y="{TOP + ph + 16}" text-anchor="middle">{label(t)}</text>')
        for i, (name, pts) in enumerate(series):
            c = COLOURS[i % len(COLOURS)]
            parts.append(f'<polyline fill="none" stroke="{c}" stroke-width="2" points="'
                         + " ".join(at(x, y) for x, y in pts) + '"/>')
            parts += [f'<circle cx="{at(x, y).split(",")[0]}" cy="{at(x, y).split(",")[1]}" r="2" fill="{c}"/>'
                      for x, y in pts]
            ly = TOP + 16 + 16 * i
            parts.append(f'<line x1="{LEFT + pw - 170}" y1="{ly - 4}" x2="{LEFT + pw - 150}" y2="{ly - 4}" '
                         f'stroke="{c}" stroke-width="2"/>')
            parts.append(f'<text x="{LEFT + pw - 145}" y="{ly}">{html.escape(name)}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


# ---- talking to Trainyard ----

class Api:
    def __init__(self, url, token):
        self.url, self.token = url.rstrip("/"), token

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Authorization": f"Bearer {self.token}",
                                              "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return json.load(r)
        except urllib.error.HTTPError as e:
            raise SystemExit(f"{method} {path}: HTTP {e.code}: {e.read().decode(errors='replace')[:2000]}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_local(home):
    """A private local-mode Trainyard from the packaged app; returns (process, url, token)."""
    app = os.path.join(ROOT, "backend", "target", "quarkus-app", "quarkus-run.jar")
    if not os.path.exists(app):
        raise SystemExit(f"{app} is missing: build it with ./mvnw -q -B -DskipTests package (./trainyard recipes does)")
    java = os.path.join(os.environ["JAVA_HOME"], "bin", "java") if os.environ.get("JAVA_HOME") else "java"
    os.makedirs(home, exist_ok=True)
    port = free_port()
    log = open(os.path.join(home, "app.log"), "ab")
    proc = subprocess.Popen([java, f"-Dquarkus.http.port={port}", f"-Dtrainyard.temporal.embedded-port={free_port()}",
                             f"-Dtrainyard.home={home}", "-jar", app], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(480):
        if proc.poll() is not None:
            raise SystemExit(f"the local Trainyard exited ({proc.returncode}); see {home}/app.log")
        try:
            with urllib.request.urlopen(url + "/q/health/ready", timeout=5):
                break
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    else:
        proc.kill()
        raise SystemExit(f"the local Trainyard was not ready within 240 s; see {home}/app.log")
    with open(os.path.join(home, "local-token"), encoding="utf-8") as f:
        token = f.read().strip()
    print(f"started a local Trainyard at {url} (home {home}, log {home}/app.log)", flush=True)
    return proc, url, token


def token_of_env():
    if os.environ.get("TRAINYARD_TOKEN"):
        return os.environ["TRAINYARD_TOKEN"]
    home = os.environ.get("TRAINYARD_HOME") or os.path.expanduser("~/.trainyard")
    with open(os.path.join(home, "local-token"), encoding="utf-8") as f:
        return f.read().strip()


def run_recipe(api, name, entry, full):
    template = api.call("GET", f"/api/v1/templates/{name}")
    params = {} if full else dict(entry.get("fast", {}))
    run = api.call("POST", "/api/v1/runs", {"template": name, "params": params})
    run_id = run["id"]
    print(f"launched {name} ({'full' if full else 'fast'} variant) as run {run_id}", flush=True)
    last = None
    while run["status"] not in TERMINAL:
        time.sleep(3)
        run = api.call("GET", f"/api/v1/runs/{run_id}")
        now = " ".join(f"{s['id']}={s['status']}" for s in run["steps"])
        if now != last:
            print(f"  {time.strftime('%H:%M:%S')} {run['status']}: {now}", flush=True)
            last = now
    if run["status"] != "SUCCEEDED":
        raise SystemExit(f"run {run_id} ended {run['status']}: {run.get('error')}")
    version = next(v for v in template["versions"] if v["version"] == run["templateVersion"])
    spec = api.call("GET", f"/api/v1/templates/{name}/versions/{version['version']}")
    # What the run ran with: the version's defaults, overridden by the launch's params.
    effective = dict({q["name"]: q["default"] for q in spec["params"] if "default" in q}, **run["params"])
    local = template_sha256(name)
    if version["specSha256"] != local:
        raise SystemExit(f"the Trainyard at {api.url} ran {name} version {version['version']} (sha256 "
                         f"{version['specSha256']}), not this checkout's template ({local}); restart it")
    refs, curves = entry_refs(entry)
    series, reused = {}, {}
    for step in sorted({parse_ref(r)[0] for r in refs + curves}):
        points, source = step_metrics(api, run, step)
        if source:
            reused[step] = source
        for metric in sorted({parse_ref(r)[1] for r in refs + curves if parse_ref(r)[0] == step}):
            pts = [[p["step"], p["value"]] for p in points if p["name"] == metric]
            if not pts:
                raise SystemExit(f"step {step} of run {run_id} recorded no metric {metric}")
            series[f"{step}:{metric}"] = pts
    started = run.get("startedAt") or run["createdAt"]
    return {
        "recipe": name,
        "variant": "full" if full else "fast",
        "template": {"name": name, "version": version["version"], "sha256": version["specSha256"]},
        "run": {"id": run_id, "status": run["status"], "params": effective,
                "seconds": seconds_between(started, run["finishedAt"])},
        "artifacts": {s["id"]: {k: o["artifactId"] for k, o in sorted(s["outputs"].items())}
                      for s in run["steps"]},
        "series": series,
        "cache_hits": reused,
    }


def step_metrics(api, run, step):
    """A step's metric points, and where they come from when the step reused a recorded result (a cache
    hit keeps the metrics with the attempt that made it: <run>/<step>/<attempt>)."""
    view = next(s for s in run["steps"] if s["id"] == step)
    source = view["attempts"][-1].get("cacheHitOf") if view["attempts"] else None
    if not source:
        return api.call("GET", f"/api/v1/runs/{run['id']}/steps/{step}/metrics")["points"], None
    src_run, src_step, attempt = source.rsplit("/", 2)
    return api.call("GET", f"/api/v1/runs/{src_run}/steps/{src_step}/metrics?attempt={attempt}")["points"], source


def seconds_between(a, b):
    from datetime import datetime
    return int((datetime.fromisoformat(b.replace("Z", "+00:00")) -
                datetime.fromisoformat(a.replace("Z", "+00:00"))).total_seconds())


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def main(argv=None):
    p = argparse.ArgumentParser(prog="./trainyard recipes", description=__doc__.split("\n")[0])
    p.add_argument("name", nargs="?", help="the recipe (a key of templates/recipes.json)")
    p.add_argument("--full", action="store_true", help="the full variant (default params); writes docs/recipes")
    p.add_argument("--render", action="store_true", help="regenerate docs/recipes.md and plots from the results files")
    p.add_argument("--check", action="store_true", help="fail when docs/recipes.md or a plot is not what --render writes")
    p.add_argument("--url", default=os.environ.get("TRAINYARD_URL"), help="a running Trainyard (default: start one)")
    args = p.parse_args(argv)
    reg = registry()
    if args.check or args.render:
        stale = []
        for path, text in rendered(reg).items():
            old = open(path, encoding="utf-8").read() if os.path.exists(path) else None
            if old != text:
                stale.append(os.path.relpath(path, ROOT))
                if args.render:
                    write(path, text)
        if args.check and stale:
            print("not what ./trainyard recipes --render writes: " + ", ".join(stale), file=sys.stderr)
            return 1
        print(("rewrote " + ", ".join(stale)) if args.render and stale else "docs/recipes.md is up to date")
        return 0
    if args.name not in reg:
        p.error(f"which recipe? one of {', '.join(reg)}")
    # A terminated command still stops the Trainyard it started (the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    proc = None
    if args.url:
        api = Api(args.url, token_of_env())
    else:
        # A fresh home each time: nothing cached from an earlier run, so every step of this one runs. The
        # last run's home of each recipe is kept for a look at its artifacts and logs (~150 MB each).
        for old in glob.glob(os.path.join(ROOT, "target", "recipes-home", f"{args.name}-*")):
            shutil.rmtree(old, ignore_errors=True)
        proc, url, token = start_local(os.path.join(ROOT, "target", "recipes-home",
                                                    f"{args.name}-{time.strftime('%Y%m%d-%H%M%S')}"))
        api = Api(url, token)
    try:
        results = run_recipe(api, args.name, reg[args.name], args.full)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=60)
    out = os.path.join(RESULTS if args.full else os.path.join(ROOT, "target", "recipes"), args.name + ".json")
    write(out, json.dumps(results, indent=1, sort_keys=True) + "\n")
    ok, lines = judge(reg[args.name], results)
    print(f"wrote {os.path.relpath(out, ROOT)}")
    print(("claim reproduced: " if ok else "claim NOT reproduced: ") + "; ".join(lines))
    if args.full:
        for path, text in rendered(reg).items():
            write(path, text)
        print("regenerated docs/recipes.md and docs/recipes/*.svg")
    return 0


if __name__ == "__main__":
    sys.exit(main())
