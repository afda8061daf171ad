#!/usr/bin/env python3
"""The lab's workload: the seed's insert loop through the VIP, recorded in
the manner of Jepsen so lab/checker.py can tell what became of each write.

The seed's test.sh ran `insert into preference (...)` a thousand times a
run and logged `count(*)` after each run. Here every insert carries a
unique id in preferenceSerialNumber ("<run>-<n>") and each attempt is one
line of a JSON history:

  {"type": "invoke", "id": ..., "t": ...}
  {"type": "ok",     "id": ..., "t": ...}                   acknowledged
  {"type": "fail",   "id": ..., "t": ..., "error": "..."}   an error came back
  {"type": "info",   "id": ..., "t": ..., "error": "..."}   no answer (timeout, connection lost)
  {"type": "count",  "t": ..., "count": N}                  the seed's count(*) log
  {"type": "final",  "t": ..., "ids": [...]}                every id of this run found at the end

Subcommands (each runs in the client's namespace):
  setup  create the seed's database, `preference` table and the director's
         check user and table (as root, on one SQL node);
  run    insert until the stop file appears (or --duration passes), then
         read back every id of the run;
  final  only the read-back;
  fill   insert filler rows until the cluster answers 1114 (table is
         full); unfill drops them;
  probe  one SQL node's answers to the check query, its data node count
         and a rolled-back write (halb-lab status).
Speaks MySQL with PyMySQL (Debian: python3-pymysql).
"""
import argparse
import json
import os
import sys
import time

PREFERENCE = """CREATE TABLE IF NOT EXISTS preference (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  preferenceSerialNumber VARCHAR(64) NOT NULL,
  username VARCHAR(32), preferenceTypeId INT, isExpired TINYINT, isUsed TINYINT,
  preferenceUsername VARCHAR(32), equalMoney DECIMAL(10,2),
  genDatetime DATETIME, useDatetime DATETIME, grantDatetime DATETIME, expriedDatetime DATETIME
) ENGINE=NDBCLUSTER"""

# The seed's second insert (test.sh), the serial number made unique.
INSERT = ("INSERT INTO preference (preferenceSerialNumber, username, preferenceTypeId, preferenceUsername, "
          "equalMoney, genDatetime, useDatetime, grantDatetime, expriedDatetime) VALUES "
          "(%s, %s, '3', 'liujun33333', '33.8', '2008-12-23 7:05:00', '2008-12-23 7:15:00', "
          "'2008-12-23 7:25:00', '2008-12-23 7:35:00')")


def connect_args(t, host, root=False, socket=None):
    user, password = ("root", t.root_password) if root else (t.user, t.password)
    return ["--host", host, "--port", str(t.port), "--user", user, "--password", password,
            "--database", t.database, "--check-password", t.password, "--check-user", t.user] + (
            ["--socket", socket] if socket else [])


def _connect(a, database=True, timeout=2.0):
    import pymysql
    return pymysql.connect(host=a.host, port=a.port, unix_socket=a.socket or None, user=a.user, password=a.password,
                           database=a.database if database else None, autocommit=True,
                           connect_timeout=timeout, read_timeout=timeout, write_timeout=timeout)


def setup(a):
    c = _connect(a, database=False, timeout=10)
    with c.cursor() as cur:
        for sql in (f"CREATE DATABASE IF NOT EXISTS {a.database}", f"USE {a.database}", PREFERENCE,
                    "CREATE DATABASE IF NOT EXISTS ldirectordb",
                    "CREATE TABLE IF NOT EXISTS ldirectordb.connectioncheck (i INT) ENGINE=NDBCLUSTER",
                    f"CREATE USER IF NOT EXISTS '{a.check_user}'@'%' IDENTIFIED BY '{a.check_password}'",
                    f"GRANT ALL ON {a.database}.* TO '{a.check_user}'@'%'",
                    f"GRANT SELECT ON ldirectordb.* TO '{a.check_user}'@'%'",
                    "FLUSH PRIVILEGES"):
            cur.execute(sql)
        cur.execute("SELECT COUNT(*) FROM ldirectordb.connectioncheck")
        if cur.fetchone()[0] == 0:
            cur.execute("INSERT INTO ldirectordb.connectioncheck VALUES (1)")
    c.close()
    print("schema ready")


