"""The director's view of halb-sqld: halb-director's mysql check (through
tests/tools/halb-check-once, as ldirectord's check_sql: login, request,
rows > 0) sees the SQL node up; with the data nodes stopped halb-sqld
refuses logins with ERR 1105 "cluster unavailable", so the check says down
and clients see why."""
import shutil
import subprocess
import unittest

from halb import program, wait_for
from sqld_cluster import ROOT_PASSWORD, SqldCluster


class DirectorView(SqldCluster):
    SQL_NODES = 1

    def check(self):
        argv = [program("halb-check-once"), "127.0.0.1:3306", f"127.0.0.1:{self.sql[0]['port']}", "service=mysql",
                "negotiatetimeout=3", 'login="root"', f'passwd="{ROOT_PASSWORD}"', 'request="SELECT 1"']
        r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        return r.returncode, r.stdout.strip()

    def test_up_then_down_without_data_nodes(self):
        rc, out = self.check()
        if rc != 0:
            self.dump_logs()
        self.assertEqual(rc, 0, out)
        self.assertTrue(out.startswith("up"), out)
        for p in self.ndbd.values():
            p.stop()
        wait_for(lambda: self.check()[0] == 1, 60, interval=0.5, what="the mysql check to say down")
        rc, out = self.check()
        self.assertTrue(out.startswith("down"), out)
        client = shutil.which("mariadb") or shutil.which("mysql")
        if client:
            r = subprocess.run([client, "-h127.0.0.1", "-P", str(self.sql[0]["port"]), "-uroot",
                                f"-p{ROOT_PASSWORD}", "-e", "select 1"], capture_output=True, text=True, timeout=30)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("ERROR 1105 (HY000): Cluster unavailable: no data node of the cluster is reachable",
                          r.stderr)
        self.assertTrue(self.sql[0]["proc"].alive(), "halb-sqld must keep running and answer again later")


if __name__ == "__main__":
    unittest.main()
