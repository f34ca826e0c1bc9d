#!/usr/bin/python3
"""The M/M/1 model of `cloudmix bench mm1` in SimPy, for the rate comparison.

Same parameters (arrival rate 0.9/s, service rate 1.0/s, FIFO, one server),
written the idiomatic way: a source process and one process per customer
holding a capacity-1 Resource. Uses SimPy 3+ (`simpy`, Environment) when
installed, else SimPy 2 (`SimPy.Simulation`, Debian's python3-simpy).
Events = arrivals + departures; the rate is timed around the run only, with
time.perf_counter. Prints one line of key=value.
"""
import argparse
import random
import sys
import time

LAMBDA = 0.9
MU = 1.0


def run_simpy3(simpy, n, seed):
    env = simpy.Environment()
    server = simpy.Resource(env, capacity=1)
    ra, rs = random.Random(seed), random.Random(seed + 1)
    stats = [0.0, 0]

    def customer():
        arrived = env.now
        with server.request() as req:
            yield req
            yield env.timeout(rs.expovariate(MU))
        stats[0] += env.now - arrived
        stats[1] += 1

    def source():
        for _ in range(n):
            yield env.timeout(ra.expovariate(LAMBDA))
            env.process(customer())

    env.process(source())
    t0 = time.perf_counter()
    env.run()
    return time.perf_counter() - t0, stats


def run_simpy2(n, seed):
    from SimPy.Simulation import Simulation, Process, Resource, hold, request, release

    sim = Simulation()
    server = Resource(capacity=1, sim=sim)
    ra, rs = random.Random(seed), random.Random(seed + 1)
    stats = [0.0, 0]

    class Customer(Process):
        def run(self):
            arrived = self.sim.now()
            yield request, self, server
            yield hold, self, rs.expovariate(MU)
            yield release, self, server
            stats[0] += self.sim.now() - arrived
            stats[1] += 1

    class Source(Process):
        def run(self):
            for _ in range(n):
                yield hold, self, ra.expovariate(LAMBDA)
                c = Customer(sim=self.sim)
                self.sim.activate(c, c.run())

    src = Source(sim=sim)
    sim.activate(src, src.run())
    t0 = time.perf_counter()
    sim.simulate(until=float("inf"))
    return time.perf_counter() - t0, stats


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=200000)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    try:
        import simpy
        version, api = simpy.__version__, 3
        secs, stats = run_simpy3(simpy, a.customers, a.seed)
    except ImportError:
        try:
            import SimPy
        except ImportError:
            print("simpy=absent")
            return 3
        version, api = SimPy.__version__, 2
        secs, stats = run_simpy2(a.customers, a.seed)
    if stats[1] != a.customers:
        print("mm1_simpy: %d of %d customers left" % (stats[1], a.customers), file=sys.stderr)
        return 1
    events = 2 * a.customers
    print("simpy_version=%s simpy_api=%d customers=%d events=%d seconds=%.3f events_per_s=%.0f mean_sojourn_s=%.2f"
          % (version, api, a.customers, events, secs, events / secs, stats[0] / stats[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
