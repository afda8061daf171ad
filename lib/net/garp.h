// lib/net/garp.h: gratuitous ARP, as heartbeat's send_arp sent it when a
// node took over a virtual IP, so that every neighbour's ARP cache moves
// the VIP to the new holder's MAC at once instead of after its timeout.
//
// send_arp -i 200 -r 5 sends five repeats of (ARP request, ARP reply), all
// to ff:ff:ff:ff:ff:ff, with sender IP = target IP = the VIP and sender
// MAC = the NIC's MAC; the request's target MAC is zero, the reply's is the
// sender's own. It pauses interval/2 after every frame: 10 frames 100 ms
// apart. Some neighbours only learn from requests, some only from replies,
// hence both.
//
// The frames are built by a pure function (tested byte by byte) and sent by
// GarpSender over an AF_PACKET socket, paced by a loop Timer: nothing
// sleeps and the loop is never held up while the repeats go on.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>

#include "lib/event/loop.h"
#include "lib/net/address.h"

namespace halb::net {

enum class ArpOp : uint16_t { request = 1, reply = 2 };

// Ethernet header (14) + ARP for IPv4 over Ethernet (28). Shorter than the
// 60-byte Ethernet minimum; the NIC (or veth) pads it.
inline constexpr size_t kGarpFrameSize = 42;
using GarpFrame = std::array<uint8_t, kGarpFrameSize>;

// One gratuitous ARP frame for `vip` (must be IPv4) announced by `own`:
// destination ff:ff:ff:ff:ff:ff, source own, ethertype 0x0806, then
// hardware Ethernet, protocol IPv4, sizes 6/4, the opcode, sender own/vip,
// target 00:00:00:00:00:00 (request) or own (reply) / vip.
GarpFrame build_garp_frame(ArpOp op, const Mac& own, const Address& vip);

// Sends one announcement run (count repeats of request+reply) on one
// interface. One run at a time: start() again replaces the current run.
// Destroying the sender cancels the run.
class GarpSender {
 public:
  struct Options {
    int interval_ms = 200;  // send_arp -i: a repeat takes this long
    int count = 5;          // send_arp -r: number of request+reply repeats
  };
  // When a run ends (all frames sent). `frames_sent` counts frames the
  // kernel accepted; `error` holds the first send error, if any. Not called
  // for a cancelled run. Runs from the sender's timer: it may start() again
  // but must not destroy the sender (use Loop::defer for that).
  using Done = std::function<void(int frames_sent, const std::string& error)>;

  explicit GarpSender(event::Loop& loop);
  ~GarpSender();
  GarpSender(const GarpSender&) = delete;
  GarpSender& operator=(const GarpSender&) = delete;

  // Open the packet socket and send the first frame now, the rest paced by
  // the timer. An Error (socket, not IPv4, count < 1) means nothing is sent
  // and `done` is not called.
  Status start(int ifindex, const Mac& own, const Address& vip, Options options, Done done = nullptr);
  // Stop the run, if any, without calling done.
  void cancel();
  bool active() const { return fd_ >= 0; }

 private:
  void send_next();
  void finish();

  event::Timer timer_;
  int fd_ = -1;
  int ifindex_ = 0;
  GarpFrame request_{};
  GarpFrame reply_{};
  int total_ = 0;  // frames in this run
  int next_ = 0;   // index of the next frame
  int sent_ = 0;
  std::string error_;
  Done done_;
};

}  // namespace halb::net
