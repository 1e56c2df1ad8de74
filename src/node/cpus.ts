// How many CPUs this process can keep busy: os.availableParallelism() (the CPUs it may run on),
// capped by a cgroup CPU quota (docker --cpus, Kubernetes CPU limits, systemd CPUQuota=). Node 20's
// libuv ignores quotas, and the threaded engine spins at its barriers while every thread has a core:
// 16 threads spinning on a 2-CPU quota would run several times slower than 2.

import os from 'node:os';
import { readFileSync, existsSync } from 'node:fs';
import { join, posix } from 'node:path';

// Whole CPUs, for a thread count: a quota of 1.5 CPUs gives 2 threads.
export function usableCpus(root = '/'): number {
  return Math.max(1, Math.ceil(cpuBudget(root)));
}

// CPUs' worth of time this process may use, a fraction under a fractional quota: threads spin at
// the barriers only when each can have a whole CPU (threads <= budget).
export function cpuBudget(root = '/'): number {
  const quota = cgroupCpuQuota(root);
  const cpus = os.availableParallelism();
  return quota === null ? cpus : Math.min(cpus, quota);
}

// The CPUs a cgroup quota allows this process (quota over period, not rounded), or null when there
// is none. The quota of the process's cgroup and of every cgroup above it applies: the smallest wins.
// cgroup v2: cpu.max is "QUOTA PERIOD" or "max PERIOD"; v1: cpu.cfs_quota_us (-1: none) over
// cpu.cfs_period_us. In a container the process's cgroup is usually the mount's root.
export function cgroupCpuQuota(root = '/'): number | null {
  const membership = read(join(root, 'proc/self/cgroup'));
  if (membership === null) return null;
  let best: number | null = null;
  for (const line of membership.split('\n')) {
    // "id:controllers:path"; the path may itself hold colons
    const a = line.indexOf(':'), b = line.indexOf(':', a + 1);
    if (a < 0 || b < 0) continue;
    const id = line.slice(0, a), controllers = line.slice(a + 1, b), path = line.slice(b + 1);
    if (!path.startsWith('/')) continue;
    if (id === '0' && controllers === '') {
      best = smaller(best, lowestQuota(join(root, 'sys/fs/cgroup'), path, v2Quota));
    } else if (controllers.split(',').includes('cpu')) {
      // v1 mounts are named after their controllers, usually as listed here ("cpu,cpuacct")
      for (const mount of new Set([controllers, 'cpu', 'cpu,cpuacct', 'cpuacct,cpu'])) {
        best = smaller(best, lowestQuota(join(root, 'sys/fs/cgroup', mount), path, v1Quota));
      }
    }
  }
  return best;
}

// The smallest quota on the way from the cgroup at `path` up to the mount's root; the path as
// /proc/self/cgroup gives it need not exist under the mount (a container sees its own cgroup as /).
function lowestQuota(mount: string, path: string, quotaIn: (dir: string) => number | null): number | null {
  if (!existsSync(mount)) return null;
  let best: number | null = null;
  for (let p = posix.normalize(path); ; p = posix.dirname(p)) {
    best = smaller(best, quotaIn(join(mount, p)));
    if (p === '/') return best;
  }
}

function v2Quota(dir: string): number | null {
  const [quota, period] = (read(join(dir, 'cpu.max')) ?? '').trim().split(/\s+/);
  return ratio(quota, period);
}

function v1Quota(dir: string): number | null {
  return ratio(read(join(dir, 'cpu.cfs_quota_us'))?.trim(), read(join(dir, 'cpu.cfs_period_us'))?.trim());
}

// quota/period in CPUs; null for "max", -1, or anything unreadable.
function ratio(quota: string | undefined, period: string | undefined): number | null {
  const q = Number(quota), p = Number(period);
  return Number.isFinite(q) && Number.isFinite(p) && q > 0 && p > 0 ? q / p : null;
}

function smaller(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.min(a, b);
}

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}
