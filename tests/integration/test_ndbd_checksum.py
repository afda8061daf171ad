"""halb-ndbd links with [TCP DEFAULT] Checksum=1: every frame carries a CRC-32,
the cluster works as usual, and a peer that sends a frame without one (or with
a wrong one) loses only its own link."""
import os
import re
import socket
import struct
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_ndbd import NdbdCluster  # noqa: E402
from halb import Proc, program, wait_for  # noqa: E402


def frame(mtype, payload, sender=22, receiver=2, checksum=True, corrupt=False):
    header = struct.pack(">IBBHHHHHII", 0x484C4254, 1, 1 if checksum else 0, mtype, 1, sender, receiver, 0,
                         len(payload), 0)
    if checksum:
        crc = zlib.crc32(header + payload) ^ (1 if corrupt else 0)
        header = header[:20] + struct.pack(">I", crc)
    return header + payload


class ChecksummedLinks(NdbdCluster):
    def setUp(self):
        super().setUp()
        # Same cluster, every link checksummed: rewrite the config before any data node reads it.
        with open(self.config) as f:
            text = f.read()
        with open(self.config, "w") as f:
            f.write("[TCP DEFAULT]\nChecksum=1\n\n" + text)
        self.mgmd.stop()
        self.procs.remove(self.mgmd)
        self.mgmd = Proc([program("halb-mgmd"), "-f", self.config, "--ndb-nodeid", "1", "--foreground",
                          "--run-dir", os.path.join(self.tmp.path, "run")],
                         log_path=os.path.join(self.tmp.path, "mgmd.checksum.log"))
        self.procs.append(self.mgmd)
        wait_for(lambda: self.port_open(self.port) or not self.mgmd.alive(), 10, what="halb-mgmd listening")
        self.assertTrue(self.mgmd.alive())

    def drain(self, s):
        s.settimeout(5)
        try:
            while s.recv(4096):
                pass
        except OSError:
            pass
        s.close()

    def test_rows_flow_and_frames_without_a_good_checksum_close_only_that_link(self):
        for n in self.DATA_NODES:
            self.start_ndbd(n)
        self.wait_started(self.DATA_NODES)
        self.tool_ok("create", "t1")
        self.assertIn("loaded 5000 rows, 0 bad", self.tool_ok("load", "t1", "5000"))
        self.assertIn("verified 5000 rows, 0 bad", self.tool_ok("--node", "3", "verify", "t1", "5000"))
        port = int(re.search(r"transporter listening on 127\.0\.0\.1:(\d+)", self.log_text(2)).group(1))
        hello = struct.pack(">HI", 22, 0)
        # A peer that leaves the checksum out of its HELLO.
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(frame(1, hello, checksum=False))
        self.drain(s)
        wait_for(lambda: "frame without checksum on a checksummed link" in self.log_text(2), 5,
                 what="the missing checksum logged")
        # A peer whose HELLO is right and whose next frame was damaged on the way.
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(frame(1, hello) + frame(256, b"\x00" * 16, corrupt=True))
        self.drain(s)
        wait_for(lambda: "link to node 22 closed: malformed frame: frame checksum mismatch" in self.log_text(2), 5,
                 what="the wrong checksum logged")
        self.assertTrue(self.nodes[2].alive())
        self.assertEqual(self.status(2), "started")
        self.assertIn("verified 5000 rows, 0 bad", self.tool_ok("--node", "2", "verify", "t1", "5000"))


if __name__ == "__main__":
    import unittest
    unittest.main()
