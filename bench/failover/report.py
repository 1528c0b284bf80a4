"""What the clients of bench/failover/run.sh saw: reads load.cs's events file and prints the
error window after the kill, status classes in it, throughput in it against before, and a table
second by second. Usage: python3 report.py <events file> <kill|rolling>"""
import collections
import sys

path, mode = sys.argv[1], sys.argv[2]
requests, marks = [], []
for line in open(path):
    if line.startswith("#"):
        _, t, text = line.split(" ", 2)
        marks.append((float(t), text.strip()))
        continue
    start, latency, status, op, node, sid = line.split()
    requests.append((float(start), float(latency) / 1000, int(status), op, int(node), sid))
requests.sort()


def klass(status):
    if status == 0:
        return "no answer"
    if status == 599:
        return "503 without Retry-After"
    if status == 503:
        return "503"
    return f"{status // 100}xx"


def ok(status):
    return 200 <= status < 300


def table(first, last):
    print("| second | answered 2xx | 503 | other non-2xx | no answer | p50 ms | max ms |")
    print("|---|---|---|---|---|---|---|")
    by_second = collections.defaultdict(list)
    for r in requests:
        by_second[int(r[0])].append(r)
    for s in range(int(first), int(last) + 1):
        rs = by_second.get(s, [])
        lat = sorted(r[1] * 1000 for r in rs) or [0]
        good = sum(ok(r[2]) for r in rs)
        s503 = sum(r[2] == 503 for r in rs)
        none = sum(r[2] == 0 for r in rs)
        other = len(rs) - good - s503 - none
        marker = "; ".join(text for t, text in marks if int(t) == s)
        print(f"| {s}{' (' + marker + ')' if marker else ''} | {good} | {s503} | {other} | {none} | {lat[len(lat) // 2]:.0f} | {lat[-1]:.0f} |")


errors = [r for r in requests if not ok(r[2])]
print(f"requests: {len(requests)}, non-2xx or unanswered: {len(errors)}, "
      f"by class: {dict(collections.Counter(klass(r[2]) for r in errors))}")
print(f"500s: {sum(r[2] == 500 for r in requests)}, answers slower than 5 s: {sum(r[1] > 5 for r in requests)}, "
      f"slowest: {max(r[1] for r in requests):.2f} s")

if mode == "kill":
    kill = next(t for t, text in marks if text.startswith("down"))
    after = [r for r in requests if r[0] >= kill]
    bad_after = [r for r in after if not ok(r[2])]
    # In flight at the kill counts too: a request that started before and ended after.
    bad_around = [r for r in requests if not ok(r[2]) and r[0] + r[1] >= kill]
    end = max((r[0] + r[1] for r in bad_around), default=kill)
    window = end - kill
    before = [r for r in requests if kill - 10 <= r[0] < kill]
    during = [r for r in requests if kill <= r[0] < max(end, kill + 1)]
    rate_before = sum(ok(r[2]) for r in before) / 10
    span = max(end - kill, 1)
    rate_during = sum(ok(r[2]) for r in during) / span
    print(f"kill at {kill:.1f} s; errors for {window:.2f} s after it (last failed answer at +{window:.2f} s)")
    print(f"during the window: {dict(collections.Counter(klass(r[2]) for r in during))}")
    print(f"throughput (2xx/s): {rate_before:.0f} in the 10 s before, {rate_during:.0f} in the window "
          f"({(rate_during / rate_before if rate_before else 0):.2f}×)")
    creates_bad = [r for r in bad_around if r[3] == "create"]
    print(f"creates failing after the kill: {len(creates_bad)} of {sum(r[3] == 'create' for r in after)}")
    # Reads: sessions that failed at least once after the kill, and for how long each was unavailable.
    failed = collections.defaultdict(float)
    for r in bad_around:
        if r[3] == "read":
            failed[r[5]] = max(failed[r[5]], r[0] + r[1])
    back = {}
    for r in after:
        if r[3] == "read" and r[5] in failed and ok(r[2]) and r[0] >= failed[r[5]] and r[5] not in back:
            back[r[5]] = r[0] + r[1] - kill
    read_sessions = len({r[5] for r in after if r[3] == "read"})
    print(f"sessions read after the kill: {read_sessions}; of them failed at least once: {len(failed)} "
          f"({(len(failed) / read_sessions * 100 if read_sessions else 0):.0f}%); "
          f"unavailable for at most {max(back.values(), default=0):.2f} s (until read back)")
    table(kill - 5, min(max(end, kill) + 5, requests[-1][0]))
else:
    for t, text in marks:
        print(f"{t:.1f} s: {text}")
    seconds_with_errors = sorted({int(r[0]) for r in errors})
    print(f"seconds with a non-2xx or unanswered request: {seconds_with_errors}")
    table(requests[0][0], requests[-1][0])
