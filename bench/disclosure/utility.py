#!/usr/bin/env python3
"""Disclosure utility: every named report in the own-clinics tier (exact) beside the protected tier (coverage=network).

    python3 bench/disclosure/utility.py --url http://127.0.0.1:5080 --token ADMIN_TOKEN [--cut]
    python3 bench/disclosure/utility.py --dir .run/golden/outputs


An admin token over every clinic ('*') gets the exact figures; the same token with coverage=network gets the protected
ones at the latest release (--cut cuts a release first, so both stand at the same position). Prints, per report and
group: eligible courses, each headline figure exact -> protected, whether it was published, and the errors, then a
summary against the goals of issue 11 (published for every group with >= 20 eligible; rates within 2 points for groups
with >= 100 eligible), the signed bias of the life-table medians and the durability errors by courses followed.
--dir reads the pairs scripts/golden-outputs.sh leaves (report-NAME.json exact, report-NAME-network.json protected, both
at the same position) instead of asking a service. Standard library only.
"""
import glob
import os
import argparse
import json
import sys
import urllib.request

RATES = ["responseByEndOfInduction", "remissionByEndOfInduction", "responseEver", "remissionEver"]


def get(url, token, method="GET"):
    request = urllib.request.Request(url, method=method, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


def slots(report):
    yield "overall", report["overall"]
    for group in report.get("groups", []):
        yield group["group"], group


def value(cell):
    return None if cell is None else cell.get("value")


def headline(group):
    """(name, value) of every headline figure of a group: rates, KM medians (days, sessions), durability at 30/60/90."""
    out = []
    response = group.get("response") or {}
    for rate in RATES:
        if rate in response:
            out.append((rate, response[rate].get("estimate")))
    ttr = group.get("timeToResponse") or {}
    for axis in ("days", "sessions"):
        if axis in ttr:
            out.append((f"median-{axis}", ttr[axis]["median"].get("estimate")))
    durability = (group.get("durability") or {}).get("days")
    if durability:
        for row in durability.get("survivalAt", []):
            out.append((f"durability-{int(row['time'])}", row.get("survival")))
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url")
    parser.add_argument("--token")
    parser.add_argument("--cut", action="store_true")
    parser.add_argument("--dir", help="golden outputs instead of a service")
    args = parser.parse_args()
    if args.dir:
        names = sorted(os.path.basename(f)[len("report-"):-len("-network.json")]
                       for f in glob.glob(os.path.join(args.dir, "report-*-network.json")))

        def fetch(name, network):
            with open(os.path.join(args.dir, f"report-{name}{'-network' if network else ''}.json")) as f:
                return json.load(f)
    elif args.url and args.token:
        if args.cut:
            get(f"{args.url}/api/v1/releases", args.token, method="POST")
        names = [r["name"] for r in get(f"{args.url}/api/v1/reports", args.token)]

        def fetch(name, network):
            return get(f"{args.url}/api/v1/reports/{name}{'?coverage=network' if network else ''}", args.token)
    else:
        parser.error("give --url and --token, or --dir")
    checked20 = published20 = 0
    rate_errors_100 = []
    all_rate_errors = []
    median_errors = {"days": [], "sessions": []}
    median_signed_days = []
    durability_errors = []
    for name in names:
        exact = fetch(name, network=False)
        protected = fetch(name, network=True)
        print(f"\n## {name} (exact at position {exact['provenance']['eventStorePosition']}, "
              f"protected at release {protected['disclosure']['release']['id']} position {protected['provenance']['eventStorePosition']})")
        exact_slots = dict(slots(exact))
        for label, group in slots(protected):
            e = exact_slots.get(label)
            if e is None or e.get("counts") is None:
                continue
            eligible = value(e["counts"]["eligible"])
            figures = []
            for (figure, p), (_, x) in zip(headline(group), headline(e)):
                shown = p is not None
                if eligible >= 20 and x is not None:
                    checked20 += 1
                    published20 += shown
                if shown and x is not None:
                    error = p - x
                    if figure in RATES:
                        all_rate_errors.append(abs(error))
                        if eligible >= 100:
                            rate_errors_100.append(abs(error))
                    elif figure.startswith("median-"):
                        median_errors[figure[7:]].append(abs(error))
                        if figure == "median-days":
                            median_signed_days.append(error)
                    elif figure.startswith("durability-"):
                        durability_errors.append((value(e["durability"]["days"]["n"]), figure, error))
                figures.append(f"{figure} {fmt(x)}->{fmt(p)}")
            print(f"- {label}: eligible {eligible}: " + "; ".join(figures))
    print("\n## Summary")
    print(f"headline figures of groups with >= 20 eligible (exact defined): {published20} of {checked20} published")
    if rate_errors_100:
        print(f"rates of groups with >= 100 eligible: {len(rate_errors_100)}, max |error| {100 * max(rate_errors_100):.2f} points, "
              f"median {100 * sorted(rate_errors_100)[len(rate_errors_100) // 2]:.2f}, within 2 points: "
              f"{sum(e <= 0.02 for e in rate_errors_100)}")
    if all_rate_errors:
        print(f"all rates: {len(all_rate_errors)}, max |error| {100 * max(all_rate_errors):.2f} points")
    for axis, errors in median_errors.items():
        if errors:
            print(f"KM medians ({axis}): {len(errors)}, max |error| {max(errors):.1f}, median {sorted(errors)[len(errors) // 2]:.1f}")
    if median_signed_days:
        ordered = sorted(median_signed_days)
        print(f"KM medians (days), protected - exact: mean {sum(ordered) / len(ordered):+.1f}, median {ordered[len(ordered) // 2]:+.1f}, "
              f"range {ordered[0]:+.1f} to {ordered[-1]:+.1f}")
    for low, high in ((1, 20), (20, 50), (50, 100), (100, 10 ** 9)):
        errors = [abs(err) for followed, _, err in durability_errors if low <= followed < high]
        if errors:
            print(f"durability at 30/60/90 days, {low}-{high - 1 if high < 10 ** 9 else 'more'} courses followed: {len(errors)}, "
                  f"max |error| {max(errors):.3f}")
    return 0


def fmt(x):
    return "-" if x is None else (f"{x:.3f}" if isinstance(x, float) else str(x))


if __name__ == "__main__":
    sys.exit(main())
