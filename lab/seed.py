"""The seed's topology (seeds/002: ndb1/ndb2 directors + management servers,
sql1/sql2 data + SQL nodes behind the VIP, a client) and the configuration
files its operator wrote, generated for one lab run.

A Topology holds the addresses, the service port and the timers; a
`--topology FILE` (JSON) overrides any of its fields. The generators below
are the one place the lab, pairlab (the director pair) and the tests get
ha.cf, haresources, authkeys, ldirectord.cf, config.ini and my.cnf from.
"""
import json

SEED_AUTHKEYS = "auth 3\n3 md5 514a49f83820e34c877ff48770e48ea7\n"

DIRECTORS = ("ndb1", "ndb2")
REALS = ("sql1", "sql2")

# The seed's own figures: 192.168.131.0/24, VIP .105, crossover 10.9.30.x
# (pairlab keeps 172.16.0.x, which its tests and benchmarks already use).
NETNS_DEFAULTS = {
    "lan": "192.168.131",
    "hosts": {"ndb1": "192.168.131.164", "ndb2": "192.168.131.26", "sql1": "192.168.131.77",
              "sql2": "192.168.131.101", "client": "192.168.131.50"},
    "gateway": "192.168.131.1",
    "vip": "192.168.131.105",
    "crossover": {"ndb1": "172.16.0.1", "ndb2": "172.16.0.2"},
    "port": 3306,
    "mgm_port": 1186,
    "udpport": 694,
    "weights": {"sql1": 1, "sql2": 1},
    "keepalive": "200ms", "deadtime": "2", "warntime": "1", "initdead": "4",
    "data_memory": "64M", "index_memory": "16M",
    "ndb_heartbeat_ms": 500,
    "database": "kingsoft",
    "user": "ldirector", "password": "ldirectorpassword",
    "root_password": "halb-lab-root",
}


class Topology:
    """Addresses and settings of one lab; attributes mirror NETNS_DEFAULTS."""

    def __init__(self, mode="netns", overrides=None):
        self.mode = mode
        data = json.loads(json.dumps(NETNS_DEFAULTS))
        for k, v in (overrides or {}).items():
            if k not in data:
                raise ValueError(f"topology: unknown field {k!r} (known: {', '.join(sorted(data))})")
            data[k] = v
        self.__dict__.update(data)

    @classmethod
    def load(cls, path, mode="netns"):
        try:
            with open(path) as f:
                overrides = json.load(f)
        except (OSError, ValueError) as e:
            raise ValueError(f"topology {path}: {e}")
        if not isinstance(overrides, dict):
            raise ValueError(f"topology {path}: a JSON object expected")
        try:
            return cls(mode, overrides)
        except ValueError as e:
            raise ValueError(f"{path}: {e}")

    @classmethod
    def loopback(cls, block, ports, overrides=None):
        """Every host on 127.<block>.x: the seed's last octets on a /24
        of loopback that no other lab uses; `ports` (port, mgm_port of ndb1,
        mgm_port of ndb2, udpport) are free ports, as the machine's port
        space is shared."""
        t = cls("loopback", overrides)
        net = f"127.{block[0]}.{block[1]}"
        last = lambda a: a.rsplit(".", 1)[1]  # noqa: E731
        t.lan = net
        t.hosts = {h: f"{net}.{last(a)}" for h, a in t.hosts.items()}
        t.gateway = f"{net}.1"
        t.vip = f"{net}.{last(t.vip)}"
        t.crossover = dict(t.hosts)  # no second medium on loopback
        t.port, t.mgm_port, t.mgm_port2, t.udpport = ports
        return t

    def to_json(self):
        return {k: v for k, v in self.__dict__.items()}

    @classmethod
    def from_json(cls, data):
        t = cls(data["mode"])
        t.__dict__.update(data)
        return t

    def mgm_connectstring(self):
        # The seed's my.cnf form: "host=A, host=B".
        return ", ".join(f"host={self.mgm_host(d)}:{self.mgm_port_of(d)}" for d in DIRECTORS)

    def mgm_host(self, director):
        return "127.0.0.1" if self.mode == "loopback" else self.hosts[director]

    def mgm_port_of(self, director):
        # On loopback both management servers share 127.0.0.1 (nodes connect
        # from it whatever address they dial), so they need two ports.
        return self.mgm_port2 if self.mode == "loopback" and director == "ndb2" else self.mgm_port


# ---- heartbeat -------------------------------------------------------------

