#!/usr/bin/env python3
"""tests/vm/dr_guest.py SCENARIO: one direct-routing scenario, run in the VM.

Runs inside the VM rig's guest (root, Debian's kernel with IPVS), builds
lab/drlab.py's cluster, plays SCENARIO and prints what it observed as one
line `RESULT <json>` for tests/vm/test_dr_kernel.py to judge. Any step that
times out ends the scenario with `RESULT {"error": ...}` plus the nodes'
logs, and the lab is torn down either way.

    wrr        weights 3:1 over 40 connections; a real stops -> quiescent
    failover   long-lived connections keep talking through the active
               director's death
    arp        who answers ARP for the VIP, without and with halb-noarp
    vipfirst   IPAddr2 ahead of ldirectord: a synced connection is reset
"""
import json
import os
import subprocess
import sys
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
SRC_DIR = os.environ.get("HALB_SRC_DIR", os.path.dirname(os.path.dirname(HERE)))
BUILD_DIR = os.environ.get("HALB_BUILD_DIR", os.getcwd())
sys.path.insert(0, os.path.join(SRC_DIR, "lab"))
import drlab  # noqa: E402
from drlab import REALS, VIP, VPORT  # noqa: E402

# Modules the lab needs beyond those the guest agent loads.
MODULES = ("bridge", "nf_tables")


def load_modules():
    for m in MODULES:
        subprocess.run(["modprobe", m], capture_output=True)


def wait_director_ready(lab, host, timeout=60):
    """The VIP's service in host's table with every real at its weight."""
    want = {ip: ("Route", drlab.WEIGHTS[h]) for h, ip in REALS.items()}
    lab.wait(lambda: lab.table(host) == want, timeout, f"both reals up in {host}'s IPVS table")


def scenario_wrr(lab, r):
    lab.wait(lambda: lab.vip_holders() == ["ndb1"], 60, "the VIP on ndb1")
    wait_director_ready(lab, "ndb1")
    r["t_ready"] = round(time.monotonic() - lab.t_up, 1)
    r["ndb1_table"] = lab.ipvsadm("ndb1", "-L", "-n")
    r["ndb2_table"] = lab.table("ndb2")
    r["ndb1_daemons"] = lab.sync_daemons("ndb1")
    r["greetings"] = drlab.ask_many(lab, 40)
    lab.stop_service("sql2")
    t0 = time.monotonic()
    lab.wait(lambda: (lab.table("ndb1") or {}).get(REALS["sql2"]) == ("Route", 0), 30, "sql2 quiesced")
    r["quiesce_seconds"] = round(time.monotonic() - t0, 1)
    r["quiesced_table"] = lab.ipvsadm("ndb1", "-L", "-n")
    r["after_quiesce"] = drlab.ask_many(lab, 12)
    r["director_log"] = lab.director_log("ndb1")
    r["ndb1_log"] = lab.node_log("ndb1")


def start_standby_backup(lab, r):
    """The standby's sync backup. heartbeat starts nothing for a group it
    does not hold, so this is the administrator's boot-time step (in the
    seed, ndb2 shows a running ipvs_syncbackup): `LVSSyncDaemonSwap master
    stop` starts the backup role."""
    time.sleep(1)
    r["ndb2_daemons_at_start"] = lab.sync_daemons("ndb2")
    if "backup" not in r["ndb2_daemons_at_start"]:
        env = dict(os.environ, HALB_RUN_DIR=os.path.join(lab.node_dir("ndb2"), "run"))
        p = subprocess.run(["ip", "netns", "exec", lab.ns("ndb2"), lab.program("halb-syncswap"), "master", "stop"],
                           env=env, capture_output=True, text=True)
        r["backup_started_by_hand"] = [p.returncode, p.stdout + p.stderr]


