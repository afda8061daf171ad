"""halb-sqld and TLS: with ssl-cert/ssl-key the server offers CLIENT_SSL and
the mariadb CLI and PyMySQL talk TLS to it; without a certificate a client
that requires TLS stops with its own error 2026, and one that does not care
continues in plain text."""
import shutil
import subprocess
import unittest

from sqld_cluster import ROOT_PASSWORD, SqldCluster

try:
    import pymysql
except ImportError:
    pymysql = None

MARIADB = shutil.which("mariadb") or shutil.which("mysql")
OPENSSL = shutil.which("openssl")


def cli(port, sql, *extra):
    r = subprocess.run([MARIADB, "--batch", "-h127.0.0.1", "-P", str(port), "-uroot", f"-p{ROOT_PASSWORD}",
                        *extra, "-e", sql], capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout, r.stderr


@unittest.skipUnless(MARIADB and OPENSSL, "mariadb-client or openssl missing")
class WithCertificate(SqldCluster):
    SQL_NODES = 1
    SQLD_ARGS = ("--ssl-cert=@TMP@/cert.pem", "--ssl-key=@TMP@/key.pem")

    @classmethod
    def prepare_files(cls, path):
        subprocess.run([OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", f"{path}/key.pem", "-out", f"{path}/cert.pem"],
                       check=True, capture_output=True)

    def test_cli_uses_tls(self):
        rc, out, err = cli(self.sql[0]["port"], "status", "--ssl", f"--ssl-ca={self.tmp.path}/cert.pem")
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"SSL:\s+Cipher in use is \S+")
        rc, out, err = cli(self.sql[0]["port"], "select 1 as x", "--ssl-verify-server-cert",
                           f"--ssl-ca={self.tmp.path}/cert.pem")
        self.assertEqual(rc, 0, err)
        self.assertEqual(out, "x\n1\n")

    def test_plain_clients_still_welcome(self):
        rc, out, err = cli(self.sql[0]["port"], "select 2 as y", "--skip-ssl")
        self.assertEqual(rc, 0, err)
        self.assertEqual(out, "y\n2\n")

    @unittest.skipUnless(pymysql, "python3-pymysql is not installed")
    def test_pymysql_over_tls(self):
        c = pymysql.connect(host="127.0.0.1", port=self.sql[0]["port"], user="root", password=ROOT_PASSWORD,
                            ssl={"ca": f"{self.tmp.path}/cert.pem"})
        self.assertIsNotNone(c._sock.version())  # an ssl.SSLSocket
        with c.cursor() as cur:
            cur.execute("select 3")
            self.assertEqual(cur.fetchone()[0], 3)
        c.close()


@unittest.skipUnless(MARIADB, "mariadb-client is not installed")
class WithoutCertificate(SqldCluster):
    SQL_NODES = 1

    def test_clients_that_require_tls_stop_others_continue(self):
        rc, _, err = cli(self.sql[0]["port"], "select 1", "--ssl-verify-server-cert")
        self.assertNotEqual(rc, 0)
        self.assertIn("2026", err)
        rc, out, err = cli(self.sql[0]["port"], "select 1 as z", "--ssl")
        self.assertEqual(rc, 0, err)
        self.assertEqual(out, "z\n1\n")


if __name__ == "__main__":
    unittest.main()