def is_definite(exc):
    """An error the server answered (it did not apply the statement), as
    against a lost connection or a timeout, after which nobody knows."""
    import pymysql
    code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else 0
    if isinstance(exc, pymysql.err.OperationalError) and code in (2003,):  # could not connect: never sent
        return True
    if 1000 <= code < 2000 and code not in (1205, 1213, 1296, 1297):
        # An SQL error from the server; lock waits and the cluster's
        # temporary errors may have left the outcome open.
        return True
    return False


class History:
    def __init__(self, path):
        self.f = open(path, "a", buffering=1)

    def add(self, **rec):
        rec.setdefault("t", time.time())
        self.f.write(json.dumps(rec) + "\n")


def final_read(a, hist, run, tries=60):
    """Every id of this run, read back (retried: the read must not be lost
    to the very faults the drill injected)."""
    last = None
    for _ in range(tries):
        try:
            c = _connect(a, timeout=5)
            with c.cursor() as cur:
                cur.execute("SELECT preferenceSerialNumber FROM preference WHERE username = %s", (run,))
                ids = [r[0] for r in cur.fetchall()]
            c.close()
            hist.add(type="final", ids=ids)
            return ids
        except Exception as e:  # noqa: BLE001 - any failure: try again
            last = e
            time.sleep(0.5)
    hist.add(type="final-failed", error=str(last))
    raise SystemExit(f"final read failed: {last}")


def run(a):
    hist = History(a.history)
    end = time.time() + a.duration if a.duration else None
    conn = None
    n = 0
    next_count = time.time() + a.count_every
    gap = 1.0 / a.rate if a.rate else 0
    while not os.path.exists(a.stop_file) and (end is None or time.time() < end):
        n += 1
        wid = f"{a.run}-{n}"
        t0 = time.time()
        hist.add(type="invoke", id=wid, t=t0)
        try:
            if conn is None:
                conn = _connect(a, timeout=a.timeout)
            with conn.cursor() as cur:
                cur.execute(INSERT, (wid, a.run))
            hist.add(type="ok", id=wid)
        except Exception as e:  # noqa: BLE001 - every failure is recorded
            hist.add(type="fail" if is_definite(e) else "info", id=wid, error=f"{type(e).__name__}: {e}")
            try:
                if conn:
                    conn.close()
            except Exception:  # noqa: BLE001
                pass
            conn = None
            time.sleep(0.02)  # a refused connection must not spin
        if time.time() >= next_count and conn is not None:
            next_count = time.time() + a.count_every
            try:
                with conn.cursor() as cur:
                    cur.execute("SELECT COUNT(*) FROM preference")
                    hist.add(type="count", count=cur.fetchone()[0])
            except Exception:  # noqa: BLE001 - the count is a log, not a check
                conn = None
        if gap:
            time.sleep(max(0.0, t0 + gap - time.time()))
    if conn:
        conn.close()
    final_read(a, hist, a.run)


FILLER = "CREATE TABLE IF NOT EXISTS lab_filler (id INT NOT NULL PRIMARY KEY, pad VARCHAR(255)) ENGINE=NDBCLUSTER"


# The cluster's temporary errors (NDB's "try again": a node failure or a
# lock wait aborted the transaction): the filler retries its batch.
TEMPORARY = (1205, 1213, 1296, 1297)


