// director/adm/usage.cc: halb-adm's -h and -v texts (declared in
// command.h). The command summary follows ipvsadm's grammar; the wording
// is halb's, and it names the halb-only options.
#include <string>

#include "director/adm/command.h"
#include "lib/version/version.h"

namespace halb::director::adm {

std::string version_text() {
  return version::line("halb-adm") + " (ipvsadm v1.31 command line and output)\n";
}

std::string usage_text(const std::string& p) {
  std::string out = version_text();
  out += "Usage:\n";
  for (const char* form : {
           " -A|E virtual-service [-s scheduler] [-p [timeout]] [-M netmask] [--pe persistence_engine] [-b sched-flags]",
           " -D virtual-service", " -C", " -R", " -S [-n]", " -a|e virtual-service -r server-address [options]",
           " -d virtual-service -r server-address", " -L|l [virtual-service] [options]", " -Z [virtual-service]",
           " --set tcp tcpfin udp", " --start-daemon {master|backup} [daemon-options]",
           " --stop-daemon {master|backup}", " -h"})
    out += "  " + p + form + "\n";
  out +=
      "\n"
      "Commands (the command comes first; long or short form):\n"
      "  --add-service     -A        add a virtual service\n"
      "  --edit-service    -E        replace a virtual service's settings\n"
      "  --delete-service  -D        delete a virtual service\n"
      "  --clear           -C        delete every virtual service\n"
      "  --restore         -R        read commands from stdin, one per line\n"
      "  --save            -S        print the table as commands for -R\n"
      "  --add-server      -a        add a real server to a service\n"
      "  --edit-server     -e        change a real server\n"
      "  --delete-server   -d        remove a real server\n"
      "  --list            -L|-l     list the table\n"
      "  --zero            -Z        zero the counters of one or all services\n"
      "  --set tcp tcpfin udp        set the connection timeouts (seconds, 0 = unchanged)\n"
      "  --start-daemon              start a connection sync daemon\n"
      "  --stop-daemon               stop a connection sync daemon\n"
      "  --help            -h        this text\n"
      "  --version         -v|-V     the version\n"
      "\n"
      "virtual-service:\n"
      "  --tcp-service|-t  host[:port]   TCP service ([v6addr]:port for IPv6)\n"
      "  --udp-service|-u  host[:port]   UDP service\n"
      "  --fwmark-service|-f mark        firewall-mark service (mark > 0)\n"
      "\n"
      "Options:\n"
      "  --ipv6         -6               the fwmark service is IPv6 (after -f)\n"
      "  --scheduler    -s scheduler     rr|wrr|lc|wlc|lblc|lblcr|dh|sh|sed|nq|fo|ovf|mh; default wlc\n"
      "  --pe           engine           persistence engine (sip)\n"
      "  --persistent   -p [timeout]     persistent service, timeout in seconds (default 360)\n"
      "  --netmask      -M netmask       persistence granularity\n"
      "  --real-server  -r host[:port]   the real server\n"
      "  --gatewaying   -g               direct routing (default)\n"
      "  --ipip         -i               IP-in-IP tunnelling\n"
      "  --masquerading -m               NAT\n"
      "  --tun-type     ipip             tunnel type (only ipip)\n"
      "  --weight       -w weight        0..65535 (default 1; 0 = quiescent)\n"
      "  --u-threshold  -x uthreshold    upper connection threshold (0 = none)\n"
      "  --l-threshold  -y lthreshold    lower connection threshold\n"
      "  --connection   -c               list the connection table\n"
      "  --timeout                       list the timeouts\n"
      "  --daemon                        list the sync daemons\n"
      "  --stats                         list counters\n"
      "  --rate                          list rates\n"
      "  --exact                         exact numbers in --stats/--rate\n"
      "  --thresholds                    list thresholds\n"
      "  --persistent-conn               list persistent connections\n"
      "  --tun-info                      list tunnel information\n"
      "  --nosort                        list in the backend's order\n"
      "  --sort                          accepted, does nothing\n"
      "  --ops          -o               one-packet scheduling (UDP)\n"
      "  --numeric      -n               numeric addresses and ports\n"
      "  --sched-flags  -b flags         scheduler flags, comma-separated\n"
      "\n"
      "Daemon options:\n"
      "  --syncid sid                    sync id 0..255 (default 0)\n"
      "  --sync-maxlen length            largest sync message\n"
      "  --mcast-interface interface     multicast interface (default eth0)\n"
      "  --mcast-group address           IPv4/IPv6 group (default 224.0.0.81)\n"
      "  --mcast-port port               UDP port (default 8848)\n"
      "  --mcast-ttl ttl                 multicast TTL (default 1)\n"
      "\n"
      "halb options (anywhere on the line):\n"
      "  --backend lvsd|kernel|auto      which table to talk to (env HALB_ADM_BACKEND); auto, the\n"
      "                                  default: the kernel's IPVS when it is there, else halb-lvsd\n"
      "  --lvsd-socket PATH              halb-lvsd's control socket (default /run/halb/halb-lvsd.sock)\n";
  return out;
}

}  // namespace halb::director::adm
