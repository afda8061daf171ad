"""libFuzzer over halb-sqld's packet decoding (tests/fuzz/fuzz_packet.cc) and
its SQL front end (tests/fuzz/fuzz_tokenizer.cc): each built with clang's
fuzzer and address sanitizer, run for 20 seconds; any crash, leak or
sanitizer report fails the test."""
import os
import shutil
import unittest

from halb import run_fuzzer

CLANG = shutil.which(os.environ.get("CLANGXX", "clang++"))


@unittest.skipUnless(CLANG, "clang++ is not installed")
class FuzzPacket(unittest.TestCase):
    def test_twenty_seconds_without_a_crash(self):
        run_fuzzer(self, "build-fuzz-packet", 20)


# Statements the clients send (reference §4): a start for the mutations.
TOKENIZER_SEEDS = [
    "CREATE TABLE sbtest1(\n  id INTEGER NOT NULL AUTO_INCREMENT,\n  k INTEGER DEFAULT '0' NOT NULL,\n"
    "  c CHAR(120) DEFAULT '' NOT NULL,\n  pad CHAR(60) DEFAULT '' NOT NULL,\n  PRIMARY KEY (id)\n"
    ") /*! ENGINE = innodb */ ",
    "SELECT DISTINCT c FROM sbtest1 WHERE id BETWEEN 3 AND 102 ORDER BY c",
    "INSERT INTO sbtest1 (id, k, c, pad) VALUES (0, 5, '1-2-3', 'x\\'y')",
    "UPDATE t SET k=k+1 WHERE id=? ; DELETE FROM t WHERE id = 0x41 LIMIT 1",
    "select @@version_comment limit 1; SET NAMES utf8mb4 COLLATE utf8mb4_general_ci",
    "create table usuarios (id int(11) unsigned not null auto_increment, nombre varchar(50) "
    "character set latin1 default null, e enum('a','b'), unique key u (nombre), key (id)) "
    "ENGINE=NDBCLUSTER DEFAULT CHARSET=latin1",
    "SELECT `a`.`b` AS \"q\", b'101', _utf8'x', N'y', 1e5, .5, -- comment\n 5 DIV 2 # more\n FROM DUAL",
    "INSERT IGNORE INTO t SET a = IF(1, NOW(), CURDATE()) ON DUPLICATE KEY UPDATE a = VALUES(a) FOR UPDATE",
]


def write_tokenizer_seeds(binary, corpus):
    for i, seed in enumerate(TOKENIZER_SEEDS):
        with open(os.path.join(corpus, f"seed{i}"), "w") as f:
            f.write(seed)


@unittest.skipUnless(CLANG, "clang++ is not installed")
class FuzzTokenizer(unittest.TestCase):
    def test_twenty_seconds_without_a_crash(self):
        run_fuzzer(self, "build-fuzz-tokenizer", 20, write_tokenizer_seeds)

if __name__ == "__main__":
    unittest.main()
