"""The anchors halb is measured against, run on the same namespace pair
(lab/pairlab.py): Debian's heartbeat 3.0.6 and keepalived 2.2.

heartbeat 3.0.6 reads fixed paths (/etc/ha.d, /var/lib/heartbeat, /run),
so each node runs in its own mount, UTS and pid namespaces inside the
director's network namespace, with private copies bind-mounted over those
paths. `unshare --kill-child` ties the node's pid namespace to the process
we started: SIGKILL to it ends every process of that node at once, which
is how a machine dying looks. keepalived runs in the same kind of wrapper.
"""
import os
import shutil
import subprocess

import pairlab

HEARTBEAT_BIN = "/usr/libexec/heartbeat/heartbeat"


def have_heartbeat():
    return os.access(HEARTBEAT_BIN, os.X_OK) and os.path.isdir("/etc/ha.d/resource.d")


def have_keepalived():
    return shutil.which("keepalived") is not None


def _wrapped(lab, host, script):
    path = os.path.join(lab.node_dir(host), "wrapper.sh")
    with open(path, "w") as f:
        f.write(script)
    return subprocess.Popen(["ip", "netns", "exec", lab.ns(host), "unshare", "--uts", "--mount", "--pid", "--fork",
                             "--kill-child", "--mount-proc", "bash", path],
                            stdout=subprocess.DEVNULL, stderr=open(os.path.join(lab.node_dir(host), "wrapper.log"), "ab"))


def start_debian_heartbeat(lab, host):
    """One node of Debian's heartbeat with the lab's ha.cf (classic agent
    spelling: Debian's heartbeat only finds `IPaddr2`)."""
    d = lab.node_dir(host)
    etc = os.path.join(d, "debian-ha.d")
    var = os.path.join(d, "debian-var")
    if not os.path.isdir(etc):
        shutil.copytree("/etc/ha.d", etc, symlinks=True)
    os.makedirs(var, exist_ok=True)
    shutil.chown(var, "hacluster", "haclient")
    with open(os.path.join(etc, "ha.cf"), "w") as f:
        # Debian moved ipfail from the seed's /usr/lib/heartbeat to /usr/libexec/heartbeat.
        f.write(lab.ha_cf.replace("logfacility local0", f"logfile {d}/debian-heartbeat.log\nuse_logd no\ncrm off")
                .replace("/usr/lib/heartbeat/ipfail", "/usr/libexec/heartbeat/ipfail"))
    with open(os.path.join(etc, "haresources"), "w") as f:
        f.write(lab.haresources().replace("IPAddr2", "IPaddr2"))
    with open(os.path.join(etc, "authkeys"), "w") as f:
        f.write("auth 3\n3 md5 514a49f83820e34c877ff48770e48ea7\n")
    os.chmod(os.path.join(etc, "authkeys"), 0o600)
    script = f"""set -e
mount --make-rprivate /
hostname {host}
mount --bind {etc} /etc/ha.d
mount --bind {var} /var/lib/heartbeat
mount -t tmpfs tmpfs /run
mkdir -p /run/heartbeat/rsctmp /run/heartbeat/ccm /run/heartbeat/crm /run/resource-agents /run/lock
chown hacluster:haclient /run/heartbeat/ccm /run/heartbeat/crm
{HEARTBEAT_BIN}
exec sleep 100000
"""
    lab.procs[f"hb-{host}"] = _wrapped(lab, host, script)


def start_keepalived(lab, host, advert_int):
    """keepalived VRRPv3 on the LAN holding the VIP; ndb1 has the higher
    priority, nopreempt off (the default) as in a plain active/standby pair."""
    d = lab.node_dir(host)
    prio = 150 if host == "ndb1" else 100
    conf = os.path.join(d, "keepalived.conf")
    with open(conf, "w") as f:
        f.write(f"""global_defs {{
    router_id {host}
    enable_script_security
}}
vrrp_instance VI_1 {{
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority {prio}
    advert_int {advert_int}
    version 3
    virtual_ipaddress {{
        {pairlab.VIP}/24 dev eth0
    }}
}}
""")
    script = f"""set -e
mount --make-rprivate /
hostname {host}
mount -t tmpfs tmpfs /run
exec keepalived -n -l -D -P -f {conf} -p {d}/keepalived.pid -r {d}/vrrp.pid
"""
    lab.procs[f"hb-{host}"] = _wrapped(lab, host, script)
