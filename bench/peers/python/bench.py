"""Python's multiprocessing on the same workloads (peer of bench/compare.ts).

python3 bench/peers/python/bench.py --workload W1 --reps 5 [--start-method fork|spawn]

Prints one line: BENCH_RESULT {"metrics": {name: [samples...]}, "notes": [...]}.
Sizes and algorithms mirror bench/common.ts.
"""
import json
import multiprocessing as mp
import sys
import time

WORKERS = 2
MAP_ITEMS = 100_000
SEPARATE_TASKS = 10_000
APPLY_CALLS = 10_000
PRIME_TASKS = 8
PRIME_LIMIT_PY = 160_000  # ~250 ms per task in CPython 3.11 on the 2-core machine
INCREMENTS = 100_000
QUEUE_ITEMS = 100_000
BIG_ARRAYS = 64
BIG_BYTES = 1 << 20


def double(x):
    return x * 2


def count_primes(limit):
    count = 0
    for n in range(2, limit):
        prime = True
        d = 2
        while d * d <= n:
            if n % d == 0:
                prime = False
                break
            d += 1
        if prime:
            count += 1
    return count


def checksum(a):
    s = len(a)
    for i in range(0, len(a), 4096):
        s += a[i]
    return s


_shared = {}


def increment(n):
    v = _shared["value"]
    lock = v.get_lock()
    for _ in range(n):
        with lock:
            v.value += 1
    return n


def produce(n):
    q = _shared["queue"]
    for i in range(n):
        q.put(i)
    return n


def now_ms():
    return time.perf_counter() * 1000


def check(ok, what):
    if not ok:
        raise SystemExit(f"wrong result: {what}")


def w1(ctx, s):
    with ctx.Pool(WORKERS) as pool:
        for rep in range(s["_reps"] + 1):
            xs = list(range(MAP_ITEMS))
            t = now_ms()
            ys = pool.map(double, xs)
            map_ms = now_ms() - t
            check(len(ys) == MAP_ITEMS and ys[-1] == 2 * (MAP_ITEMS - 1), "W1 map")

            t = now_ms()
            rs = [pool.apply_async(double, (i,)) for i in range(SEPARATE_TASKS)]
            total = sum(r.get() for r in rs)
            tasks_ms = now_ms() - t
            check(total == SEPARATE_TASKS * (SEPARATE_TASKS - 1), "W1 separate tasks")

            t = now_ms()
            ys1 = pool.map(double, range(SEPARATE_TASKS), chunksize=1)
            chunk1_ms = now_ms() - t
            check(sum(ys1) == SEPARATE_TASKS * (SEPARATE_TASKS - 1), "W1 separate tasks, chunk size 1")

            t = now_ms()
            total = 0
            for i in range(APPLY_CALLS):
                total += pool.apply(double, (i,))
            apply_us = (now_ms() - t) * 1000 / APPLY_CALLS
            check(total == APPLY_CALLS * (APPLY_CALLS - 1), "W1 apply")
            if rep > 0:
                s.setdefault("map100k_ms", []).append(map_ms)
                s.setdefault("tasks10k_ms", []).append(tasks_ms)
                s.setdefault("tasks10k_chunk1_ms", []).append(chunk1_ms)
                s.setdefault("apply_us", []).append(apply_us)


def w2(ctx, s):
    with ctx.Pool(WORKERS) as pool:
        pool.map(double, [1, 2])
        for rep in range(s["_reps"] + 1):
            # The warm-up (rep 0) only starts the workers: a full round would add seconds.
            limits = [PRIME_LIMIT_PY if rep > 0 else 2_000] * PRIME_TASKS
            t = now_ms()
            seq = [count_primes(limit) for limit in limits]
            sequential = now_ms() - t
            t = now_ms()
            par = pool.map(count_primes, limits, chunksize=1)
            parallel = now_ms() - t
            check(par == seq, "W2 primes")
            if rep > 0:
                s.setdefault("sequential_ms", []).append(sequential)
                s.setdefault("parallel_ms", []).append(parallel)
                s.setdefault("speedup", []).append(sequential / parallel)


def w3(ctx, s):
    value = ctx.Value("i", 0)
    with ctx.Pool(WORKERS, initializer=_init_value, initargs=(value,)) as pool:
        pool.map(double, [1, 2], chunksize=1)
        for rep in range(s["_reps"] + 1):
            value.value = 0
            t = now_ms()
            pool.map(increment, [INCREMENTS] * WORKERS, chunksize=1)
            elapsed = now_ms() - t
            check(value.value == WORKERS * INCREMENTS, f"W3 counter {value.value}")
            if rep > 0:
                s.setdefault("counter_ms", []).append(elapsed)


def _init_value(value):
    _shared["value"] = value


def _init_queue(queue):
    _shared["queue"] = queue


def w4(ctx, s):
    queue = ctx.Queue()
    with ctx.Pool(1, initializer=_init_queue, initargs=(queue,)) as pool:
        pool.apply(double, (1,))
        for rep in range(s["_reps"] + 1):
            t = now_ms()
            r = pool.apply_async(produce, (QUEUE_ITEMS,))
            total = 0
            for _ in range(QUEUE_ITEMS):
                total += queue.get()
            r.get()
            elapsed = now_ms() - t
            check(total == QUEUE_ITEMS * (QUEUE_ITEMS - 1) // 2, "W4 queue")
            if rep > 0:
                s.setdefault("queue_ms", []).append(elapsed)


def w6(ctx, s):
    expected = sum(BIG_BYTES + (BIG_BYTES // 4096) * (i % 251) for i in range(BIG_ARRAYS))
    with ctx.Pool(WORKERS) as pool:
        pool.map(double, [1, 2])
        for rep in range(s["_reps"] + 1):
            arrays = [bytes([i % 251]) * BIG_BYTES for i in range(BIG_ARRAYS)]
            t = now_ms()
            sums = pool.map(checksum, arrays)
            elapsed = now_ms() - t
            check(sum(sums) == expected, "W6")
            if rep > 0:
                s.setdefault("bigdata_copy_ms", []).append(elapsed)


def w5(ctx):
    t = now_ms()
    pool = ctx.Pool(WORKERS)
    check(pool.apply(double, (21,)) == 42, "W5")
    pool.close()
    pool.join()
    return now_ms() - t


def main():
    args = sys.argv[1:]
    flags = {}
    i = 0
    while i < len(args):
        if args[i].startswith("--"):
            flags[args[i][2:]] = args[i + 1] if i + 1 < len(args) else "true"
            i += 2
        else:
            i += 1
    workload = flags.get("workload", "W1")
    reps = int(flags.get("reps", "5"))
    method = flags.get("start-method")
    ctx = mp.get_context(method) if method else mp.get_context()
    notes = [f"python {sys.version.split()[0]}, start method {ctx.get_start_method()}"]
    if workload == "W5":
        metrics = {"inprocess_ms": [w5(ctx)]}
    else:
        s = {"_reps": reps}
        {"W1": w1, "W2": w2, "W3": w3, "W4": w4, "W6": w6}[workload](ctx, s)
        del s["_reps"]
        metrics = s
    print("BENCH_RESULT " + json.dumps({"metrics": metrics, "notes": notes}), flush=True)


if __name__ == "__main__":
    main()
