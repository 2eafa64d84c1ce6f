#ifndef CODE_INTERPRETER_CORE_CHANNEL_SOCKET_IO_H_
#define CODE_INTERPRETER_CORE_CHANNEL_SOCKET_IO_H_

#include <string>

#include "core/channel/message.h"
#include "core/engine/clock.h"

namespace ci {

// Writes a whole message (MessageWriter::Finish) to a stream socket. False when the peer is
// gone; never raises SIGPIPE.
bool SendMessage(int fd, const std::string& message);

enum class Received { kMessage, kClosed, kTimedOut };

/**
 * Reads one message from a stream socket into `type` and `payload`, waiting at most until
 * `deadline` (Clock::time_point::max(): for ever). kClosed when the peer closed the channel
 * between messages; ChannelError for a length out of bounds, an unknown type or a message cut
 * short. The payload grows as bytes arrive, so a length alone never makes a large allocation.
 */
Received ReceiveMessage(int fd,
                        Clock::time_point deadline,
                        MessageType* type,
                        std::string* payload);

}  // namespace ci

#endif  // CODE_INTERPRETER_CORE_CHANNEL_SOCKET_IO_H_