def scenario_failover(lab, r):
    lab.wait(lambda: lab.vip_holders() == ["ndb1"], 60, "the VIP on ndb1")
    wait_director_ready(lab, "ndb1")
    r["t_ready"] = round(time.monotonic() - lab.t_up, 1)
    start_standby_backup(lab, r)
    r["ndb1_daemons"] = lab.sync_daemons("ndb1")
    r["ndb2_daemons"] = lab.sync_daemons("ndb2")

    client = drlab.LongClient(lab, 4)
    try:
        r["greetings"] = client.command("open")
        garp = drlab.GarpClient(lab)
        # Three client->director packets per connection (SYN, ACK, data)
        # make the master send it; a few more rounds to be sure.
        r["before"] = [client.command(f"say before{k}") for k in range(3)]
        # Every connection reaches the standby's table before the fault.
        lab.wait(lambda: lab.ipvsadm("ndb2", "-L", "-n", "-c").count("ESTABLISHED") >= 5, 30,
                 "the 5 connections synced to ndb2")
        r["ndb2_conns_before"] = lab.ipvsadm("ndb2", "-L", "-n", "-c")
        # From here on the client keeps talking on every connection, through
        # the fault and the takeover, until two rounds after the takeover.
        during, stop = [], threading.Event()

        def talk():
            k = 0
            while not stop.is_set():
                during.append(client.command(f"say during{k}"))
                k += 1
                time.sleep(0.2)

        talker = threading.Thread(target=talk, daemon=True)
        talker.start()
        time.sleep(1)
        t0 = time.monotonic()
        lab.kill_director("ndb1")
        lab.wait(lambda: lab.vip_holders() == ["ndb2"], 60, "the VIP on ndb2")
        r["vip_seconds"] = round(time.monotonic() - t0, 1)
        wait_director_ready(lab, "ndb2")
        lab.wait(lambda: lab.sync_daemons("ndb2") == ["master"], 30, "ndb2 the sync master")
        r["takeover_seconds"] = round(time.monotonic() - t0, 1)
        r["ndb2_daemons_after"] = lab.sync_daemons("ndb2")
        n = len(during)
        lab.wait(lambda: len(during) >= n + 2, 60, "two rounds of talk after the takeover")
        stop.set()
        talker.join(60)
        r["during"] = during
        r["at_garp"] = garp.result()
        r["garp_owner"] = garp.owner
        r["after"] = [client.command(f"say after{k}") for k in range(3)]
        r["ndb2_conns_after"] = lab.ipvsadm("ndb2", "-L", "-n", "-c")
        r["new_connection"] = drlab.ask(lab)
        r["arp_after"] = lab.arp_answerers()
        r["macs"] = lab.macs()
        r["ndb2_log"] = lab.node_log("ndb2")
    finally:
        client.close()


def scenario_vipfirst(lab, r):
    """IPAddr2 before ldirectord: the new holder has the VIP before its
    director adds the service, and the kernel hooks IPVS in only with a
    service, so a synced connection's packet in that gap meets the local
    TCP stack."""
    lab.wait(lambda: lab.vip_holders() == ["ndb1"], 60, "the VIP on ndb1")
    wait_director_ready(lab, "ndb1")
    r["haresources"] = lab.haresources()
    start_standby_backup(lab, r)
    garp = drlab.GarpClient(lab)
    lab.wait(lambda: "ESTABLISHED" in lab.ipvsadm("ndb2", "-L", "-n", "-c"), 30, "the connection synced to ndb2")
    lab.kill_director("ndb1")
    r["at_garp"] = garp.result()
    r["ndb2_log"] = lab.node_log("ndb2")


def director_conns(lab, host):
    """ActiveConn + InActConn over the reals of host's IPVS table: the
    connections that went through that director and are still remembered."""
    n = 0
    for line in lab.ipvsadm(host, "-L", "-n").splitlines():
        words = line.split()
        if len(words) == 6 and words[0] == "->" and words[1][0].isdigit():
            n += int(words[4]) + int(words[5])
    return n


def scenario_arp(lab, r):
    lab.wait(lambda: lab.vip_holders() == ["ndb1"], 60, "the VIP on ndb1")
    wait_director_ready(lab, "ndb1")
    r["t_ready"] = round(time.monotonic() - lab.t_up, 1)
    r["macs"] = lab.macs()
    r["without_noarp"] = lab.arp_answerers()
    # Where the client's traffic goes is a race between the ARP replies;
    # recorded, not judged.
    lab.net.ip("client", "neigh", "flush", "dev", "eth0")
    r["greetings_without"] = drlab.ask_many(lab, 8)
    r["client_neigh_without"] = lab.client_neighbour()
    r["director_conns_without"] = director_conns(lab, "ndb1")
    for host in REALS:
        p = lab.noarp_cmd(host, VIP, "start")
        r[f"noarp_{host}"] = [p.returncode, p.stdout + p.stderr]
    r["with_noarp"] = lab.arp_answerers()
    lab.net.ip("client", "neigh", "flush", "dev", "eth0")
    before = director_conns(lab, "ndb1")
    r["greetings_with"] = drlab.ask_many(lab, 8)
    r["client_neigh_with"] = lab.client_neighbour()
    r["director_conns_with"] = director_conns(lab, "ndb1") - before


SCENARIOS = {"wrr": (scenario_wrr, True, False), "failover": (scenario_failover, True, False),
             "arp": (scenario_arp, False, False), "vipfirst": (scenario_vipfirst, True, True)}


def main(argv):
    if len(argv) != 2 or argv[1] not in SCENARIOS:
        print(f"usage: {argv[0]} {'|'.join(SCENARIOS)}", file=sys.stderr)
        return 2
    play, noarp, vip_first = SCENARIOS[argv[1]]
    load_modules()
    lab = drlab.DrLab(BUILD_DIR, tag=argv[1], noarp=noarp, vip_first=vip_first)
    r = {}
    t0 = time.monotonic()
    try:
        lab.t_up = time.monotonic()
        lab.up()
        play(lab, r)
    except Exception:
        r["error"] = traceback.format_exc()
        for host in ("ndb1", "ndb2"):
            r[f"{host}_log"] = lab.node_log(host)
            r[f"{host}_director_log"] = lab.director_log(host)
            r[f"{host}_ipvs"] = lab.ipvsadm(host, "-L", "-n")
    finally:
        r["scenario_seconds"] = round(time.monotonic() - t0, 1)
        lab.teardown()
    print("RESULT " + json.dumps(r), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