def ha_cf(t, host=None, extra="", ping=True):
    """The seed's ha.cf (bcast + mcast on the eth1 crossover), the lab's
    timers, ucast on the LAN as a second medium and (ping) the gateway as
    ipfail's ping node. On loopback: ucast only, bound to the node's own
    address."""
    head = f"""# The seed's ha.cf with the lab's timers.
logfacility local0
keepalive {t.keepalive}
warntime {t.warntime}
deadtime {t.deadtime}
initdead {t.initdead}
"""
    if t.mode == "loopback":
        media = (f"udpport {t.udpport}\n" + "".join(f"ucast lo {t.hosts[d]}\n" for d in DIRECTORS)
                 + f"bind_address {t.hosts[host]}\n")
    else:
        media = (f"udpport {t.udpport}\nbcast      eth1\nmcast eth1 225.0.0.1 694 1 0\n"
                 + "".join(f"ucast eth0 {t.hosts[d]}\n" for d in DIRECTORS)
                 + (f"ping {t.gateway}\n" if ping else ""))
    return head + media + f"""auto_failback off
node       ndb1
node       ndb2
respawn hacluster /usr/lib/heartbeat/ipfail
apiauth ipfail gid=haclient uid=hacluster
{extra}"""


def haresources(t, sync=False):
    """The seed's resource group: ldirectord, then the VIP (stopped in the
    reverse order). LVSSyncDaemonSwap (sync) only with the kernel's IPVS:
    halb-lvsd is a proxy and has no connection table to sync. On loopback there is no VIP to move:
    halb-lvsd binds the VIP address when halb-director adds the service."""
    if t.mode == "loopback":
        return "ndb1      \\\nldirectord::ldirectord.cf\n"
    sync_line = "LVSSyncDaemonSwap::master \\\n" if sync else ""
    return f"ndb1      \\\nldirectord::ldirectord.cf \\\n{sync_line}IPAddr2::{t.vip}/24/eth0/{t.lan}.255\n"


def ldirectord_cf(t, logfile):
    """The seed's ldirectord.cf: a mysql negotiate check with the
    ldirector login, wrr, direct routing, quiescent reals."""
    reals = "".join(f"\treal={t.hosts[r]}:{t.port} gate {t.weights.get(r, 1)}\n" for r in REALS)
    return f"""# The seed's ldirectord.cf (two MySQL API nodes behind the VIP).
checktimeout=3
checkinterval=1
autoreload=no
logfile="{logfile}"
quiescent=yes

virtual={t.vip}:{t.port}
	service=mysql
{reals}	checktype=negotiate
	login="{t.user}"
	passwd="{t.password}"
	database="ldirectordb"
	request="SELECT * FROM connectioncheck"
	scheduler=wrr
"""


# ---- cluster ---------------------------------------------------------------

def node_ids():
    """The seed's SHOW: mgmds 1-2, data nodes 3-4, SQL nodes 5-8."""
    return {"mgmd": {"ndb1": 1, "ndb2": 2}, "ndbd": {"sql1": 3, "sql2": 4},
            "sqld": {"sql2": 5, "ndb2": 6, "ndb1": 7, "sql1": 8}}


def config_ini(t, data_dirs):
    """The seed's config.ini: two management servers, two data nodes with
    NoOfReplicas=2 (one node group), seven [mysqld] slots; DataMemory
    scaled to the lab. data_dirs: host -> DataDir."""
    ids = node_ids()
    ndbd_host = (lambda h: "127.0.0.1") if t.mode == "loopback" else (lambda h: t.hosts[h])
    mgm = "".join(f"[NDB_MGMD]\nID={i}\nHostName={t.mgm_host(h)}\nPortNumber={t.mgm_port_of(h)}\n"
                  f"DataDir={data_dirs[h]}\nArbitrationRank=1\n\n" for h, i in ids["mgmd"].items())
    ndbd = "".join(f"[NDBD]\nID={i}\nHostName={ndbd_host(h)}\nDataDir={data_dirs[h]}\n\n"
                   for h, i in ids["ndbd"].items())
    api = "".join(f"[mysqld]\nID={i}\n" for i in sorted(ids["sqld"].values())) + "[mysqld]\n[mysqld]\n[mysqld]\n"
    return f"""# The seed's config.ini, DataMemory scaled to the lab.
[NDBD DEFAULT]
NoOfReplicas=2
DataMemory={t.data_memory}
IndexMemory={t.index_memory}
HeartbeatIntervalDbDb={t.ndb_heartbeat_ms}
HeartbeatIntervalDbApi={t.ndb_heartbeat_ms}

[mysqld DEFAULT]

[NDB_MGMD DEFAULT]

[TCP DEFAULT]

{mgm}{ndbd}# one [mysqld] per SQL node, and spares
{api}"""


def my_cnf(t, host, socket_path):
    """The seed's my.cnf. In a namespace the SQL node listens on every
    address, as the seed's did: with direct routing clients' packets reach
    a real server addressed to the VIP (on its lo). On loopback every
    host shares one stack, so each binds its own address."""
    cs = t.mgm_connectstring()
    bind = f"bind-address = {t.hosts[host]}\n" if t.mode == "loopback" else ""
    return f"""# The seed's my.cnf for {host}, plus where this SQL node listens.
[mysqld]
ndbcluster
ndb-connectstring = "{cs}"
{bind}port = {t.port}
socket = {socket_path}

[ndb_mgm]
connect-string = "{cs}"

[ndbd]
connect-string = "{cs}"
"""
