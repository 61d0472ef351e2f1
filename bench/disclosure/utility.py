#!/usr/bin/env python3
"""Disclosure utility: every named report in the own-clinics tier (exact) beside the protected tier (coverage=network).

    python3 bench/disclosure/utility.py --url http://127.0.0.1:5080 --token ADMIN_TOKEN [--cut]

An admin token over every clinic ('*') gets the exact figures; the same token with coverage=network gets the protected
ones at the latest release (--cut cuts a release first, so both stand at the same position). Prints, per report and
group: eligible courses, each headline figure exact -> protected, whether it was published, and the errors, then a
summary against the goals of issue 11 (published for every group with >= 20 eligible; rates within 2 points for groups
with >= 100 eligible). Standard library only.
"""
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
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--cut", action="store_true")
    args = parser.parse_args()
    if args.cut:
        get(f"{args.url}/api/v1/releases", args.token, method="POST")
    names = [r["name"] for r in get(f"{args.url}/api/v1/reports", args.token)]
    checked20 = published20 = 0
    rate_errors_100 = []
    all_rate_errors = []
    median_errors = {"days": [], "sessions": []}
    for name in names:
        exact = get(f"{args.url}/api/v1/reports/{name}", args.token)
        protected = get(f"{args.url}/api/v1/reports/{name}?coverage=network", args.token)
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
    return 0


def fmt(x):
    return "-" if x is None else (f"{x:.3f}" if isinstance(x, float) else str(x))


if __name__ == "__main__":
    sys.exit(main())
