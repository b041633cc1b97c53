#include "spool/segment_file.h"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>

namespace pushgw::spool {

SegmentFile::~SegmentFile() {
  if (fd_ >= 0) ::close(fd_);
}

bool SegmentFile::create(const std::string& path, const std::string& header, bool sync) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  const int old = fd_;
  const uint64_t old_size = size_;
  fd_ = fd;
  std::vector<std::string_view> parts{header};
  if (!write(parts) || (sync && ::fdatasync(fd) != 0)) {  // a header, not a group: not in syncs()
    const int err = errno;
    ::close(fd);
    fd_ = old;
    size_ = old_size;
    errno = err;
    return false;
  }
  if (old >= 0) ::close(old);
  size_ = header.size();
  return true;
}

bool SegmentFile::write(std::vector<std::string_view>& parts) {
  size_t total = 0;
  for (const auto& p : parts) total += p.size();
  size_t first = 0;
  std::vector<iovec> iov;
  while (first < parts.size()) {
    if (parts[first].empty()) {
      ++first;
      continue;
    }
    iov.clear();
    for (size_t i = first; i < parts.size() && iov.size() < IOV_MAX; ++i)
      if (!parts[i].empty()) iov.push_back(iovec{const_cast<char*>(parts[i].data()), parts[i].size()});
    ssize_t n = ::writev(fd_, iov.data(), static_cast<int>(iov.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    auto left = static_cast<size_t>(n);
    while (left > 0 && first < parts.size()) {
      const size_t take = std::min(left, parts[first].size());
      parts[first].remove_prefix(take);
      left -= take;
      if (parts[first].empty()) ++first;
    }
  }
  size_ += total;
  bytes_.fetch_add(total, std::memory_order_relaxed);
  return true;
}

bool SegmentFile::sync() {
  syncs_.fetch_add(1, std::memory_order_relaxed);
  return ::fdatasync(fd_) == 0;
}

bool SegmentFile::cut_back(uint64_t end) {
  size_ = end;
  return ::ftruncate(fd_, static_cast<off_t>(end)) == 0;
}

}  // namespace pushgw::spool
