#!/bin/sh
# tests/vm/guest-agent.sh OUT: runs inside the VM (chrooted into the host's
# read-only root, see rig.py). Loads the modules the suites use, says
# "ready", then runs each OUT/job-N.sh in turn, writing job-N.out and
# job-N.rc, until OUT/poweroff appears.
out=$1
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH HOME=/tmp TMPDIR=/tmp
ip link set lo up
for m in ip_vs ip_vs_rr ip_vs_wrr ip_vs_lc ip_vs_wlc ip_vs_sh ip_vs_mh ip_vs_sed ip_vs_nq ip_vs_fo ip_vs_pe_sip veth dummy; do
  modprobe "$m" || echo "guest-agent: modprobe $m failed" >> "$out/agent.log"
done
uname -r > "$out/ready.tmp" && mv "$out/ready.tmp" "$out/ready"
n=1
while [ ! -e "$out/poweroff" ]; do
  job=$out/job-$n
  if [ -e "$job.sh" ]; then
    t=$(cat "$job.timeout" 2>/dev/null || echo 120)
    timeout -k 5 "$t" /bin/sh "$job.sh" > "$job.out" 2>&1 < /dev/null
    echo $? > "$job.rc.tmp" && mv "$job.rc.tmp" "$job.rc"
    n=$((n + 1))
  else
    sleep 0.05
  fi
done
sync
echo o > /proc/sysrq-trigger
sleep 10
