#include "worker/worker_channel.h"

#include <unistd.h>

#include <thread>

namespace ci::worker {

void WorkerChannel::StartReading() {
  reading_thread_ = true;
  std::thread([this] { Read(); }).detach();
}

bool WorkerChannel::Send(const std::string& message) {
  return end_->Send(message);
}

std::string WorkerChannel::NextExecution() {
  if (!reading_thread_) {
    MessageType type;
    std::string payload;
    try {
      if (end_->Receive(Clock::time_point::max(), &type, &payload) != Received::kMessage) {
        _exit(0);  // the parent closed the channel: the sandbox is gone
      }
      if (type != MessageType::kExecute) {
        throw ChannelError("a message that is not an execution came");
      }
    } catch (const ChannelError& error) {
      Send(EncodeFailure(error.what()));
      _exit(1);
    }
    return payload;
  }
  std::unique_lock<std::mutex> lock(mutex_);
  arrived_.wait(lock, [this] { return !executions_.empty(); });
  std::string payload = std::move(executions_.front());
  executions_.pop_front();
  return payload;
}

HostReply WorkerChannel::CallHost(const ChannelHostCall& call,
                                  const std::shared_ptr<HostCompletionSink>& completions) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    awaited_call_ = call.call_id;
    reply_ready_ = false;
    sink_ = completions;
  }
  if (!Send(EncodeHostCall(call))) {
    _exit(0);  // the parent is gone
  }
  std::unique_lock<std::mutex> lock(mutex_);
  arrived_.wait(lock, [this] { return reply_ready_; });
  awaited_call_ = 0;
  return std::move(reply_);
}

void WorkerChannel::Read() {
  MessageType type;
  std::string payload;
  for (;;) {
    try {
      if (end_->Receive(Clock::time_point::max(), &type, &payload) != Received::kMessage) {
        _exit(0);  // the parent closed the channel: the sandbox is gone
      }
      MessageReader reader(payload);
      std::unique_lock<std::mutex> lock(mutex_);
      switch (type) {
        case MessageType::kExecute:
          executions_.push_back(std::move(payload));
          arrived_.notify_all();
          break;
        case MessageType::kHostReply: {
          uint64_t call_id = 0;
          HostReply reply = DecodeHostReply(reader, &call_id);
          if (call_id != awaited_call_ || awaited_call_ == 0) {
            throw ChannelError("a host reply came for a call that does not wait");
          }
          reply_ = std::move(reply);
          reply_ready_ = true;
          arrived_.notify_all();
          break;
        }
        case MessageType::kHostCompletion: {
          uint64_t call_id = 0;
          HostReply reply = DecodeHostReply(reader, &call_id);
          std::shared_ptr<HostCompletionSink> sink = sink_.lock();
          lock.unlock();
          if (sink != nullptr) {
            sink->Post(call_id, std::move(reply));  // dropped there if its execution ended
          }
          break;
        }
        default:
          throw ChannelError("a message a worker does not take came");
      }
    } catch (const ChannelError& error) {
      Send(EncodeFailure(error.what()));
      _exit(1);
    }
  }
}

HostReply ChannelHostFunctions::Call(const HostCall& call,
                                     size_t index,
                                     const HostArguments& arguments) {
  ChannelHostCall crossing;
  crossing.call_id = call.call_id;
  crossing.index = static_cast<uint32_t>(index);
  crossing.arguments = arguments;
  return channel_->CallHost(crossing, call.completions);
}

}  // namespace ci::worker