def fill(a, retries=20):
    """Insert 255-byte rows, 500 a statement, until the cluster answers
    1114 (table is full). A batch a temporary error aborted is sent again
    (on a new connection if the old one went); one that got in after all
    (1062 on the retry) is counted and passed."""
    c = _connect(a, timeout=30)
    n = 0
    failures = 0
    cur = c.cursor()
    cur.execute(FILLER)
    while True:
        try:
            cur.executemany("INSERT INTO lab_filler VALUES (%s, %s)",
                            [(n + i, "x" * 255) for i in range(500)])
            n += 500
            failures = 0
        except Exception as e:  # noqa: BLE001
            code = e.args[0] if e.args and isinstance(e.args[0], int) else 0
            if code == 1114:
                print(f"table full after {n} filler rows: {e}")
                return
            if code == 1062 and failures:
                n += 500  # the batch the temporary error hid got in
                failures = 0
                continue
            retry = code in TEMPORARY or code in (2006, 2013)  # temporary, or the connection went
            failures += 1
            if not retry or failures > retries:
                raise
            print(f"filler batch at {n}: {e}; again ({failures}/{retries})", flush=True)
            time.sleep(0.5)
            if code in (2006, 2013):
                c = _connect(a, timeout=30)
                cur = c.cursor()
        if n > 10_000_000:
            sys.exit("the table never became full")


def probe(a):
    """One SQL node as a client sees it, for `halb-lab status`: the
    director's check query, the data nodes it has, and whether a write of
    the insert loop's table gets through (rolled back, so nothing stays).
    One line; never raises."""
    out = []
    try:
        c = _connect(a, timeout=a.timeout)
    except Exception as e:  # noqa: BLE001
        print(f"cannot log in: {e}")
        return
    steps = (("check", "SELECT * FROM ldirectordb.connectioncheck"),
             ("data nodes", "SHOW STATUS LIKE 'Ndb_number_of_data_nodes'"),
             ("write", None))
    for what, sql in steps:
        try:
            with c.cursor() as cur:
                if sql:
                    cur.execute(sql)
                    row = cur.fetchone()
                    out.append(f"{what} {row[-1] if row else 'no row'}")
                else:
                    # The loop's INSERT, auto-increment and all, never committed.
                    cur.execute("BEGIN")
                    cur.execute(INSERT, ("lab-probe", "lab-probe"))
                    cur.execute("ROLLBACK")
                    out.append("write ok")
        except Exception as e:  # noqa: BLE001 - reported, the next step still tried
            out.append(f"{what} FAILED: {e}")
    c.close()
    print("; ".join(out))


def unfill(a):
    c = _connect(a, timeout=60)
    with c.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS lab_filler")
    print("filler dropped")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=("setup", "run", "final", "fill", "unfill", "probe"))
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, default=3306)
    ap.add_argument("--socket", default="", help="a Unix socket instead of host:port (root@localhost)")
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", default="")
    ap.add_argument("--database", default="kingsoft")
    ap.add_argument("--check-user", default="ldirector")
    ap.add_argument("--check-password", default="")
    ap.add_argument("--history", help="JSON-lines history file (run, final)")
    ap.add_argument("--run", default="w", help="this run's tag: ids are <run>-<n>, username = <run>")
    ap.add_argument("--stop-file", default="/nonexistent", help="stop when this file appears")
    ap.add_argument("--duration", type=float, default=0)
    ap.add_argument("--rate", type=float, default=0, help="inserts per second (0: as fast as answered)")
    ap.add_argument("--timeout", type=float, default=2.0)
    ap.add_argument("--count-every", type=float, default=1.0)
    a = ap.parse_args(argv)
    try:
        import pymysql  # noqa: F401
    except ImportError:
        sys.exit("workload: PyMySQL is missing (apt-get install python3-pymysql)")
    if a.command == "setup":
        setup(a)
    elif a.command == "fill":
        fill(a)
    elif a.command == "unfill":
        unfill(a)
    elif a.command == "probe":
        probe(a)
    elif a.command == "run":
        run(a)
    else:
        final_read(a, History(a.history), a.run)


if __name__ == "__main__":
    main()
