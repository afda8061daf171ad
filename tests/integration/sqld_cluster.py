"""A loopback cluster for halb-sqld's integration tests: one halb-mgmd, two
halb-ndbd (NoOfReplicas=2) and two halb-sqld, each SQL node with a TCP port
and a Unix socket. root@localhost gets a password on the first start."""
import os
import socket
import unittest

from halb import Proc, TempDir, program, wait_for


def free_tcp_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def port_open(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


ROOT_PASSWORD = "rootpw"


def config_ini(data_dir, mgm_port, data_memory="40M", max_tables=128):
    return f"""[NDBD DEFAULT]
NoOfReplicas=2
DataMemory={data_memory}
MaxNoOfTables={max_tables}
IndexMemory=16M
HeartbeatIntervalDbDb=500
HeartbeatIntervalDbApi=500

[NDB_MGMD]
Id=1
HostName=127.0.0.1
PortNumber={mgm_port}
DataDir={data_dir}/m1

[NDBD]
Id=2
HostName=127.0.0.1
DataDir={data_dir}/d2

[NDBD]
Id=3
HostName=127.0.0.1
DataDir={data_dir}/d3

[MYSQLD]
[MYSQLD]
[API]
[API]
[API]
"""


class SqldCluster(unittest.TestCase):
    """Starts the whole cluster once per test class."""

    SQL_NODES = 2
    SQLD_ARGS = ()  # more command-line options for every halb-sqld
    DATA_MEMORY = "40M"
    MAX_TABLES = 128

    @classmethod
    def prepare_files(cls, path):
        """Hook for subclasses: write files the SQLD_ARGS name (certificates)."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir(prefix="halb-sqld-")
        cls.procs = []
        try:
            cls._start()
        except BaseException:
            cls._stop_all()
            raise

    @classmethod
    def _start(cls):
        path = cls.tmp.path
        for d in ("m1", "d2", "d3", "run"):
            os.makedirs(os.path.join(path, d))
        cls.mgm_port = free_tcp_port()
        cls.cs = f"127.0.0.1:{cls.mgm_port}"
        with open(os.path.join(path, "config.ini"), "w") as f:
            f.write(config_ini(path, cls.mgm_port, cls.DATA_MEMORY, cls.MAX_TABLES))
        cls.mgmd = cls._proc("mgmd", [program("halb-mgmd"), "-f", os.path.join(path, "config.ini"),
                                       "--ndb-nodeid", "1", "--foreground", "--run-dir", os.path.join(path, "run")])
        wait_for(lambda: port_open(cls.mgm_port) or not cls.mgmd.alive(), 10, what="halb-mgmd listening")
        cls.ndbd = {}
        for n in (2, 3):
            cls.ndbd[n] = cls._proc(f"ndbd{n}", [program("halb-ndbd"), "-c", cls.cs, "--ndb-nodeid", str(n),
                                                 "--foreground", "--run-dir", os.path.join(path, "run")])
        with open(os.path.join(path, "rootpw"), "w") as f:
            f.write(ROOT_PASSWORD + "\n")
        cls.prepare_files(path)
        cls.sql = []
        for i in range(cls.SQL_NODES):
            cls.sql.append(cls._start_sqld(i))

    @classmethod
    def _start_sqld(cls, i, *extra):
        path = cls.tmp.path
        port = free_tcp_port()
        sock = os.path.join(path, f"sqld{i}.sock")
        cnf = os.path.join(path, f"my{i}.cnf")
        with open(cnf, "w") as f:
            f.write(f"[mysqld]\nndbcluster\nndb-connectstring = \"{cls.cs}\"\nport = {port}\n"
                    f"socket = {sock}\nbind-address = 127.0.0.1\n")
        proc = cls._proc(f"sqld{i}", [program("halb-sqld"), f"--defaults-file={cnf}", "--foreground",
                                      "--run-dir", os.path.join(path, "run"), "--pid-file",
                                      os.path.join(path, "run", f"sqld{i}.pid"),
                                      "--initial-root-password-file", os.path.join(path, "rootpw")]
                         + [a.replace("@TMP@", path) for a in cls.SQLD_ARGS] + list(extra))
        wait_for(lambda: port_open(port) or not proc.alive(), 90, interval=0.2, what=f"halb-sqld {i} listening")
        if not proc.alive():
            raise AssertionError(f"halb-sqld {i} exited:\n" + cls.log(f"sqld{i}")[-3000:])
        node = {"port": port, "socket": sock, "proc": proc, "cnf": cnf, "name": f"sqld{i}"}
        return node

    @classmethod
    def _proc(cls, name, argv):
        p = Proc(argv, log_path=os.path.join(cls.tmp.path, name + ".log"))
        cls.procs.append(p)
        return p

    @classmethod
    def log(cls, name):
        try:
            with open(os.path.join(cls.tmp.path, name + ".log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    @classmethod
    def _stop_all(cls):
        for p in reversed(cls.procs):
            p.stop()
        if os.environ.get("HALB_KEEP_LOGS") is None:
            cls.tmp.cleanup()

    @classmethod
    def tearDownClass(cls):
        cls._stop_all()

    def dump_logs(self):
        for name in ("sqld0", "sqld1", "ndbd2", "ndbd3", "mgmd"):
            print(f"--- {name} ---\n" + self.log(name)[-3000:])
